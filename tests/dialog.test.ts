import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ticketIn } from '../cases/ticket.js';
import { fileReport, makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';

const later = (days: number) => new Date(NOW.getTime() + days * 86_400_000);

describe('report intake', () => {
  it('files a report after a free-text complaint, with the category pre-classified', async () => {
    const app = await makeApp();
    const t = talker(app, 'u1');
    await t.say('我家旁边养猪场天天往河里排粪水，我要举报');
    expect(t.last()).toContain('畜禽养殖污染');
    await t.choose('cat:livestock');
    expect(t.last()).toContain('在哪里');
    await t.choose('town:石蟆镇');
    // The description came with the first message, so the next question is "since when".
    expect(t.last()).toContain('什么时候开始');
    await t.say('一个多月了');
    await t.choose('done');
    await t.choose('contact');
    await t.say('138 1234 5678');
    expect(t.last()).toContain('请确认');
    expect(t.last()).toContain('138******78');
    expect(t.last()).not.toContain('13812345678');
    expect(await app.cases.list({})).toHaveLength(0);
    await t.choose('confirm');
    const ticket = ticketIn(t.last());
    expect(ticket).toMatch(/^JJ-20261122-[2-9A-HJ-NP-TV-Z]{5}$/);
    const c = await app.cases.byTicket(ticket as string);
    expect(c).toMatchObject({
      category: 'livestock',
      town: '石蟆镇',
      phone: '13812345678',
      anonymous: false,
      status: '待受理',
      unit: '区农业农村委',
      since: '一个多月了',
    });
    expect(c?.description).toContain('养猪场');
    expect(await app.cases.events(c?.id as number)).toHaveLength(1);
  });

  it('files an anonymous report without a phone', async () => {
    const app = await makeApp();
    const ticket = await fileReport(talker(app, 'anon'), { anonymous: true });
    expect(await app.cases.byTicket(ticket)).toMatchObject({ anonymous: true, phone: null });
  });

  it('takes a GPS location and questions one far outside the district', async () => {
    const app = await makeApp();
    const t = talker(app, 'gps');
    await t.say('举报');
    await t.choose('cat:aquaculture');
    await t.send({ location: { lat: 39.9, lon: 116.4 } });
    expect(t.last()).toMatch(/距江津区约\d+公里/);
    await t.choose('loc:retry');
    await t.send({ location: { lat: 29.29, lon: 106.25, label: '几江街道滨江路' } });
    expect(t.last()).toContain('描述现场情况');
    await t.say('鱼塘清塘的尾水直接排进长江');
    await t.choose('skip');
    await t.choose('skip');
    await t.choose('anon');
    await t.choose('confirm');
    const c = await app.cases.byTicket(ticketIn(t.last()) as string);
    expect(c).toMatchObject({ lat: 29.29, lon: 106.25, address: '几江街道滨江路', category: 'aquaculture' });
  });

  it('keeps photos as file references, at most nine', async () => {
    const app = await makeApp();
    const t = talker(app, 'pics');
    await t.say('举报');
    await t.choose('cat:garbage');
    await t.say('油溪镇三圣社区河边');
    await t.say('有人把建筑垃圾和生活垃圾倒在河边');
    await t.choose('skip');
    await t.send({ photos: ['f1', 'f2', 'f3', 'f4', 'f5'] });
    await t.send({ photos: ['f6', 'f7', 'f8', 'f9', 'f10', 'f11'] });
    expect(t.last()).toContain('最多只能附9张');
    await t.choose('done');
    await t.choose('anon');
    await t.choose('confirm');
    const c = await app.cases.byTicket(ticketIn(t.last()) as string);
    expect(c?.photos).toEqual(['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9']);
    expect(c?.town).toBe('油溪镇');
  });

  it('cancels midway and forgets the draft', async () => {
    const app = await makeApp();
    const t = talker(app, 'c');
    await t.say('举报');
    await t.choose('cat:noise');
    await t.say('取消');
    expect(t.last()).toContain('已取消');
    expect(await app.dialogs.get('test', 'c')).toBeNull();
    await t.say('尾水整改完成了多少？');
    expect(t.last()).toContain('978万吨');
  });

  it('survives a restart midway: the draft resumes where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-dialog-'));
    const path = join(dir, 'db.sqlite');
    const app1 = await makeApp({}, path);
    const t1 = talker(app1, 'r');
    await t1.say('举报');
    await t1.choose('cat:black_water');
    await t1.choose('town:德感街道');
    await app1.close();
    const app2 = await makeApp({}, path);
    const t2 = talker(app2, 'r');
    await t2.say('帮助');
    expect(t2.last()).toContain('正在填写');
    await t2.say('长冲社区的小河沟又黑又臭好几个月了');
    expect(t2.last()).toContain('什么时候开始');
    await app2.close();
  });

  it('answers a question in the middle without losing the draft', async () => {
    const app = await makeApp();
    const t = talker(app, 'q');
    await t.say('举报');
    await t.choose('cat:aquaculture');
    await t.say('尾水整改完成了多少？');
    expect(t.last()).toContain('978万吨');
    expect(t.last()).toContain('在哪里');
    await t.choose('town:吴滩镇');
    expect(t.last()).toContain('描述现场情况');
  });

  it('rejects a bad phone and a too-short description with a clear message', async () => {
    const app = await makeApp();
    const t = talker(app, 'bad');
    await t.say('举报');
    await t.choose('cat:other');
    await t.choose('town:白沙镇');
    await t.say('很臭');
    expect(t.last()).toContain('至少写5个汉字');
    await t.say('臭'.repeat(2001));
    expect(t.last()).toContain('太长');
    await t.say('江边有人焚烧塑料垃圾冒黑烟');
    await t.choose('skip');
    await t.choose('skip');
    await t.choose('contact');
    await t.say('12345');
    expect(t.last()).toContain('电话号码格式不对');
    await t.say('023-4752 1234');
    expect(t.last()).toContain('请确认');
  });

  it('never makes two cases from the same message delivered twice', async () => {
    const app = await makeApp();
    const t = talker(app, 'dup');
    await t.say('举报');
    await t.choose('cat:livestock');
    await t.choose('town:石蟆镇');
    await t.say('养鸡场鸡粪堆在路边下雨流进水田');
    await t.choose('skip');
    await t.choose('skip');
    await t.choose('anon');
    const confirm = { channel: 'test', userId: 'dup', chatId: 'dup', messageId: 'same-id', choice: 'confirm' };
    const first = await app.dialog.handle(confirm, NOW);
    const second = await app.dialog.handle(confirm, NOW);
    expect(ticketIn(first.replies[0]?.text ?? '')).not.toBeNull();
    expect(second).toEqual({ replies: [], duplicate: true });
    expect(await app.cases.list({})).toHaveLength(1);
  });

  it('limits a reporter to five reports an hour and keeps the sixth draft', async () => {
    const app = await makeApp();
    const t = talker(app, 'many');
    for (let i = 0; i < 5; i++) await fileReport(t, { text: `第${i}次举报养殖场往河里排放粪水` });
    await t.say('举报');
    await t.choose('cat:livestock');
    await t.choose('town:石蟆镇');
    await t.say('第六次举报养殖场往河里排放粪水');
    await t.choose('skip');
    await t.choose('skip');
    await t.choose('anon');
    await t.choose('confirm');
    expect(t.last()).toContain('已达上限');
    expect(await app.cases.list({})).toHaveLength(5);
    expect((await app.dialogs.get<{ flow: string }>('test', 'many'))?.flow).toBe('report');
    // An hour later the same draft goes through.
    await t.choose('confirm', new Date(NOW.getTime() + 3601_000));
    expect(ticketIn(t.last())).not.toBeNull();
    expect(await app.cases.list({})).toHaveLength(6);
  });
});

