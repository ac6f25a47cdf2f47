/**
 * The search index: MiniSearch over the passages with the bigram tokenizer, query-time pruning of
 * terms that most passages contain, and a snapshot on disk versioned by tokenizer, lexicon and
 * corpus so that start-up loads instead of rebuilding.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import MiniSearch, { type Options, type SearchResult } from 'minisearch';
import type { KnowledgeBase, Passage } from '../base.js';
import type { Lexicon } from '../lexicon.js';
import { readSnapshot } from '../snapshot.js';
import type { PreparedQuery } from './query.js';
import { TOKENIZER_VERSION, tokenize } from './tokenizer.js';

/** A passage found for a query. */
export interface Hit {
  passage: Passage;
  score: number;
  /** The query terms that the passage contains. */
  matched: string[];
}

/** Options of a search. */
export interface SearchOptions {
  limit?: number;
  /** Multiplies a passage's score, e.g. to prefer effects for progress questions. */
  weight?: (p: Passage) => number;
}

/** The index over a knowledge base's passages. */
export interface SearchIndex {
  search(query: PreparedQuery, options?: SearchOptions): Hit[];
  /** Whether the term occurs in any passage. */
  has(term: string): boolean;
  /** In how many passages the term occurs. */
  df(term: string): number;
  readonly size: number;
  readonly version: string;
  toJSON(): unknown;
}

/** The defaults of the index, named so tests and the benchmark can refer to them. */
export const defaultIndexOptions = {
  /** Terms in more than this share of passages are dropped from a query… */
  pruneDfShare: 0.1,
  /** …but the rarest ones are always kept. */
  keepRarest: 2,
  titleBoost: 1.5,
  /** Weight of the documents' words added for colloquial or English question words. */
  expansionBoost: 1.5,
};

function miniSearchOptions(): Options<Passage> {
  return {
    idField: 'id',
    fields: ['title', 'text'],
    storeFields: [],
    tokenize: (text) => tokenize(text),
    processTerm: (term) => term,
    searchOptions: {
      tokenize: (text) => text.split(' ').filter(Boolean),
      processTerm: (term) => term,
      boost: { title: defaultIndexOptions.titleBoost },
      combineWith: 'OR',
    },
  };
}

/** The version of a snapshot for this knowledge base and lexicon. */
export function indexVersion(kb: KnowledgeBase, lexicon: Lexicon): string {
  const h = createHash('sha256').update(TOKENIZER_VERSION).update(lexicon.version);
  for (const id of Object.keys(kb.texts).sort()) h.update(id).update(kb.texts[id] ?? '');
  return h.digest('hex').slice(0, 16);
}

function documentFrequencies(passages: Passage[]): Map<string, number> {
  const df = new Map<string, number>();
  for (const p of passages) {
    for (const t of new Set(tokenize(`${p.title} ${p.text}`))) df.set(t, (df.get(t) ?? 0) + 1);
  }
  return df;
}

function wrap(ms: MiniSearch<Passage>, passages: Passage[], df: Map<string, number>, version: string): SearchIndex {
  const maxDf = Math.max(1, Math.floor(passages.length * defaultIndexOptions.pruneDfShare));
  return {
    size: passages.length,
    version,
    has: (t) => df.has(t),
    df: (t) => df.get(t) ?? 0,
    search(query, options = {}) {
      // Unknown Latin words ("phone", "committee") cannot match a Chinese corpus; only codes with
      // digits ("gb5084") are kept for the fuzzy match below.
      const known = query.terms.filter((t) => df.has(t) || /^(?=.*\d)[a-z0-9.-]{4,}$/.test(t));
      // The documents' own words that the question was expanded with are the surest signal:
      // never pruned, and weighted up.
      const expanded = new Set(query.expansions.flatMap((e) => tokenize(e)));
      const byRarity = [...known].sort((a, b) => (df.get(a) ?? 0) - (df.get(b) ?? 0));
      const kept = byRarity.filter((t, i) => i < defaultIndexOptions.keepRarest || expanded.has(t) || (df.get(t) ?? 0) <= maxDf);
      if (kept.length === 0) return [];
      const results: SearchResult[] = ms.search(kept.join(' '), {
        fuzzy: (term) => (/^(?=.*\d)[a-z0-9.-]{5,}$/.test(term) && !df.has(term) ? 1 : false),
        boostTerm: (term) => (expanded.has(term) ? defaultIndexOptions.expansionBoost : 1),
      });
      const hits = results.map((r) => {
        const passage = passages[r.id as number] as Passage;
        return { passage, score: r.score * (options.weight?.(passage) ?? 1), matched: r.queryTerms };
      });
      hits.sort((a, b) => b.score - a.score);
      return hits.slice(0, options.limit ?? 10);
    },
    toJSON: () => ({ version, minisearch: ms.toJSON() }),
  };
}

/** Builds the index over the passages. */
export function buildIndex(passages: Passage[], version: string): SearchIndex {
  const ms = new MiniSearch<Passage>(miniSearchOptions());
  ms.addAll(passages);
  return wrap(ms, passages, documentFrequencies(passages), version);
}

/** Loads an index from its snapshot; null when the snapshot is of another version. */
export function loadIndex(snapshot: unknown, passages: Passage[], version: string): SearchIndex | null {
  const s = snapshot as { version?: string; minisearch?: unknown };
  if (!s || s.version !== version || !s.minisearch) return null;
  const ms = MiniSearch.loadJS<Passage>(s.minisearch as Parameters<typeof MiniSearch.loadJS<Passage>>[0], miniSearchOptions());
  return wrap(ms, passages, documentFrequencies(passages), version);
}

/** Opens the index: loads the snapshot file when it matches, else builds and writes it. */
export function openIndex(
  kb: KnowledgeBase,
  lexicon: Lexicon,
  snapshotPath: string | null,
): { index: SearchIndex; source: 'snapshot' | 'built' } {
  const version = indexVersion(kb, lexicon);
  if (snapshotPath) {
    try {
      const loaded = loadIndex(readSnapshot(readFileSync(snapshotPath, 'utf8')), kb.passages, version);
      if (loaded) return { index: loaded, source: 'snapshot' };
    } catch {
      // No snapshot yet, or an unreadable one: rebuild below.
    }
  }
  const index = buildIndex(kb.passages, version);
  if (snapshotPath) {
    try {
      mkdirSync(dirname(snapshotPath), { recursive: true });
      // Write then rename, so a concurrent reader never sees half a file.
      const tmp = `${snapshotPath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(index.toJSON()));
      renameSync(tmp, snapshotPath);
    } catch {
      // A read-only disk only costs the rebuild next time.
    }
  }
  return { index, source: 'built' };
}
