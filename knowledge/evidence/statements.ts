/**
 * Evidence at sentence level: every passage of every document is split into statements (sentences),
 * each with what it states — figures with their units, years, responsible bodies, places, document
 * numbers and titles — and the context it stands in (the row's overview, the section's title, the
 * item's lead). Answers are built from statements, so a figure is only ever attached to what it
 * measures in its own sentence. Pure: text in, data out; no fact of any one document in here.
 */
import { normalize, sentences, stripBookmarks } from '../../core/text.js';
import type { KnowledgeBase, Passage } from '../base.js';
import { tokensOfNormalized } from '../search/tokenizer.js';

/** What kind of figure a value is. */
export type ValueKind = 'percent' | 'count' | 'weight' | 'area' | 'money' | 'length' | 'plain';

/** A figure stated in a sentence, with its unit as written. */
export interface Value {
  raw: string;
  number: number;
  unit: string;
  kind: ValueKind;
  /** Offset in the statement's text. */
  at: number;
}

/** One sentence of a passage and what it states. */
export interface Statement {
  id: number;
  passage: Passage;
  /** The sentence as written. */
  text: string;
  /** The sentence normalised (what matching works on). */
  norm: string;
  /** What the sentence stands under: row overview, section title, the item's lead sentence. */
  context: string;
  years: number[];
  values: Value[];
  /** Responsible bodies named in the sentence (区农业农村委 …). */
  units: string[];
  places: string[];
  /** Document numbers, normalised ("津农业农村委发[2019]61号"). */
  docNumbers: string[];
  /** Titles in 《》. */
  titles: string[];
  /** True for a sentence that only heads an item ("二、加快水产养殖尾水治理。"). */
  heading: boolean;
}

const UNIT_KINDS: Array<[RegExp, ValueKind]> = [
  [/^%$/, 'percent'],
  [/^(万|千)?吨$/, 'weight'],
  [/^(万)?亩$/, 'area'],
  [/^(万|亿)?元$/, 'money'],
  [/^(公里|千米|米)$/, 'length'],
  [/^(家|个|户|人次|人|次|处|座|套|张|份|幅|起|块|名|项|条|批|所|口|台|只|头|辆|类|种|支|组|村|镇|街)$/, 'count'],
];

// A figure followed by its unit; "2020年" is a year, not a value.
const VALUE =
  /(\d+(?:\.\d+)?)\s*(%|万吨|千吨|吨|万亩|亩|亿元|万元|元|公里|千米|米|人次|家|个|户|人|次|处|座|套|张|份|幅|起|块|名|项|条|批|所|口|台|只|头|辆|类|种|支|组)?/g;

/** The figures of a (normalised or raw) sentence. */
export function valuesIn(text: string): Value[] {
  const out: Value[] = [];
  for (const m of text.matchAll(VALUE)) {
    const at = m.index ?? 0;
    const after = text.slice(at + m[0].length, at + m[0].length + 1);
    const before = text.slice(Math.max(0, at - 1), at);
    const unit = m[2] ?? '';
    // Years, document numbers ([2019]61号), list numbers ("1.") and section numbers are no values.
    // An opening bracket starts a number of a document ("〔2020〕") or a list ("(2)"), not a figure
    // with its unit ("(30亩及以上)").
    // "第8项" is an ordinal, not a count of eight.
    if (
      /^年/.test(after) ||
      /^[\])号]/.test(after) ||
      (/[[〔(（]/.test(before) && !unit) ||
      before === '第' ||
      /^20\d{2}$/.test(m[1] as string)
    )
      continue;
    if (!unit && !/^[\d.]+$/.test(m[1] as string)) continue;
    if (!unit && (/^[.、．]/.test(after) || /^\d$/.test(m[1] as string))) continue;
    const kind = UNIT_KINDS.find(([re]) => re.test(unit))?.[1] ?? 'plain';
    out.push({ raw: m[0].trim(), number: Number(m[1]), unit, kind, at });
  }
  return out;
}

