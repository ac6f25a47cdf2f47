/**
 * The search port: passages in, ranked hits out, whatever engine holds the index.
 *   minisearch  in memory (the default; MiniSearch over the bigram tokens, snapshot on disk);
 *   sqlite      SQLite FTS5 over the same tokens stored space-separated (a file; nothing in the heap
 *               but the passages, no rebuild at start when the file is of this corpus);
 *   postgres    PostgreSQL full-text over the same tokens, to_tsvector('simple', tokens), GIN index.
 * Every backend searches the same terms (`planQuery`) and ranks with the same BM25+ (`rank.ts`), so
 * they return the same hits; the full-text engines only pick the candidates. Backends are loaded on
 * first use (dynamic import): opening the knowledge module costs nothing more.
 */
import type { Passage } from '../base.js';
import type { Hit, SearchOptions } from './index.js';
import type { PreparedQuery } from './query.js';

export type { Hit, SearchOptions } from './index.js';

export const SEARCH_BACKENDS = ['minisearch', 'sqlite', 'postgres'] as const;
export type SearchBackendName = (typeof SEARCH_BACKENDS)[number];

/** An index of passages behind one interface. */
export interface SearchPort {
  readonly backend: SearchBackendName;
  /** Passages indexed. */
  readonly size: number;
  /** The version of what is indexed (corpus, lexicon and tokenizer). */
  readonly version: string;
  /** Indexes these passages in place of the previous ones; nothing to do when `version` is already indexed. */
  index(passages: readonly Passage[], version: string): Promise<void>;
  /** The best passages for a question, best first. */
  search(query: PreparedQuery, options?: SearchOptions): Promise<Hit[]>;
  /** Whether the term occurs in any passage (the vocabulary query preparation asks). */
  has(term: string): boolean;
  /** In how many passages the term occurs. */
  df(term: string): number;
  close(): Promise<void>;
}

/** What the PostgreSQL backend queries through. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** A `pg` Pool (or a connection string to make one): one connection per transaction. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgQueryable & { release(): void }>;
}

/** Settings of search (from `SEARCH_*` in bot/config.ts). */
export interface SearchSettings {
  /** A backend, or `auto`: MiniSearch below `fullTextMinMb` of passage text, else the full-text one. */
  backend: 'auto' | SearchBackendName;
  fullTextMinMb: number;
  /** The SQLite FTS5 file (`:memory:` for none). */
  sqlitePath: string;
  /** The PostgreSQL connection: `auto` picks it as the full-text backend when given. */
  postgres?: { connectionString?: string; pool?: PgPool; table?: string } | undefined;
  /** MiniSearch's snapshot file (null: none). */
  snapshotPath?: string | null;
}

export const defaultSearchSettings: SearchSettings = { backend: 'auto', fullTextMinMb: 5, sqlitePath: ':memory:' };

/** Bytes of passage text. */
export function corpusBytes(passages: readonly Passage[]): number {
  let n = 0;
  for (const p of passages) n += Buffer.byteLength(p.text) + Buffer.byteLength(p.title);
  return n;
}

/** The backend the settings choose for these passages. */
export function chooseBackend(
  settings: Pick<SearchSettings, 'backend' | 'fullTextMinMb' | 'postgres'>,
  passages: readonly Passage[],
): SearchBackendName {
  if (settings.backend !== 'auto') return settings.backend;
  if (corpusBytes(passages) < settings.fullTextMinMb * 1024 * 1024) return 'minisearch';
  return settings.postgres?.connectionString || settings.postgres?.pool ? 'postgres' : 'sqlite';
}

/** Creates an empty port of a backend (index it next). */
export async function createSearch(backend: SearchBackendName, settings: Partial<SearchSettings> = {}): Promise<SearchPort> {
  switch (backend) {
    case 'minisearch': {
      const { createMiniSearchPort } = await import('./minisearch.js');
      return createMiniSearchPort(settings.snapshotPath ?? null);
    }
    case 'sqlite': {
      const { createSqliteSearch } = await import('./sqlite.js');
      return createSqliteSearch(settings.sqlitePath ?? ':memory:');
    }
    case 'postgres': {
      const { createPostgresSearch } = await import('./postgres.js');
      const pg = settings.postgres;
      if (!pg?.pool && !pg?.connectionString) throw new Error('search: the postgres backend needs a connection (SEARCH_POSTGRES_URL)');
      return createPostgresSearch(pg);
    }
  }
}

/** Opens the backend the settings choose, with these passages indexed. */
export async function openSearch(settings: SearchSettings, passages: readonly Passage[], version: string): Promise<SearchPort> {
  const port = await createSearch(chooseBackend(settings, passages), settings);
  try {
    await port.index(passages, version);
  } catch (e) {
    await port.close();
    throw e;
  }
  return port;
}
