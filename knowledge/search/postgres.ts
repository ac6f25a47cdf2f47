/**
 * The PostgreSQL backend of the search port: each passage's title and text as the project's tokens
 * joined by spaces, indexed as `setweight(to_tsvector('simple', title), 'A') ||
 * to_tsvector('simple', text)` (a stored generated column under a GIN index). The `simple`
 * configuration neither stems nor drops words, so PostgreSQL's lexemes are our tokens. Query
 * preparation asks the vocabulary synchronously, so the document frequencies (all, title, text)
 * are held in memory, kept in a terms table beside the passages so that a replica opening an index
 * another one built loads them instead of rebuilding; the field lengths are held in memory too. The
 * engine picks candidates from a postings table (token → passage, with the token's count per field)
 * by an index-only scan and a BM25 estimate, never reading a passage row or its TOASTed tsvector
 * (ts_rank over those cost p99 178 ms at 20 MB); `rank.ts` ranks them as MiniSearch would. Indexing holds an advisory lock: one replica builds.
 */
import type { Passage } from '../base.js';
import type { PgPool, PgQueryable, SearchPort } from './port.js';
import {
  averageLengths,
  byRank,
  candidatePool,
  candidateTerms,
  defaultIndexOptions,
  type FieldStats,
  planQuery,
  scorePassage,
  searchedTerms,
} from './rank.js';
import { tokenize } from './tokenizer.js';

const BATCH = 2000;
/** Bumped when the tables change. */
const LAYOUT = '4';
/** Postings inserted per statement at build. */
const POSTINGS_BATCH = 20000;

interface Frequencies {
  all: Map<string, number>;
  title: Map<string, number>;
  text: Map<string, number>;
}

function frequencies(tokens: Array<{ title: string[]; text: string[] }>): Frequencies {
  const f: Frequencies = { all: new Map(), title: new Map(), text: new Map() };
  const bump = (m: Map<string, number>, t: string) => m.set(t, (m.get(t) ?? 0) + 1);
  for (const p of tokens) {
    const title = new Set(p.title);
    const text = new Set(p.text);
    for (const t of title) bump(f.title, t);
    for (const t of text) bump(f.text, t);
    for (const t of new Set([...title, ...text])) bump(f.all, t);
  }
  return f;
}