/** Years a text names (2020年, 2025年底). */
export function yearsIn(norm: string): number[] {
  return [...new Set([...norm.matchAll(/(?<![\d[])(20\d{2})(?=\s*年|\s*[-—–~]|$)/g)].map((m) => Number(m[1])))];
}

/** Responsible bodies as the documents write them: 区农业农村委, 区生态环境局, 区政府 … */
export const UNIT_NAME = /[区市县](?:[\u4e00-\u9fa5]{0,10}?)(?:委员会|局|委|办公室|办|厅|中心|政府)/g;

/** The responsible bodies a text names, in order, without repeats. */
export function unitsIn(text: string): string[] {
  return [...new Set((text.match(UNIT_NAME) ?? []).filter((u) => u.length >= 3 && !/^[区市县](内|外|域|级)/.test(u)))];
}

/** Document numbers in normalised text: "津农业农村委发[2019]61号", "渝环[2020]60号". */
export function docNumbersIn(norm: string): string[] {
  return [
    ...new Set(
      [...norm.matchAll(/([\u4e00-\u9fa5]{1,12})?\s*\[\s*((?:19|20)\d{2})\s*\]\s*(\d{1,4})\s*号/g)].map(
        (m) => `${m[1] ?? ''}[${m[2]}]${m[3]}号`,
      ),
    ),
  ];
}

/** The part of a document number that identifies it whatever the prefix: "[2019]61". */
export function docNumberKey(n: string): string {
  const m = /\[((?:19|20)\d{2})\](\d{1,4})/.exec(n);
  return m ? `[${m[1]}]${m[2]}` : n;
}

/** Places a text names: the given town list, and 镇/街道/村/水库/溪/河 names. */
export function placesIn(text: string, towns: string[]): string[] {
  const out = towns.filter((t) => text.includes(t));
  for (const m of text.matchAll(/[\u4e00-\u9fa5]{2,4}?(?:镇|街道)(?:[\u4e00-\u9fa5]{2,4}?(?:村|社区))?/g)) {
    // "加强对石蟆镇" finds "强对石蟆镇": the place starts at the known town inside it ("以X镇Y村": X镇Y村).
    const town = towns.find((t) => m[0].includes(t) && !m[0].startsWith(t));
    if (town) {
      out.push(m[0].slice(m[0].indexOf(town)));
      continue;
    }
    // …and a town the list lacks starts after the preposition ("强对X镇", "在X镇").
    const cut = /^[\u4e00-\u9fa5]?[对在于向从把将与和及]/.exec(m[0]);
    out.push(cut && m[0].length - cut[0].length >= 3 ? m[0].slice(cut[0].length) : m[0]);
  }
  for (const m of text.matchAll(/[\u4e00-\u9fa5]{2,3}(?:水库|溪|河|湖|灰场|园区)(?![流道段长])/g)) out.push(m[0]);
  return [...new Set(out)].filter((p) => !/^(全区|各|乡|城|重点|每个|其中|涉及)/.test(p));
}

/** A statement's own character bigrams, and those of its context. */
export interface StatementTerms {
  text: Set<string>;
  context: ContextGrams;
}

/**
 * The bigrams of a statement's context: its passage's (title and lead, shared by every statement of
 * the passage) and the sentence before's. Read through, never copied: copying them per statement
 * was most of what the knowledge base allocated at start-up.
 */
export class ContextGrams {
  constructor(
    private readonly shared: Set<string>,
    private readonly before: Set<string> | null,
  ) {}
  has(gram: string): boolean {
    return this.shared.has(gram) || (this.before?.has(gram) ?? false);
  }
  *[Symbol.iterator](): IterableIterator<string> {
    yield* this.shared;
    if (this.before) yield* this.before;
  }
}

/** All statements of a knowledge base, with the bigram sets that scoring works on. */
export interface StatementIndex {
  statements: Statement[];
  terms: StatementTerms[];
  /** bigram → ids of statements whose text or context holds it */
  postings: Map<string, number[]>;
  /** bigram → ids of statements whose own text holds it (a subset of `postings`) */
  textPostings: Map<string, number[]>;
  /** In how many statements (text or context) a bigram occurs. */
  df(term: string): number;
  /** Statements of one passage, in order. */
  ofPassage(passageId: number): Statement[];
  /** Whether some statement (or its context) contains the normalised word verbatim. */
  contains(word: string): boolean;
  /** The bigrams of each document's title: context of every sentence in it ("…尾水整改台账": 整改). */
  documentTerms: Map<string, Set<string>>;
}

/** The lead sentence of an item or paragraph, which heads what follows it. */
function leadOf(text: string): string {
  const first = sentences(text)[0] ?? '';
  return first.length <= 40 ? first : '';
}

/** How many answers of `contains` are remembered (the index does not change). */
const CONTAINS_MEMO = 20_000;

/** Splits every passage into statements. */
export function buildStatements(kb: KnowledgeBase, towns: string[]): StatementIndex {
  const statements: Statement[] = [];
  const byPassage = new Map<number, Statement[]>();
  const terms: StatementTerms[] = [];
  for (const p of kb.passages) {
    const lead = normalize(leadOf(p.text));
    const title = normalize(p.title);
    const list: Statement[] = [];
    const parts = p.kind === 'indicator' ? [p.text] : sentences(stripBookmarks(p.text));
    const norms = parts.map((t) => normalize(t));
    // Context bigrams are the passage's (title, lead) plus the sentence before: computed once each.
    const passageGrams = new Set(tokensOfNormalized(`${title} ${lead}`));
    const titleGrams = new Set(tokensOfNormalized(title));
    const textGrams = norms.map((n) => new Set(tokensOfNormalized(n)));
    parts.forEach((text, i) => {
      const norm = norms[i] as string;
      const values = valuesIn(norm);
      const heading = i === 0 && text.length <= 40 && parts.length > 1 && values.length === 0;
      const s: Statement = {
        id: statements.length,
        passage: p,
        text,
        norm,
        // The sentence before often names what this one counts ("…推进会。其中区政府召开2次。").
        context: `${title} ${i > 0 ? lead : ''} ${i > 0 ? norms[i - 1] : ''}`,
        years: yearsIn(norm),
        values,
        units: unitsIn(text),
        places: placesIn(text, towns),
        docNumbers: docNumbersIn(norm),
        titles: text.includes('《') ? [...text.matchAll(/《([^》]{2,80})》/g)].map((m) => m[1] as string) : [],
        heading,
      };
      statements.push(s);
      list.push(s);
      const context = new ContextGrams(i > 0 ? passageGrams : titleGrams, i > 0 ? (textGrams[i - 1] ?? null) : null);
      terms.push({ text: textGrams[i] as Set<string>, context });
    });
    byPassage.set(p.id, list);
  }
  const postings = new Map<string, number[]>();
  const textPostings = new Map<string, number[]>();
  const post = (to: Map<string, number[]>, b: string, id: number) => {
    const list = to.get(b);
    if (!list) to.set(b, [id]);
    else if (list[list.length - 1] !== id) list.push(id);
  };
  const seen = new Map<string, boolean>();
  terms.forEach((t, id) => {
    for (const b of t.text) {
      post(postings, b, id);
      post(textPostings, b, id);
    }
    for (const b of t.context) if (!t.text.has(b)) post(postings, b, id);
  });
  return {
    statements,
    terms,
    postings,
    textPostings,
    df: (term) => postings.get(term)?.length ?? 0,
    ofPassage: (id) => byPassage.get(id) ?? [],
    documentTerms: new Map(kb.documents.map((d) => [d.id, new Set(tokensOfNormalized(normalize(d.title)))])),
    contains(word) {
      const known = seen.get(word);
      if (known !== undefined) return known;
      const grams = tokensOfNormalized(word);
      let found = false;
      if (grams.length > 0) {
        // The rarest bigram's statements are the only candidates.
        const lists = grams.map((g) => postings.get(g) ?? []);
        const rarest = lists.reduce((a, b) => (b.length < a.length ? b : a));
        found = rarest.some((id) => {
          const s = statements[id] as Statement;
          return s.norm.includes(word) || s.context.includes(word);
        });
      }
      // Query analysis asks the same words again and again (each split of each question).
      if (seen.size >= CONTAINS_MEMO) seen.clear();
      seen.set(word, found);
      return found;
    },
  };
}
