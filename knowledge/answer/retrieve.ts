/**
 * Statement retrieval: scores the statements that share bigrams with a question's content terms.
 * A term is covered by a statement when most of one of its forms' bigrams stand in the sentence (or,
 * weighed less, in its context); a statement's score is the covered weight, raised when it holds the
 * kind of fact asked for and the asked year. Coverage — the share of the question's term weight a
 * statement covers — is what decides whether the records answer at all.
 */

import type { Statement, StatementIndex } from '../evidence/statements.js';
import type { AnswerType } from '../lexicon.js';
import type { Term } from '../query/analyze.js';

/** A statement found for a question. */
export interface Scored {
  statement: Statement;
  score: number;
  /** Share of the question's term weight that the statement (with its context) covers. */
  coverage: number;
  /** The terms it covers. */
  matched: Term[];
}

/** The defaults of retrieval. */
export const defaultRetrieveOptions = {
  /** A bigram found only in the statement's context counts this much. */
  contextWeight: 0.6,
  /** A term is covered when this share of one form's bigrams is found… */
  termCovered: 0.6,
  /** …and a compound ("空气质量") when this share, so that its words apart do not cover it. */
  compoundCovered: 0.75,
  /** …or when its words stand in order with at most this many characters between them. */
  compoundGap: 10,
  /** Score factor for a statement holding the kind of fact asked for. */
  typeBonus: 1.35,
  /** Score factor for a statement naming the asked year, and for one naming only other years. */
  yearBonus: 1.6,
  otherYearFactor: 0.75,
  /** Score factor for a sentence that only heads an item. */
  headingFactor: 0.6,
  /** In a follow-up, a statement of the passage the last answer came from is raised by this… */
  samePassageBonus: 1.5,
  /** …and one of its section (a plan's heading, a table's row) by this. */
  sameSectionBonus: 1.25,
  /** Score factor for a statement of a document the question names by its kind ("规划里头…"). */
  namedDocumentBonus: 1.5,
  /** How many statements to return. */
  limit: 12,
  /** Bigrams in more than this share of statements bring no candidates of their own… */
  candidateDfShare: 0.08,
  /** …except the rarest few of the question. */
  keepRarest: 3,
  /** Most bytes kept of where bigrams stand (a byte per bigram and statement; see `gramMarks`). */
  marksMaxBytes: 4 << 20,
};

const typesHeld = new WeakMap<Statement, Map<AnswerType, boolean>>();

/** What a statement must hold to give each kind of fact (worked out once per statement and kind). */
export function holdsType(s: Statement, type: AnswerType): boolean {
  let held = typesHeld.get(s);
  if (!held) {
    held = new Map();
    typesHeld.set(s, held);
  }
  let yes = held.get(type);
  if (yes === undefined) {
    yes = holdsTypeNow(s, type);
    held.set(type, yes);
  }
  return yes;
}

function holdsTypeNow(s: Statement, type: AnswerType): boolean {
  switch (type) {
    case 'value':
      return s.values.some((v) => v.kind !== 'plain' || s.passage.kind === 'indicator');
    case 'count':
      return s.values.some((v) => v.kind === 'count' || v.kind === 'weight' || v.kind === 'area');
    case 'date':
      // A year or deadline, or a length of time ("90天内办结") for "多久".
      return s.years.length > 0 || /年底|底前|之前|期限|日前|\d+\s*(个工作日|工作日|天|个月|周|小时)/.test(s.norm);
    case 'unit':
      return s.units.length > 0;
    case 'document':
      return s.docNumbers.length > 0 || s.titles.length > 0;
    case 'place':
      return s.places.length > 0;
    case 'list':
      // Names of places or things, several in a row ("石门镇沙坝厂水源地、德感街道长冲社区…").
      return s.places.length > 0 || (s.text.match(/、/g) ?? []).length >= 2;
    case 'progress':
      // What happened, not what is to happen: a target ("到2022年底完成…") is no progress.
      return (
        s.passage.kind === 'effect' ||
        (s.passage.kind !== 'target' &&
          !/到\s*20\d{2}\s*年/.test(s.norm) &&
          /完成|达到|验收|销号|已|建成|累计|截至|截止|提高到|提升到|提高了|降低到|下降到|降至|增加到|减少了/.test(s.norm))
      );
    case 'measure':
      return s.passage.kind === 'measure' || /一是|二是|推进|开展|实施|加强|落实|建立/.test(s.norm);
    case 'target':
      // What is to be reached; an outcome that mentions its target ("完成了整改目标") is no target.
      return (
        s.passage.kind === 'target' ||
        (s.passage.kind === 'indicator' && /目标/.test(s.norm)) ||
        (s.passage.kind !== 'effect' && /到\s*20\d{2}\s*年|力争|确保/.test(s.norm))
      );
    default:
      return false;
  }
}

