/**
 * Facts found across the documents: values stated for an indicator in running text (so that the
 * answerer can show where the two documents disagree) and documents cited by number.
 */
import { normalize, sentences } from '../../core/text.js';
import { indicatorName, type KnowledgeBase, type Passage } from '../base.js';
import type { Indicator } from '../parse/plan.js';
import { tokensOfNormalized } from '../search/tokenizer.js';

function hanBigrams(s: string): Set<string> {
  return new Set(tokensOfNormalized(normalize(s)).filter((t) => /\p{Script=Han}{2}/u.test(t)));
}

/** Share of `name`'s bigrams that `text` also has. */
export function overlap(name: string, text: string): number {
  const a = hanBigrams(name);
  if (a.size === 0) return 0;
  const b = hanBigrams(text);
  let n = 0;
  for (const t of a) if (b.has(t)) n++;
  return n / a.size;
}

/** A percentage stated in the text, with the words before it. */
export interface PercentClause {
  value: string;
  /** The words of the clause before the number, normalised. */
  before: string;
  /** Their Han bigrams, computed once. */
  beforeBigrams: Set<string>;
  clause: string;
  passage: Passage;
  isTarget: boolean;
}

/** Every clause of the running text that states a percentage. */
export function percentClauses(kb: KnowledgeBase): PercentClause[] {
  const out: PercentClause[] = [];
  for (const p of kb.passages) {
    if (p.kind === 'indicator') continue;
    for (const s of sentences(p.text)) {
      for (const clause of s.split(/[，,；;]/)) {
        const m = /(\d+(?:\.\d+)?)\s*[%％]/.exec(clause);
        if (!m) continue;
        const before = normalize(clause.slice(0, m.index));
        const lead = s.slice(0, s.indexOf(clause) + clause.indexOf(m[0]));
        out.push({
          value: `${m[1]}%`,
          before,
          beforeBigrams: hanBigrams(before),
          clause: clause.trim(),
          passage: p,
          isTarget: /到\s*20\d{2}|目标|力争|确保/.test(lead) && !/已|达已/.test(before),
        });
      }
    }
  }
  return out;
}

/** The clauses that state a value for an indicator: most of its name's bigrams before the number. */
export function statedValues(clauses: PercentClause[], ind: Indicator, minOverlap = 0.75): PercentClause[] {
  const name = hanBigrams(indicatorName(ind));
  return clauses.filter((c) => {
    let n = 0;
    for (const b of name) if (c.beforeBigrams.has(b)) n++;
    return name.size > 0 && n / name.size >= minOverlap;
  });
}

/** The rate or share a question asks about: "卫生厕所普及率" in "农村卫生厕所普及率是多少". */
export function metricPhrase(cleanedQuestion: string): string | null {
  const found = cleanedQuestion.match(/[\u4e00-\u9fa5]{1,14}(?:率|比例)/g) ?? [];
  return found.sort((a, b) => b.length - a.length)[0] ?? null;
}

/**
 * Clauses that state the metric: its head ("普及率", the last three characters) literally, and
 * most of its other bigrams. "乡镇生活污水处理率" finds "乡镇生活污水处理率达85.04%" but not the
 * 农村 one.
 */
export function clausesFor(metric: string, all: PercentClause[]): PercentClause[] {
  const head = metric.slice(-3);
  const wanted = hanBigrams(metric);
  const scored = all
    .filter((c) => c.before.includes(head))
    .map((c) => {
      let n = 0;
      for (const b of wanted) if (c.beforeBigrams.has(b)) n++;
      return { c, share: wanted.size ? n / wanted.size : 0 };
    })
    .filter((x) => x.share >= 0.75);
  if (scored.length === 0) return [];
  const best = Math.max(...scored.map((x) => x.share));
  return scored.filter((x) => x.share >= best - 0.05).map((x) => x.c);
}

/** A document cited by title and number inside a passage. */
export interface Citation {
  title: string;
  number: string | null;
  passage: Passage;
}

const CITED = /《([^》]{2,80})》\s*[（(]?([^（()）《》]{0,30}?[〔[(（]\s*\d{4}\s*[〕\])）]\s*\d+\s*号)?/g;

/** A document number reduced to what identifies it: letters and digits without brackets. */
export function docNumberKey(s: string): string {
  return normalize(s).replace(/[\s[\]()（）〔〕]/g, '');
}

/** The documents that the passages cite, with their numbers where given. */
export function citations(passages: Passage[]): Citation[] {
  const out: Citation[] = [];
  for (const p of passages) {
    for (const m of p.text.matchAll(CITED)) {
      out.push({ title: m[1] as string, number: m[2] ? (m[2] as string).trim() : null, passage: p });
    }
  }
  return out;
}

/** Document numbers written in a question, e.g. 津农业农村委发〔2019〕61号 or 渝环[2020]60号. */
export function docNumbersIn(text: string): string[] {
  const n = normalize(text);
  return [...n.matchAll(/[\u4e00-\u9fa5]{1,12}[[(]\s*\d{4}\s*[\])]\s*\d+\s*号/g)].map((m) => m[0]);
}
