import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ticketIn } from '../cases/ticket.js';
import { fileReport, makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';

const later = (days: number) => new Date(NOW.getTime() + days * 86_400_000);

describe('report intake', () => {
  it('files a report after a free-text complaint, with the category pre-classified', () => {
    const app = makeApp();
    const t = talker(app, 'u1');
    t.say('我家旁边养猪场天天往河里排粪水，我要举报');
    expect(t.last()).toContain('畜禽养殖污染');
    t.choose('cat:livestock');
    expect(t.last()).toContain('在哪里');
    t.choose('town:石蟆镇');
    // The description came with the first message, so the next question is "since when".
    expect(t.last()).toContain('什么时候开始');
    t.say('一个多月了');
    t.choose('done');
    t.choose('contact');
    t.say('138 1234 5678');
    expect(t.last()).toContain('请确认');
    expect(t.last()).toContain('138******78');
    expect(t.last()).not.toContain('13812345678');
    expect(app.cases.list({})).toHaveLength(0);
    t.choose('confirm');
    const ticket = ticketIn(t.last());
    expect(ticket).toMatch(/^JJ-20261122-[2-9A-HJ-NP-TV-Z]{5}$/);
    const c = app.cases.byTicket(ticket as string);
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
    expect(app.cases.events(c?.id as number)).toHaveLength(1);
  });

  it('files an anonymous report without a phone', () => {
    const app = makeApp();
    const ticket = fileReport(talker(app, 'anon'), { anonymous: true });
    expect(app.cases.byTicket(ticket)).toMatchObject({ anonymous: true, phone: null });
  });

  it('takes a GPS location and questions one far outside the district', () => {
    const app = makeApp();
    const t = talker(app, 'gps');
    t.say('举报');
    t.choose('cat:aquaculture');
    t.send({ location: { lat: 39.9, lon: 116.4 } });
    expect(t.last()).toMatch(/距江津区约\d+公里/);
    t.choose('loc:retry');
    t.send({ location: { lat: 29.29, lon: 106.25, label: '几江街道滨江路' } });
    expect(t.last()).toContain('描述现场情况');
    t.say('鱼塘清塘的尾水直接排进长江');
    t.choose('skip');
    t.choose('skip');
    t.choose('anon');
    t.choose('confirm');
    const c = app.cases.byTicket(ticketIn(t.last()) as string);
    expect(c).toMatchObject({ lat: 29.29, lon: 106.25, address: '几江街道滨江路', category: 'aquaculture' });
  });

  it('keeps photos as file references, at most nine', () => {
    const app = makeApp();
    const t = talker(app, 'pics');
    t.say('举报');
    t.choose('cat:garbage');
    t.say('油溪镇三圣社区河边');
    t.say('有人把建筑垃圾和生活垃圾倒在河边');
    t.choose('skip');
    t.send({ photos: ['f1', 'f2', 'f3', 'f4', 'f5'] });
    t.send({ photos: ['f6', 'f7', 'f8', 'f9', 'f10', 'f11'] });
    expect(t.last()).toContain('最多只能附9张');
    t.choose('done');
    t.choose('anon');
    t.choose('confirm');
    const c = app.cases.byTicket(ticketIn(t.last()) as string);
    expect(c?.photos).toEqual(['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9']);
    expect(c?.town).toBe('油溪镇');
  });

  it('cancels midway and forgets the draft', () => {
    const app = makeApp();
    const t = talker(app, 'c');
    t.say('举报');
    t.choose('cat:noise');
    t.say('取消');
    expect(t.last()).toContain('已取消');
    expect(app.dialogs.get('test', 'c')).toBeNull();
    t.say('尾水整改完成了多少？');
    expect(t.last()).toContain('978万吨');
  });

  it('survives a restart midway: the draft resumes where it stopped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-dialog-'));
    const path = join(dir, 'db.sqlite');
    const app1 = makeApp({}, path);
    const t1 = talker(app1, 'r');
    t1.say('举报');
    t1.choose('cat:black_water');
    t1.choose('town:德感街道');
    app1.close();
    const app2 = makeApp({}, path);
    const t2 = talker(app2, 'r');
    t2.say('帮助');
    expect(t2.last()).toContain('正在填写');
    t2.say('长冲社区的小河沟又黑又臭好几个月了');
    expect(t2.last()).toContain('什么时候开始');
    app2.close();
  });

  it('answers a question in the middle without losing the draft', () => {
    const app = makeApp();
    const t = talker(app, 'q');
    t.say('举报');
    t.choose('cat:aquaculture');
    t.say('尾水整改完成了多少？');
    expect(t.last()).toContain('978万吨');
    expect(t.last()).toContain('在哪里');
    t.choose('town:吴滩镇');
    expect(t.last()).toContain('描述现场情况');
  });

  it('rejects a bad phone and a too-short description with a clear message', () => {
    const app = makeApp();
    const t = talker(app, 'bad');
    t.say('举报');
    t.choose('cat:other');
    t.choose('town:白沙镇');
    t.say('很臭');
    expect(t.last()).toContain('至少写5个汉字');
    t.say('臭'.repeat(2001));
    expect(t.last()).toContain('太长');
    t.say('江边有人焚烧塑料垃圾冒黑烟');
    t.choose('skip');
    t.choose('skip');
    t.choose('contact');
    t.say('12345');
    expect(t.last()).toContain('电话号码格式不对');
    t.say('023-4752 1234');
    expect(t.last()).toContain('请确认');
  });

  it('never makes two cases from the same message delivered twice', () => {
    const app = makeApp();
    const t = talker(app, 'dup');
    t.say('举报');
    t.choose('cat:livestock');
    t.choose('town:石蟆镇');
    t.say('养鸡场鸡粪堆在路边下雨流进水田');
    t.choose('skip');
    t.choose('skip');
    t.choose('anon');
    const confirm = { channel: 'test', userId: 'dup', chatId: 'dup', messageId: 'same-id', choice: 'confirm' };
    const first = app.dialog.handle(confirm, NOW);
    const second = app.dialog.handle(confirm, NOW);
    expect(ticketIn(first.replies[0]?.text ?? '')).not.toBeNull();
    expect(second).toEqual({ replies: [], duplicate: true });
    expect(app.cases.list({})).toHaveLength(1);
  });

  it('limits a reporter to five reports an hour and keeps the sixth draft', () => {
    const app = makeApp();
    const t = talker(app, 'many');
    for (let i = 0; i < 5; i++) fileReport(t, { text: `第${i}次举报养殖场往河里排放粪水` });
    t.say('举报');
    t.choose('cat:livestock');
    t.choose('town:石蟆镇');
    t.say('第六次举报养殖场往河里排放粪水');
    t.choose('skip');
    t.choose('skip');
    t.choose('anon');
    t.choose('confirm');
    expect(t.last()).toContain('已达上限');
    expect(app.cases.list({})).toHaveLength(5);
    expect(app.dialogs.get<{ flow: string }>('test', 'many')?.flow).toBe('report');
    // An hour later the same draft goes through.
    t.choose('confirm', new Date(NOW.getTime() + 3601_000));
    expect(ticketIn(t.last())).not.toBeNull();
    expect(app.cases.list({})).toHaveLength(6);
  });
});