/** Whether the words stand in the text in order, each at most `gap` characters after the one before. */
export function partsClose(text: string, parts: string[], gap: number): boolean {
  const first = parts[0] ?? '';
  // From any place the first word stands: "减量…宣传…减量技术培训" holds 减量 培训 at its second 减量.
  for (let from = text.indexOf(first); from >= 0; from = text.indexOf(first, from + 1)) {
    let end = from + first.length;
    let close = true;
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i] as string;
      const at = text.indexOf(p, end);
      if (at < 0 || at - end > gap) {
        close = false;
        break;
      }
      end = at + p.length;
    }
    if (close) return true;
  }
  return false;
}

/**
 * Whether a compound's words are split between a statement and its context, in order: the context
 * names the thing ("…尾水…" as a row's title) and the sentence says the rest of it ("…排查对象…").
 * The sentence must hold the last word, the head of a Chinese compound, itself.
 */
export function partsSplit(s: Statement, parts: string[]): boolean {
  const head = parts[parts.length - 1];
  if (!head || parts.length < 2 || !s.norm.includes(head)) return false;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i] as string;
    if (s.norm.includes(p) || !s.context.includes(p)) return false;
  }
  return true;
}

/**
 * How the statements hold a compound: "together" when some statement has it as the scorer reads it
 * (whole, its words close in order, or split between the sentence and its heading); "apart" when
 * none does but some statement has all its words in its own text, in order, farther apart; else "never".
 */
export function compoundHold(
  index: StatementIndex,
  term: Term,
  gap: number = defaultRetrieveOptions.compoundGap,
): 'together' | 'apart' | 'never' {
  if (!term.compound || !term.parts || term.parts.length < 2) return 'together';
  // The statements never change: what they hold is worked out once per compound.
  let memo = holdMemo.get(index);
  if (!memo) {
    memo = new Map();
    holdMemo.set(index, memo);
  }
  const key = `${term.parts.join('|')}#${gap}`;
  let hold = memo.get(key);
  if (hold === undefined) {
    hold = holdOf(index, term.text, term.parts, gap);
    if (memo.size >= 10_000) memo.clear();
    memo.set(key, hold);
  }
  return hold;
}

const holdMemo = new WeakMap<StatementIndex, Map<string, 'together' | 'apart' | 'never'>>();

function holdOf(index: StatementIndex, text: string, parts: string[], gap: number): 'together' | 'apart' | 'never' {
  if (index.contains(text)) return 'together';
  const head = parts[parts.length - 1] as string;
  const grams: string[] = [];
  for (let i = 0; i + 2 <= head.length; i++) grams.push(head.slice(i, i + 2));
  grams.sort((a, b) => index.df(a) - index.df(b));
  const ids = grams[0] ? (index.postings.get(grams[0]) ?? []) : index.statements.map((x) => x.id);
  let apart = false;
  for (const id of ids) {
    const s = index.statements[id] as Statement;
    if (partsClose(s.norm, parts, gap) || partsSplit(s, parts)) return 'together';
    if (!apart && inOrder(s.norm, parts)) apart = true;
  }
  return apart ? 'apart' : 'never';
}

function inOrder(text: string, parts: string[]): boolean {
  let from = 0;
  for (const p of parts) {
    const at = text.indexOf(p, from);
    if (at < 0) return false;
    from = at + p.length;
  }
  return true;
}

/** Where the last answer came from: its passages and their sections (a follow-up ranks these first). */
export interface Near {
  passages: Set<number>;
  sections: Set<string>;
}

/** The passages and sections of the given statements; undefined when there are none. */
export function nearOf(index: StatementIndex, ids: number[]): Near | undefined {
  const used = ids.flatMap((id) => index.statements[id] ?? []);
  if (!used.length) return undefined;
  return { passages: new Set(used.map((s) => s.passage.id)), sections: new Set(used.map((s) => sectionOf(s.passage.locator))) };
}

/** The section a passage's locator names: a plan's heading path without "第N段", a table's row without its column. */
export function sectionOf(locator: string): string {
  let section = sections.get(locator);
  if (section === undefined) {
    section = locator.replace(/\s*第\d+段.*$/, '').replace(/·.*$/, '');
    // Locators are the documents' own, a bounded set; the table is emptied should it grow anyway.
    if (sections.size >= 50_000) sections.clear();
    sections.set(locator, section);
  }
  return section;
}

