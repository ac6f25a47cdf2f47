/**
 * How answers read: the clause of a statement that holds the fact, the citation with the
 * document's age, Chinese first and English complete. Pure helpers shared by the handlers.
 */
import { clip } from '../../core/text.js';
import type { DocumentInfo } from '../base.js';
import type { Statement } from '../evidence/statements.js';
import type { AnswerType } from '../lexicon.js';
import type { Term } from '../query/analyze.js';
import { holdsType } from './retrieve.js';
import type { Source } from './types.js';

/** The defaults of rendering. */
export const defaultRenderOptions = {
  /** Normal upper bound of an answer's length, in characters. */
  maxLength: 300,
  /** Longest excerpt of one statement before it is cut to its clauses around the fact. */
  maxExcerpt: 150,
  /** How many sources an answer lists at most. */
  maxSources: 3,
  /** How much longer an English answer may be than a Chinese one. */
  englishFactor: 2,
};

/** Says a thing in the asker's language. */
export const say = (lang: 'zh' | 'en', zh: string, en: string): string => (lang === 'en' ? en : zh);

/** How old a document's facts are, as a short phrase. */
export function freshness(doc: DocumentInfo | undefined, lang: 'zh' | 'en'): string {
  if (!doc?.asOf) return say(lang, '文件未注明日期', 'undated');
  return say(lang, `资料截至${doc.asOf}年`, `as of ${doc.asOf}`);
}

/** A source entry for a statement. */
export function sourceOf(s: Statement, doc: DocumentInfo | undefined): Source {
  return { document: doc?.shortTitle ?? s.passage.document, locator: s.passage.locator, excerpt: clip(s.text, 120) };
}

/** "（《整改台账》第2行·成效（二），资料截至2022年）" — the inline citation after a fact. */
export function cite(s: Statement, doc: DocumentInfo | undefined, lang: 'zh' | 'en'): string {
  if (lang === 'en') return ` (source: ${doc?.titleEn ?? s.passage.document}, ${s.passage.locator}; ${freshness(doc, lang)})`;
  return `（《${doc?.shortTitle ?? s.passage.document}》${s.passage.locator}，${freshness(doc, lang)}）`;
}

function covers(text: string, t: Term): boolean {
  return t.forms.some((f) => text.includes(f) || (f.length > 2 && text.includes(f.slice(0, 2)) && text.includes(f.slice(-2))));
}

/**
 * The part of a statement that answers: the whole sentence when short, else the clauses that hold
 * the asked kind of fact and the question's terms, with the clause before when that names the subject.
 */
export function excerpt(s: Statement, terms: Term[], types: AnswerType[], max = defaultRenderOptions.maxExcerpt): string {
  const text = s.text.replace(/^[\s（(]*[一二三四五六七八九十]+[、）)]\s*/, '');
  if (text.length <= max) return text;
  const clauses = text.split(/(?<=[，,；;：:])/);
  const score = clauses.map((c) => {
    let v = terms.filter((t) => covers(c, t)).length;
    if (types.length && /\d/.test(c) && types.some((ty) => ty === 'value' || ty === 'count' || ty === 'progress')) v += 1.5;
    if (types.includes('date') && /20\d{2}年/.test(c)) v += 1.5;
    if (types.includes('unit') && /[区市县][\u4e00-\u9fa5]{1,10}?(委|局|办|政府)/.test(c)) v += 1.5;
    return v;
  });
  let best = 0;
  score.forEach((v, i) => {
    if (v > (score[best] ?? 0)) best = i;
  });
  let from = best;
  let to = best;
  // The subject often stands in the clause before the figure ("化肥使用量减少551.3吨，降幅1.14%").
  if (from > 0 && !terms.some((t) => covers(clauses[best] as string, t))) from--;
  const len = () => clauses.slice(from, to + 1).join('').length;
  while (to + 1 < clauses.length && len() + (clauses[to + 1] as string).length <= max && (score[to + 1] ?? 0) > 0) to++;
  while (from > 0 && len() + (clauses[from - 1] as string).length <= max && (score[from - 1] ?? 0) > 0) from--;
  const out = clauses
    .slice(from, to + 1)
    .join('')
    .replace(/[，,；;：:]$/, '');
  return `${from > 0 ? '…' : ''}${clip(out, max)}${to + 1 < clauses.length ? '…' : ''}`;
}

/** Whether a statement answers the kinds asked (any of them), for choosing among statements. */
export function answersType(s: Statement, types: AnswerType[]): boolean {
  return types.length === 0 || types.some((t) => holdsType(s, t));
}

const UNIT_GLOSS: Array<[RegExp, string]> = [
  [/万吨$/, '×10,000 tonnes'],
  [/吨$/, 'tonnes'],
  [/万亩$/, '×10,000 mu'],
  [/亩$/, 'mu (1 mu ≈ 667 m²)'],
  [/亿元$/, '×100 million yuan'],
  [/万元$/, '×10,000 yuan'],
  [/元$/, 'yuan'],
  [/家$/, 'farms/enterprises'],
  [/户$/, 'households'],
  [/人次$/, 'person-times'],
  [/人$/, 'people'],
  [/次$/, 'times'],
  [/个$/, 'items'],
];

/** A figure as written with a short English gloss of its unit: "978万吨 (×10,000 tonnes)". */
export function glossValue(raw: string): string {
  const g = UNIT_GLOSS.find(([re]) => re.test(raw))?.[1];
  return g ? `${raw} (${g})` : raw;
}

/** Joins parts and keeps the whole within the normal answer length. */
export function withinLength(parts: string[], max = defaultRenderOptions.maxLength): string {
  // English says the same in more letters than Chinese in characters.
  if (parts.join('').replace(/[\p{Script=Han}]/gu, '').length > parts.join('').length * 0.6)
    max = Math.round(max * defaultRenderOptions.englishFactor);
  const out: string[] = [];
  for (const p of parts.filter(Boolean)) {
    if (out.join('').length + p.length > max && out.length > 0) break;
    out.push(p);
  }
  return clip(out.join(''), Math.max(max, (out[0] ?? '').length));
}

/**
 * A short English gloss of a Chinese name, read off the lexicon's glossary (longest Chinese terms
 * first): each Chinese term it knows becomes its English words, in order. Null when the
 * glossary covers less than half of the name.
 */
export function englishGloss(zh: string, glossary: Array<[string, string]>): string | null {
  const byZh = new Map<string, string>();
  for (const [en, z] of glossary) if (z && !byZh.has(z)) byZh.set(z, en);
  const terms = [...byZh.keys()].sort((a, b) => b.length - a.length);
  const out: string[] = [];
  let covered = 0;
  for (let i = 0; i < zh.length; ) {
    const hit = terms.find((t) => zh.startsWith(t, i));
    if (hit) {
      out.push(byZh.get(hit) as string);
      covered += hit.length;
      i += hit.length;
    } else i++;
  }
  return covered * 2 >= zh.length && out.length ? out.join(' ') : null;
}

/** A Chinese name with its English gloss in brackets, for English answers. */
export function withGloss(zh: string, glossary: Array<[string, string]>, lang: 'zh' | 'en'): string {
  if (lang !== 'en') return zh;
  const g = englishGloss(zh, glossary);
  return g ? `${zh} (${g})` : zh;
}
