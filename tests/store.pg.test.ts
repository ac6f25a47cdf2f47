/**
 * The PostgreSQL schema: the same tables and columns as the SQLite store's, types translated,
 * migrations append-only and safe when several replicas start at once.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDb } from '../store/db.js';
import { MIGRATIONS } from '../store/migrations.js';
import { openPg, pgSchemaVersion } from '../store/postgres/db.js';
import { PG_MIGRATIONS, PG_TABLES, SQLITE_SCHEMA_OF_PG } from '../store/postgres/migrations.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

/** SHA-256 of each released PostgreSQL migration: an edit of a released one fails here. */
const RELEASED = ['a4f85081bb1268e60100e91edd9be4796bab940da9e7307b61d69160ba5094be'];

describe.skipIf(pgSkipReason !== null)('PostgreSQL schema', () => {
  const server = usePostgres();

  it('has every SQLite table with the same columns, and their types translated', async () => {
    const lite = openDb(':memory:');
    const liteTables = (
      lite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_version'").pluck().all() as string[]
    ).sort();
    expect([...PG_TABLES].sort()).toEqual(liteTables);
    const db = await openPg(await server.freshDatabase());
    try {
      for (const t of PG_TABLES) {
        const liteCols = lite.prepare('SELECT name, type, "notnull" AS nn FROM pragma_table_info(?) ORDER BY name').all(t) as Array<{
          name: string;
          type: string;
          nn: number;
        }>;
        const pgCols = (
          await db.pool.query(
            `SELECT column_name AS name, data_type AS type, is_nullable = 'NO' AS nn FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY column_name COLLATE "C"`,
            [t],
          )
        ).rows as Array<{ name: string; type: string; nn: boolean }>;
        expect(
          pgCols.map((c) => c.name),
          t,
        ).toEqual(liteCols.map((c) => c.name).sort());
        for (const lc of liteCols) {
          const pc = pgCols.find((c) => c.name === lc.name);
          // SQLite's INTEGER PRIMARY KEY is NOT NULL in effect; PostgreSQL says so.
          if (!(lc.type === 'INTEGER' && pc?.nn)) expect(pc?.nn, `${t}.${lc.name}`).toBe(lc.nn === 1);
          const allowed: Record<string, string[]> = {
            TEXT: ['text', 'timestamp with time zone', 'date'],
            INTEGER: ['bigint', 'integer', 'smallint', 'boolean'],
            REAL: ['double precision'],
          };
          expect(allowed[lc.type], `${t}.${lc.name}: ${lc.type} → ${pc?.type}`).toContain(pc?.type);
        }
      }
      expect(await pgSchemaVersion(db.pool)).toBe(PG_MIGRATIONS.length);
    } finally {
      await db.close();
      lite.close();
    }
  });

  it('corresponds to the newest SQLite schema', () => {
    // A new SQLite migration needs its PostgreSQL counterpart (and migrate-store's check moved on).
    expect(MIGRATIONS.length).toBe(SQLITE_SCHEMA_OF_PG);
  });

  it('keeps released migrations unchanged', () => {
    const hashes = PG_MIGRATIONS.map((m) => createHash('sha256').update(m).digest('hex'));
    expect(hashes.slice(0, RELEASED.length)).toEqual(RELEASED);
  });

  it('migrates once when several replicas start together, and again is a no-op', async () => {
    const url = await server.freshDatabase();
    const dbs = await Promise.all([openPg(url, { max: 2 }), openPg(url, { max: 2 }), openPg(url, { max: 2 })]);
    try {
      const rows = (await (dbs[0] as (typeof dbs)[0]).pool.query('SELECT count(*) AS n FROM schema_version')).rows[0] as { n: number };
      expect(rows.n).toBe(PG_MIGRATIONS.length);
      const again = await openPg(url, { max: 1 });
      await again.close();
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });

  it('returns values as the SQLite store does: numbers, ISO instants, calendar days', async () => {
    const db = await openPg(await server.freshDatabase());
    try {
      const at = '2026-11-22T01:00:00.123Z';
      await db.pool.query(
        `INSERT INTO milestones (key, title, due_date, due_label, origin, status, created_at, updated_at)
         VALUES ('k', 't', '2025-12-31', '2025年底', 'corpus', 'open', $1, $1)`,
        [at],
      );
      const r = (await db.pool.query('SELECT id, due_date, created_at, (SELECT count(*) FROM milestones) AS n FROM milestones')).rows[0];
      expect(r).toEqual({ id: 1, due_date: '2025-12-31', created_at: at, n: 1 });
    } finally {
      await db.close();
    }
  });

  it('names the server and what to check when it cannot connect', async () => {
    await expect(openPg('postgres://nobody:secret@127.0.0.1:1/none')).rejects.toThrow(/DATABASE_URL.*127\.0\.0\.1:1/s);
    await expect(openPg('postgres://nobody:secret@127.0.0.1:1/none')).rejects.not.toThrow(/secret/);
  });
});

// The pg driver is imported so a missing dependency fails here, not only in the adapters.
void pg;