const sections = new Map<string, string>();

/** Whether a bare number stands right before one of the term's forms ("3农膜企业"). */
export function numberBefore(s: Statement, t: Term): boolean {
  // Plain loops: retrieval asks this of hundreds of candidates, and closures would be made for each.
  for (const f of t.forms) {
    for (let at = s.norm.indexOf(f); at > 0; at = s.norm.indexOf(f, at + 1)) {
      const c = s.norm.charCodeAt(at - 1);
      if (c >= 48 && c <= 57) return true;
    }
  }
  return false;
}

/** Whether a figure follows one of the term's forms closely in the statement. */
export function valueAfter(s: Statement, t: Term, within = 8): boolean {
  for (const f of t.forms) {
    const at = s.norm.indexOf(f);
    if (at < 0) continue;
    for (const v of s.values) if (v.at >= at + f.length && v.at <= at + f.length + within) return true;
  }
  return false;
}

const sectionYearsCache = new WeakMap<StatementIndex, Map<string, number[]>>();

/**
 * The years a statement is of: its own, or when it names none, those its section names (a review
 * section dated "截至…年" once dates every sentence of it).
 */
export function datedYears(index: StatementIndex, s: Statement): number[] {
  const own = ownYears(s);
  if (own.length > 0) return own;
  let bySection = sectionYearsCache.get(index);
  if (!bySection) {
    bySection = new Map();
    for (const x of index.statements) {
      const years = ownYears(x);
      if (years.length === 0) continue;
      const key = sectionOf(x.passage.locator);
      bySection.set(key, [...new Set([...(bySection.get(key) ?? []), ...years])]);
    }
    sectionYearsCache.set(index, bySection);
  }
  return bySection.get(sectionOf(s.passage.locator)) ?? [];
}

/** The years a statement names outside the titles it cites ("《…规划（2021－2030）》" dates the plan, not the deed). */
function ownYears(s: Statement): number[] {
  if (!s.titles.length) return s.years;
  const bare = s.norm.replace(/《[^》]*》/g, '');
  return s.years.filter((y) => bare.includes(String(y)));
}

/**
 * Where one bigram stands in every statement: one byte per statement (2 in its text, 1 only in its
 * context, 0 neither), and the documents whose title holds it. Worked out once per bigram and kept
 * (the statements do not change) instead of asking each candidate's sets for each question.
 */
export interface GramRow {
  at: Uint8Array;
  docs: string[];
}

/** The rows of one statement index, and how many bytes they hold. */
interface RowCache {
  rows: Map<string, GramRow>;
  bytes: number;
  /** The row of a bigram no statement and no title holds (most of a question's), shared. */
  none: GramRow;
}

const rowCaches = new WeakMap<StatementIndex, RowCache>();

/**
 * The rows of the terms' bigrams, laid out as the terms are (term → form → bigram), so that scoring a
 * candidate looks nothing up by name. Single characters, and bigrams of a corpus too large for rows,
 * have none: they are looked up in the statement itself.
 */
export function gramMarks(index: StatementIndex, terms: Term[], maxBytes: number): Array<Array<Array<GramRow | null>>> {
  let cache = rowCaches.get(index);
  if (!cache) {
    cache = { rows: new Map(), bytes: 0, none: { at: new Uint8Array(index.statements.length), docs: [] } };
    rowCaches.set(index, cache);
  }
  const width = index.statements.length;
  const rowOf = (g: string): GramRow | null => {
    if (g.length === 1) return null;
    let row = cache.rows.get(g);
    if (!row) {
      // A corpus so large that rows no longer fit: its statements' own sets are asked instead.
      if (width > maxBytes) return null;
      const docs: string[] = [];
      for (const [doc, titleGrams] of index.documentTerms) if (titleGrams.has(g)) docs.push(doc);
      if (!index.postings.has(g) && docs.length === 0) return (cache as RowCache).none;
      if (cache.bytes + width > maxBytes) {
        cache.rows.clear();
        cache.bytes = 0;
      }
      const at = new Uint8Array(width);
      for (const id of index.postings.get(g) ?? []) at[id] = 1;
      for (const id of index.textPostings.get(g) ?? []) at[id] = 2;
      row = { at, docs };
      cache.rows.set(g, row);
      cache.bytes += width;
    }
    return row;
  };
  return terms.map((t) => t.grams.map((grams) => grams.map(rowOf)));
}

