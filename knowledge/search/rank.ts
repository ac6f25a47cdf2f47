/**
 * What every search backend shares, so that they give the same hits: which of a question's terms
 * are searched (unknown words dropped, the commonest pruned, the documents' own words added by
 * expansion always kept and weighted up), and the ranking itself — BM25+ per field with MiniSearch's
 * parameters and arithmetic (k 1.2, b 0.7, d 0.5; field length = distinct terms; the score times
 * the number of query terms matched). The in-memory backend lets MiniSearch compute it; the
 * full-text backends let their engine pick candidates and compute it here over those.
 */

import { normalize } from '../../core/text.js';
import type { Passage } from '../base.js';
import type { PreparedQuery } from './query.js';
import { tokenize, tokensOfNormalized } from './tokenizer.js';

/** The defaults of the index, named so tests and the benchmark can refer to them. */
export const defaultIndexOptions = {
  /** Terms in more than this share of passages are dropped from a query… */
  pruneDfShare: 0.1,
  /** …but the rarest ones are always kept. */
  keepRarest: 2,
  titleBoost: 1.5,
  /** Weight of the documents' words added for colloquial or English question words. */
  expansionBoost: 1.5,
  /** BM25+ as MiniSearch computes it. */
  bm25: { k: 1.2, b: 0.7, d: 0.5 },
  /** Weight of a fuzzy match (a code with digits one edit away), as MiniSearch's. */
  fuzzyWeight: 0.45,
  /** A full-text backend ranks this many of its engine's best candidates per hit asked (at least `minCandidates`)… */
  candidatesPerHit: 12,
  minCandidates: 100,
  /**
   * …found by the rarest searched terms only, as long as their passages together stay under this
   * many (the rarest always): a term that half the passages hold adds no candidate worth ranking
   * that the rarer ones miss, only work. It still counts in the ranking.
   */
  candidatePostings: 2000,
};

/** A code with digits ("ab12345") may match one edit away. */
export const isFuzzyCode = (t: string) => /^(?=.*\d)[a-z0-9.-]{5,}$/.test(t);
const isCode = (t: string) => /^(?=.*\d)[a-z0-9.-]{4,}$/.test(t);

/** The terms a backend searches for a question. */
export interface QueryPlan {
  /** Kept terms, rarest first (the order of MiniSearch's sums). */
  terms: string[];
  /** Terms that came from the documents' own words (never pruned, weighted up). */
  expanded: Set<string>;
}

/** Chooses the terms to search: known ones (or codes), the commonest dropped but the rarest kept. */
export function planQuery(query: PreparedQuery, df: (t: string) => number, size: number): QueryPlan {
  const maxDf = Math.max(1, Math.floor(size * defaultIndexOptions.pruneDfShare));
  // Unknown Latin words ("phone", "committee") cannot match a Chinese corpus; only codes with
  // digits are kept, for the fuzzy match.
  const known = query.terms.filter((t) => df(t) > 0 || isCode(t));
  // The documents' own words that the question was expanded with are the surest signal.
  const expanded = new Set(query.expansions.flatMap((e) => tokenize(e)));
  const byRarity = [...known].sort((a, b) => df(a) - df(b));
  const terms = byRarity.filter((t, i) => i < defaultIndexOptions.keepRarest || expanded.has(t) || df(t) <= maxDf);
  return { terms, expanded };
}

/** Levenshtein distance, stopping early past 1 (only distance 1 is ever asked). */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return false;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) return a.slice(i + 1) === b.slice(i + 1);
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** A term searched, with the weight of its match and the query term it stands for. */
export interface SearchedTerm {
  source: string;
  term: string;
  weight: number;
}

/**
 * The terms a plan searches for: each kept term itself, and for a code the index does not hold, the
 * index's codes one edit away (`vocabulary` lists the candidates: the index's non-Han terms).
 */
export function searchedTerms(plan: QueryPlan, has: (t: string) => boolean, vocabulary: () => Iterable<string>): SearchedTerm[][] {
  return plan.terms.map((t) => {
    if (has(t) || !isFuzzyCode(t)) return [{ source: t, term: t, weight: 1 }];
    const out: SearchedTerm[] = [];
    for (const v of vocabulary()) {
      if (withinOneEdit(t, v)) out.push({ source: t, term: v, weight: (defaultIndexOptions.fuzzyWeight * v.length) / (v.length + 1) });
    }
    return out.sort((a, b) => (a.term < b.term ? -1 : 1));
  });
}

