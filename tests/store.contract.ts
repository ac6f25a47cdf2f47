/**
 * The contract every store adapter keeps (issue 13): the unit of work and the ports' guarantees the
 * program leans on. `storeContract` runs it against one adapter; `tests/store.contract.test.ts`
 * runs it on SQLite, and a PostgreSQL adapter runs the same suite with its own `open`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS } from '../core/domain.js';
import { createLedger } from '../jobs/ledger.js';
import { runReminders } from '../jobs/reminders.js';
import type { NewCase, Store } from '../store/ports.js';
import { portsContract } from './store.contract.ports.js';

const NOW = new Date('2026-11-23T01:00:00Z');
const tick = () => new Promise((r) => setTimeout(r, 1));
const msg = (key: string) => ({ dedupeKey: key, channel: 'web', chatId: 'c', kind: 'reply' as const, text: key });

/** A case as the service would insert it. */
export function newCase(ticket: string, over: Partial<NewCase> = {}): NewCase {
  return {
    ticket,
    channel: 'web',
    userId: 'u1',
    chatId: 'u1',
    category: 'livestock',
    town: '先锋镇',
    address: null,
    lat: null,
    lon: null,
    description: '养殖场往河里排粪水',
    since: null,
    anonymous: true,
    phone: null,
    unit: '区农业农村委',
    status: STATUS.submitted,
    createdAt: NOW.toISOString(),
    acceptDue: new Date(NOW.getTime() + 86_400_000).toISOString(),
    photos: ['p1', 'p2'],
    sourceKey: null,
    ...over,
  };
}

