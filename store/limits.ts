/**
 * Rate limits kept in the store, so they hold across sessions, restarts and processes: each
 * allowed action leaves a hit under (bucket, key); an action is allowed while fewer than `limit`
 * hits of its key fall inside the window. Old hits of a key are pruned when it is used.
 */
import type { Db } from './db.js';

/** The limit store. */
export interface LimitStore {
  /** Records a hit and returns true when fewer than `limit` hits fall within the window; else false (nothing recorded). */
  take(bucket: string, key: string, now: Date, windowMs: number, limit: number): boolean;
  /** Hits of a key since a time. */
  count(bucket: string, key: string, since: Date): number;
  /** Records a hit without checking (an action limited elsewhere, counted here). */
  record(bucket: string, key: string, now: Date): void;
  /** Forgets all hits older than `before` (no window is longer than a day). */
  prune(before: Date): number;
}

/** Creates the limit store. */
export function createLimitStore(db: Db): LimitStore {
  const countQ = db.prepare('SELECT count(*) FROM rate_hits WHERE bucket = ? AND key = ? AND at >= ?').pluck();
  const insQ = db.prepare('INSERT INTO rate_hits (bucket, key, at) VALUES (?, ?, ?)');
  const pruneQ = db.prepare('DELETE FROM rate_hits WHERE bucket = ? AND key = ? AND at < ?');
  const pruneAllQ = db.prepare('DELETE FROM rate_hits WHERE at < ?');
  const take = db.transaction((bucket: string, key: string, now: Date, windowMs: number, limit: number) => {
    const since = new Date(now.getTime() - windowMs).toISOString();
    pruneQ.run(bucket, key, since);
    if ((countQ.get(bucket, key, since) as number) >= limit) return false;
    insQ.run(bucket, key, now.toISOString());
    return true;
  });
  return {
    take: (bucket, key, now, windowMs, limit) => take(bucket, key, now, windowMs, limit),
    count: (bucket, key, since) => countQ.get(bucket, key, since.toISOString()) as number,
    record: (bucket, key, now) => {
      insQ.run(bucket, key, now.toISOString());
    },
    prune: (before) => pruneAllQ.run(before.toISOString()).changes,
  };
}
