/**
 * Question preparation: normalisation, English→Chinese glossary, confusable-character repair,
 * synonym expansion, stop-word removal, and the question's terms. Also finds the parts of the
 * question the corpus has never seen (out-of-vocabulary runs), which is how the answerer can say
 * "the records do not mention X" instead of answering something else.
 */
import { isMostlyLatin, normalize } from '../../core/text.js';
import type { Lexicon } from '../lexicon.js';
import { tokensOfNormalized } from './tokenizer.js';

/** A question ready for search. */
export interface PreparedQuery {
  question: string;
  english: boolean;
  /** The normalised question (after glossary and typo repair). */
  normalized: string;
  /** The normalised question without stop words. */
  cleaned: string;
  /** The documents' words added for colloquial or English words. */
  expansions: string[];
  /** Distinct search terms. */
  terms: string[];
  /** Runs of two or more Han characters that no indexed term covers. */
  unknown: string[];
  /** Years the question names. */
  years: number[];
}

/** Asks whether a term is in the index. */
export type Vocabulary = (term: string) => boolean;

function englishToChinese(n: string, lexicon: Lexicon): { text: string; terms: string[] } {
  let rest = ` ${n.replace(/[^\p{L}\p{N}.%-]+/gu, ' ')} `;
  const terms: string[] = [];
  for (const { re, zh } of compile(lexicon).glossary) {
    re.lastIndex = 0;
    if (re.test(rest)) {
      terms.push(zh);
      re.lastIndex = 0;
      rest = rest.replace(re, ' ');
    }
  }
  return { text: terms.join(' '), terms };
}

/**
 * Replaces characters of unknown bigrams by their confusable partner when that makes them known.
 * With `contains` (whether the documents hold a text), a repair between two characters must also
 * make a run of three the documents hold, or known bigrams on both sides: a bigram alone is found
 * across word edges too easily ("计划里全县" is no "计划理全县", though "理全" stands in "管理全…").
 */
export function repairTypos(n: string, lexicon: Lexicon, known: Vocabulary, contains?: (text: string) => boolean): string {
  const chars = [...n];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const fix = lexicon.confusables.get(c);
    if (!fix) continue;
    const left = i > 0 ? `${chars[i - 1]}${c}` : null;
    const right = i + 1 < chars.length ? `${c}${chars[i + 1]}` : null;
    const unknownNow = (left === null || !known(left)) && (right === null || !known(right));
    const fixedLeft = i > 0 ? `${chars[i - 1]}${fix}` : null;
    const fixedRight = i + 1 < chars.length ? `${fix}${chars[i + 1]}` : null;
    const knownAfter = (fixedLeft !== null && known(fixedLeft)) || (fixedRight !== null && known(fixedRight));
    if (!unknownNow || !knownAfter) continue;
    if (contains && left !== null && right !== null && !(known(fixedLeft as string) && known(fixedRight as string))) {
      const run = (from: number, to: number) =>
        from >= 0 && to <= chars.length ? [...chars.slice(from, i), fix, ...chars.slice(i + 1, to)].join('') : null;
      const runs = [run(i - 2, i + 1), run(i - 1, i + 2), run(i, i + 3)].filter((r): r is string => r !== null && r.length === 3);
      if (!runs.some(contains)) continue;
    }
    chars[i] = fix;
  }
  return chars.join('');
}

/**
 * Characters that carry the grammar of a question rather than its topic ("几次", "什么时候",
 * "一共"): a run of unknown characters made only of these says nothing about missing content.
 */
const FUNCTION_CHARS = new Set(
  '的了是在有和与及吗呢吧啊呀嘛几多少哪谁么什怎样时候一共总要会能可该得把被给让向从对就都也还又很更最这那个些种次年月日天号们您你我他她它如何啥咋没不无请问想知道告诉看说讲下到去来过做搞弄干办用为管该应需算里条项件位名',
);

/** Han runs (≥ 2 characters) of `text` that no known bigram covers. */
export function unknownRuns(text: string, known: Vocabulary, covered: (i: number) => boolean = () => false): string[] {
  const chars = [...text];
  const isHan = (i: number) => i >= 0 && i < chars.length && /\p{Script=Han}/u.test(chars[i] as string);
  const ok = chars.map((_, i) => {
    if (!isHan(i) || covered(i)) return true;
    const left = isHan(i - 1) && known(`${chars[i - 1]}${chars[i]}`);
    const right = isHan(i + 1) && known(`${chars[i]}${chars[i + 1]}`);
    return left || right;
  });
  const runs: string[] = [];
  let run = '';
  chars.forEach((c, i) => {
    if (!ok[i]) run += c;
    else {
      if (run.length >= 2) runs.push(run);
      run = '';
    }
  });
  if (run.length >= 2) runs.push(run);
  return runs.filter((r) => ![...r].every((c) => FUNCTION_CHARS.has(c)));
}

