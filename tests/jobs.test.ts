import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../app/compose.js';
import { isWorkday } from '../jobs/calendar.js';
import { type Jobs, startScheduler } from '../jobs/mod.js';
import { dueItems, type ReminderContext } from '../jobs/reminders.js';
import { splitText, toTelegramHtml, toWeComMarkdown, utf8Bytes } from '../jobs/render.js';
import type { MilestoneRow } from '../store/milestones.js';
import { fileReport, makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';

const cal = { holidays: ['2025-10-01', '2025-10-02'], workdays: ['2025-09-28'] };
const opts = { leadDays: [90, 30, 7, 1], calendar: cal, resultRequestWeeks: 4 };
/** A context where the body names the units and nothing was sent or reported before. */
const fresh: ReminderContext = {
  recipients: (m) => (m.unit ? m.unit.split('、') : ['管理员']),
  requests: () => ({ count: 0, last: null }),
  escalated: () => false,
  answered: () => false,
};
const at = (s: string) => new Date(s);

/** The program's jobs, its documents' milestones synchronised at `now` (as a start at that time would). */
async function jobsFor(app: App, now: Date): Promise<Jobs> {
  await app.ledger.sync(app.knowledge.kb.milestones, now);
  return app.jobs;
}

const ms = (over: Partial<MilestoneRow>): MilestoneRow => ({
  id: 1,
  key: 'k',
  title: '到2025年实现养殖尾水有效治理',
  dueDate: '2025-12-31',
  dueLabel: '到2025年',
  text: null,
  unit: '区农业农村委',
  document: 'records',
  locator: '第2行·整改目标（2）',
  origin: 'corpus',
  status: 'open',
  snoozedUntil: null,
  sources: [],
  outcome: 'unreported',
  evidence: null,
  assigned: [],
  mergedInto: null,
  ...over,
});

describe('isWorkday', () => {
  it('knows weekends, holidays and make-up working days', () => {
    expect(isWorkday('2025-12-01', cal)).toBe(true); // Monday
    expect(isWorkday('2025-11-29', cal)).toBe(false); // Saturday
    expect(isWorkday('2025-10-01', cal)).toBe(false); // National Day, a Wednesday
    expect(isWorkday('2025-09-28', cal)).toBe(true); // a Sunday worked instead
  });
});

describe('dueItems', () => {
  it('nudges in the nearest lead window only', () => {
    const m = [ms({})];
    expect(dueItems('2025-10-02', m, opts, fresh)).toEqual([]); // 90 days ahead, but a holiday
    expect(dueItems('2025-10-03', m, opts, fresh).map((i) => i.period)).toEqual(['lead-90']);
    expect(dueItems('2025-12-01', m, opts, fresh).map((i) => [i.period, i.days])).toEqual([['lead-30', 30]]);
    expect(dueItems('2025-12-26', m, opts, fresh).map((i) => i.period)).toEqual(['lead-7']);
    // One day before is urgent: sent even on a weekend.
    expect(dueItems('2025-12-30', m, opts, fresh).map((i) => i.period)).toEqual(['lead-1']);
    expect(dueItems('2025-06-01', m, opts, fresh)).toEqual([]);
  });

  it('asks for the result once a week after the deadline, on working days', () => {
    const m = [ms({})];
    expect(dueItems('2026-01-05', m, opts, fresh).map((i) => [i.kind, i.period, i.days, i.round])).toEqual([
      ['result-request', 'w2026-01-05', -5, 1],
    ]);
    expect(dueItems('2026-01-14', m, opts, fresh).map((i) => i.period)).toEqual(['w2026-01-12']);
    expect(dueItems('2026-01-10', m, opts, fresh)).toEqual([]); // Saturday
  });

  it('skips done, cancelled and snoozed milestones, and sends unit-less ones to the administrators', () => {
    expect(dueItems('2026-01-05', [ms({ status: 'done' }), ms({ status: 'cancelled' })], opts, fresh)).toEqual([]);
    expect(dueItems('2026-01-05', [ms({ snoozedUntil: '2026-01-10' })], opts, fresh)).toEqual([]);
    expect(dueItems('2026-01-05', [ms({ unit: null })], opts, fresh)[0]?.unit).toBe('管理员');
    expect(dueItems('2026-01-05', [ms({ unit: '区农业农村委、区生态环境局' })], opts, fresh).map((i) => i.unit)).toEqual([
      '区农业农村委',
      '区生态环境局',
    ]);
  });
});

describe('Jobs.reminders', () => {
  it('catches up with one result request per past-due milestone and handling unit, one message per unit', async () => {
    const app = await makeApp();
    const now = at('2026-11-23T09:07:00+08:00');
    const jobs = await jobsFor(app, now);
    const sent = await jobs.reminders(now);
    const units = sent.map((m) => m.unit);
    expect(new Set(units).size).toBe(units.length);
    expect(sent.every((m) => m.kind === 'result-request')).toBe(true);
    const agri = sent.find((m) => m.unit === '区农业农村委');
    expect(agri?.text).toMatch(/「实现养殖尾水有效治理（2025）」已到期（截止 2025-12-31），请报告完成情况：\/update \d+ 内容/);
    expect(agri?.text).toContain('来源：整改台账第2行·整改目标（2）');
    expect(sent.some((m) => /已逾期/.test(m.text))).toBe(false);
    const total = sent.reduce((n, m) => n + m.milestones.length, 0);
    const owed = (await jobs.milestones.list({ status: 'open' })).filter((m) => m.dueDate < '2026-11-23');
    // Every past-due open milestone once for each unit that handles it; the 2030 target is not due yet.
    let recipients = 0;
    for (const m of owed) recipients += (await jobs.ledger.recipients(m)).length;
    expect(total).toBe(recipients);
    expect(sent.some((m) => m.text.includes('（2030）'))).toBe(false);
    expect(sent.find((m) => m.unit === '管理员')?.text).toContain('没有可推送的责任单位');
  });

  it('sends the lead-time nudge in the wording of the issue', async () => {
    const app = await makeApp();
    const jobs = await jobsFor(app, at('2025-12-01T09:07:00+08:00'));
    for (const m of await jobs.milestones.list())
      if (m.dueDate < '2025-12-31') await jobs.milestones.setStatus(m.id, 'done', 'test', null, at('2025-11-01T00:00:00Z'));
    const sent = await jobs.reminders(at('2025-12-01T09:07:00+08:00'));
    expect(sent.find((m) => m.unit === '区农业农村委')?.text).toMatch(
      /距「实现养殖尾水有效治理（2025）」还有30天（截止 2025-12-31；责任单位：区农业农村委（据文件推断，待管理员确认）；来源：整改台账第2行·整改目标（2））/,
    );
    expect(sent.some((m) => m.unit === '江津区')).toBe(false);
  });

  it('never sends twice: not after a restart, not from a second process on the same store', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rectify-jobs-')), 'db.sqlite');
    const now = at('2026-11-23T09:07:00+08:00');
    const a = await makeApp({}, path);
    const first = await (await jobsFor(a, now)).reminders(now);
    expect(first.length).toBeGreaterThan(0);
    expect(await (await jobsFor(a, now)).reminders(now)).toEqual([]);
    await a.close();
    const b = await makeApp({}, path);
    const c = await makeApp({}, path);
    expect(await (await jobsFor(b, now)).reminders(now)).toEqual([]);
    expect(await (await jobsFor(c, new Date(now.getTime() + 3600_000))).reminders(new Date(now.getTime() + 3600_000))).toEqual([]);
    // A week later the weekly overdue notice comes again, once.
    const week = at('2026-11-30T09:07:00+08:00');
    expect((await (await jobsFor(b, week)).reminders(week)).length).toBeGreaterThan(0);
    expect(await (await jobsFor(c, week)).reminders(week)).toEqual([]);
    await b.close();
    await c.close();
  });

  it('previews without recording', async () => {
    const app = await makeApp();
    const now = at('2026-11-23T09:07:00+08:00');
    const jobs = await jobsFor(app, now);
    const preview = await jobs.reminders(now, true);
    expect(preview.length).toBeGreaterThan(0);
    expect(await app.outbox.list()).toEqual([]);
    expect((await jobs.reminders(now)).length).toBe(preview.length);
  });

  it('delivers to the chats a unit bound, and retries a failed send with backoff', async () => {
    const app = await makeApp();
    const now = at('2026-11-23T09:07:00+08:00');
    await app.people.bindChat('区生态环境局', 'telegram', '-100', 'test', now);
    await app.people.bindChat('区农业农村委', 'wecom', 'party:2', 'test', now);
    const jobs = await jobsFor(app, now);
    await jobs.reminders(now);
    const got: string[] = [];
    let failWecom = true;
    const senders = {
      telegram: { send: async (chat: string) => void got.push(`tg:${chat}`) },
      wecom: {
        send: async (chat: string) => {
          if (failWecom) throw new Error('wecom down');
          got.push(`wc:${chat}`);
        },
      },
    };
    const r1 = await jobs.dispatch(senders, now);
    expect(r1).toMatchObject({ sent: 1, retried: 1 });
    expect(got).toEqual(['tg:-100']);
    failWecom = false;
    // Not before the backoff has passed…
    expect((await jobs.dispatch(senders, new Date(now.getTime() + 10_000))).sent).toBe(0);
    // …then once.
    expect((await jobs.dispatch(senders, new Date(now.getTime() + 61_000))).sent).toBe(1);
    expect((await jobs.dispatch(senders, new Date(now.getTime() + 3600_000))).sent).toBe(0);
    expect(got).toEqual(['tg:-100', 'wc:party:2']);
    const failed = (await app.outbox.list({ kind: 'reminder' })).find((m) => m.channel === 'wecom');
    expect(failed).toMatchObject({ status: 'sent', attempts: 2 });
  });
});

