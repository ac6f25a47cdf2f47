/**
 * The store contract, port by port: what each port of `store/ports.ts` returns, exactly, on every
 * adapter (values, orders, once-only operations). `tests/store.contract.ts` runs it as part of
 * `storeContract`, beside the unit of work's guarantees; `open` gives a fresh, empty store per test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { leaseCoordinator } from '../jobs/lease.js';
import type { Milestone } from '../knowledge/mod.js';
import type { NewCase, Store } from '../store/ports.js';

const T0 = new Date('2026-11-22T01:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** A new case as the case service would file it. */
export function newCase(ticket: string, over: Partial<NewCase> = {}): NewCase {
  return {
    ticket,
    channel: 'telegram',
    userId: 'u1',
    chatId: 'c1',
    category: '畜禽养殖污染',
    town: '先锋镇',
    address: '某村3组',
    lat: 29.1,
    lon: 106.2,
    description: '养殖场污水直排河沟',
    since: '上周',
    anonymous: false,
    phone: '13800000000',
    unit: '区农业农村委',
    status: '待受理',
    createdAt: T0.toISOString(),
    acceptDue: at(15 * 1440).toISOString(),
    photos: [],
    sourceKey: null,
    ...over,
  };
}

/** A milestone as the parser produces it. */
export function milestone(key: string, over: Partial<Milestone> = {}): Milestone {
  return {
    key,
    title: `目标${key}（2025）`,
    text: `到2025年，目标${key}达到80%以上。`,
    year: 2025,
    dueDate: '2025-12-31',
    dueLabel: '到2025年',
    unit: '区农业农村委',
    document: 'records',
    locator: `第${key}行`,
    sources: [{ document: 'records', locator: `第${key}行`, text: `目标${key}`, body: '区农业农村委', task: `第${key}行` }],
    target: null,
    outcome: 'unreported',
    evidence: null,
    unitSeeds: [],
    aliases: [],
    ...over,
  };
}

