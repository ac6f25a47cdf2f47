/**
 * Issue 12: the intake forgives (non-answers at every step, yes/no words), a GPS point is named by
 * its nearest 镇街, "不满意" asks why, an English conversation stays English end to end, and a
 * notice for a unit with no bound chat is delivered when one binds.
 */
import { describe, expect, it } from 'vitest';
import { isNonAnswer, yesNo } from '../bot/dialog/report.js';
import { en } from '../core/messages/en.js';
import { emptyEntries } from '../core/messages/index.js';
import { zh } from '../core/messages/zh.js';
import { fileReport, makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';

/** Every key path of a catalog (a function is a leaf). */
const keyPaths = (m: unknown, path = ''): string[] =>
  m && typeof m === 'object'
    ? Object.entries(m)
        .flatMap(([k, v]) => keyPaths(v, path ? `${path}.${k}` : k))
        .sort()
    : [path];

const NON_ANSWERS = ['不填了', '不知道', '算了', '跳过', '不知道在哪', '不填了。'];

/** A user at a given step of the intake. */
async function atStep(step: string, user: string) {
  const app = await makeApp();
  const t = talker(app, user);
  await t.say('举报');
  if (step === 'category') return { app, t };
  await t.choose('cat:livestock');
  if (step === 'location') return { app, t };
  await t.choose('town:先锋镇');
  if (step === 'description') return { app, t };
  await t.say('村口养猪场每天往小河里排放粪水，河水发黑发臭');
  if (step === 'since') return { app, t };
  await t.choose('skip');
  if (step === 'photos') return { app, t };
  await t.choose('skip');
  if (step === 'contact') return { app, t };
  if (step === 'phone') {
    await t.choose('contact');
    return { app, t };
  }
  await t.choose('anon');
  return { app, t };
}

const draftOf = (app: Awaited<ReturnType<typeof makeApp>>, user: string) =>
  app.dialogs.get<{ step: string; draft: Record<string, unknown> }>('test', user);

describe('non-answers at each step', () => {
  it('recognises the phrases and not a real answer that starts like one', () => {
    for (const w of NON_ANSWERS) expect(isNonAnswer(w), w).toBe(true);
    expect(isNonAnswer('不知道是谁在河边倒垃圾')).toBe(false);
    expect(isNonAnswer('先锋镇')).toBe(false);
  });

  for (const word of NON_ANSWERS) {
    it(`“${word}”: required steps ask again with an example, optional ones are skipped, nothing is stored`, async () => {
      let u = 0;
      // category: required
      {
        const { app, t } = await atStep('category', `c${++u}${word}`);
        await t.say(word);
        expect(t.last()).toContain('例如');
        expect(await draftOf(app, `c${u}${word}`)).toMatchObject({ step: 'category', draft: { category: null } });
      }
      // location: required, and never stored as an address
      {
        const { app, t } = await atStep('location', `l${++u}${word}`);
        await t.say(word);
        expect(t.last()).toContain('例如');
        expect(await draftOf(app, `l${u}${word}`)).toMatchObject({ step: 'location', draft: { address: null, town: null } });
      }
      // description: required, never "too short"
      {
        const { app, t } = await atStep('description', `d${++u}${word}`);
        await t.say(word);
        expect(t.last()).toContain('例如');
        expect(t.last()).not.toContain('太短');
        expect(await draftOf(app, `d${u}${word}`)).toMatchObject({ step: 'description', draft: { description: null } });
      }
      // since: skipped
      {
        const { app, t } = await atStep('since', `s${++u}${word}`);
        await t.say(word);
        expect(await draftOf(app, `s${u}${word}`)).toMatchObject({ step: 'photos', draft: { since: '' } });
      }
      // photos: skipped
      {
        const { app, t } = await atStep('photos', `p${++u}${word}`);
        await t.say(word);
        expect(await draftOf(app, `p${u}${word}`)).toMatchObject({ step: 'contact', draft: { photosDone: true, photos: [] } });
      }
      // contact: anonymous
      {
        const { app, t } = await atStep('contact', `k${++u}${word}`);
        await t.say(word);
        expect(await draftOf(app, `k${u}${word}`)).toMatchObject({ step: 'confirm', draft: { anonymous: true, phone: null } });
      }
      // phone: anonymous, no phone stored
      {
        const { app, t } = await atStep('phone', `n${++u}${word}`);
        await t.say(word);
        expect(t.last()).toContain('匿名');
        expect(await draftOf(app, `n${u}${word}`)).toMatchObject({ step: 'confirm', draft: { anonymous: true, phone: null } });
      }
      // confirm: nothing filed, asked again
      {
        const { app, t } = await atStep('confirm', `f${++u}${word}`);
        await t.say(word);
        expect(await app.cases.list({})).toHaveLength(0);
        expect(t.last()).toContain('确认提交');
      }
    });
  }
});

describe('yes/no words wherever a confirmation is asked', () => {
  it('accepts the guessed category with 对 / 是的 / 没错 / 好', async () => {
    for (const yes of ['对', '是的', '没错', '好', '对的。']) {
      const app = await makeApp();
      const t = talker(app, `y-${yes}`);
      await t.say('我家旁边养猪场天天往河里排粪水，我要举报');
      expect(t.last()).toContain('畜禽养殖污染');
      await t.say(yes);
      expect(t.last()).toContain('在哪里');
      expect((await draftOf(app, `y-${yes}`))?.draft.category).toBe('livestock');
    }
    expect(yesNo('不是')).toBe(false);
    expect(yesNo('不对')).toBe(false);
  });

  it('不是 / 不对 drops the guess and shows the full list', async () => {
    const app = await makeApp();
    const t = talker(app, 'no-cat');
    await t.say('我家旁边养猪场天天往河里排粪水，我要举报');
    await t.say('不对');
    expect(t.last()).toContain('请选择问题类别');
    expect((await draftOf(app, 'no-cat'))?.draft).toMatchObject({ category: null, guessed: null });
  });

  it('confirms the far-away point, the phone question and the summary by words', async () => {
    const app = await makeApp();
    const t = talker(app, 'yn');
    await t.say('举报');
    await t.choose('cat:garbage');
    await t.send({ location: { lat: 39.9, lon: 116.4 } });
    expect(t.last()).toMatch(/距江津区约\d+公里/);
    await t.say('是的');
    expect((await draftOf(app, 'yn'))?.draft).toMatchObject({ lat: 39.9, lon: 116.4 });
    await t.say('河边有人乱倒生活垃圾，已经堆成小山了');
    await t.choose('skip');
    await t.choose('skip');
    await t.say('好'); // leave a phone
    expect(t.last()).toContain('手机号');
    await t.say('13812345678');
    expect(t.last()).toContain('请确认');
    await t.say('不对'); // → what to change
    expect(t.last()).toContain('要修改哪一项');
    await t.say('算了'); // back to the summary
    expect(t.last()).toContain('请确认');
    await t.say('没错');
    expect(t.last()).toMatch(/JJ-\d{8}-/);
    expect(await app.cases.list({})).toHaveLength(1);
  });
});

describe('GPS point named by its nearest 镇街', () => {
  it('shows “定位：先锋镇附近” and routes by it', async () => {
    const app = await makeApp();
    const t = talker(app, 'gps-town');
    await t.say('举报');
    await t.choose('cat:livestock');
    await t.send({ location: { lat: 29.207, lon: 106.228 } });
    await t.say('村口养猪场每天往小河里排放粪水，河水发黑发臭');
    await t.choose('skip');
    await t.choose('skip');
    await t.choose('anon');
    expect(t.last()).toContain('定位：先锋镇附近');
    expect(t.last()).not.toContain('29.20700');
    await t.say('对');
    expect((await app.cases.list({}))[0]).toMatchObject({ town: '先锋镇', lat: 29.207 });
  });

  it('names the point when it starts the report, and questions a point far outside', async () => {
    const app = await makeApp();
    const t = talker(app, 'gps-start');
    await t.send({ location: { lat: 28.64, lon: 106.38 } });
    expect((await draftOf(app, 'gps-start'))?.draft.near).toBe('四面山镇');
    const far = talker(app, 'gps-far');
    await far.say('举报');
    await far.choose('cat:livestock');
    await far.send({ location: { lat: 31.2, lon: 121.5 } });
    expect(far.last()).toContain('不在本区范围内');
  });
});

describe('dissatisfaction with a reason', () => {
  async function closedCase() {
    const app = await makeApp();
    const citizen = talker(app, 'unhappy');
    const ticket = await fileReport(citizen);
    const official = talker(app, 'off1');
    await official.say(`/join ${await app.people.invite('official', '区农业农村委', NOW)}`);
    await official.say(`/accept ${ticket}`);
    await official.say(`/close ${ticket} 已责令整改，粪水已停止排放。`);
    return { app, citizen, official, ticket };
  }

  it('asks why, passes the reason once to the unit, sets a new deadline and tells the citizen', async () => {
    const { app, citizen, ticket } = await closedCase();
    const closeNotice = (await app.outbox.list({ kind: 'citizen' })).at(-1);
    expect(closeNotice?.text).not.toContain('。。');
    const later = new Date(NOW.getTime() + 86_400_000);
    await citizen.say('不满意', later);
    expect(citizen.last()).toContain('还有什么问题');
    await citizen.say('晚上还在偷偷排，河水还是黑的', later);
    const c = await app.cases.byTicket(ticket);
    expect(c).toMatchObject({ status: '重新办理', satisfaction: '不满意' });
    expect(citizen.last()).toContain('新的办结时限为');
    expect(citizen.last()).toContain((c?.completeDue ?? '').slice(0, 4));
    const toUnit = (await app.outbox.list({ kind: 'unit' })).filter((m) => m.text.includes('【重新办理】'));
    expect(toUnit).toHaveLength(1);
    const text = toUnit[0]?.text ?? '';
    expect(text.split('晚上还在偷偷排').length - 1).toBe(1);
    expect(text).not.toContain('举报人对办理结果不满意（举报人对办理结果不满意）');
    expect(text).toContain('新的办结时限');
    const history = await app.cases.events(c?.id as number);
    expect(history.at(-1)?.note).toBe('晚上还在偷偷排，河水还是黑的');
  });

  it('跳过 reopens without a reason', async () => {
    const { app, citizen, ticket } = await closedCase();
    await citizen.choose(`rate:${ticket}:no`);
    await citizen.say('跳过');
    expect((await app.cases.byTicket(ticket))?.status).toBe('重新办理');
    expect((await app.outbox.list({ kind: 'unit' })).at(-1)?.text).toContain('未说明原因');
  });

  it('an official’s history names roles in words, in Shanghai time', async () => {
    const { official, ticket } = await closedCase();
    await official.say(`/history ${ticket}`);
    expect(official.last()).not.toMatch(/\b(citizen|official)\b/);
    expect(official.last()).toContain('举报人');
    expect(official.last()).toContain('办理人员');
    expect(official.last()).toMatch(/2026-11-22 (0[8-9]|1\d|2[0-3]):\d\d/);
  });
});

describe('an English conversation, end to end', () => {
  it('keeps intake, statuses and errors in English, with Chinese place names', async () => {
    const app = await makeApp();
    const t = talker(app, 'en-user');
    await t.say('I want to report pollution');
    expect(t.last()).not.toMatch(/\p{Script=Han}{3,}/u);
    await t.say('report');
    await t.say('livestock');
    expect(t.last()).toContain('Where is it?');
    await t.say("don't know");
    expect(t.last()).toContain('We need to know roughly where');
    await t.say('先锋镇杨家店村');
    expect(t.last()).toContain('describe');
    await t.say('ok');
    expect(t.last()).toContain('heart of a report');
    await t.say('A pig farm lets manure run into the stream every day and the water stinks');
    expect(t.last()).toContain('Since when');
    await t.say('skip');
    await t.say('skip');
    await t.say('no');
    expect(t.last()).toContain('Please check your report');
    expect(t.last()).toContain('Category: livestock farming');
    expect(t.last()).toContain('先锋镇');
    await t.say('yes');
    const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(t.last())?.[0] as string;
    expect(t.last()).toContain('Report submitted');
    await t.say(`status ${ticket}`);
    expect(t.last()).toContain('awaiting acceptance');
    expect(t.last()).toContain('区农业农村委');
    await t.say('/frobnicate');
    expect(t.last()).toContain('There is no /frobnicate command');
    // A status change reaches them in English.
    const official = talker(app, 'en-off');
    await official.say(`/join ${await app.people.invite('official', '区农业农村委', NOW)}`);
    await official.say(`/accept ${ticket}`);
    expect((await app.outbox.list({ kind: 'citizen' })).at(-1)?.text).toContain('is now "accepted"');
  });

  it('has every catalog entry in both languages, under the same keys at every depth', () => {
    expect(emptyEntries(zh)).toEqual([]);
    expect(emptyEntries(en)).toEqual([]);
    expect(keyPaths(en)).toEqual(keyPaths(zh));
    // The sections moved in from the officials' side, the jobs, the web API and the desk are there too.
    for (const section of ['officials', 'milestones', 'reminders', 'digest', 'webApi', 'feedback', 'desk'])
      expect(
        keyPaths(zh).some((k) => k.startsWith(`${section}.`)),
        section,
      ).toBe(true);
    // A function takes the same values in both languages.
    const arity = (m: unknown, path = ''): string[] =>
      typeof m === 'function'
        ? [`${path}/${m.length}`]
        : m && typeof m === 'object'
          ? Object.entries(m).flatMap(([k, v]) => arity(v, path ? `${path}.${k}` : k))
          : [];
    expect(arity(en).sort()).toEqual(arity(zh).sort());
  });

  it('an official who writes English gets /cases, /case and /milestones in English; Chinese officials keep Chinese', async () => {
    const app = await makeApp();
    const ticket = await fileReport(talker(app, 'citizen-en-off'));
    const official = talker(app, 'official-en');
    await official.say(`/join ${await app.people.invite('official', '区农业农村委', NOW)}`);
    await official.say('help');
    expect(official.last()).toContain('Commands for handling units');
    await official.say('/cases');
    expect(official.last()).toContain('区农业农村委: 1 open case:');
    expect(official.last()).toContain('awaiting acceptance');
    expect(official.last()).not.toContain('待办举报');
    await official.say(`/case ${ticket}`);
    expect(official.last()).toContain('Handling unit: 区农业农村委');
    expect(official.last()).toContain('Linked milestone:');
    await official.say('/milestones');
    expect(official.last()).toMatch(/区农业农村委: \d+ open milestones?/);
    expect(official.last()).toContain('Send /milestone N for details');
    expect(official.last()).not.toContain('未完成的整改节点');
    await official.say('/done 999999 x');
    expect(official.last()).toContain('There is no milestone #999999');
    await official.say(`/accept ${ticket}`);
    expect(official.last()).toContain(`Done: ${ticket} is now "accepted"`);
    await official.say(`/accept ${ticket}`);
    expect(official.last()).toContain('The case is "accepted": this action is not possible now.');
    // The same commands from an official who writes Chinese (or nothing yet) stay Chinese.
    const zhOfficial = talker(app, 'official-zh');
    await zhOfficial.say(`/join ${await app.people.invite('official', '区农业农村委', NOW)}`);
    await zhOfficial.say('/cases');
    expect(zhOfficial.last()).toContain('区农业农村委待办举报 1 件');
    await zhOfficial.say('/milestones');
    expect(zhOfficial.last()).toContain('区农业农村委未完成的整改节点');
    await zhOfficial.say(`/accept ${ticket}`);
    expect(zhOfficial.last()).toContain('当前状态为“已受理”，不能进行这个操作。');
  });
});

describe('notifications never stranded', () => {
  it('keeps the new-case notice for a unit with no chat, tells the administrators at once, delivers on binding', async () => {
    const app = await makeApp();
    const admin = talker(app, 'admin1');
    await admin.say(`/join ${await app.people.invite('admin', null, NOW)}`);
    const ticket = await fileReport(talker(app, 'citizen-x'));
    const held = await app.outbox.list({ status: 'unroutable' });
    expect(held.map((m) => m.unit)).toContain('区农业农村委');
    const toAdmin = await app.outbox.list({ kind: 'admin' });
    expect(toAdmin).toHaveLength(1);
    expect(toAdmin[0]).toMatchObject({ channel: 'test', chatId: 'admin1', status: 'pending' });
    expect(toAdmin[0]?.text).toContain(ticket);

    const later = new Date(NOW.getTime() + 3 * 86_400_000);
    const official = talker(app, 'late-official', 'test', later);
    await official.say(`/join ${await app.people.invite('official', '区农业农村委', later)}`);
    expect(official.last()).toContain('以下是绑定之前留给本单位的 1 条通知');
    const delivered = (await app.outbox.list({ kind: 'unit', status: 'pending' })).filter((m) => m.chatId === 'late-official');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.text).toContain(ticket);
    // Once only: binding a group afterwards does not send it again to the same official.
    await official.say('/bind');
    await official.say('/bind');
    expect((await app.outbox.list({ kind: 'unit' })).filter((m) => m.chatId === 'late-official')).toHaveLength(1);
    expect(await app.outbox.heldFor('区农业农村委')).toHaveLength(0);
  });
});