describe('status and satisfaction', () => {
  it('shows a citizen their own cases only', () => {
    const app = makeApp();
    const a = talker(app, 'alice');
    const b = talker(app, 'bob');
    const ticket = fileReport(a);
    a.say(`查询 ${ticket.toLowerCase()}`);
    expect(a.last()).toContain('待受理');
    b.say(`查询 ${ticket}`);
    expect(b.last()).toContain('没有找到');
    a.say('/status');
    expect(a.last()).toContain(ticket);
  });

  it('walks every official transition, tells the citizen, and reopens on dissatisfaction', () => {
    const app = makeApp();
    const citizen = talker(app, 'cit');
    const ticket = fileReport(citizen, { anonymous: false, phone: '13900001111' });
    const code = app.people.invite('official', '区农业农村委', NOW);
    const official = talker(app, 'off1', 'test');
    official.say(`/join ${code}`);
    expect(official.last()).toContain('区农业农村委');
    official.say('/cases');
    expect(official.last()).toContain(ticket);
    official.say(`/case ${ticket}`);
    expect(official.last()).toContain('13900001111');
    official.say(`/accept ${ticket}`);
    expect(app.cases.byTicket(ticket)?.status).toBe('已受理');
    official.say(`/dispatch ${ticket} 石蟆镇农业服务中心`);
    official.choose(`act:progress:${ticket}`);
    expect(official.last()).toContain('请输入办理进展');
    official.say('已现场核查，责令停止排放');
    expect(app.cases.byTicket(ticket)?.status).toBe('办理中');
    official.say(`/close ${ticket} 养殖场已建成粪污收集池，不再外排`);
    expect(app.cases.byTicket(ticket)?.status).toBe('已办结');
    const toCitizen = app.outbox.list({ kind: 'citizen' });
    expect(toCitizen.map((m) => m.text).join('\n')).toMatch(/已受理[\s\S]*已派单[\s\S]*办理中[\s\S]*已办结/);
    const closing = toCitizen.at(-1);
    expect(closing?.choices?.[0]?.map((c) => c.value)).toEqual([`rate:${ticket}:yes`, `rate:${ticket}:no`]);
    citizen.choose(`rate:${ticket}:no`);
    // Asked why first; the case waits for the answer (or 跳过).
    expect(citizen.last()).toContain('还有什么问题');
    expect(app.cases.byTicket(ticket)?.status).toBe('已办结');
    citizen.choose('skip');
    expect(app.cases.byTicket(ticket)).toMatchObject({ status: '重新办理', satisfaction: '不满意' });
    expect(
      app.outbox
        .list({ kind: 'unit' })
        .map((m) => m.text)
        .join(),
    ).toContain('重新办理');
    official.say(`/close ${ticket} 复查后已清运全部粪污`);
    citizen.say('满意');
    expect(app.cases.byTicket(ticket)).toMatchObject({ status: '已评价', satisfaction: '满意' });
    official.say(`/history ${ticket}`);
    expect(official.last().split('\n').length).toBeGreaterThanOrEqual(8);
  });

  it('refuses with a reason and a referral, and marks duplicates', () => {
    const app = makeApp();
    const c = talker(app, 'x');
    const t1 = fileReport(c, { text: '石蟆镇村口养猪场往小河里排放粪水' });
    const t2 = fileReport(c, { text: '石蟆镇村口养猪场又往小河里排放粪水' });
    const official = talker(app, 'o');
    official.say(`/join ${app.people.invite('official', '区农业农村委', NOW)}`);
    official.say(`/case ${t2}`);
    expect(official.last()).toContain(`可能重复：${t1}`);
    official.say(`/dup ${t2} ${t1}`);
    expect(app.cases.byTicket(t2)).toMatchObject({ status: '重复', duplicateOf: t1 });
    official.say(`/refuse ${t1}`);
    official.say('属于企业用电纠纷，不属于环境问题 | 区经济信息委');
    expect(app.cases.byTicket(t1)).toMatchObject({ status: '不予受理', referTo: '区经济信息委' });
  });

  it('denies officials’ commands to citizens and other units', () => {
    const app = makeApp();
    const citizen = talker(app, 'c1');
    const ticket = fileReport(citizen);
    citizen.say(`/accept ${ticket}`);
    expect(citizen.last()).toContain('仅限办理单位');
    expect(app.cases.byTicket(ticket)?.status).toBe('待受理');
    const other = talker(app, 'o2');
    other.say(`/join ${app.people.invite('official', '区生态环境局', NOW)}`);
    other.say(`/accept ${ticket}`);
    expect(other.last()).toContain('不属于您的单位');
    other.say(`/case ${ticket}`);
    expect(other.last()).toContain('不由您的单位办理');
    citizen.say('/join BADCODE99');
    expect(citizen.last()).toContain('邀请码无效');
  });

  it('shows overdue cases first', () => {
    const app = makeApp();
    const c = talker(app, 'late');
    const old = fileReport(c, { text: '很久以前举报的养猪场排污问题' });
    const fresh = fileReport(talker(app, 'late2', 'test', later(20)), { text: '最近举报的养猪场排污问题' });
    const official = talker(app, 'o', 'test', later(20));
    official.say(`/join ${app.people.invite('official', '区农业农村委', later(20))}`);
    official.say('/cases');
    const lines = official.last().split('\n');
    expect(lines[1]).toContain(`⚠️逾期 ${old}`);
    expect(lines[2]).toContain(fresh);
  });

  it('re-routes when an official changes the category', () => {
    const app = makeApp();
    const ticket = fileReport(talker(app, 'rr'));
    const o = talker(app, 'o');
    o.say(`/join ${app.people.invite('official', '区农业农村委', NOW)}`);
    o.say(`/recat ${ticket} 工业废水/废渣倾倒`);
    expect(app.cases.byTicket(ticket)).toMatchObject({ category: 'industrial', unit: '区生态环境局' });
  });
});