describe('milestone desk (officials by chat)', () => {
  it('lists a unit’s milestones, marks one done, snoozes one and adds one', async () => {
    const app = await makeApp();
    const now = at('2026-11-23T01:00:00Z');
    const jobs = await jobsFor(app, now);
    const o = talker(app, 'ms-official', 'test', now);
    await o.say(`/join ${await app.people.invite('official', '区农业农村委', now)}`);
    await o.say('/milestones');
    expect(o.last()).toContain('化肥农药使用总量减少1.8%（2025）');
    const id = (await jobs.milestones.list({ unit: '区农业农村委' }))[0]?.id as number;
    await o.say(`/done ${id}`);
    expect(o.last()).toContain('请写上完成情况说明');
    await o.say(`/done ${id} 已完成销号`);
    expect((await jobs.milestones.get(id))?.status).toBe('done');
    const other = (await jobs.milestones.list({ unit: '区生态环境局' })).find((m) => !m.unit?.includes('区农业农村委'));
    await o.say(`/done ${other?.id} 不是我的`);
    expect(o.last()).toContain('不属于您的单位');
    const next = (await jobs.milestones.list({ unit: '区农业农村委', status: 'open' }))[0]?.id as number;
    await o.say(`/snooze ${next} 14`);
    expect((await jobs.milestones.get(next))?.snoozedUntil).toBe('2026-12-07');
    await o.say('/addmilestone 2027-06-30 完成石蟆镇养殖场粪污设施验收');
    expect((await jobs.milestones.list({ unit: '区农业农村委' })).some((m) => m.origin === 'official' && m.dueDate === '2027-06-30')).toBe(
      true,
    );
    expect((await jobs.milestones.events(id)).map((e) => e.action)).toEqual(['imported', 'done']);
  });

  it('sends an administrator-assigned milestone to its new unit', async () => {
    const app = await makeApp();
    const now = at('2026-11-23T01:07:00Z');
    const jobs = await jobsFor(app, now);
    const orphan = (await jobs.milestones.list({ status: 'open' })).find(
      (m) => m.unit === null && m.dueDate < '2026-11-23',
    ) as MilestoneRow;
    await jobs.milestones.assign(orphan.id, '区生态环境局', 'admin', now);
    const sent = await jobs.reminders(now);
    expect(sent.find((m) => m.unit === '区生态环境局')?.milestones.map((m) => m.id)).toContain(orphan.id);
    expect(sent.find((m) => m.unit === '管理员')?.milestones.map((m) => m.id)).not.toContain(orphan.id);
  });
});