/** The terms a full-text engine looks candidates up by: the rarest, within `candidatePostings`. */
export function candidateTerms(groups: SearchedTerm[][], df: (t: string) => number): string[] {
  const all = [...new Set(groups.flat().map((s) => s.term))].sort((a, b) => df(a) - df(b) || (a < b ? -1 : 1));
  const out: string[] = [];
  let postings = 0;
  for (const t of all) {
    if (out.length > 0 && postings + df(t) > defaultIndexOptions.candidatePostings) break;
    out.push(t);
    postings += df(t);
  }
  return out;
}

/** How many candidates a full-text engine hands to the ranking for `limit` hits. */
export const candidatePool = (limit: number) => Math.max(defaultIndexOptions.minCandidates, limit * defaultIndexOptions.candidatesPerHit);

/** Corpus-wide figures the ranking needs, per field. */
export interface FieldStats {
  count: number;
  avgTitle: number;
  avgText: number;
  dfTitle(term: string): number;
  dfText(term: string): number;
}

/** A passage's field lengths as MiniSearch counts them: distinct terms. */
export function fieldLengths(p: Pick<Passage, 'title' | 'text'>): { title: number; text: number } {
  return { title: new Set(tokenize(p.title)).size, text: new Set(tokenize(p.text)).size };
}

/** Average field lengths as MiniSearch keeps them: a running mean, in passage order. */
export function averageLengths(lengths: Iterable<{ title: number; text: number }>): { count: number; avgTitle: number; avgText: number } {
  let count = 0;
  let avgTitle = 0;
  let avgText = 0;
  for (const l of lengths) {
    avgTitle = (avgTitle * count + l.title) / (count + 1);
    avgText = (avgText * count + l.text) / (count + 1);
    count++;
  }
  return { count, avgTitle, avgText };
}

const HAN_BIGRAM = /^\p{Script=Han}{2}$/u;

/**
 * How often each term occurs among a text's tokens. A Han bigram is counted where it stands in the
 * normalised text (every adjacent Han pair is a token), which spares tokenizing the whole passage;
 * any other term is counted among the tokens.
 */
export function termFrequencies(text: string, terms: Iterable<string>): Map<string, number> {
  const n = normalize(text);
  const out = new Map<string, number>();
  let tokens: string[] | null = null;
  for (const t of terms) {
    if (out.has(t)) continue;
    let c = 0;
    if (HAN_BIGRAM.test(t)) {
      for (let i = n.indexOf(t); i >= 0; i = n.indexOf(t, i + 1)) c++;
    } else {
      tokens ??= tokensOfNormalized(n);
      for (const x of tokens) if (x === t) c++;
    }
    out.set(t, c);
  }
  return out;
}

/**
 * A passage's BM25+ score for the searched terms (0 when none matches) and the query terms it
 * matched. `lengths`, when the backend stored them, spares counting the passage's distinct terms.
 */
export function scorePassage(
  p: Passage,
  terms: SearchedTerm[][],
  expanded: Set<string>,
  stats: FieldStats,
  lengths: { title: number; text: number } = fieldLengths(p),
): { score: number; matched: string[] } {
  const { k, b, d } = defaultIndexOptions.bm25;
  const wanted = terms.flatMap((g) => g.map((s) => s.term));
  const fields = [
    {
      tf: termFrequencies(p.title, wanted),
      len: lengths.title,
      avg: stats.avgTitle,
      boost: defaultIndexOptions.titleBoost,
      df: stats.dfTitle,
    },
    { tf: termFrequencies(p.text, wanted), len: lengths.text, avg: stats.avgText, boost: 1, df: stats.dfText },
  ];
  let score = 0;
  const matched: string[] = [];
  // Summed in MiniSearch's order (each query term's fields and variants first, then across terms),
  // so that the same passages get bit-identical scores and ties fall alike.
  for (const group of terms) {
    let sub = 0;
    let any = false;
    for (const { source, term, weight } of group) {
      const boost = expanded.has(source) ? defaultIndexOptions.expansionBoost : 1;
      for (const f of fields) {
        const tf = f.tf.get(term);
        if (!tf) continue;
        const n = f.df(term);
        const idf = Math.log(1 + (stats.count - n + 0.5) / (n + 0.5));
        const raw = idf * (d + (tf * (k + 1)) / (tf + k * (1 - b + (b * f.len) / f.avg)));
        sub += weight * boost * f.boost * 1 * raw;
        any = true;
      }
    }
    if (!any) continue;
    score += sub;
    const source = group[0]?.source as string;
    if (!matched.includes(source)) matched.push(source);
  }
  return { score: score * (matched.length || 1), matched };
}

/** Hits in rank order: higher score first, then the earlier passage (ties are rare, but must be decided alike). */
export function byRank<T extends { score: number; passage: Passage }>(a: T, b: T): number {
  return b.score - a.score || a.passage.id - b.passage.id;
}