/** How much of one bigram a statement holds: 1 in its text, `contextWeight` in its context, else 0. */
function gramIn(
  index: StatementIndex,
  s: Statement,
  g: string,
  opts: typeof defaultRetrieveOptions,
  row: GramRow | null | undefined,
): number {
  if (g.length === 1) return s.norm.includes(g) ? 1 : s.context.includes(g) ? opts.contextWeight : 0;
  if (row) {
    const at = row.at[s.id];
    return at === 2 ? 1 : at === 1 || row.docs.includes(s.passage.document) ? opts.contextWeight : 0;
  }
  const t = index.terms[s.id];
  if (t?.text.has(g)) return 1;
  // A word of the document's title ("…尾水整改台账": 整改) is context of every sentence in it.
  return t?.context.has(g) || index.documentTerms.get(s.passage.document)?.has(g) === true ? opts.contextWeight : 0;
}

/** A statement's score against terms: what `scoreStatement` returns. */
export interface StatementScore {
  score: number;
  coverage: number;
  matched: Term[];
}

/** Scores one statement against the terms; null when it covers none. */
export function scoreStatement(
  index: StatementIndex,
  s: Statement,
  terms: Term[],
  opts: typeof defaultRetrieveOptions = defaultRetrieveOptions,
): StatementScore | null {
  const out: StatementScore = { score: 0, coverage: 0, matched: [] };
  return scoreInto(index, s, terms, opts, undefined, out) ? out : null;
}

/**
 * Scores one statement into `out` (its `matched` emptied first); false when it covers none.
 * Retrieval scores hundreds of candidates a question and keeps a dozen: one `out` serves them all.
 */
function scoreInto(
  index: StatementIndex,
  s: Statement,
  terms: Term[],
  opts: typeof defaultRetrieveOptions,
  /** `gramMarks` of these terms, when many statements are scored against them. */
  marks: Array<Array<Array<GramRow | null>>> | undefined,
  out: StatementScore,
): boolean {
  const matched = out.matched;
  matched.length = 0;
  if (!index.terms[s.id]) return false;
  let score = 0;
  let covered = 0;
  let total = 0;
  // Coverage is of what the documents could cover: a word they never use is judged elsewhere.
  for (let ti = 0; ti < terms.length; ti++) {
    const term = terms[ti] as Term;
    if (!term.known) continue;
    total += term.weight;
    let best = 0;
    const termRows = marks?.[ti];
    for (let fi = 0; fi < term.grams.length; fi++) {
      const grams = term.grams[fi] as string[];
      if (grams.length === 0) continue;
      const rows = termRows?.[fi];
      let got = 0;
      for (let gi = 0; gi < grams.length; gi++) got += gramIn(index, s, grams[gi] as string, opts, rows?.[gi]);
      best = Math.max(best, got / grams.length);
    }
    // "十三五的时候": a statement dated in the plan's years ("截至2020年") is of that period; one dated
    // only outside them is of another period and no answer.
    if (term.period && best < opts.termCovered) {
      const [first, last] = term.period;
      const dated = datedYears(index, s);
      if (dated.some((y) => y >= first && y <= last)) best = opts.termCovered;
      else if (dated.length > 0) return false;
    }
    if (best <= 0) continue;
    score += term.weight * best;
    // A compound is also covered by its words in order and close together ("河道治理" in "河道污染治理").
    if (
      term.compound &&
      best < opts.compoundCovered &&
      term.parts &&
      ((best >= opts.termCovered && partsClose(s.norm, term.parts, opts.compoundGap)) || partsSplit(s, term.parts))
    ) {
      best = opts.compoundCovered;
    }
    if (best >= (term.compound ? opts.compoundCovered : opts.termCovered)) {
      covered += term.weight;
      matched.push(term);
    }
  }
  if (score === 0) return false;
  out.score = score;
  out.coverage = total > 0 ? covered / total : 0;
  return true;
}

/** Orders best first: higher score, then earlier statement. */
function before(score: number, id: number, b: Scored): boolean {
  return score > b.score || (score === b.score && id < b.statement.id);
}

/**
 * Inserts into a best-first list of at most `limit` (a question has hundreds of candidates, 12 are
 * kept); the entry is only made for a statement that gets in.
 */
function keepBest(list: Scored[], s: Statement, score: number, r: StatementScore, limit: number): void {
  if (list.length === limit && !before(score, s.id, list[limit - 1] as Scored)) return;
  let at = list.length;
  while (at > 0 && before(score, s.id, list[at - 1] as Scored)) at--;
  list.splice(at, 0, { statement: s, score, coverage: r.coverage, matched: [...r.matched] });
  if (list.length > limit) list.pop();
}