describe('Jobs.housekeeping', () => {
  it('closes a case left unrated for a week after it was completed', async () => {
    const app = await makeApp();
    const ticket = await fileReport(talker(app, 'hk', 'test', at('2026-11-01T01:00:00Z')));
    const o = talker(app, 'hk-official', 'test', at('2026-11-02T01:00:00Z'));
    await o.say(`/join ${await app.people.invite('official', '区农业农村委', at('2026-11-02T01:00:00Z'))}`);
    await o.say(`/accept ${ticket}`);
    await o.say(`/close ${ticket} 已清理`);
    const jobs = await jobsFor(app, at('2026-11-05T01:00:00Z'));
    expect((await jobs.housekeeping(at('2026-11-05T01:00:00Z'))).expired).toBe(0);
    expect((await jobs.housekeeping(at('2026-11-10T01:00:00Z'))).expired).toBe(1);
    expect((await app.cases.byTicket(ticket))?.status).toBe('已关闭');
  });
});

describe('Jobs.dispatch', () => {
  it('is not starved by messages for channels this process cannot send to', async () => {
    const app = await makeApp();
    const now = at('2026-11-23T01:00:00Z');
    for (let i = 0; i < 120; i++) await app.outbox.enqueue({ channel: 'web', chatId: `s${i}`, kind: 'citizen', text: `网页通知${i}` }, now);
    await app.outbox.enqueue({ channel: 'telegram', chatId: '7', kind: 'citizen', text: '您的举报已受理' }, now);
    const sent: string[] = [];
    const report = await (await jobsFor(app, now)).dispatch({ telegram: { send: async (_chat, m) => void sent.push(m.text) } }, now);
    expect(report.sent).toBe(1);
    expect(sent).toEqual(['您的举报已受理']);
    expect((await app.outbox.pendingFor('web', 's3', 10)).map((m) => m.text)).toEqual(['网页通知3']);
  });
});

