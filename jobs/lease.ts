/**
 * A lease in SQLite: node-cron's run coordinator for several processes on one store. The first
 * process to claim a firing (key = task name and slot) runs it; the others skip it.
 */
import type { RunCoordinator } from 'node-cron';
import type { Db } from '../store/db.js';

/** Creates a coordinator whose claims live in the `leases` table. */
export function sqliteCoordinator(db: Db, holder: string, clock: () => Date = () => new Date()): RunCoordinator {
  const claim = db.prepare(
    `INSERT INTO leases (name, holder, until) VALUES (@name, @holder, @until)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until < @now`,
  );
  const prune = db.prepare('DELETE FROM leases WHERE until < ?');
  return {
    shouldRun(key, ttlMs) {
      const now = clock();
      prune.run(new Date(now.getTime() - 86_400_000).toISOString());
      return claim.run({ name: key, holder, until: new Date(now.getTime() + ttlMs).toISOString(), now: now.toISOString() }).changes === 1;
    },
  };
}
