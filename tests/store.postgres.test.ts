/**
 * The PostgreSQL adapter: the store contract, and what several replicas on one database must never
 * do — handle a message twice, send an outbox row twice, fire a reminder twice, share a ticket.
 */
import { describe, expect, it } from 'vitest';
import { readState } from '../bot/dialog/state.js';
import { leaseCoordinator } from '../jobs/lease.js';
import { openStore, storeConfigOf } from '../store/open.js';
import { PG_TABLES } from '../store/postgres/migrations.js';
import { openPgStore, type PgStore } from '../store/postgres/store.js';
import { storeContract } from './store.contract.js';
import { newCase } from './store.contract.ports.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

const T0 = new Date('2026-11-22T01:00:00.000Z');

describe.skipIf(pgSkipReason !== null)('PostgreSQL adapter', () => {
  const server = usePostgres();
  // One database for the contract, emptied before each test (creating a database per test is slower).
  let contractDb: string | null = null;
  storeContract('postgres', async () => {
    contractDb ??= await server.freshDatabase();
    const s = await openPgStore(contractDb, { maxConnections: 4, readState });
    await s.db.pool.query(`TRUNCATE ${PG_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
    return s;
  });

  describe('replicas on one database', () => {
    /** `n` stores (as n processes would hold) on one new database. */
    async function replicas(n: number): Promise<PgStore[]> {
      const url = await server.freshDatabase();
      const first = await openPgStore(url, { maxConnections: 4 });
      const rest = await Promise.all(Array.from({ length: n - 1 }, () => openPgStore(url, { maxConnections: 4 })));
      return [first, ...rest];
    }
    const closeAll = (stores: PgStore[]) => Promise.all(stores.map((s) => s.close()));

    it('hands each due outbox message to one dispatcher (FOR UPDATE SKIP LOCKED), again only after its claim lapses', async () => {
      const stores = await replicas(3);
      try {
        const [a] = stores as [PgStore];
        for (let i = 0; i < 300; i++) await a.outbox.enqueue({ channel: 'telegram', chatId: `c${i % 7}`, kind: 'unit', text: `m${i}` }, T0);
        const taken = new Map<number, number>();
        await Promise.all(
          stores.map(async (s) => {
            for (;;) {
              const batch = await s.outbox.due(T0, 25, ['telegram']);
              if (batch.length === 0) return;
              for (const m of batch) {
                taken.set(m.id, (taken.get(m.id) ?? 0) + 1);
                await s.outbox.markSent(m.id, T0);
              }
            }
          }),
        );
        expect(taken.size).toBe(300);
        expect([...taken.values()].every((n) => n === 1)).toBe(true);
        expect(await a.outbox.pendingCount()).toBe(0);
        // A dispatcher that took messages and died: the others get them once its claim has lapsed.
        await a.outbox.enqueue({ channel: 'telegram', chatId: 'c1', kind: 'unit', text: 'orphan' }, T0);
        expect((await a.outbox.due(T0, 10, ['telegram'])).map((m) => m.text)).toEqual(['orphan']);
        expect(await (stores[1] as PgStore).outbox.due(new Date(T0.getTime() + 30_000), 10, ['telegram'])).toEqual([]);
        expect((await (stores[1] as PgStore).outbox.due(new Date(T0.getTime() + 61_000), 10, ['telegram'])).map((m) => m.text)).toEqual([
          'orphan',
        ]);
      } finally {
        await closeAll(stores);
      }
    });

    it('lets one replica claim a firing, handle an inbound message, and keeps tickets unique', async () => {
      const stores = await replicas(3);
      try {
        const claims = await Promise.all(
          stores.flatMap((s, i) =>
            Array.from({ length: 5 }, () => s.leases.claim('reminders:slot', `r${i}`, new Date(T0.getTime() + 60_000), T0)),
          ),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        // The same message delivered to every replica at once, each handling it in a transaction.
        const handled = await Promise.all(
          stores.map((s, i) =>
            s.transaction(async (tx) => {
              if (!(await tx.inbound.firstSeen('telegram', 'u1', 'c1', '42', T0))) return false;
              await tx.outbox.enqueue({ dedupeKey: `reply:42:${i}`, channel: 'telegram', chatId: 'c1', kind: 'reply', text: `r${i}` }, T0);
              return true;
            }),
          ),
        );
        expect(handled.filter(Boolean)).toHaveLength(1);
        expect(await (stores[0] as PgStore).outbox.list({ kind: 'reply' })).toHaveLength(1);
        // Every replica files cases, drawing tickets from a small space: clashes are retried, none is shared.
        let n = 0;
        const draw = () => `JJ-${(n++ * 7919) % 40}`;
        const filed = await Promise.all(
          stores.flatMap((s) =>
            Array.from({ length: 10 }, (_, i) =>
              s.transaction(async (tx) => {
                let t = draw();
                while (await tx.cases.hasTicket(t)) t = draw();
                return (await tx.cases.insert(newCase(t, { userId: `u${i}` }))).ticket;
              }),
            ),
          ),
        );
        expect(new Set(filed).size).toBe(30);
      } finally {
        await closeAll(stores);
      }
    });

    it('runs each scheduled firing on one replica (the lease coordinator node-cron asks)', async () => {
      const stores = await replicas(3);
      try {
        const clock = () => T0;
        const coordinators = stores.map((s, i) => leaseCoordinator(s.leases, `replica-${i}`, clock));
        for (const slot of ['reminders:2026-11-22T09:00', 'digest:2026-11-23T09:00', 'reminders:2026-11-23T09:00']) {
          const ran = await Promise.all(coordinators.map((c) => c.shouldRun(slot, 5 * 60_000)));
          expect(ran.filter(Boolean)).toHaveLength(1);
        }
      } finally {
        await closeAll(stores);
      }
    });

    it('holds a rate limit across replicas', async () => {
      const stores = await replicas(3);
      try {
        const took = await Promise.all(
          stores.flatMap((s) => Array.from({ length: 10 }, () => s.limits.take('reports', 'telegram:u1', T0, 3_600_000, 5))),
        );
        expect(took.filter(Boolean)).toHaveLength(5);
      } finally {
        await closeAll(stores);
      }
    });

    it('synchronises milestones once when replicas start together', async () => {
      const stores = await replicas(3);
      try {
        const { milestone } = await import('./store.contract.ports.js');
        const list = [milestone('1'), milestone('2'), milestone('3')];
        const added = await Promise.all(stores.map((s) => s.milestones.sync(list, T0)));
        expect(added.reduce((a, b) => a + b, 0)).toBe(3);
        expect((await (stores[0] as PgStore).milestones.list()).length).toBe(3);
      } finally {
        await closeAll(stores);
      }
    });

    it('is what openStore opens for a postgres:// DATABASE_URL', async () => {
      const url = await server.freshDatabase();
      const config = storeConfigOf({ DATABASE_PATH: './data/x.db', DATABASE_URL: url });
      expect(config).toEqual({ kind: 'postgres', url });
      const s = await openStore(config);
      try {
        expect(s.kind).toBe('postgres');
        await s.knownUnits.add('区林业局', 'admin', T0);
        expect(await s.knownUnits.names()).toEqual(['区林业局']);
      } finally {
        await s.close();
      }
    });

    it('refuses a file backup and says what to use instead', async () => {
      const [s] = await replicas(1);
      try {
        await expect((s as PgStore).backup('/tmp/x.db')).rejects.toThrow(/pg_dump/);
      } finally {
        await (s as PgStore).close();
      }
    });
  });
});
