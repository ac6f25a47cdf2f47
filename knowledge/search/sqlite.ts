/**
 * The SQLite FTS5 backend of the search port. Each passage's title and text are stored as the
 * project's own tokens joined by spaces in a contentless FTS5 table (unicode61 keeping diacritics,
 * `.` a token character so "12.34" stays whole), so FTS5 splits exactly where our tokenizer did.
 * Document frequencies come from fts5vocab (per row, and per column for the ranking), so nothing but
 * the passages lives in the heap. FTS5's bm25 picks the candidates; `rank.ts` ranks them as
 * MiniSearch would. The file keeps the index: a start with the same corpus does not rebuild.
 */
import Database from 'better-sqlite3';
import type { Passage } from '../base.js';
import type { SearchPort } from './port.js';
import {
  averageLengths,
  byRank,
  candidatePool,
  candidateTerms,
  defaultIndexOptions,
  type FieldStats,
  planQuery,
  type SearchedTerm,
  scorePassage,
  searchedTerms,
} from './rank.js';
import { tokenize } from './tokenizer.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Each passage's field lengths as the ranking counts them (distinct terms).
CREATE TABLE IF NOT EXISTS search_lengths (id INTEGER PRIMARY KEY, title INTEGER NOT NULL, text INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
  title, text, content = '', tokenize = "unicode61 remove_diacritics 0 tokenchars '.'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_vocab USING fts5vocab(search_fts, 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS search_vocab_col USING fts5vocab(search_fts, 'col');
`;

/** A term as an FTS5 string (quoted, so it is never read as an operator). */
const quote = (t: string) => `"${t.replace(/"/g, '""')}"`;

/** Stats and vocabulary lookups are cached per index; this many terms at most. */
const CACHE_LIMIT = 50_000;

/** Bumped when the tables change: a file of another layout is emptied and rebuilt. */
const LAYOUT = '2';

export function createSqliteSearch(path: string): SearchPort {
  const db = new Database(path);
  // Another process building the same file: wait for it rather than fail.
  db.pragma('busy_timeout = 60000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const layout = db.prepare("SELECT name FROM sqlite_master WHERE name = 'search_meta'").get()
    ? (db.prepare<[], { value: string }>("SELECT value FROM search_meta WHERE key = 'layout'").get()?.value ?? null)
    : LAYOUT;
  if (layout !== LAYOUT) {
    db.exec('DROP TABLE IF EXISTS search_vocab; DROP TABLE IF EXISTS search_vocab_col; DROP TABLE IF EXISTS search_fts;');
    db.exec('DROP TABLE IF EXISTS search_lengths; DROP TABLE IF EXISTS search_meta;');
  }
  db.exec(SCHEMA);
  db.prepare("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('layout', ?)").run(LAYOUT);
  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM search_meta WHERE key = ?');
  const setMeta = db.prepare('INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const dfRow = db.prepare<[string], { doc: number }>('SELECT doc FROM search_vocab WHERE term = ?');
  const dfCol = db.prepare<[string], { col: string; doc: number }>('SELECT col, doc FROM search_vocab_col WHERE term = ?');
  const nonHan = db.prepare<[], { term: string }>("SELECT term FROM search_vocab WHERE term < '\u2e80'");
  const insert = db.prepare('INSERT INTO search_fts (rowid, title, text) VALUES (?, ?, ?)');
  const insertLengths = db.prepare('INSERT INTO search_lengths (id, title, text) VALUES (?, ?, ?)');
  // The engine's best candidates first (limited), then their lengths.
  const candidates = db.prepare<[string, number], { id: number; title: number; text: number }>(
    `SELECT c.id, l.title, l.text FROM (
       SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? ORDER BY bm25(search_fts, ${defaultIndexOptions.titleBoost}, 1) LIMIT ?
     ) c JOIN search_lengths l ON l.id = c.id`,
  );

  let passages: readonly Passage[] = [];
  let version = getMeta.get('version')?.value ?? '';
  let stats = { count: 0, avgTitle: 0, avgText: 0 };
  const dfCache = new Map<string, number>();
  const colCache = new Map<string, { title: number; text: number }>();
  let latin: string[] | null = null;

  const readStats = () => {
    const s = getMeta.get('stats');
    stats = s ? (JSON.parse(s.value) as typeof stats) : { count: 0, avgTitle: 0, avgText: 0 };
    dfCache.clear();
    colCache.clear();
    latin = null;
  };
  readStats();

  const df = (t: string): number => {
    let n = dfCache.get(t);
    if (n === undefined) {
      n = dfRow.get(t)?.doc ?? 0;
      if (dfCache.size >= CACHE_LIMIT) dfCache.clear();
      dfCache.set(t, n);
    }
    return n;
  };
  const cols = (t: string) => {
    let c = colCache.get(t);
    if (!c) {
      c = { title: 0, text: 0 };
      for (const r of dfCol.all(t)) c[r.col === 'title' ? 'title' : 'text'] = r.doc;
      if (colCache.size >= CACHE_LIMIT) colCache.clear();
      colCache.set(t, c);
    }
    return c;
  };
  const fieldStats = (): FieldStats => ({
    ...stats,
    dfTitle: (t) => cols(t).title,
    dfText: (t) => cols(t).text,
  });

  const reindex = db.transaction((list: readonly Passage[], v: string): boolean => {
    // Built meanwhile by another process (the write lock is held from here on): nothing to do.
    const built = getMeta.get('stats');
    if (getMeta.get('version')?.value === v && built && (JSON.parse(built.value) as { count: number }).count === list.length) return false;
    db.exec("INSERT INTO search_fts (search_fts) VALUES ('delete-all'); DELETE FROM search_lengths;");
    const lengths = list.map((p, i) => {
      const title = tokenize(p.title);
      const text = tokenize(p.text);
      insert.run(i, title.join(' '), text.join(' '));
      const l = { title: new Set(title).size, text: new Set(text).size };
      insertLengths.run(i, l.title, l.text);
      return l;
    });
    setMeta.run('stats', JSON.stringify(averageLengths(lengths)));
    setMeta.run('version', v);
    return true;
  });

  return {
    backend: 'sqlite',
    get size() {
      return passages.length;
    },
    get version() {
      return version;
    },
    async index(list, v) {
      if (v !== version || stats.count !== list.length) {
        // Merges the segments of the bulk insert: later queries read one b-tree per term.
        if (reindex.immediate(list, v)) db.exec("INSERT INTO search_fts (search_fts) VALUES ('optimize')");
      }
      passages = list;
      version = v;
      readStats();
    },
    async search(query, options = {}) {
      const plan = planQuery(query, df, passages.length);
      if (plan.terms.length === 0) return [];
      const groups: SearchedTerm[][] = searchedTerms(
        plan,
        (t) => df(t) > 0,
        () => (latin ??= nonHan.all().map((r) => r.term)),
      );
      const all = candidateTerms(groups, df);
      if (all.length === 0) return [];
      const limit = options.limit ?? 10;
      const pool = candidatePool(limit);
      const rows = candidates.all(all.map(quote).join(' OR '), pool);
      const st = fieldStats();
      const hits = rows.flatMap((r) => {
        const passage = passages[r.id];
        if (!passage) return [];
        const { score, matched } = scorePassage(passage, groups, plan.expanded, st, r);
        return score > 0 ? [{ passage, score: score * (options.weight?.(passage) ?? 1), matched }] : [];
      });
      hits.sort(byRank);
      return hits.slice(0, limit);
    },
    has: (t) => df(t) > 0,
    df,
    async close() {
      if (db.open) db.close();
    },
  };
}
