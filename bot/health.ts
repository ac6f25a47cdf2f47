/**
 * /healthz: the store answers and takes writes, the data disk has room, and no write failed lately.
 * Anything else is reported as degraded (HTTP 503), so a monitor sees a full disk before the
 * citizens do.
 */
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import { freeBytes as diskFree } from '../core/disk.js';
import { isBusy, isWriteFailure } from '../store/db.js';
import type { HealthPort } from '../store/ports.js';

/** How long a failed write keeps /healthz degraded. */
export const WRITE_FAILURE_MEMORY_MS = 5 * 60_000;

/** The health of the store and the disk. */
export function createHealth(o: {
  health: HealthPort;
  dbPath: string;
  minFreeBytes: number;
  freeBytes?: (path: string) => number | null;
  /** The time of each report and failure (the composition root passes the system clock). */
  clock: Clock;
}) {
  const clock = o.clock;
  const free = o.freeBytes ?? diskFree;
  let lastFailure: { at: number; message: string } | null = null;
  let probe: { at: number; error: string | null } = { at: 0, error: null };

  return {
    /** Notes an error of the store (a failed write degrades /healthz for a while). */
    noteStoreError(e: unknown): void {
      if (isWriteFailure(e)) lastFailure = { at: clock().getTime(), message: e instanceof Error ? e.message : String(e) };
    },
    /** The store's part of /healthz. */
    async report(): Promise<{ ok: boolean; status: 'ok' | 'degraded'; problems: string[]; schema: number | null; freeMB: number | null }> {
      const now = clock().getTime();
      const problems: string[] = [];
      let schema: number | null = null;
      try {
        schema = await o.health.schemaVersion();
      } catch (e) {
        problems.push(`store: ${e instanceof Error ? e.message : String(e)}`);
      }
      // A real write, at most every two seconds (an unauthenticated caller cannot make it write more).
      if (now - probe.at > 2000) {
        try {
          await o.health.probe(new Date(now));
          probe = { at: now, error: null };
        } catch (e) {
          probe = { at: now, error: isBusy(e) ? null : e instanceof Error ? e.message : String(e) };
        }
      }
      if (probe.error) problems.push(`store write failed: ${probe.error}`);
      if (lastFailure && now - lastFailure.at < WRITE_FAILURE_MEMORY_MS) problems.push(`a write failed recently: ${lastFailure.message}`);
      const bytes = o.dbPath === ':memory:' ? null : free(dirname(o.dbPath));
      if (bytes !== null && bytes < o.minFreeBytes) problems.push(`disk nearly full: ${Math.round(bytes / 1048576)} MB free`);
      return {
        ok: problems.length === 0,
        status: problems.length ? 'degraded' : 'ok',
        problems,
        schema,
        freeMB: bytes === null ? null : Math.round(bytes / 1048576),
      };
    },
  };
}