describe('status and satisfaction', () => {
  it('shows a citizen their own cases only', async () => {
    const app = await makeApp();
    const a = talker(app, 'alice');
    const b = talker(app, 'bob');
    const ticket = await fileReport(a);
    await a.say(`查询 ${ticket.toLowerCase()}`);
    expect(a.last()).toContain('待受理');
    await b.say(`查询 ${ticket}`);
    expect(b.last()).toContain('没有找到');
    await a.say('/status');
    expect(a.last()).toContain(ticket);
  });

  it('walks every official transition, tells the citizen, and reopens on dissatisfaction', async () => {
    const app = await makeApp();
    const citizen = talker(app, 'cit');
    const ticket = await fileReport(citizen, { anonymous: false, phone: '13900001111' });
    const code = await app.people.invite('official', '区农业农村委', NOW);
    const official = talker(app, 'off1', 'test');
    await official.say(`/join ${code}`);
    expect(official.last()).toContain('区农业农村委');
    await official.say('/cases');
    expect(official.last()).toContain(ticket);
    await official.say(`/case ${ticket}`);
    expect(official.last()).toContain('13900001111');
    await official.say(`/accept ${ticket}`);
    expect((await app.cases.byTicket(ticket))?.status).toBe('已受理');
    await official.say(`/dispatch ${ticket} 石蟆镇农业服务中心`);
    await official.choose(`act:progress:${ticket}`);
    expect(official.last()).toContain('请输入办理进展');
    await official.say('已现场核查，责令停止排放');
    expect((await app.cases.byTicket(ticket))?.status).toBe('办理中');
    await official.say(`/close ${ticket} 养殖场已建成粪污收集池，不再外排`);
    expect((await app.cases.byTicket(ticket))?.status).toBe('已办结');
    const toCitizen = await app.outbox.list({ kind: 'citizen' });
    expect(toCitizen.map((m) => m.text).join('\n')).toMatch(/已受理[\s\S]*已派单[\s\S]*办理中[\s\S]*已办结/);
    const closing = toCitizen.at(-1);
    expect(closing?.choices?.[0]?.map((c) => c.value)).toEqual([`rate:${ticket}:yes`, `rate:${ticket}:no`]);
    await citizen.choose(`rate:${ticket}:no`);
    // Asked why first; the case waits for the answer (or 跳过).
    expect(citizen.last()).toContain('还有什么问题');
    expect((await app.cases.byTicket(ticket))?.status).toBe('已办结');
    await citizen.choose('skip');
    expect(await app.cases.byTicket(ticket)).toMatchObject({ status: '重新办理', satisfaction: '不满意' });
    expect((await app.outbox.list({ kind: 'unit' })).map((m) => m.text).join()).toContain('重新办理');
    await official.say(`/close ${ticket} 复查后已清运全部粪污`);
    await citizen.say('满意');
    expect(await app.cases.byTicket(ticket)).toMatchObject({ status: '已评价', satisfaction: '满意' });
    await official.say(`/history ${ticket}`);
    expect(official.last().split('\n').length).toBeGreaterThanOrEqual(8);
  });

  it('refuses with a reason and a referral, and marks duplicates', async () => {
    const app = await makeApp();
    const c = talker(app, 'x');
    const t1 = await fileReport(c, { text: '石蟆镇村口养猪场往小河里排放粪水' });
    const t2 = await fileReport(c, { text: '石蟆镇村口养猪场又往小河里排放粪水' });
    const official = talker(app, 'o');
    await official.say(`/join ${await app.people.invite('official', '区农业农村委', NOW)}`);
    await official.say(`/case ${t2}`);
    expect(official.last()).toContain(`可能重复：${t1}`);
    await official.say(`/dup ${t2} ${t1}`);
    expect(await app.cases.byTicket(t2)).toMatchObject({ status: '重复', duplicateOf: t1 });
    await official.say(`/refuse ${t1}`);
    await official.say('属于企业用电纠纷，不属于环境问题 | 区经济信息委');
    expect(await app.cases.byTicket(t1)).toMatchObject({ status: '不予受理', referTo: '区经济信息委' });
  });

  it('denies officials’ commands to citizens and other units', async () => {
    const app = await makeApp();
    const citizen = talker(app, 'c1');
    const ticket = await fileReport(citizen);
    await citizen.say(`/accept ${ticket}`);
    expect(citizen.last()).toContain('仅限办理单位');
    expect((await app.cases.byTicket(ticket))?.status).toBe('待受理');
    const other = talker(app, 'o2');
    await other.say(`/join ${await app.people.invite('official', '区生态环境局', NOW)}`);
    await other.say(`/accept ${ticket}`);
    expect(other.last()).toContain('不属于您的单位');
    await other.say(`/case ${ticket}`);
    expect(other.last()).toContain('不由您的单位办理');
    await citizen.say('/join BADCODE99');
    expect(citizen.last()).toContain('邀请码无效');
  });

  it('shows overdue cases first', async () => {
    const app = await makeApp();
    const c = talker(app, 'late');
    const old = await fileReport(c, { text: '很久以前举报的养猪场排污问题' });
    const fresh = await fileReport(talker(app, 'late2', 'test', later(20)), { text: '最近举报的养猪场排污问题' });
    const official = talker(app, 'o', 'test', later(20));
    await official.say(`/join ${await app.people.invite('official', '区农业农村委', later(20))}`);
    await official.say('/cases');
    const lines = official.last().split('\n');
    expect(lines[1]).toContain(`⚠️逾期 ${old}`);
    expect(lines[2]).toContain(fresh);
  });

  it('re-routes when an official changes the category', async () => {
    const app = await makeApp();
    const ticket = await fileReport(talker(app, 'rr'));
    const o = talker(app, 'o');
    await o.say(`/join ${await app.people.invite('official', '区农业农村委', NOW)}`);
    await o.say(`/recat ${ticket} 工业废水/废渣倾倒`);
    expect(await app.cases.byTicket(ticket)).toMatchObject({ category: 'industrial', unit: '区生态环境局' });
  });
});
