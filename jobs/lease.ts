/**
 * A lease in the store: node-cron's run coordinator for several processes on one store. The first
 * process to claim a firing (key = task name and slot) runs it; the others skip it.
 */
import type { RunCoordinator } from 'node-cron';
import type { LeasePort } from '../store/ports.js';

/** Creates a coordinator whose claims live in the store's leases. */
export function leaseCoordinator(leases: LeasePort, holder: string, clock: () => Date = () => new Date()): RunCoordinator {
  return {
    async shouldRun(key, ttlMs) {
      const now = clock();
      await leases.prune(new Date(now.getTime() - 86_400_000));
      return leases.claim(key, holder, new Date(now.getTime() + ttlMs), now);
    },
  };
}