const PARTICLES = new Set('的了吗呢吧啊呀嘛');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The lexicon compiled for matching: one pass of a regular expression instead of one per word. */
interface Compiled {
  synonyms: RegExp;
  canonicalOf: Map<string, string>;
  stopwords: RegExp | null;
  singles: Set<string>;
  /** English phrases, longest first; plurals and simple inflections ("targets", "rectified") too. */
  glossary: Array<{ re: RegExp; zh: string }>;
}

const compiledCache = new WeakMap<Lexicon, Compiled>();

function compile(lexicon: Lexicon): Compiled {
  let c = compiledCache.get(lexicon);
  if (c) return c;
  const canonicalOf = new Map<string, string>();
  for (const [canonical, ...variants] of lexicon.synonyms) {
    if (!canonical) continue;
    for (const v of variants) if (!canonicalOf.has(v)) canonicalOf.set(v, canonical);
  }
  const byLength = (a: string, b: string) => b.length - a.length;
  const stopwords = [...lexicon.functionWords.keys()];
  const multi = stopwords.filter((w) => !/^\p{Script=Han}$/u.test(w)).sort(byLength);
  c = {
    // Lookahead lets overlapping variants all be found ("鱼塘排水" and "鱼塘").
    synonyms: new RegExp(`(?=(${[...canonicalOf.keys()].sort(byLength).map(escapeRegExp).join('|')}))`, 'g'),
    canonicalOf,
    stopwords: multi.length ? new RegExp(multi.map(escapeRegExp).join('|'), 'g') : null,
    singles: new Set(stopwords.filter((w) => /^\p{Script=Han}$/u.test(w))),
    glossary: lexicon.glossary.map(([en, zh]) => ({ re: new RegExp(` ${escapeRegExp(en)}(?:s|es|ed|ing)?(?= )`, 'g'), zh })),
  };
  compiledCache.set(lexicon, c);
  return c;
}

/**
 * Prepares a question for search. `frame` removes the words that only say what kind of answer is
 * wanted ("什么时候", "谁负责"), so that they do not outweigh the topic; when nothing else is left,
 * they stay.
 */
export function prepareQuery(
  question: string,
  lexicon: Lexicon,
  known: Vocabulary,
  frame: (s: string) => string = (s) => s,
): PreparedQuery {
  const english = isMostlyLatin(question);
  let normalized = normalize(question);
  const expansions: string[] = [];
  if (english) {
    const t = englishToChinese(normalized, lexicon);
    expansions.push(...t.terms);
    normalized = `${normalized} ${t.text}`;
  }
  normalized = repairTypos(normalized, lexicon, known);
  const lex = compile(lexicon);
  // Characters inside a colloquial synonym are "known" even if the documents never use that word.
  const coveredSpans: Array<[number, number]> = [];
  for (const m of normalized.matchAll(lex.synonyms)) {
    const v = m[1] as string;
    const canonical = lex.canonicalOf.get(v) as string;
    if (!expansions.includes(canonical)) expansions.push(canonical);
    coveredSpans.push([m.index ?? 0, (m.index ?? 0) + v.length]);
  }
  // "几家", "多少个", "几次": a question for a count; the measure word is no topic.
  let cleaned = normalized.replace(/(几|多少)[个家次项块户座张份亩吨人名位条件种批]/g, (m) => ' '.repeat(m.length));
  if (lex.stopwords) cleaned = cleaned.replace(lex.stopwords, (w) => ' '.repeat(w.length));
  // Single-character particles only where they stand outside a known bigram ("目标是多少" drops 是,
  // "是否" never reaches here because the longer word went first).
  const singles = lex.singles;
  cleaned = [...cleaned]
    .map((c, i, all) => {
      if (!singles.has(c)) return c;
      // Pure particles never belong to a content word worth searching.
      if (PARTICLES.has(c)) return ' ';
      const l = i > 0 && known(`${all[i - 1]}${c}`);
      const r = i + 1 < all.length && known(`${c}${all[i + 1]}`);
      return l || r ? c : ' ';
    })
    .join('');
  const topic = english ? expansions.join(' ') : frame(cleaned);
  const topicTerms = tokensOfNormalized(`${topic} ${expansions.join(' ')}`).filter(known);
  const terms = [
    ...new Set(
      topicTerms.length ? tokensOfNormalized(`${topic} ${expansions.join(' ')}`) : tokensOfNormalized(`${cleaned} ${expansions.join(' ')}`),
    ),
  ];
  const unknown = english ? [] : unknownRuns(cleaned, known, (i) => coveredSpans.some(([a, b]) => i >= a && i < b));
  const years = [...new Set([...normalized.matchAll(/(?<!\d)(20\d{2})(?!\d)/g)].map((m) => Number(m[1])))];
  return {
    question,
    english,
    normalized,
    cleaned: cleaned.replace(/[^\p{L}\p{N}.%]+/gu, ' ').trim(),
    expansions,
    terms,
    unknown,
    years,
  };
}
