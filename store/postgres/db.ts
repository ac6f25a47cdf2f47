/**
 * The PostgreSQL store: a `pg` pool whose values come back as the SQLite store's do (ids and
 * counts as numbers, instants as ISO-8601 strings with milliseconds and `Z`, calendar days as
 * `YYYY-MM-DD`), brought to the newest schema by its numbered migrations under an advisory lock,
 * so replicas starting together migrate once.
 */
import pg from 'pg';
import { RectifyError } from '../../core/errors.js';
import { PG_MIGRATIONS } from './migrations.js';

/** An open PostgreSQL store. */
export interface PgDb {
  pool: pg.Pool;
  /** The URL without its password, for messages. */
  where: string;
  close(): Promise<void>;
}

/** Options of `openPg`. */
export interface PgOptions {
  /** Most connections this process holds. Default 10. */
  max?: number;
  /** Run the migrations (default true). */
  migrate?: boolean;
}

const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
const DATE = 1082;
const INT8 = 20;
const NUMERIC = 1700;

const defaultTimestamp = pg.types.getTypeParser(TIMESTAMPTZ);

/** Type parsers of every connection of the store (per pool: never the process-wide defaults). */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    // Ids are identity bigints and counts are bigint; both stay far below 2^53.
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    if (oid === TIMESTAMPTZ || oid === TIMESTAMP) return (v: string) => (defaultTimestamp(v) as Date).toISOString();
    if (oid === DATE) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A connection string with its password hidden. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/** The advisory lock key of the migrations (any constant shared by every replica). */
const MIGRATE_LOCK = 7_246_001;

/** Opens a pool on `url`, checks that it connects and migrates the schema. */
export async function openPg(url: string, opts: PgOptions = {}): Promise<PgDb> {
  const where = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types: pgTypes,
    application_name: 'rectify',
    // Dates compared with instants ("2026-10-01" ≤ created_at) mean UTC midnight, as the ISO strings
    // SQLite compares do. A transaction left open (a replica stuck between statements) is ended by
    // the server after a minute instead of holding its locks against every other replica.
    options: '-c TimeZone=UTC -c idle_in_transaction_session_timeout=60000',
    // A database that does not answer fails the call instead of hanging it.
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server drops must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  try {
    if (opts.migrate !== false) await migratePg(pool);
    else await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof RectifyError) throw e;
    throw new RectifyError(
      'store',
      'open',
      `无法连接或初始化 PostgreSQL 数据库 ${where}：${e instanceof Error ? e.message : String(e)}。请检查 DATABASE_URL、网络和账号权限 / cannot connect to or set up ${where}: check DATABASE_URL, the network and the role's rights`,
      { cause: e },
    );
  }
  return { pool, where, close: () => pool.end() };
}

/** Applies the migrations newer than the database's version, each in its own transaction; returns the version. */
export async function migratePg(pool: pg.Pool): Promise<number> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)');
      const current = await pgSchemaVersion(c);
      const newest = PG_MIGRATIONS.length;
      if (current > newest) {
        throw new RectifyError(
          'store',
          'version',
          `PostgreSQL 数据库的结构版本 ${current} 比本程序（${newest}）新：请运行新版程序 / the database is at schema ${current}, newer than this program (${newest})`,
        );
      }
      for (let v = current + 1; v <= newest; v++) {
        await c.query('BEGIN');
        try {
          await c.query(PG_MIGRATIONS[v - 1] as string);
          await c.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, now())', [v]);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK');
          throw e;
        }
      }
      return newest;
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]);
    }
  } finally {
    c.release();
  }
}

/** The schema version of a PostgreSQL store (0 when it has none). */
export async function pgSchemaVersion(q: pg.Pool | pg.PoolClient | pg.Client): Promise<number> {
  const exists = await q.query("SELECT to_regclass('schema_version') IS NOT NULL AS e");
  if (!exists.rows[0]?.e) return 0;
  const r = await q.query('SELECT max(version) AS v FROM schema_version');
  return (r.rows[0]?.v as number | null) ?? 0;
}
