/**
 * Moving a store from SQLite to PostgreSQL (`npm run admin -- migrate-store`): every table copied
 * column by column in one PostgreSQL transaction from one consistent SQLite snapshot, identity
 * sequences moved past the copied ids, then each table verified by its row count and a checksum.
 *
 * The checksum is a SHA-256 over the rows in primary-key order (byte-wise for text, as SQLite's
 * BINARY and PostgreSQL's "C" collation both compare), each row's values normalised the same way
 * on both sides by the PostgreSQL column type: instants as ISO-8601 with milliseconds, 0/1 flags as
 * booleans, numbers as JavaScript prints them, text as it is.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db.js';
import { schemaVersion } from '../db.js';
import type { PgDb } from './db.js';
import { PG_TABLES, SQLITE_SCHEMA_OF_PG } from './migrations.js';

/** A column as PostgreSQL declares it. */
interface Column {
  name: string;
  type: string;
}

/** One table's verification. */
export interface TableCheck {
  table: string;
  sqliteRows: number;
  pgRows: number;
  sqliteSum: string;
  pgSum: string;
  ok: boolean;
}

/** Why a copy cannot start or did not finish; `message` is zh / en. */
export class CopyError extends Error {
  override readonly name = 'CopyError';
}

async function columnsOf(pool: pg.Pool, table: string): Promise<Column[]> {
  const r = await pool.query(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return r.rows as Column[];
}

/** The primary-key columns of a SQLite table in key order, or every column when it has none. */
function keyOf(db: Db, table: string): string[] {
  const cols = db.prepare('SELECT name, pk FROM pragma_table_info(?) ORDER BY pk, cid').all(table) as Array<{ name: string; pk: number }>;
  const pk = cols.filter((c) => c.pk > 0).map((c) => c.name);
  return pk.length ? pk : cols.map((c) => c.name);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A SQLite value as PostgreSQL's column takes it. */
function toPg(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return v === 1 || v === 1n || v === true;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** A value as the checksum sees it, whichever side it comes from. */
function norm(v: unknown, type: string): string | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'boolean':
      return v === true || v === 1 || v === 1n ? '1' : '0';
    case 'timestamp with time zone': {
      const d = new Date(String(v));
      return Number.isNaN(d.getTime()) ? `invalid:${String(v)}` : d.toISOString();
    }
    case 'bigint':
    case 'integer':
    case 'smallint':
    case 'double precision':
      return String(Number(v));
    default:
      return String(v);
  }
}

/** Checks that a copy can start: the SQLite store at the schema PostgreSQL mirrors, the target empty. */
export async function checkCopyable(db: Db, target: PgDb): Promise<void> {
  const v = schemaVersion(db);
  if (v !== SQLITE_SCHEMA_OF_PG) {
    throw new CopyError(
      `SQLite 数据库的结构版本是 ${v}，本程序迁移的是版本 ${SQLITE_SCHEMA_OF_PG}：请先用本版本程序打开一次再迁移 / the SQLite store is at schema ${v}; this program moves schema ${SQLITE_SCHEMA_OF_PG}: open it once with this version first`,
    );
  }
  for (const t of PG_TABLES) {
    const n = (await target.pool.query(`SELECT count(*) AS n FROM ${quote(t)}`)).rows[0].n as number;
    if (n > 0) {
      throw new CopyError(
        `目标数据库不是空的（表 ${t} 已有 ${n} 行）：请迁移到一个新建的空数据库 / the target is not empty (table ${t} has ${n} rows): migrate into a new, empty database`,
      );
    }
  }
}

/**
 * Copies every table of the SQLite store into the (migrated, empty) PostgreSQL store, in one
 * transaction: all or nothing. Returns the rows copied per table.
 */
export async function copySqliteToPostgres(
  db: Db,
  target: PgDb,
  onTable: (table: string, rows: number) => void = () => {},
): Promise<Map<string, number>> {
  await checkCopyable(db, target);
  const copied = new Map<string, number>();
  const client = await target.pool.connect();
  // One read transaction: every table comes from the same snapshot even if someone writes meanwhile.
  db.exec('BEGIN');
  try {
    await client.query('BEGIN');
    // Rows may point forward (a case marked duplicate of a later one): checked at commit.
    await client.query('SET CONSTRAINTS ALL DEFERRED');
    for (const table of PG_TABLES) {
      const cols = await columnsOf(target.pool, table);
      const names = cols.map((c) => quote(c.name)).join(', ');
      // Under PostgreSQL's 65,535 parameters per statement.
      const perBatch = Math.max(1, Math.min(1000, Math.floor(60_000 / cols.length)));
      let batch: unknown[][] = [];
      let n = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const params: unknown[] = [];
        const tuples = batch.map((row) => `(${row.map((v) => `$${params.push(v)}`).join(', ')})`);
        await client.query(`INSERT INTO ${quote(table)} (${names}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`, params);
        n += batch.length;
        batch = [];
      };
      const select = db.prepare(`SELECT ${names} FROM ${quote(table)} ORDER BY ${keyOf(db, table).map(quote).join(', ')}`).raw(true);
      for (const row of select.iterate() as Iterable<unknown[]>) {
        batch.push(row.map((v, i) => toPg(v, (cols[i] as Column).type)));
        if (batch.length >= perBatch) await flush();
      }
      await flush();
      copied.set(table, n);
      onTable(table, n);
    }
    // New rows must get ids after the copied ones.
    const identities = (
      await client.query(
        `SELECT table_name AS t, column_name AS c FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'`,
      )
    ).rows as Array<{ t: string; c: string }>;
    for (const { t, c } of identities) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${quote(c)}) FROM ${quote(t)}), 0) + 1, false)`,
        [quote(t), c],
      );
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
    if (db.inTransaction) db.exec('COMMIT');
  }
  return copied;
}

/** Row count and checksum of a table on the SQLite side. */
function sqliteSide(db: Db, table: string, cols: Column[]): { rows: number; sum: string } {
  const hash = createHash('sha256');
  let rows = 0;
  const select = db
    .prepare(`SELECT ${cols.map((c) => quote(c.name)).join(', ')} FROM ${quote(table)} ORDER BY ${keyOf(db, table).map(quote).join(', ')}`)
    .raw(true);
  for (const row of select.iterate() as Iterable<unknown[]>) {
    hash.update(`${JSON.stringify(row.map((v, i) => norm(v, (cols[i] as Column).type)))}\n`);
    rows++;
  }
  return { rows, sum: hash.digest('hex') };
}

/** Row count and checksum of a table on the PostgreSQL side, read through a cursor. */
async function pgSide(target: PgDb, table: string, cols: Column[], key: string[]): Promise<{ rows: number; sum: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  const type = new Map(cols.map((c) => [c.name, c.type]));
  const order = key.map((k) => (type.get(k) === 'text' ? `${quote(k)} COLLATE "C"` : quote(k))).join(', ');
  const client = await target.pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(
      `DECLARE rows_c NO SCROLL CURSOR FOR SELECT ${cols.map((c) => quote(c.name)).join(', ')} FROM ${quote(table)} ORDER BY ${order}`,
    );
    for (;;) {
      const r = await client.query({ text: 'FETCH 2000 FROM rows_c', rowMode: 'array' });
      if (r.rows.length === 0) break;
      for (const row of r.rows as unknown[][]) {
        hash.update(`${JSON.stringify(row.map((v, i) => norm(v, (cols[i] as Column).type)))}\n`);
        rows++;
      }
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return { rows, sum: hash.digest('hex') };
}

/** Compares every table on both sides: row counts and checksums. */
export async function verifyCopy(db: Db, target: PgDb): Promise<TableCheck[]> {
  const out: TableCheck[] = [];
  for (const table of PG_TABLES) {
    const cols = await columnsOf(target.pool, table);
    const a = sqliteSide(db, table, cols);
    const b = await pgSide(target, table, cols, keyOf(db, table));
    out.push({ table, sqliteRows: a.rows, pgRows: b.rows, sqliteSum: a.sum, pgSum: b.sum, ok: a.rows === b.rows && a.sum === b.sum });
  }
  return out;
}