describe('Jobs.digest', () => {
  it('sums up a unit’s open cases, overdue ones and milestones due within 90 days, once a week', async () => {
    const app = await makeApp();
    const now = at('2025-11-03T09:17:00+08:00');
    const jobs = await jobsFor(app, now);
    const t = talker(app, 'cit', 'test', new Date(now.getTime() - 20 * 86_400_000));
    const old = await fileReport(t);
    await app.people.bindChat('区农业农村委', 'telegram', '-200', 'test', now);
    const d = await jobs.digest(now);
    const mine = d.find((m) => m.unit === '区农业农村委');
    expect(mine?.text).toContain('待办举报 1 件：待受理 1');
    expect(mine?.text).toContain(`超过时限 1 件：${old}`);
    expect(mine?.text).toContain('未来90天到期的整改节点');
    expect(mine?.text).toContain('化肥农药使用总量减少1.8%（2025）');
    expect((await jobs.digest(new Date(now.getTime() + 86_400_000))).filter((m) => m.unit === '区农业农村委')).toEqual([]);
  });
});

describe('render', () => {
  it('splits long WeCom markdown under 4,096 bytes at line ends', () => {
    const long = [
      '【整改节点提醒】江津区',
      ...Array.from({ length: 200 }, (_, i) => `[#${i}] 「到2025年实现养殖尾水有效治理」已逾期 ${i} 天`),
    ].join('\n');
    const parts = toWeComMarkdown(long);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(utf8Bytes(p)).toBeLessThanOrEqual(4096);
    expect(parts[0]).toMatch(/^\*\*【整改节点提醒】江津区\*\*/);
    expect(parts.join('\n')).toContain('<font color="warning">已逾期 199 天</font>');
  });
  it('escapes Telegram HTML', () => {
    expect(toTelegramHtml('标题\n<b>&')[0]).toBe('<b>标题</b>\n&lt;b&gt;&amp;');
  });
  it('cuts a single over-long line', () => {
    expect(splitText('x'.repeat(10), 4)).toEqual(['xxxx', 'xxxx', 'xx']);
  });
});

describe('startScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires in Shanghai time, and of two schedulers on one store only one runs a firing', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-23T01:06:58Z') });
    const path = join(mkdtempSync(join(tmpdir(), 'rectify-sched-')), 'db.sqlite');
    const a = await makeApp({}, path);
    const b = await makeApp({}, path);
    const runs: string[] = [];
    const job = (who: string) => ({ name: 'reminders', expression: '7 9 * * *', run: () => void runs.push(who) });
    // The clock the scheduler is handed: vitest's fake time, as node-cron's.
    const fakeClock = () => new Date();
    const s1 = startScheduler(a.store.leases, [job('a')], () => {}, fakeClock);
    const s2 = startScheduler(b.store.leases, [job('b')], () => {}, fakeClock);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(runs).toHaveLength(2);
    await s1.stop();
    await s2.stop();
    await a.close();
    await b.close();
  });

  it('refuses a bad expression with the job’s name', async () => {
    const app = await makeApp();
    expect(() =>
      startScheduler(
        app.store.leases,
        [{ name: 'digest', expression: '61 9 * * *', run: () => {} }],
        () => {},
        () => NOW,
      ),
    ).toThrow(/digest/);
  });
});