/** Runs the contract against stores made by `open` (a fresh, empty, migrated store each time). */
export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store | null = null;
    const fresh = async () => {
      store = await open();
      return store;
    };
    afterEach(async () => {
      await store?.close();
      store = null;
    });

    it('commits a unit of work, and rolls all of it back when it throws', async () => {
      const s = await fresh();
      await s.transaction(async (tx) => {
        await tx.outbox.enqueue(msg('a'), NOW);
        await tick();
        await tx.outbox.enqueue(msg('b'), NOW);
      });
      await expect(
        s.transaction(async (tx) => {
          await tx.outbox.enqueue(msg('c'), NOW);
          await tick();
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect((await s.outbox.list()).map((m) => m.text)).toEqual(['a', 'b']);
    });

    it('keeps concurrent units of work apart: each sees its own writes, a failed one leaves nothing', async () => {
      const s = await fresh();
      const run = (name: string, fail: boolean) =>
        s.transaction(async (tx) => {
          await tx.outbox.enqueue(msg(`${name}1`), NOW);
          await tick();
          expect((await tx.outbox.byKeyPrefix(name)).map((m) => m.text)).toEqual([`${name}1`]);
          await tx.outbox.enqueue(msg(`${name}2`), NOW);
          if (fail) throw new Error(name);
        });
      const results = await Promise.allSettled([run('x', true), run('y', false), run('z', true)]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
      expect((await s.outbox.list()).map((m) => m.text).sort()).toEqual(['y1', 'y2']);
    });

    it('makes an inner unit of work a savepoint; the store’s own ports join the one in progress', async () => {
      const s = await fresh();
      await s.transaction(async (tx) => {
        await tx.outbox.enqueue(msg('outer'), NOW);
        await s
          .transaction(async (inner) => {
            await inner.outbox.enqueue(msg('inner'), NOW);
            throw new Error('inner');
          })
          .catch(() => {});
        await s.outbox.enqueue(msg('after'), NOW);
        expect(s.inTransaction()).toBe(true);
      });
      expect((await s.outbox.list()).map((m) => m.text)).toEqual(['outer', 'after']);
      expect(s.inTransaction()).toBe(false);
    });

    it('rolls back a dry run and returns what it read', async () => {
      const s = await fresh();
      const n = await s.transaction(
        async (tx) => {
          await tx.outbox.enqueue(msg('dry'), NOW);
          return (await tx.outbox.list()).length;
        },
        { rollback: true },
      );
      expect(n).toBe(1);
      expect(await s.outbox.list()).toEqual([]);
    });

    it('never lets a write from outside land in a unit of work that then fails', async () => {
      const s = await fresh();
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const tx = s.transaction(async (t) => {
        await t.outbox.enqueue(msg('in'), NOW);
        await gate;
        throw new Error('rolled back');
      });
      await tick();
      const outside = s.outbox.enqueue(msg('out'), NOW);
      release();
      await expect(tx).rejects.toThrow('rolled back');
      expect(await outside).toBe(true);
      expect((await s.outbox.list()).map((m) => m.text)).toEqual(['out']);
    });

    it('keeps ticket numbers unique and finds a case by ticket, source key and user', async () => {
      const s = await fresh();
      const c = await s.cases.insert(newCase('JJ-20261123-AAAAA', { sourceKey: 'web:m1' }));
      expect(c).toMatchObject({ ticket: 'JJ-20261123-AAAAA', status: STATUS.submitted, photos: ['p1', 'p2'], anonymous: true });
      expect(await s.cases.hasTicket('JJ-20261123-AAAAA')).toBe(true);
      expect(await s.cases.hasTicket('JJ-20261123-BBBBB')).toBe(false);
      await expect(s.cases.insert(newCase('JJ-20261123-AAAAA'))).rejects.toThrow();
      expect((await s.cases.bySourceKey('web:m1'))?.id).toBe(c.id);
      expect((await s.cases.forUser('web', 'u1', 5)).map((x) => x.ticket)).toEqual(['JJ-20261123-AAAAA']);
      await s.cases.update(c.id, { status: STATUS.accepted }, NOW);
      expect((await s.cases.byTicket(c.ticket))?.status).toBe(STATUS.accepted);
      expect(await s.cases.unitsWithCasesNotIn([STATUS.accepted])).toEqual([]);
      expect(await s.cases.unitsWithCasesNotIn([STATUS.done])).toEqual(['区农业农村委']);
    });

    it('records an inbound message id once per channel, user and chat', async () => {
      const s = await fresh();
      expect(await s.inbound.firstSeen('web', 'u1', 'c1', 'm1', NOW)).toBe(true);
      expect(await s.inbound.firstSeen('web', 'u1', 'c1', 'm1', NOW)).toBe(false);
      expect(await s.inbound.firstSeen('web', 'u2', 'c1', 'm1', NOW)).toBe(true);
    });

    it('enqueues an owed message once per dedupe key and lists one inbound message’s replies in order', async () => {
      const s = await fresh();
      expect(await s.outbox.enqueue(msg('reply:k:000'), NOW)).toBe(true);
      expect(await s.outbox.enqueue(msg('reply:k:000'), NOW)).toBe(false);
      await s.outbox.enqueue(msg('reply:k:001'), NOW);
      await s.outbox.enqueue(msg('reply:kk:000'), NOW);
      expect((await s.outbox.byKeyPrefix('reply:k:')).map((m) => m.dedupeKey)).toEqual(['reply:k:000', 'reply:k:001']);
      expect(await s.outbox.pendingCount()).toBe(3);
      const [first] = await s.outbox.due(NOW, 10, ['web']);
      await s.outbox.markSent(first?.id as number, NOW);
      expect(await s.outbox.pendingCount()).toBe(2);
      // A message for no chat is kept for its unit.
      await s.outbox.enqueue({ dedupeKey: 'held', channel: null, chatId: null, unit: '区水务局', kind: 'unit', text: 'x' }, NOW);
      expect(await s.outbox.heldUnits()).toEqual(['区水务局']);
    });

    it('keeps a dialog state, its raw JSON, and clears it', async () => {
      const s = await fresh();
      await s.dialogs.put('web', 'u1', 'c1', { flow: 'idle', lang: 'en' }, NOW);
      expect(await s.dialogs.get('web', 'u1')).toEqual({ flow: 'idle', lang: 'en' });
      expect(await s.dialogs.raw('web', 'u1')).toMatchObject({ v: 1, state: { flow: 'idle' } });
      await s.dialogs.clear('web', 'u1');
      expect(await s.dialogs.get('web', 'u1')).toBeNull();
      expect(await s.dialogs.raw('web', 'u1')).toBeUndefined();
    });

    it('redeems an invite code once', async () => {
      const s = await fresh();
      const code = await s.people.invite('official', '区水务局', NOW);
      expect(await s.people.redeem(code, 'web', 'o1', '张三', NOW)).toMatchObject({ role: 'official', unit: '区水务局' });
      expect(await s.people.redeem(code, 'web', 'o2', '李四', NOW)).toBeNull();
      expect((await s.people.identity('web', 'o1')).role).toBe('official');
      expect((await s.people.identity('web', 'nobody')).role).toBe('citizen');
      expect(await s.people.targets('区水务局')).toEqual([{ channel: 'web', chatId: 'o1' }]);
    });

    it('takes a rate limit inside its window only', async () => {
      const s = await fresh();
      const hour = 3600_000;
      expect(await s.limits.take('b', 'k', NOW, hour, 2)).toBe(true);
      expect(await s.limits.take('b', 'k', NOW, hour, 2)).toBe(true);
      expect(await s.limits.take('b', 'k', NOW, hour, 2)).toBe(false);
      expect(await s.limits.take('b', 'k', new Date(NOW.getTime() + hour + 1), hour, 2)).toBe(true);
    });

    it('gives a lease to one holder until it expires', async () => {
      const s = await fresh();
      const until = new Date(NOW.getTime() + 60_000);
      expect(await s.leases.claim('reminders:1', 'a', until, NOW)).toBe(true);
      expect(await s.leases.claim('reminders:1', 'b', until, NOW)).toBe(false);
      expect(await s.leases.claim('reminders:1', 'b', new Date(until.getTime() + 60_000), new Date(until.getTime() + 1))).toBe(true);
    });

    it('remembers the reminders decided', async () => {
      const s = await fresh();
      const { id } = await s.milestones.add({ title: '完成某项整改任务', dueDate: '2026-12-31', unit: '区水务局' }, 'test', NOW);
      expect(await s.reminders.has(id, '区水务局', 'lead', 'lead-7')).toBe(false);
      await s.reminders.record(id, '区水务局', 'lead', 'lead-7', NOW);
      await s.reminders.record(id, '区水务局', 'result-request', 'w2026-11-23', NOW);
      await s.reminders.record(id, '区水务局', 'escalation', 'once', NOW);
      expect(await s.reminders.has(id, '区水务局', 'lead', 'lead-7')).toBe(true);
      expect(await s.reminders.requests(id, '区水务局')).toEqual({ count: 1, last: 'w2026-11-23' });
      expect(await s.reminders.escalations()).toEqual([{ milestoneId: id, unit: '区水务局' }]);
    });

    it('decides one set of reminders when the job runs on the store several times at once', async () => {
      const s = await fresh();
      // Past due on a working day: a result request for each milestone and unit, one message per unit.
      const units = ['区水务局', '区农业农村委', '区生态环境局', '区住房城乡建委', '区规划自然资源局'];
      for (let i = 0; i < 12; i++) {
        await s.milestones.add(
          { title: `完成第${i + 1}项整改任务`, dueDate: '2026-06-30', unit: units[i % units.length] as string },
          'test',
          NOW,
        );
      }
      const opts = { leadDays: [30, 7, 1], calendar: { holidays: [], workdays: [] }, resultRequestWeeks: 4 };
      const base = { store: s, ledger: createLedger(s), outbox: s.outbox, people: s.people, documentTitle: (id: string) => id };
      // Called directly, not through the scheduler's lease, as three replicas' jobs at one moment.
      // The worst interleaving is forced: the second run reads part of the log before the first
      // commits and the rest after, so unserialised it would decide a smaller batch of its own. A
      // store that serialises the runs makes the second wait before it reads (it says so through
      // `serialise`, or cannot begin at all while the first is open: then the first goes on after a
      // second).
      let secondRead = () => {};
      const secondReadOrWaits = new Promise<void>((resolve) => {
        secondRead = resolve;
        setTimeout(resolve, 1000);
      });
      let firstGate = true;
      const first = runReminders(
        {
          ...base,
          log: {
            ...s.reminders,
            async record(...a: Parameters<typeof s.reminders.record>) {
              if (firstGate) {
                firstGate = false;
                await secondReadOrWaits;
              }
              return s.reminders.record(...a);
            },
          },
        },
        NOW,
        opts,
      );
      const firstDone = first.then(
        () => {},
        () => {},
      );
      let secondGate = true;
      const second = runReminders(
        {
          ...base,
          log: {
            ...s.reminders,
            async serialise(firing: string) {
              secondRead();
              return s.reminders.serialise(firing);
            },
            async has(...a: Parameters<typeof s.reminders.has>) {
              const r = await s.reminders.has(...a);
              if (a[2] === 'result-request' && secondGate) {
                secondGate = false;
                secondRead();
                await firstDone;
              }
              return r;
            },
          },
        },
        NOW,
        opts,
      );
      const third = runReminders({ ...base, log: s.reminders }, NOW, opts);
      const runs = await Promise.all([first, second, third]);
      expect(runs.map((r) => r.length).sort()).toEqual([0, 0, units.length]);
      const rows = (await s.outbox.list()).filter((m) => m.kind === 'reminder');
      expect(rows.map((m) => m.unit).sort()).toEqual([...units].sort());
      expect(await runReminders({ ...base, log: s.reminders }, NOW, opts)).toEqual([]);
    });

    it('answers its health probe', async () => {
      const s = await fresh();
      await s.health.probe(NOW);
      expect(await s.health.schemaVersion()).toBeGreaterThan(0);
    });

    it('holds the imported corpus: files replaced and the version bumped together, or neither', async () => {
      const s = await fresh();
      expect(await s.corpus.version()).toBe(0);
      expect(await s.corpus.read()).toBeNull();
      expect(await s.transaction((tx) => tx.corpus.publish({ 'manifest.json': '{}', 'a.txt': 'A' }, 'h1', NOW))).toBe(1);
      const later = new Date(NOW.getTime() + 1000);
      expect(await s.transaction((tx) => tx.corpus.publish({ 'manifest.json': '{"x":1}', 'b.txt': '乙' }, 'h2', later))).toBe(2);
      await expect(
        s.transaction(async (tx) => {
          await tx.corpus.publish({ 'manifest.json': 'lost' }, 'h3', later);
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(await s.corpus.version()).toBe(2);
      expect(await s.corpus.read()).toEqual({
        version: 2,
        hash: 'h2',
        updatedAt: later,
        files: { 'b.txt': '乙', 'manifest.json': '{"x":1}' },
      });
    });

    // Every port's values, orders and once-only operations, exactly alike on every adapter.
    portsContract(name, open);
  });
}
