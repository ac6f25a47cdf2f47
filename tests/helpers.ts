/** Shared test fixtures: the knowledge module over the shipped corpus, built once per worker. */
import { type Knowledge, openKnowledge } from '../knowledge/mod.js';
import type { Db } from '../store/db.js';

let shared: Knowledge | null = null;

/** The knowledge module over the shipped corpus (no snapshot file). */
export function knowledge(): Knowledge {
  shared ??= openKnowledge({ snapshotPath: null });
  return shared;
}

/** A fixed "now" for tests: 2026-11-22 09:00 in Shanghai. */
export const NOW = new Date('2026-11-22T01:00:00Z');

/** The SQLite connection of an assembled program (the tests run on SQLite). */
export function dbOf(app: { db: Db | null }): Db {
  if (!app.db) throw new Error('not an SQLite store');
  return app.db;
}
