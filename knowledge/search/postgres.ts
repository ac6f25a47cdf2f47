/**
 * The PostgreSQL backend of the search port: each passage's title and text as the project's tokens
 * joined by spaces, indexed as `setweight(to_tsvector('simple', title), 'A') ||
 * to_tsvector('simple', text)` (a stored generated column under a GIN index). The `simple`
 * configuration neither stems nor drops words, so PostgreSQL's lexemes are our tokens. Query
 * preparation asks the vocabulary synchronously, so the document frequencies (all, title, text)
 * are held in memory, kept in a terms table beside the passages so that a replica opening an index
 * another one built loads them instead of rebuilding. The engine picks candidates with ts_rank;
 * `rank.ts` ranks them as MiniSearch would. Indexing holds an advisory lock: one replica builds.
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

/** A term as a tsquery operand (quoted: never read as an operator). */
const quote = (t: string) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

const BATCH = 2000;
/** Bumped when the tables change. */
const LAYOUT = '3';

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
  const [meta, terms] = [`${table}_meta`, `${table}_terms`];
  await db.query(`CREATE TABLE IF NOT EXISTS ${meta} (key text PRIMARY KEY, value text NOT NULL)`);
  // Tables of another layout are dropped and rebuilt (the index is derived data).
  const layout = await db.query(`SELECT value FROM ${meta} WHERE key = 'layout'`);
  if (String(layout.rows[0]?.value ?? '') !== LAYOUT) {
    await db.query(`DROP TABLE IF EXISTS ${table}, ${terms}`);
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
  await db.query(`INSERT INTO ${meta} (key, value) VALUES ('layout', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [LAYOUT]);

  let passages: readonly Passage[] = [];
  let version = '';
  let stats = { count: 0, avgTitle: 0, avgText: 0 };
  let freq: Frequencies = { all: new Map(), title: new Map(), text: new Map() };
  let latin: string[] | null = null;
  const df = (t: string) => freq.all.get(t) ?? 0;

  const metaOf = async (): Promise<{ version: string; stats: typeof stats } | null> => {
    const r = await db.query(`SELECT key, value FROM ${meta} WHERE key IN ('version', 'stats')`);
    const m = new Map(r.rows.map((x) => [String(x.key), String(x.value)]));
    const v = m.get('version');
    const s = m.get('stats');
    return v && s ? { version: v, stats: JSON.parse(s) as typeof stats } : null;
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
        return { f: await load(), s: current.stats };
      }
      // Loaded first, indexed after: one GIN build instead of an insertion per row.
      await tx.query(`DROP INDEX IF EXISTS ${table}_tsv`);
      await tx.query(`TRUNCATE ${table}, ${terms}`);
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
    return { f, s };
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
        current?.version === v && current.stats.count === list.length ? { f: await load(), s: current.stats } : await build(list, v);
      freq = built.f;
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
      // Weights {D, C, B, A} (each at most 1): the title (A) over the text (D) as MiniSearch boosts it.
      const r = await db.query(
        `SELECT id, title_len, body_len FROM ${table}, to_tsquery('simple', $1) q WHERE tsv @@ q
         ORDER BY ts_rank('{${(1 / defaultIndexOptions.titleBoost).toFixed(4)}, 0, 0, 1}', tsv, q, 1) DESC, id LIMIT $2`,
        [all.map(quote).join(' | '), pool],
      );
      const st = fieldStats();
      const hits = r.rows.flatMap((row) => {
        const passage = passages[Number(row.id)];
        if (!passage) return [];
        const { score, matched } = scorePassage(passage, groups, plan.expanded, st, {
          title: Number(row.title_len),
          text: Number(row.body_len),
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