/** Whether the statement holds a figure in one of the units. */
function hasUnit(s: Statement, units: Set<string>): boolean {
  for (const v of s.values) if (units.has(v.unit)) return true;
  return false;
}

/** Whether the test holds of the statement and one of the terms (a loop: no closure per candidate). */
function anyOf(s: Statement, terms: Term[], test: (s: Statement, t: Term) => boolean): boolean {
  for (const t of terms) if (test(s, t)) return true;
  return false;
}

/** Finds the statements that best answer the terms, within the given documents. */
export function retrieve(
  index: StatementIndex,
  terms: Term[],
  want: {
    types: AnswerType[];
    years: number[];
    documents: Set<string> | null;
    units?: string[];
    frequency?: boolean;
    named?: string[];
    /** In a follow-up: the passages and sections the last answer came from. */
    near?: Near;
    /** Documents the question names by their kind ("规划里头…"): raised, not required. */
    prefer?: Set<string>;
  },
  opts: typeof defaultRetrieveOptions = defaultRetrieveOptions,
): Scored[] {
  // Candidates come from the rarer bigrams: a bigram most sentences hold ("整改") adds no candidate
  // the rarer ones miss, only work. It still counts in scoring.
  const grams = [...new Set(terms.flatMap((t) => t.grams.flat()).filter((g) => g.length > 1 && index.postings.has(g)))];
  grams.sort((a, b) => index.df(a) - index.df(b));
  const maxDf = Math.max(1, Math.floor(index.statements.length * opts.candidateDfShare));
  const candidates = new Set<number>();
  grams.forEach((g, i) => {
    if (i >= opts.keepRarest && index.df(g) > maxDf) return;
    for (const id of index.postings.get(g) ?? []) candidates.add(id);
  });
  const out: Scored[] = [];
  const marks = gramMarks(index, terms, opts.marksMaxBytes);
  const r: StatementScore = { score: 0, coverage: 0, matched: [] };
  // What the bonuses ask, worked out once rather than for each candidate.
  const types = want.types.filter((ty) => !(ty === 'date' && want.frequency));
  const units = want.units?.length ? new Set(want.units) : null;
  const progress = want.types.includes('progress');
  const target = want.types.includes('target');
  const figure = want.types.some((ty) => ty === 'value' || ty === 'count');
  const yearWords = want.years.map((y) => `${y}年`);
  const namedAs = (want.named ?? []).flatMap((n) => [`”${n}`, `》${n}`]);
  for (const id of candidates) {
    const s = index.statements[id] as Statement;
    if (want.documents && !want.documents.has(s.passage.document)) continue;
    if (!scoreInto(index, s, terms, opts, marks, r)) continue;
    let score = r.score;
    // Each kind of fact asked that the statement holds raises it ("2020年定的目标是减好多": a target and a figure).
    // A question of how often is not answered by a year.
    for (const ty of types) if (holdsType(s, ty)) score *= opts.typeBonus;
    // A count in the asked unit, or a bare number right before the thing asked ("选了3农膜企业").
    if (units && (hasUnit(s, units) || anyOf(s, r.matched, numberBefore))) score *= opts.yearBonus;
    // "多久测一次": how often, not by when.
    if (want.frequency && /每季度|每年|每月|每半年|每周|每天|定期|每\d/.test(s.norm)) score *= opts.yearBonus;
    // A table's results column is where progress stands, its targets column where targets do.
    if (progress && s.passage.kind === 'effect') score *= opts.typeBonus;
    if (target && s.passage.kind === 'target') score *= opts.typeBonus;
    // A figure right after the asked measure ("处理率达80%") answers "how much" best.
    if (figure && anyOf(s, r.matched, valueAfter)) score *= opts.typeBonus;
    if (want.years.length) {
      if (want.years.some((y, i) => s.years.includes(y) || (s.passage.kind === 'indicator' && s.norm.includes(yearWords[i] as string))))
        score *= opts.yearBonus;
      else if (s.years.length) score *= opts.otherYearFactor;
    }
    // "啥子模式": a statement that gives the thing a name (“…”模式, 《…》办法) answers which one.
    if (namedAs.some((n) => s.norm.includes(n))) score *= opts.typeBonus;
    // "具体咋个搞的" after an answer: what is said beside it first.
    if (want.near?.passages.has(s.passage.id)) score *= opts.samePassageBonus;
    else if (want.near?.sections.has(sectionOf(s.passage.locator))) score *= opts.sameSectionBonus;
    if (want.prefer?.has(s.passage.document)) score *= opts.namedDocumentBonus;
    if (s.heading) score *= opts.headingFactor;
    keepBest(out, s, score, r, opts.limit);
  }
  return out;
}