export async function createPostgresSearch(options: { connectionString?: string; pool?: PgPool; table?: string }): Promise<SearchPort> {
  const table = options.table ?? 'search_passages';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(table)) throw new Error(`search: bad table name ${table}`);
  let ownPool: { end(): Promise<void> } | null = null;
  let db: PgPool;
  if (options.pool) db = options.pool;
  else {
    const pg = await import('pg');
    const p = new pg.default.Pool({ connectionString: options.connectionString, max: 4 });
    // An idle connection dropped by the server must not end the process; the next query reconnects.
    p.on('error', () => {});
    db = p;
    ownPool = p;
  }
  const [meta, terms, postings] = [`${table}_meta`, `${table}_terms`, `${table}_postings`];
  await db.query(`CREATE TABLE IF NOT EXISTS ${meta} (key text PRIMARY KEY, value text NOT NULL)`);
  // Tables of another layout are dropped and rebuilt (the index is derived data).
  const layout = await db.query(`SELECT value FROM ${meta} WHERE key = 'layout'`);
  if (String(layout.rows[0]?.value ?? '') !== LAYOUT) {
    await db.query(`DROP TABLE IF EXISTS ${table}, ${terms}, ${postings}`);
    await db.query(`DELETE FROM ${meta}`);
  }
  await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
    id integer PRIMARY KEY,
    title text NOT NULL,
    body text NOT NULL,
    title_len integer NOT NULL,
    body_len integer NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple', title), 'A') || to_tsvector('simple', body)) STORED
  )`);
  // No pending list: a bulk build would leave every query scanning it until the next vacuum.
  await db.query(`CREATE INDEX IF NOT EXISTS ${table}_tsv ON ${table} USING gin (tsv) WITH (fastupdate = off)`);
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${terms} (term text PRIMARY KEY, df integer NOT NULL, title_df integer NOT NULL, text_df integer NOT NULL)`,
  );
  // Token → passage, with the token's count in each field: candidates are picked from these
  // (an index-only scan of a few thousand small rows) instead of reading each matching passage's
  // stored tsvector, which at 20 MB cost most of a query (TOAST reads for ts_rank).
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${postings} (term text NOT NULL, id integer NOT NULL, title_tf smallint NOT NULL, text_tf smallint NOT NULL)`,
  );
  await db.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${postings}_term ON ${postings} (term, id) INCLUDE (title_tf, text_tf)`);
  await db.query(`INSERT INTO ${meta} (key, value) VALUES ('layout', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [LAYOUT]);

  let passages: readonly Passage[] = [];
  let version = '';
  let stats = { count: 0, avgTitle: 0, avgText: 0 };
  let freq: Frequencies = { all: new Map(), title: new Map(), text: new Map() };
  let latin: string[] | null = null;
  let fieldLens = { title: new Int32Array(0), text: new Int32Array(0) };
  const df = (t: string) => freq.all.get(t) ?? 0;

  const metaOf = async (): Promise<{ version: string; stats: typeof stats } | null> => {
    const r = await db.query(`SELECT key, value FROM ${meta} WHERE key IN ('version', 'stats')`);
    const m = new Map(r.rows.map((x) => [String(x.key), String(x.value)]));
    const v = m.get('version');
    const s = m.get('stats');
    return v && s ? { version: v, stats: JSON.parse(s) as typeof stats } : null;
  };

  /** Each passage's field lengths (distinct terms), held in memory like the frequencies: a query then reads postings only. */
  const loadLengths = async (count: number) => {
    const l = { title: new Int32Array(count), text: new Int32Array(count) };
    const r = await db.query(`SELECT id, title_len, body_len FROM ${table}`);
    for (const row of r.rows) {
      const id = Number(row.id);
      if (id < 0 || id >= count) continue;
      l.title[id] = Number(row.title_len);
      l.text[id] = Number(row.body_len);
    }
    return l;
  };

  const load = async () => {
    const r = await db.query(`SELECT term, df, title_df, text_df FROM ${terms}`);
    const f: Frequencies = { all: new Map(), title: new Map(), text: new Map() };
    for (const row of r.rows) {
      const t = String(row.term);
      f.all.set(t, Number(row.df));
      if (Number(row.title_df)) f.title.set(t, Number(row.title_df));
      if (Number(row.text_df)) f.text.set(t, Number(row.text_df));
    }
    return f;
  };

  const build = async (list: readonly Passage[], v: string) => {
    const tokens = list.map((p) => ({ title: tokenize(p.title), text: tokenize(p.text) }));
    const f = frequencies(tokens);
    const lengths = tokens.map((p) => ({ title: new Set(p.title).size, text: new Set(p.text).size }));
    const s = averageLengths(lengths);
    // A transaction needs one connection, not whichever of the pool's is free.
    const c = await db.connect();
    const tx: PgQueryable = c;
    await tx.query('BEGIN');
    try {
      // One replica builds; the others wait here, then find the version built and only load it.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
      const current = await metaOf();
      if (current?.version === v && current.stats.count === list.length) {
        await tx.query('COMMIT');
        return { f: await load(), s: current.stats, l: await loadLengths(list.length) };
      }
      // Loaded first, indexed after: one GIN build instead of an insertion per row.
      await tx.query(`DROP INDEX IF EXISTS ${table}_tsv`);
      await tx.query(`DROP INDEX IF EXISTS ${postings}_term`);
      await tx.query(`TRUNCATE ${table}, ${terms}, ${postings}`);
      for (let i = 0; i < tokens.length; i += BATCH) {
        const part = tokens.slice(i, i + BATCH);
        await tx.query(
          `INSERT INTO ${table} (id, title, body, title_len, body_len)
           SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::integer[], $5::integer[])`,
          [
            part.map((_, j) => i + j),
            part.map((p) => p.title.join(' ')),
            part.map((p) => p.text.join(' ')),
            part.map((_, j) => lengths[i + j]?.title ?? 0),
            part.map((_, j) => lengths[i + j]?.text ?? 0),
          ],
        );
      }
      const all = [...f.all];
      for (let i = 0; i < all.length; i += BATCH * 5) {
        const part = all.slice(i, i + BATCH * 5);
        await tx.query(
          `INSERT INTO ${terms} (term, df, title_df, text_df) SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::integer[])`,
          [part.map(([t]) => t), part.map(([, n]) => n), part.map(([t]) => f.title.get(t) ?? 0), part.map(([t]) => f.text.get(t) ?? 0)],
        );
      }
      const batch: { term: string[]; id: number[]; title: number[]; text: number[] } = { term: [], id: [], title: [], text: [] };
      const flush = async () => {
        if (batch.term.length === 0) return;
        await tx.query(
          `INSERT INTO ${postings} (term, id, title_tf, text_tf) SELECT * FROM unnest($1::text[], $2::integer[], $3::smallint[], $4::smallint[])`,
          [batch.term, batch.id, batch.title, batch.text],
        );
        batch.term = [];
        batch.id = [];
        batch.title = [];
        batch.text = [];
      };
      const cap = (n: number) => Math.min(n, 32767);
      for (let i = 0; i < tokens.length; i++) {
        const p = tokens[i] as { title: string[]; text: string[] };
        const counts = new Map<string, [number, number]>();
        for (const t of p.title) {
          const c = counts.get(t) ?? [0, 0];
          c[0]++;
          counts.set(t, c);
        }
        for (const t of p.text) {
          const c = counts.get(t) ?? [0, 0];
          c[1]++;
          counts.set(t, c);
        }
        for (const [t, [a, b]] of counts) {
          batch.term.push(t);
          batch.id.push(i);
          batch.title.push(cap(a));
          batch.text.push(cap(b));
        }
        if (batch.term.length >= POSTINGS_BATCH) await flush();
      }
      await flush();
      await tx.query(`CREATE UNIQUE INDEX ${postings}_term ON ${postings} (term, id) INCLUDE (title_tf, text_tf)`);
      await tx.query(`CREATE INDEX ${table}_tsv ON ${table} USING gin (tsv) WITH (fastupdate = off)`);
      await tx.query(
        `INSERT INTO ${meta} (key, value) VALUES ('version', $1), ('stats', $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [v, JSON.stringify(s)],
      );
      await tx.query('COMMIT');
    } catch (e) {
      await tx.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
    await db.query(`VACUUM ANALYZE ${table}`);
    // The visibility map set, the postings are read by index-only scans.
    await db.query(`VACUUM ANALYZE ${postings}`);
    const l = { title: Int32Array.from(lengths, (x) => x.title), text: Int32Array.from(lengths, (x) => x.text) };
    return { f, s, l };
  };

  const fieldStats = (): FieldStats => ({
    ...stats,
    dfTitle: (t) => freq.title.get(t) ?? 0,
    dfText: (t) => freq.text.get(t) ?? 0,
  });

  return {
    backend: 'postgres',
    get size() {
      return passages.length;
    },
    get version() {
      return version;
    },
    async index(list, v) {
      if (v === version && passages.length === list.length) return;
      const current = await metaOf();
      const built =
        current?.version === v && current.stats.count === list.length
          ? { f: await load(), s: current.stats, l: await loadLengths(list.length) }
          : await build(list, v);
      freq = built.f;
      fieldLens = built.l;
      stats = built.s;
      latin = null;
      passages = list;
      version = v;
    },
    async search(query, options = {}) {
      const plan = planQuery(query, df, passages.length);
      if (plan.terms.length === 0) return [];
      const groups = searchedTerms(
        plan,
        (t) => df(t) > 0,
        () => (latin ??= [...freq.all.keys()].filter((t) => !/\p{Script=Han}/u.test(t))),
      );
      const all = candidateTerms(groups, df);
      if (all.length === 0) return [];
      const limit = options.limit ?? 10;
      const pool = candidatePool(limit);
      // A BM25 estimate from the postings alone (no passage row or tsvector read): each candidate
      // term's idf times its saturated count, the title boosted as MiniSearch boosts it. `rank.ts`
      // then ranks the best of them exactly.
      const { k } = defaultIndexOptions.bm25;
      const idf = all.map((t) => Math.log(1 + (passages.length - df(t) + 0.5) / (df(t) + 0.5)));
      const r = await db.query(
        `SELECT p.id, sum(q.idf * (${defaultIndexOptions.titleBoost} * p.title_tf::float8 / (p.title_tf + ${k}::float8) + p.text_tf::float8 / (p.text_tf + ${k}::float8))) AS s
           FROM unnest($1::text[], $2::float8[]) q(term, idf) JOIN ${postings} p ON p.term = q.term
           GROUP BY p.id ORDER BY s DESC, p.id LIMIT $3`,
        [all, idf, pool],
      );
      const st = fieldStats();
      const hits = r.rows.flatMap((row) => {
        const passage = passages[Number(row.id)];
        if (!passage) return [];
        const { score, matched } = scorePassage(passage, groups, plan.expanded, st, {
          title: fieldLens.title[Number(row.id)] ?? 0,
          text: fieldLens.text[Number(row.id)] ?? 0,
        });
        return score > 0 ? [{ passage, score: score * (options.weight?.(passage) ?? 1), matched }] : [];
      });
      hits.sort(byRank);
      return hits.slice(0, limit);
    },
    has: (t) => df(t) > 0,
    df,
    async close() {
      if (ownPool) await ownPool.end();
      ownPool = null;
    },
  };
}