/** Registers the per-port part of the contract for one adapter. */
export function portsContract(name: string, open: () => Promise<Store>): void {
  describe(`ports: ${name}`, () => {
    const opened: Store[] = [];
    const fresh = async () => {
      const s = await open();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describe('unit of work', () => {
      it('commits when the function resolves and rolls back when it throws', async () => {
        const s = await fresh();
        await s.transaction(async (tx) => {
          await tx.contacts.set({ unit: '甲', name: '张三', phone: '1', hours: null, note: null }, T0);
        });
        await expect(
          s.transaction(async (tx) => {
            await tx.contacts.set({ unit: '乙', name: '李四', phone: '2', hours: null, note: null }, T0);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect((await s.contacts.list()).map((c) => c.unit)).toEqual(['甲']);
        expect(s.inTransaction()).toBe(false);
      });

      it('runs the store’s own ports inside the transaction, and a nested one as a savepoint', async () => {
        const s = await fresh();
        const r = await s.transaction(async () => {
          expect(s.inTransaction()).toBe(true);
          await s.knownUnits.add('外层', 'admin', T0);
          await expect(
            s.transaction(async (tx) => {
              await tx.knownUnits.add('内层', 'admin', T0);
              throw new Error('inner');
            }),
          ).rejects.toThrow('inner');
          await s.transaction(async (tx) => tx.knownUnits.add('内层二', 'admin', T0));
          return s.knownUnits.names();
        });
        expect(r).toEqual(['内层二', '外层'].sort());
        expect((await s.knownUnits.names()).sort()).toEqual(['内层二', '外层'].sort());
      });

      it('takes ports called concurrently inside one transaction', async () => {
        const s = await fresh();
        const names = await s.transaction(async (tx) => {
          await Promise.all(Array.from({ length: 20 }, (_, i) => tx.knownUnits.add(`单位${String(i).padStart(2, '0')}`, 'admin', T0)));
          const [n, v] = await Promise.all([tx.knownUnits.names(), tx.health.schemaVersion()]);
          expect(v).toBeGreaterThan(0);
          return n;
        });
        expect(names).toHaveLength(20);
        expect(await s.knownUnits.names()).toEqual(names);
      });

      it('always rolls back a dry run, returning what it read', async () => {
        const s = await fresh();
        const seen = await s.transaction(
          async (tx) => {
            await tx.knownUnits.add('试运行', 'admin', T0);
            return tx.knownUnits.names();
          },
          { rollback: true },
        );
        expect(seen).toEqual(['试运行']);
        expect(await s.knownUnits.names()).toEqual([]);
      });

      it('handles an inbound message once: its seen-record and outbox rows commit together', async () => {
        const s = await fresh();
        const handle = (text: string) =>
          s.transaction(async (tx) => {
            if (!(await tx.inbound.firstSeen('telegram', 'u1', 'c1', 'm1', T0))) return false;
            await tx.outbox.enqueue({ dedupeKey: 'reply:telegram:m1:0', channel: 'telegram', chatId: 'c1', kind: 'reply', text }, T0);
            if (text === 'fail') throw new Error('crash before commit');
            return true;
          });
        await expect(handle('fail')).rejects.toThrow();
        expect(await s.outbox.list()).toEqual([]);
        expect(await handle('好的')).toBe(true);
        expect(await handle('again')).toBe(false);
        expect((await s.outbox.list()).map((m) => m.text)).toEqual(['好的']);
      });
    });

    describe('cases', () => {
      it('stores a case with its photos in order and reads it back by ticket, id and source key', async () => {
        const s = await fresh();
        const c = await s.cases.insert(newCase('JJ-20261122-0001', { photos: ['p2', 'p1', 'p3'], sourceKey: 'open311:1' }));
        expect(c).toMatchObject({
          ticket: 'JJ-20261122-0001',
          anonymous: false,
          lat: 29.1,
          photos: ['p2', 'p1', 'p3'],
          createdAt: T0.toISOString(),
          updatedAt: T0.toISOString(),
          completeDue: null,
          duplicateOf: null,
        });
        expect(await s.cases.byTicket(c.ticket)).toEqual(c);
        expect(await s.cases.byId(c.id)).toEqual(c);
        expect(await s.cases.bySourceKey('open311:1')).toEqual(c);
        expect(await s.cases.byTicket('JJ-none')).toBeNull();
        expect(await s.cases.hasTicket(c.ticket)).toBe(true);
        expect(await s.cases.hasTicket('JJ-none')).toBe(false);
      });

      it('keeps ticket numbers unique', async () => {
        const s = await fresh();
        await s.cases.insert(newCase('JJ-1'));
        await expect(s.cases.insert(newCase('JJ-1', { userId: 'u2' }))).rejects.toThrow();
        expect((await s.cases.list({})).length).toBe(1);
      });

      it('updates fields (a duplicate named by ticket), records events, lists by filters', async () => {
        const s = await fresh();
        const a = await s.cases.insert(newCase('JJ-A', { createdAt: at(0).toISOString() }));
        const b = await s.cases.insert(newCase('JJ-B', { createdAt: at(1).toISOString(), town: '白沙镇', category: '秸秆焚烧' }));
        await s.cases.update(b.id, { status: '重复', duplicateOf: 'JJ-A', closedAt: at(5).toISOString() }, at(5));
        const b2 = await s.cases.byId(b.id);
        expect(b2).toMatchObject({ status: '重复', duplicateOf: 'JJ-A', closedAt: at(5).toISOString(), updatedAt: at(5).toISOString() });
        await s.cases.addEvent(a.id, {
          at: at(2).toISOString(),
          actorRole: 'official',
          actor: 'x',
          fromStatus: '待受理',
          toStatus: '已受理',
          note: null,
        });
        await s.cases.addEvent(a.id, {
          at: at(3).toISOString(),
          actorRole: 'official',
          actor: 'x',
          fromStatus: '已受理',
          toStatus: '办理中',
          note: '到场',
        });
        expect((await s.cases.events(a.id)).map((e) => e.toStatus)).toEqual(['已受理', '办理中']);
        expect((await s.cases.events(a.id))[1]).toEqual({
          at: at(3).toISOString(),
          actorRole: 'official',
          actor: 'x',
          fromStatus: '已受理',
          toStatus: '办理中',
          note: '到场',
        });
        expect((await s.cases.list({})).map((c) => c.ticket)).toEqual(['JJ-A', 'JJ-B']);
        expect((await s.cases.list({ status: ['重复'] })).map((c) => c.ticket)).toEqual(['JJ-B']);
        expect((await s.cases.list({ town: '白沙镇', category: '秸秆焚烧' })).map((c) => c.ticket)).toEqual(['JJ-B']);
        expect((await s.cases.list({ from: at(1).toISOString() })).map((c) => c.ticket)).toEqual(['JJ-B']);
        expect((await s.cases.list({ to: at(1).toISOString() })).map((c) => c.ticket)).toEqual(['JJ-A']);
        expect((await s.cases.list({ limit: 1 })).map((c) => c.ticket)).toEqual(['JJ-A']);
        expect((await s.cases.forUser('telegram', 'u1', 10)).map((c) => c.ticket)).toEqual(['JJ-B', 'JJ-A']);
        expect(await s.cases.countSince('telegram', 'u1', at(1))).toBe(1);
        expect((await s.cases.near('畜禽养殖污染', 29.1, 106.2, 0.01, '2026-11-01')).map((c) => c.ticket)).toEqual(['JJ-A']);
        // "Of any age" is the epoch as an instant (what the duplicate search passes), on every adapter.
        expect((await s.cases.near('畜禽养殖污染', 29.1, 106.2, 0.01, new Date(0).toISOString())).map((c) => c.ticket)).toEqual(['JJ-A']);
        expect((await s.cases.inTown('白沙镇', '2026-11-01')).map((c) => c.ticket)).toEqual(['JJ-B']);
        expect(await s.cases.unitsWithCasesNotIn(['重复'])).toEqual(['区农业农村委']);
        expect(await s.cases.unitsWithCasesNotIn(['重复', '待受理'])).toEqual([]);
      });

      it('routes a category by 镇街, else by its default', async () => {
        const s = await fresh();
        await s.cases.setRoute('秸秆焚烧', null, '区生态环境局');
        await s.cases.setRoute('秸秆焚烧', '先锋镇', '先锋镇政府');
        await s.cases.setRoute('秸秆焚烧', '先锋镇', '先锋镇人民政府');
        expect(await s.cases.route('秸秆焚烧', '先锋镇')).toBe('先锋镇人民政府');
        expect(await s.cases.route('秸秆焚烧', '白沙镇')).toBe('区生态环境局');
        expect(await s.cases.route('其他', null)).toBeNull();
        expect(await s.cases.routes()).toEqual([
          { category: '秸秆焚烧', town: '*', unit: '区生态环境局' },
          { category: '秸秆焚烧', town: '先锋镇', unit: '先锋镇人民政府' },
        ]);
        expect(await s.cases.removeRoute('秸秆焚烧', '先锋镇')).toBe(1);
        expect(await s.cases.removeRoute('秸秆焚烧', '先锋镇')).toBe(0);
      });
    });

    describe('dialogs and inbound ids', () => {
      it('keeps a versioned state per identity, raw and read', async () => {
        const s = await fresh();
        expect(await s.dialogs.get('web', 'w1')).toBeNull();
        expect(await s.dialogs.raw('web', 'w1')).toBeUndefined();
        await s.dialogs.put('web', 'w1', 'w1', { step: 'desc', draft: { town: '先锋镇' } }, T0);
        expect(await s.dialogs.raw('web', 'w1')).toEqual({ v: 1, state: { step: 'desc', draft: { town: '先锋镇' } } });
        // What `get` makes of it is the reader's business (the store was opened with it); not absent.
        expect(await s.dialogs.raw('web', 'w2')).toBeUndefined();
        await s.dialogs.clear('web', 'w1');
        expect(await s.dialogs.raw('web', 'w1')).toBeUndefined();
        expect(await s.dialogs.get('web', 'w1')).toBeNull();
      });

      it('sees a message id once per channel, user and chat, and prunes old ones', async () => {
        const s = await fresh();
        expect(await s.inbound.firstSeen('telegram', 'u1', 'c1', '7', T0)).toBe(true);
        expect(await s.inbound.firstSeen('telegram', 'u1', 'c1', '7', T0)).toBe(false);
        expect(await s.inbound.firstSeen('telegram', 'u2', 'c1', '7', T0)).toBe(true);
        expect(await s.inbound.firstSeen('wecom', 'u1', 'c1', '7', at(10))).toBe(true);
        expect(await s.inbound.pruneSeen(at(5))).toBe(2);
      });
    });

    describe('people', () => {
      it('redeems an invite once, binds chats and lists where a unit is spoken to', async () => {
        const s = await fresh();
        expect(await s.people.identity('telegram', 'o1')).toEqual({
          channel: 'telegram',
          userId: 'o1',
          role: 'citizen',
          unit: null,
          name: null,
        });
        const code = await s.people.invite('official', '区农业农村委', T0);
        expect(code).toMatch(/^[2-9A-Z]{8}$/);
        expect(await s.people.redeem(code.toLowerCase(), 'telegram', 'o1', '王五', at(1))).toEqual({
          channel: 'telegram',
          userId: 'o1',
          role: 'official',
          unit: '区农业农村委',
          name: '王五',
        });
        expect(await s.people.redeem(code, 'telegram', 'o2', null, at(1))).toBeNull();
        const late = await s.people.invite('admin', null, T0);
        expect(await s.people.redeem(late, 'telegram', 'a1', null, at(8 * 1440))).toBeNull();
        await s.people.bind('web', 'wo-1', 'admin', null, '管理员', T0);
        await s.people.bindChat('区农业农村委', 'wecom-robot', 'default', 'admin', T0);
        await s.people.bindChat('区农业农村委', 'wecom-robot', 'default', 'admin', at(1));
        expect(await s.people.officials('区农业农村委')).toHaveLength(1);
        expect(await s.people.admins()).toEqual([{ channel: 'web', userId: 'wo-1', role: 'admin', unit: null, name: '管理员' }]);
        expect(await s.people.targets('区农业农村委')).toEqual([
          { channel: 'wecom-robot', chatId: 'default' },
          { channel: 'telegram', chatId: 'o1' },
        ]);
        expect(await s.people.adminTargets()).toEqual([{ channel: 'web', chatId: 'wo-1' }]);
        expect(await s.people.unitChats('区农业农村委')).toEqual([{ unit: '区农业农村委', channel: 'wecom-robot', chatId: 'default' }]);
        expect(await s.people.allUnitChats()).toHaveLength(1);
        expect((await s.people.list()).map((i) => i.userId)).toEqual(['wo-1', 'o1']);
        await s.people.forget('web', 'wo-1');
        expect(await s.people.admins()).toEqual([]);
      });
    });

    describe('outbox', () => {
      it('enqueues once per dedupe key, hands out due messages per channel and settles them', async () => {
        const s = await fresh();
        const choices = [[{ label: '是', value: 'yes' }], [{ label: '否', value: 'no' }]];
        expect(
          await s.outbox.enqueue(
            { dedupeKey: 'k1', channel: 'telegram', chatId: 'c1', kind: 'unit', text: '新举报', choices, photos: ['JJ-1#p'] },
            T0,
          ),
        ).toBe(true);
        expect(await s.outbox.enqueue({ dedupeKey: 'k1', channel: 'telegram', chatId: 'c1', kind: 'unit', text: '再次' }, T0)).toBe(false);
        await s.outbox.enqueue({ channel: 'wecom', chatId: 'c2', kind: 'citizen', text: '企业微信', requestLocation: true }, T0);
        await s.outbox.enqueue({ channel: 'telegram', chatId: 'c1', kind: 'reply', text: '稍后', notBefore: at(10) }, T0);
        await s.outbox.enqueue({ channel: 'web', chatId: 'w1', kind: 'reply', text: '已答', delivered: true }, T0);
        expect(await s.outbox.hasKey('k1')).toBe(true);
        expect(await s.outbox.hasKey('k2')).toBe(false);
        expect(await s.outbox.pendingCount()).toBe(3);
        const due = await s.outbox.due(at(1), 10, ['telegram']);
        expect(due.map((m) => m.text)).toEqual(['新举报']);
        expect(due[0]).toMatchObject({
          dedupeKey: 'k1',
          choices,
          photos: ['JJ-1#p'],
          requestLocation: false,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: T0.toISOString(),
          createdAt: T0.toISOString(),
          sentAt: null,
          unit: null,
        });
        await s.outbox.markSent((due[0] as { id: number }).id, at(1));
        const wecom = (await s.outbox.due(at(1), 10, ['wecom']))[0];
        expect(wecom?.requestLocation).toBe(true);
        await s.outbox.markFailed((wecom as { id: number }).id, 'HTTP 502', at(3));
        expect(await s.outbox.due(at(2), 10, ['wecom'])).toEqual([]);
        const again = (await s.outbox.due(at(3), 10, ['wecom']))[0];
        expect(again).toMatchObject({ attempts: 1, lastError: 'HTTP 502', nextAttemptAt: at(3).toISOString() });
        await s.outbox.markFailed((again as { id: number }).id, 'gone', null);
        expect((await s.outbox.list({ status: 'failed' })).map((m) => m.text)).toEqual(['企业微信']);
        expect((await s.outbox.list({ status: 'sent' })).map((m) => [m.text, m.sentAt])).toEqual([
          ['新举报', at(1).toISOString()],
          ['已答', T0.toISOString()],
        ]);
        expect((await s.outbox.list({ kind: 'reply' })).map((m) => m.text)).toEqual(['稍后', '已答']);
        expect((await s.outbox.due(at(11), 10, ['telegram'])).map((m) => m.text)).toEqual(['稍后']);
        expect(await s.outbox.pendingFor('telegram', 'c1', 10)).toHaveLength(1);
        expect(await s.outbox.pruneDeliveredReplies(at(1))).toBe(1);
      });

      it('finds the owed replies of one message by key prefix, byte-wise', async () => {
        const s = await fresh();
        for (const k of ['reply:telegram:u1:c1:9:0', 'reply:telegram:u1:c1:9:1', 'reply:telegram:u1:c1:90:0', 'reply:telegram:u1:c1:8:0'])
          await s.outbox.enqueue({ dedupeKey: k, channel: 'telegram', chatId: 'c1', kind: 'reply', text: k }, T0);
        expect((await s.outbox.byKeyPrefix('reply:telegram:u1:c1:9:')).map((m) => m.dedupeKey)).toEqual([
          'reply:telegram:u1:c1:9:0',
          'reply:telegram:u1:c1:9:1',
        ]);
      });

      it('keeps notices for a unit with no chat until they are released', async () => {
        const s = await fresh();
        await s.outbox.enqueue({ channel: null, chatId: null, unit: '区林业局', kind: 'unit', text: '新举报 JJ-1' }, T0);
        await s.outbox.enqueue({ channel: null, chatId: null, unit: '区林业局', kind: 'admin', text: '提醒' }, T0);
        expect(await s.outbox.heldUnits()).toEqual(['区林业局']);
        const held = await s.outbox.heldFor('区林业局');
        expect(held.map((m) => [m.text, m.status])).toEqual([['新举报 JJ-1', 'unroutable']]);
        await s.outbox.markReleased((held[0] as { id: number }).id, at(1));
        expect(await s.outbox.heldFor('区林业局')).toEqual([]);
        expect(await s.outbox.pendingCount()).toBe(0);
      });
    });

    describe('milestones, units and the ledger', () => {
      it('synchronises the documents’ milestones: added once, revised, done by evidence, retired when dropped', async () => {
        const s = await fresh();
        const evidence = { outcome: 'met' as const, document: 'records', locator: '第2行', text: '已完成', reason: '“已完成”', year: 2025 };
        expect(await s.milestones.sync([milestone('1'), milestone('2', { outcome: 'met', evidence })], T0)).toBe(2);
        expect(await s.milestones.sync([milestone('1'), milestone('2', { outcome: 'met', evidence })], at(1))).toBe(0);
        const two = await s.milestones.byKey('2');
        expect(two).toMatchObject({ status: 'done', outcome: 'met', evidence, dueDate: '2025-12-31', origin: 'corpus', assigned: [] });
        expect((await s.milestones.events((two as { id: number }).id)).map((e) => e.action)).toEqual(['imported', 'done']);
        await s.milestones.sync([milestone('1', { title: '新标题' })], at(2));
        expect((await s.milestones.byKey('1'))?.title).toBe('新标题');
        expect((await s.milestones.byKey('2'))?.status).toBe('cancelled');
        const one = (await s.milestones.byKey('1')) as { id: number };
        expect((await s.milestones.events(one.id)).map((e) => e.action)).toEqual(['imported', 'revised']);
      });

      it('merges a restatement stored under an alias, moving its updates and links', async () => {
        const s = await fresh();
        await s.milestones.sync([milestone('old'), milestone('old2')], T0);
        const old2 = (await s.milestones.byKey('old2')) as { id: number };
        const u = await s.ledger.addUpdate(
          { milestoneId: old2.id, date: '2026-11-20', unit: null, author: null, text: '进展', via: 'chat' },
          T0,
        );
        await s.milestones.sync([milestone('new', { aliases: ['old', 'old2'] })], at(1));
        const neu = (await s.milestones.byKey('new')) as { id: number };
        expect((await s.milestones.list()).map((m) => m.key)).toEqual(['new']);
        expect((await s.milestones.get(old2.id))?.mergedInto).toBe(neu.id);
        expect((await s.ledger.updates(neu.id)).map((x) => x.id)).toEqual([u.id]);
      });

      it('adds, assigns, snoozes and closes milestones with their history; lists by unit', async () => {
        const s = await fresh();
        const m = await s.milestones.add({ title: '清理河道', dueDate: '2026-12-31', unit: '区水利局' }, 'official:x', T0);
        expect(m).toMatchObject({ origin: 'official', status: 'open', dueLabel: '2026-12-31前', sources: [], outcome: null, text: null });
        await s.milestones.assign(m.id, '区农业农村委、区生态环境局', 'admin', at(1));
        expect((await s.milestones.get(m.id))?.assigned).toEqual(['区农业农村委', '区生态环境局']);
        expect((await s.milestones.list({ unit: '区生态环境局' })).map((x) => x.id)).toEqual([m.id]);
        expect((await s.milestones.list({ unit: '区水利局' })).map((x) => x.id)).toEqual([m.id]);
        expect(await s.milestones.list({ unit: '区' })).toEqual([]);
        await s.milestones.snooze(m.id, '2026-12-15', 'admin', at(2), '等验收');
        expect((await s.milestones.get(m.id))?.snoozedUntil).toBe('2026-12-15');
        await s.milestones.setStatus(m.id, 'done', 'official:x', '已完成', at(3));
        await s.milestones.setStatus(m.id, 'open', 'admin', null, at(4));
        await s.milestones.note(m.id, 'official:x', 'update', '进展', at(5));
        expect((await s.milestones.list({ status: 'open' })).length).toBe(1);
        expect((await s.milestones.events(m.id)).map((e) => [e.action, e.note])).toEqual([
          ['added', null],
          ['assigned', '区农业农村委、区生态环境局'],
          ['snoozed', '至 2026-12-15：等验收'],
          ['done', '已完成'],
          ['reopened', null],
          ['update', '进展'],
        ]);
      });

      it('maps bodies to units: seeded once, most specific stated level first, set and removed by administrators', async () => {
        const s = await fresh();
        const seeds = [
          { document: 'records', scope: '第2行', body: '江津区', unit: '区农业农村委', state: 'inferred' as const, reason: '措施' },
          { document: '*', scope: '*', body: '江津区', unit: '区生态环境局', state: 'stated' as const, reason: '文件' },
        ];
        expect(await s.units.seed(seeds, T0)).toBe(2);
        expect(await s.units.seed(seeds, T0)).toBe(0);
        expect((await s.units.lookup('records', '第2行', '江津区')).map((u) => u.unit)).toEqual(['区生态环境局']);
        const inferred = (await s.units.list({ state: 'inferred' }))[0] as { id: number };
        expect((await s.units.confirm(inferred.id, 'admin', at(1)))?.state).toBe('confirmed');
        expect((await s.units.lookup('records', '第2行', '江津区')).map((u) => u.unit)).toEqual(['区农业农村委']);
        const set = await s.units.set('江津区', ['区水利局', '区林业局'], { document: 'records' }, 'admin', at(2));
        expect(set.map((u) => [u.unit, u.state, u.updatedBy])).toEqual([
          ['区水利局', 'confirmed', 'admin'],
          ['区林业局', 'confirmed', 'admin'],
        ]);
        expect(await s.units.remove(inferred.id, 'admin', at(3))).toBe(true);
        expect((await s.units.lookup('records', '第2行', '江津区')).map((u) => u.unit)).toEqual(['区水利局', '区林业局']);
        expect((await s.units.list()).length).toBe(3);
        expect((await s.units.list({ all: true })).length).toBe(4);
        expect((await s.units.get(inferred.id))?.state).toBe('removed');
        expect(await s.units.confirm(inferred.id, 'admin', at(4))).toBeNull();
      });

      it('keeps dated updates and case links, and counts linked complaints', async () => {
        const s = await fresh();
        await s.milestones.sync([milestone('1'), milestone('2')], T0);
        const m1 = (await s.milestones.byKey('1')) as { id: number };
        const a = await s.ledger.addUpdate(
          { milestoneId: m1.id, date: '2026-11-01', unit: '区农业农村委', author: '王五', text: '已开工', via: 'chat' },
          T0,
        );
        const b = await s.ledger.addUpdate(
          { milestoneId: m1.id, date: '2026-11-20', unit: null, author: null, text: '过半', via: 'cli' },
          at(1),
        );
        expect(a).toEqual({
          id: a.id,
          milestoneId: '1',
          milestoneRowId: m1.id,
          date: '2026-11-01',
          unit: '区农业农村委',
          author: '王五',
          text: '已开工',
          via: 'chat',
          createdAt: T0.toISOString(),
        });
        expect((await s.ledger.updates(m1.id)).map((u) => u.id)).toEqual([b.id, a.id]);
        expect((await s.ledger.updatesSince(at(1))).map((u) => u.id)).toEqual([b.id]);
        expect((await s.ledger.allUpdates()).map((u) => u.text)).toEqual(['过半', '已开工']);
        const c1 = await s.cases.insert(newCase('JJ-1'));
        const c2 = await s.cases.insert(newCase('JJ-2', { status: '重复' }));
        const c3 = await s.cases.insert(newCase('JJ-3', { createdAt: at(60).toISOString() }));
        await s.ledger.setLink(c1.id, m1.id, 0.5, 'auto', T0);
        await s.ledger.setLink(c2.id, m1.id, 0.4, 'auto', T0);
        await s.ledger.setLink(c3.id, null, null, 'auto', T0);
        await s.ledger.setLink(c3.id, m1.id, null, 'official:x', at(1));
        expect(await s.ledger.link(c3.id)).toEqual({
          caseId: c3.id,
          milestoneId: m1.id,
          score: null,
          linkedBy: 'official:x',
          linkedAt: at(1).toISOString(),
        });
        expect(await s.ledger.link(9999)).toBeNull();
        expect([...(await s.ledger.linkCountsByKey())]).toEqual([['1', 2]]);
        expect([...(await s.ledger.linkCounts())]).toEqual([[m1.id, 2]]);
        expect([...(await s.ledger.linkCounts({ from: at(30), to: at(90) }))]).toEqual([[m1.id, 1]]);
      });
    });

    describe('the rest of the ports', () => {
      it('contacts: one per unit and name, listed, removed', async () => {
        const s = await fresh();
        const c = await s.contacts.set({ unit: '区农业农村委', name: '张三', phone: '023-1', hours: '工作日', note: null }, T0);
        expect(c).toEqual({
          id: c.id,
          unit: '区农业农村委',
          name: '张三',
          phone: '023-1',
          hours: '工作日',
          note: null,
          createdAt: T0.toISOString(),
          updatedAt: T0.toISOString(),
        });
        const c2 = await s.contacts.set({ unit: '区农业农村委', name: '张三', phone: '023-2', hours: null, note: '新' }, at(1));
        expect(c2).toMatchObject({ id: c.id, phone: '023-2', createdAt: T0.toISOString(), updatedAt: at(1).toISOString() });
        await s.contacts.set({ unit: '区农业农村委', name: '李四', phone: '023-3', hours: null, note: null }, T0);
        expect((await s.contacts.forUnit('区农业农村委')).length).toBe(2);
        expect(await s.contacts.remove('区农业农村委', '李四')).toBe(1);
        expect(await s.contacts.remove('区农业农村委')).toBe(1);
        expect(await s.contacts.list()).toEqual([]);
      });

      it('questions: answers logged and rated once per way, the queue counted, curated answers', async () => {
        const s = await fresh();
        const id = await s.questions.logAnswer(
          { channel: 'web', userId: 'w1', question: '问题？', norm: '问题', found: false, curatedId: null },
          T0,
        );
        expect(await s.questions.answer(id)).toEqual({
          id,
          channel: 'web',
          userId: 'w1',
          question: '问题？',
          norm: '问题',
          found: false,
          curatedId: null,
          at: T0.toISOString(),
        });
        expect(await s.questions.rate(id, 'web', 'w1', 'down', T0)).toBe(true);
        expect(await s.questions.rate(id, 'web', 'w1', 'down', T0)).toBe(false);
        expect(await s.questions.rate(id, 'web', 'w1', 'up', T0)).toBe(true);
        expect(await s.questions.ratings()).toEqual({ up: 1, down: 0 });
        await s.questions.enqueue({ norm: '问题', question: '问题？', lang: 'zh', reason: 'not_found' }, T0);
        await s.questions.enqueue({ norm: '问题', question: '问题吗？', lang: 'zh', reason: 'down' }, at(1));
        const [qq] = await s.questions.queue();
        expect(qq).toMatchObject({
          question: '问题吗？',
          notFound: 1,
          ratedDown: 1,
          firstAt: T0.toISOString(),
          lastAt: at(1).toISOString(),
          state: 'open',
        });
        await s.questions.setState((qq as { id: number }).id, 'answered', 'admin', at(2));
        await s.questions.enqueue({ norm: '问题', question: '问题？', lang: 'zh', reason: 'not_found' }, at(3));
        expect(await s.questions.counts()).toEqual({ open: 0, answered: 1, out_of_scope: 0, dismissed: 0 });
        expect((await s.questions.queue('all')).length).toBe(1);
        expect((await s.questions.get((qq as { id: number }).id))?.handledBy).toBe('admin');
        const cur = await s.questions.addCurated(
          { question: '问题？', norm: '问题', answer: '答案', unit: '区农业农村委', author: 'admin' },
          T0,
        );
        expect(await s.questions.curated()).toEqual([cur]);
      });

      it('API keys, sessions and one-time codes', async () => {
        const s = await fresh();
        const k = await s.apiKeys.insert('h1', '平台', T0);
        expect(await s.apiKeys.byHash('h1')).toEqual({ id: k, name: '平台' });
        expect(await s.apiKeys.revoke(k, at(1))).toBe(true);
        expect(await s.apiKeys.revoke(k, at(1))).toBe(false);
        expect(await s.apiKeys.byHash('h1')).toBeNull();
        expect(await s.apiKeys.list()).toEqual([{ id: k, name: '平台', createdAt: T0.toISOString(), revokedAt: at(1).toISOString() }]);
        const row = {
          idHash: 's1',
          userId: 'w-1',
          role: 'citizen' as const,
          unit: null,
          csrf: 'x',
          client: '127.0.0.1',
          createdAt: T0.toISOString(),
          seenAt: T0.toISOString(),
          expiresAt: at(60).toISOString(),
        };
        await s.sessions.insert(row);
        await s.sessions.insert({ ...row, idHash: 's2', expiresAt: at(5).toISOString() });
        expect(await s.sessions.byHash('s1')).toEqual(row);
        await s.sessions.touch('s1', at(1), at(120));
        expect((await s.sessions.byHash('s1'))?.expiresAt).toBe(at(120).toISOString());
        expect((await s.sessions.expired(at(10))).map((x) => x.idHash)).toEqual(['s2']);
        expect((await s.sessions.ofUser('w-1')).length).toBe(1);
        expect((await s.sessions.remove('s1'))?.idHash).toBe('s1');
        expect(await s.sessions.remove('s1')).toBeNull();
        await s.sessions.insertCode({ codeHash: 'c1', role: 'official', unit: '区林业局', createdAt: T0, expiresAt: at(15) });
        expect(await s.sessions.useCode('c1', 'w-1', at(16))).toBeNull();
        expect(await s.sessions.useCode('c1', 'w-1', at(1))).toEqual({ role: 'official', unit: '区林业局' });
        expect(await s.sessions.useCode('c1', 'w-1', at(1))).toBeNull();
      });

      it('limits, uploads and photo files', async () => {
        const s = await fresh();
        const took = [];
        for (let i = 0; i < 4; i++) took.push(await s.limits.take('reports', 'u1', at(i), 60 * 60_000, 3));
        expect(took).toEqual([true, true, true, false]);
        expect(await s.limits.take('reports', 'u1', at(61), 60 * 60_000, 3)).toBe(true);
        await s.limits.record('lookups', 'u1', T0);
        expect(await s.limits.count('lookups', 'u1', T0)).toBe(1);
        // Left: reports at 1, 2 and 61 minutes, the lookup at 0.
        expect(await s.limits.prune(at(30))).toBe(3);
        await s.uploads.record({ ref: 'web:a.jpg', channel: 'web', userId: 'w1', bytes: 1000, mime: 'image/jpeg' }, T0);
        await s.uploads.record({ ref: 'web:b.jpg', channel: 'web', userId: 'w1', bytes: 500, mime: 'image/jpeg' }, T0);
        expect(await s.uploads.totalBytes()).toBe(1500);
        expect(await s.uploads.owns('web', 'w1', 'web:a.jpg')).toBe(true);
        expect(await s.uploads.owns('web', 'w2', 'web:a.jpg')).toBe(false);
        await s.uploads.attach(['web:a.jpg'], at(1));
        expect(await s.uploads.pendingCount('web', 'w1', T0)).toBe(1);
        expect(await s.uploads.removeOrphans(at(2))).toEqual(['web:b.jpg']);
        expect(await s.photos.file('wecom:m1')).toBeNull();
        await s.photos.record('wecom:m1', '/tmp/x/wecom-1.jpg', 'image/jpeg', 10, T0);
        await s.photos.record('wecom:m1', '/tmp/x/wecom-2.jpg', 'image/jpeg', 10, T0);
        expect(await s.photos.file('wecom:m1')).toBe('wecom-2.jpg');
      });

      it('chat languages and log, choices, WeCom cards answered once, known units', async () => {
        const s = await fresh();
        expect(await s.chats.lang('web', 'w1')).toBeNull();
        await s.chats.setLang('web', 'w1', 'en', T0);
        await s.chats.setLang('web', 'w1', 'zh', at(1));
        expect(await s.chats.lang('web', 'w1')).toBe('zh');
        await s.chats.log(
          'web',
          'w1',
          [
            { who: 'me', text: '你好', choices: null },
            { who: 'bot', text: '您好', choices: [[{ label: '举报', value: 'report' }]] },
            { who: 'note', text: '…', choices: null },
          ],
          T0,
        );
        expect(await s.chats.history('web', 'w1', 2)).toEqual([
          { who: 'bot', text: '您好', choices: [[{ label: '举报', value: 'report' }]], at: T0.toISOString() },
          { who: 'note', text: '…', choices: null, at: T0.toISOString() },
        ]);
        expect(await s.chats.prune(at(1))).toBe(3);
        await s.chats.log('web', 'w1', [{ who: 'me', text: 'x', choices: null }], T0);
        await s.chats.forget('web', 'w1');
        expect(await s.chats.history('web', 'w1', 10)).toEqual([]);
        expect(await s.choices.get('wecom', 'u1')).toBeNull();
        await s.choices.put('wecom', 'u1', [{ label: '是', value: 'yes' }], T0);
        expect(await s.choices.get('wecom', 'u1')).toEqual([{ label: '是', value: 'yes' }]);
        await s.wecomCards.put('t1', 'u1', [{ label: '是', value: 'yes' }], T0);
        expect(await s.wecomCards.get('t1')).toEqual({
          taskId: 't1',
          userId: 'u1',
          choices: [{ label: '是', value: 'yes' }],
          chosenValue: null,
        });
        expect(await s.wecomCards.choose('t1', 'yes', at(1))).toBe(true);
        expect(await s.wecomCards.choose('t1', 'no', at(1))).toBe(false);
        expect((await s.wecomCards.get('t1'))?.chosenValue).toBe('yes');
        await s.knownUnits.add(' 区林业局 ', 'admin', T0);
        await s.cases.setRoute('秸秆焚烧', null, '区生态环境局');
        expect((await s.knownUnits.names()).sort()).toEqual(['区林业局', '区生态环境局'].sort());
      });

      it('reminders decided once, leases held until they expire, health', async () => {
        const s = await fresh();
        const [m] = await s.milestones.list().then(async () => {
          await s.milestones.sync([milestone('1')], T0);
          return s.milestones.list();
        });
        const id = (m as { id: number }).id;
        expect(await s.reminders.has(id, '区农业农村委', 'result-request', '2026-W47')).toBe(false);
        await s.reminders.record(id, '区农业农村委', 'result-request', '2026-W47', T0);
        await s.reminders.record(id, '区农业农村委', 'result-request', '2026-W47', T0);
        await s.reminders.record(id, '区农业农村委', 'result-request', '2026-W48', T0);
        expect(await s.reminders.has(id, '区农业农村委', 'result-request', '2026-W47')).toBe(true);
        expect(await s.reminders.requests(id, '区农业农村委')).toEqual({ count: 2, last: '2026-W48' });
        expect(await s.reminders.requests(id, '区林业局')).toEqual({ count: 0, last: null });
        await s.reminders.record(id, '区林业局', 'escalation', '2026-W48', T0);
        await s.reminders.record(id, '区农业农村委', 'escalation', '2026-W48', T0);
        expect(await s.reminders.escalations()).toEqual([
          { milestoneId: id, unit: '区农业农村委' },
          { milestoneId: id, unit: '区林业局' },
        ]);
        expect(await s.leases.claim('reminders:2026-11-22T01:00', 'a', at(5), T0)).toBe(true);
        expect(await s.leases.claim('reminders:2026-11-22T01:00', 'b', at(5), at(1))).toBe(false);
        expect(await s.leases.claim('reminders:2026-11-22T01:00', 'b', at(15), at(6))).toBe(true);
        expect(await s.leases.prune(at(20))).toBe(1);
        // node-cron's coordinator over the leases: one holder per firing.
        const [x, y] = ['host-a', 'host-b'].map((h) => leaseCoordinator(s.leases, h, () => at(30)));
        expect([await x?.shouldRun('digest:slot', 60_000), await y?.shouldRun('digest:slot', 60_000)]).toEqual([true, false]);
        await s.health.probe(T0);
        await s.health.probe(at(1));
        expect(await s.health.schemaVersion()).toBeGreaterThan(0);
      });
    });
  });
}
