/**
 * The one SQLite store of the program: opened with WAL, foreign keys and a busy timeout, and
 * brought to the newest schema by numbered migrations recorded in `schema_version`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RectifyError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';

/** A database connection. */
export type Db = Database.Database;

/** Opens (creating when needed) the store at `path` (":memory:" for tests) and migrates it. */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { timeout: 5000 });
  } catch (cause) {
    throw new RectifyError('store', 'open', `cannot open database ${path}`, { cause });
  }
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  // NORMAL keeps every commit across an application crash (the WAL is on disk); only a power
  // loss may lose the last transactions. See shared notes: ~23k inserts/s here.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/** Applies the migrations newer than the store's version, each in its own transaction. */
export function migrate(db: Db): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  const current = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  const newest = MIGRATIONS.length;
  if (current > newest) {
    throw new RectifyError('store', 'version', `database is at schema ${current}, newer than this program (${newest})`);
  }
  for (let v = current + 1; v <= newest; v++) {
    const sql = MIGRATIONS[v - 1] as string;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(v, new Date().toISOString());
    }).immediate();
  }
  return newest;
}

/** The schema version of a store. */
export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
}
