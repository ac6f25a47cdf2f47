/**
 * The Chinese-aware tokenizer: text is normalised, split by script, Han runs become overlapping
 * character bigrams (a lone Han character stays a unigram), and Latin/number runs stay whole.
 * Bigrams were chosen over word segmentation by measurement (shared notes: exact-hit 100% on
 * literal substrings, 7–25× faster than jieba, no native dependency); the synonym lexicon brings
 * in what segmentation would have added for colloquial words.
 */
import { normalize } from '../../core/text.js';

/** Bumped whenever tokenization changes, so stale search snapshots are rebuilt. */
export const TOKENIZER_VERSION = 'bigram-3';

// Latin/number runs must not swallow Han characters (Han letters are \p{L} too): "2020年底" → 2020 + 年底.
const RUNS = /\p{Script=Han}+|(?:(?!\p{Script=Han})[\p{L}\p{N}])+(?:\.\p{N}+)?%?/gu;

/** Tokens of already-normalised text. */
export function tokensOfNormalized(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(RUNS)) {
    const run = m[0];
    if (/^\p{Script=Han}/u.test(run)) {
      if (run.length === 1) out.push(run);
      for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
    } else {
      out.push(run.replace(/%$/, ''));
    }
  }
  return out;
}

/** Tokens of any text: what the index stores and what queries are matched with. */
export function tokenize(text: string): string[] {
  return tokensOfNormalized(normalize(text));
}
