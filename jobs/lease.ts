/**
 * node-cron's run coordinator over the store's lease port, for any adapter: of the processes (or
 * replicas) that reach the same firing — key = task name and slot — the first to claim its lease
 * runs it and the others skip it. On PostgreSQL the claim is one conditional upsert, so replicas
 * on other hosts are coordinated as processes on one host are with SQLite.
 */
import type { RunCoordinator } from 'node-cron';
import type { Clock } from '../core/clock.js';
import type { LeasePort } from '../store/ports.js';

/** How long expired leases are kept before they are pruned (they only matter until they expire). */
const KEEP_EXPIRED_MS = 86_400_000;

/** Creates a coordinator whose claims are lease rows held by `holder`; `clock` is the scheduler's. */
export function leaseCoordinator(leases: LeasePort, holder: string, clock: Clock): RunCoordinator {
  return {
    async shouldRun(key, ttlMs) {
      const now = clock();
      await leases.prune(new Date(now.getTime() - KEEP_EXPIRED_MS));
      return leases.claim(key, holder, new Date(now.getTime() + ttlMs), now);
    },
  };
}
