import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWeComClient, WeComApiError } from '../bot/channels/wecom/client.js';
import { decrypt, encrypt, signature, verifySignature } from '../bot/channels/wecom/crypto.js';
import { callbackRequest, type FakeWeCom, messageXml, SAMPLE, sampleWecomEnv, startFakeWeCom, type WeComCall } from '../fakes/wecom.js';
import type { startTestAssistant } from './assistant.js';
import { eachBackend } from './support/backends.js';

type Running = Awaited<ReturnType<typeof startTestAssistant>>;

/** What a sent app message shows: a text, or a card's title, text and buttons (one per line). */
function contentOf(c: WeComCall): string {
  if (c.body.msgtype === 'template_card') {
    const card = c.body.template_card as { main_title: { title: string }; sub_title_text?: string; button_list: Array<{ text: string }> };
    return [card.main_title.title, card.sub_title_text ?? '', ...card.button_list.map((b) => b.text)].join('\n');
  }
  if (c.body.msgtype === 'image') return `[image ${(c.body.image as { media_id: string }).media_id}]`;
  return String(
    (c.body.text as { content?: string } | undefined)?.content ?? (c.body.markdown as { content?: string } | undefined)?.content ?? '',
  );
}
let fake: FakeWeCom | null = null;
let running: Running | null = null;

afterEach(async () => {
  await running?.stop();
  await fake?.close();
  running = null;
  fake = null;
});

describe('WeCom crypto', () => {
  it('verifies and decrypts the sample URL check of WeCom’s documentation', () => {
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(verifySignature('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', SAMPLE.token, '1409659589', '263014780', echostr)).toBe(true);
    expect(decrypt(SAMPLE.encodingAesKey, echostr, SAMPLE.corpId)).toEqual({ message: '1616140317555161061', receiveId: SAMPLE.corpId });
  });

  it('verifies and decrypts the sample message of WeCom’s documentation', () => {
    const enc =
      'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
    expect(verifySignature('477715d11cdb4164915debcba66cb864d751f3e6', SAMPLE.token, '1409659813', '1372623149', enc)).toBe(true);
    const { message } = decrypt(SAMPLE.encodingAesKey, enc, SAMPLE.corpId);
    expect(message).toContain('<Content><![CDATA[hello]]></Content>');
    expect(message).toContain('<MsgId>4561255354251345929</MsgId>');
  });

  it('rejects another corp’s payload and a wrong signature', () => {
    const enc = encrypt(SAMPLE.encodingAesKey, '<xml/>', 'other-corp');
    expect(() => decrypt(SAMPLE.encodingAesKey, enc, SAMPLE.corpId)).toThrow(/another corp/);
    expect(verifySignature('0'.repeat(40), SAMPLE.token, '1', '2', enc)).toBe(false);
    expect(signature(SAMPLE.token, '1', '2', enc)).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('WeComClient', () => {
  it('caches the token, refreshes it once on 42001 and types other errors', async () => {
    fake = await startFakeWeCom();
    const client = createWeComClient({ apiBase: fake.url, corpId: SAMPLE.corpId, secret: 's', agentId: 1000002 });
    await Promise.all([client.sendText({ touser: 'a' }, '1'), client.sendText({ touser: 'b' }, '2')]);
    expect(fake.tokensIssued).toBe(1);
    fake.failNext(42001);
    await client.sendText({ touser: 'c' }, '3');
    expect(fake.tokensIssued).toBe(2);
    fake.failNext(81013);
    await expect(client.sendText({ touser: 'd' }, '4')).rejects.toBeInstanceOf(WeComApiError);
    fake.failNext(40014, 2);
    await expect(client.sendText({ touser: 'e' }, '5')).rejects.toMatchObject({ errcode: 40014 });
  });
});

eachBackend('WeCom channel', (backend) => {
  describe('callbacks and pushes', () => {
    const env = sampleWecomEnv;

    it('answers the URL verification with the decrypted echo', async () => {
      fake = await startFakeWeCom();
      running = await backend.start(env(fake.url));
      const q =
        'msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D';
      const r = await fetch(`${running.url}/wecom/callback?${q}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('1616140317555161061');
      const bad = await fetch(`${running.url}/wecom/callback?${q.replace('5c45', '0000')}`);
      expect(bad.status).toBe(403);
    });

    it('runs a whole conversation from signed, encrypted callbacks', async () => {
      fake = await startFakeWeCom();
      running = await backend.start(env(fake.url));
      const f = fake;
      const r = running;
      const sentTo = (user: string) => f.calls.filter((c) => c.path === '/cgi-bin/message/send' && c.body.touser === user);
      const say = async (user: string, fields: Record<string, string>, expectText?: RegExp): Promise<string> => {
        const before = sentTo(user).length;
        const req = callbackRequest(messageXml(user, fields));
        const t0 = Date.now();
        const res = await fetch(`${r.url}/wecom/callback?${req.query}`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml' },
          body: req.body,
        });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('success');
        expect(Date.now() - t0).toBeLessThan(5000);
        await f.waitFor(() =>
          sentTo(user)
            .slice(before)
            .some((c) => !expectText || expectText.test(contentOf(c))),
        );
        return sentTo(user).slice(before).map(contentOf).join('\n');
      };
      expect(await say('zhangsan', { MsgType: 'text', Content: '尾水整改完成了多少？' }, /978/)).toContain('978万吨');
      const cats = await say('zhangsan', { MsgType: 'text', Content: '举报' }, /类别/);
      const n = cats
        .split('\n')
        .find((l) => l.includes('水产养殖尾水'))
        ?.split('.')[0] as string;
      expect(await say('zhangsan', { MsgType: 'text', Content: n }, /哪里/)).toContain('发送位置');
      await say(
        'zhangsan',
        { MsgType: 'location', Location_X: '29.2', Location_Y: '106.3', Scale: '15', Label: '重庆市江津区几江街道' },
        /描述/,
      );
      await say('zhangsan', { MsgType: 'text', Content: '鱼塘放水清塘，浑水直接排进江里' }, /什么时候/);
      await say('zhangsan', { MsgType: 'text', Content: '跳过' }, /照片/);
      await say('zhangsan', { MsgType: 'image', PicUrl: 'https://wework.qpic.cn/x?token=SECRET', MediaId: 'MEDIA_ID_1' }, /已收到/);
      await say('zhangsan', { MsgType: 'text', Content: '完成' }, /联系电话/);
      await say('zhangsan', { MsgType: 'text', Content: '13812345678' }, /请确认/);
      const done = await say('zhangsan', { MsgType: 'text', Content: '确认提交' }, /受理编号/);
      const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(done)?.[0] as string;
      expect(await r.app.cases.byTicket(ticket)).toMatchObject({
        channel: 'wecom',
        photos: ['wecom:MEDIA_ID_1'],
        lat: 29.2,
        lon: 106.3,
        phone: '13812345678',
      });
      expect(JSON.stringify(await r.app.cases.byTicket(ticket))).not.toContain('qpic');
      expect(await say('zhangsan', { MsgType: 'text', Content: `查询 ${ticket}` }, /待受理/)).toContain(ticket);

      const code = await r.app.people.invite('official', '区农业农村委', new Date());
      await say('lisi', { MsgType: 'text', Content: `/join ${code}` }, /已绑定/);
      expect(await say('lisi', { MsgType: 'text', Content: `/case ${ticket}` }, /13812345678/)).toContain('水产养殖尾水');
      expect(await say('lisi', { MsgType: 'text', Content: `/accept ${ticket}` }, /已办理/)).toContain('已受理');
      // Logs never show the phone.
      expect(r.logs.join('\n')).not.toContain('13812345678');
    });

    it('handles a message delivered twice (same MsgId) only once', async () => {
      fake = await startFakeWeCom();
      running = await backend.start(env(fake.url));
      const req = callbackRequest(messageXml('wangwu', { MsgType: 'text', Content: '你好' }));
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${running.url}/wecom/callback?${req.query}`, { method: 'POST', body: req.body });
        expect(await res.text()).toBe('success');
      }
      await running.wecom?.idle();
      expect(fake.calls.filter((c) => c.body.touser === 'wangwu')).toHaveLength(1);
    });

    it('refuses a forged callback', async () => {
      fake = await startFakeWeCom();
      running = await backend.start(env(fake.url));
      const req = callbackRequest(messageXml('evil', { MsgType: 'text', Content: '举报' }), { ...SAMPLE, token: 'not-the-token' });
      const res = await fetch(`${running.url}/wecom/callback?${req.query}`, { method: 'POST', body: req.body });
      expect(res.status).toBe(403);
      const garbage = await fetch(`${running.url}/wecom/callback?${req.query}`, { method: 'POST', body: '<xml><nope/>' });
      expect(garbage.status).toBe(400);
    });

    it('sends unit pushes as markdown to a department, and through the group robot', async () => {
      fake = await startFakeWeCom();
      running = await backend.start({ ...env(fake.url), WECOM_WEBHOOK_KEY: 'robot-key' });
      const now = new Date('2026-11-23T01:07:00Z');
      await running.app.people.bindChat('区生态环境局', 'wecom', 'party:7', 'test', now);
      await running.app.people.bindChat('区农业农村委', 'wecom-robot', 'default', 'test', now);
      await running.jobs.reminders(now);
      const rep = await running.jobs.dispatch(running.senders, now);
      expect(rep.sent).toBeGreaterThanOrEqual(2);
      const md = fake.calls.find((c) => c.body.toparty === '7');
      expect(md?.body.msgtype).toBe('markdown');
      expect((md?.body.markdown as { content: string } | undefined)?.content).toMatch(/^\*\*【请报告完成情况】区生态环境局/);
      const robot = fake.calls.find((c) => c.path === '/cgi-bin/webhook/send');
      expect(robot?.query.key).toBe('robot-key');
    });
  });

  describe('WeCom template cards and photos (issue 12)', () => {
    const env = sampleWecomEnv;
    const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(200, 7)]);

    /** Posts signed, encrypted callbacks and waits for what the assistant sends to the user. */
    function talker(f: FakeWeCom, r: Running) {
      const sentTo = (user: string) => f.calls.filter((c) => c.path === '/cgi-bin/message/send' && c.body.touser === user);
      const post = async (xml: string) => {
        const req = callbackRequest(xml);
        const res = await fetch(`${r.url}/wecom/callback?${req.query}`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml' },
          body: req.body,
        });
        expect(await res.text()).toBe('success');
        return req;
      };
      const sayXml = async (user: string, xml: string, expectText: RegExp): Promise<WeComCall[]> => {
        const before = sentTo(user).length;
        await post(xml);
        await f.waitFor(() =>
          sentTo(user)
            .slice(before)
            .some((c) => expectText.test(contentOf(c))),
        );
        await r.wecom?.idle();
        return sentTo(user).slice(before);
      };
      const say = (user: string, fields: Record<string, string>, expectText: RegExp) => sayXml(user, messageXml(user, fields), expectText);
      const text = (calls: WeComCall[]) => calls.map(contentOf).join('\n');
      return { sentTo, post, say, sayXml, text };
    }

    /** A citizen's report through to the confirmation card; the photo step gets `photo` (a media id). */
    async function reportUntilConfirm(t: ReturnType<typeof talker>, user: string, photo: string) {
      const cats = t.text(await t.say(user, { MsgType: 'text', Content: '举报' }, /类别/));
      const n = cats
        .split('\n')
        .find((l) => l.includes('水产养殖尾水'))
        ?.split('.')[0] as string;
      await t.say(user, { MsgType: 'text', Content: n }, /哪里/);
      await t.say(user, { MsgType: 'location', Location_X: '29.2', Location_Y: '106.3', Scale: '15', Label: '几江街道' }, /描述/);
      await t.say(user, { MsgType: 'text', Content: '鱼塘放水清塘，浑水直接排进江里' }, /什么时候/);
      await t.say(user, { MsgType: 'text', Content: '跳过' }, /照片/);
      await t.say(user, { MsgType: 'image', MediaId: photo, PicUrl: 'https://wework.qpic.cn/x' }, /已收到/);
      await t.say(user, { MsgType: 'text', Content: '完成' }, /联系电话/);
      return t.say(user, { MsgType: 'text', Content: '13812345678' }, /请确认/);
    }

    it('sends choices as a button card, acts on the click once and marks the card chosen; too many buttons stay a numbered list', async () => {
      fake = await startFakeWeCom();
      running = await backend.start(env(fake.url));
      const f = fake;
      const t = talker(f, running);
      fake.media.set('MEDIA_CARD', { bytes: JPEG, contentType: 'image/jpeg' });
      // The category list has more buttons than a card allows: a numbered text.
      const cats = await t.say('zhaoliu', { MsgType: 'text', Content: '举报' }, /类别/);
      expect(cats.some((c) => c.body.msgtype === 'template_card')).toBe(false);
      expect(t.text(cats)).toMatch(/\n1\. /);
      await t.say('zhaoliu', { MsgType: 'text', Content: '取消' }, /./);

      const confirm = await reportUntilConfirm(t, 'zhaoliu', 'MEDIA_CARD');
      const cardCall = confirm.find((c) => c.body.msgtype === 'template_card') as WeComCall;
      expect(cardCall).toBeDefined();
      const card = cardCall.body.template_card as {
        card_type: string;
        task_id: string;
        sub_title_text: string;
        button_list: Array<{ text: string; key: string }>;
      };
      expect(card.card_type).toBe('button_interaction');
      expect(card.sub_title_text).toContain('请确认');
      expect(card.button_list.length).toBeLessThanOrEqual(6);
      const submit = card.button_list.find((b) => b.text === '确认提交') as { key: string };
      expect(submit).toBeDefined();

      // The click: a signed, encrypted template_card_event with the button's key and the card's task id.
      const click = fake.clickXml('zhaoliu', card.task_id, submit.key);
      const done = await t.sayXml('zhaoliu', click, /受理编号/);
      const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(t.text(done))?.[0] as string;
      expect(await running.app.cases.byTicket(ticket)).toMatchObject({ channel: 'wecom', photos: ['wecom:MEDIA_CARD'] });
      const update = await f.waitFor((c) => c.path === '/cgi-bin/message/update_template_card');
      expect(update.body).toMatchObject({ userids: ['zhaoliu'], agentid: 1000002, button: { replace_name: '已选择：确认提交' } });

      // WeCom delivers the same click again, and the user clicks the answered card again: nothing happens twice.
      const sends = t.sentTo('zhaoliu').length;
      await t.post(click);
      await t.post(fake.clickXml('zhaoliu', card.task_id, submit.key));
      // A click on a card that was never sent, or by another user, is ignored.
      await t.post(fake.clickXml('zhaoliu', 'rc_forged', submit.key));
      await t.post(fake.clickXml('mallory', card.task_id, submit.key));
      await running.wecom?.idle();
      expect(fake.calls.filter((c) => c.path === '/cgi-bin/message/update_template_card')).toHaveLength(1);
      expect(await backend.sql(running.app, "SELECT id FROM cases WHERE channel = 'wecom'")).toHaveLength(1);
      expect(t.sentTo('mallory')).toHaveLength(0);
      expect(t.sentTo('zhaoliu').length).toBeGreaterThanOrEqual(sends);
    });

    it('falls back to the numbered list when WeCom refuses the card with an errcode', async () => {
      fake = await startFakeWeCom();
      running = await backend.start(env(fake.url));
      const t = talker(fake, running);
      fake.media.set('MEDIA_FB', { bytes: JPEG, contentType: 'image/jpeg' });
      const cats = t.text(await t.say('qianjiu', { MsgType: 'text', Content: '举报' }, /类别/));
      const n = cats
        .split('\n')
        .find((l) => l.includes('水产养殖尾水'))
        ?.split('.')[0] as string;
      await t.say('qianjiu', { MsgType: 'text', Content: n }, /哪里/);
      await t.say('qianjiu', { MsgType: 'location', Location_X: '29.2', Location_Y: '106.3', Label: '几江街道' }, /描述/);
      await t.say('qianjiu', { MsgType: 'text', Content: '鱼塘放水清塘，浑水直接排进江里' }, /什么时候/);
      await t.say('qianjiu', { MsgType: 'text', Content: '跳过' }, /照片/);
      await t.say('qianjiu', { MsgType: 'text', Content: '跳过' }, /联系电话/);
      fake.failNext(40058);
      const confirm = await t.say('qianjiu', { MsgType: 'text', Content: '13812345678' }, /确认提交/);
      const listed = confirm
        .filter((c) => c.body.msgtype === 'text')
        .map(contentOf)
        .join('\n');
      expect(listed).toMatch(/请确认[\s\S]*\n\d\. 确认提交/);
      const num = /(\d)\. 确认提交/.exec(listed)?.[1] as string;
      expect(t.text(await t.say('qianjiu', { MsgType: 'text', Content: num }, /受理编号/))).toMatch(/JJ-\d{8}/);
    });

    it('downloads a received image into the store and shows it to the handling unit only; a non-image is refused', async () => {
      fake = await startFakeWeCom();
      running = await backend.start(env(fake.url));
      const r = running;
      const t = talker(fake, running);
      fake.media.set('MEDIA_JPEG', { bytes: JPEG, contentType: 'image/jpeg' });
      const confirm = await reportUntilConfirm(t, 'zhouba', 'MEDIA_JPEG');
      expect(fake.calls.some((c) => c.path === '/cgi-bin/media/get' && c.query.media_id === 'MEDIA_JPEG')).toBe(true);
      // Stored under the case's reference, as a real JPEG: it outlives WeCom's three days.
      const [row] = (await backend.sql(r.app, "SELECT file, mime FROM photo_files WHERE ref = 'wecom:MEDIA_JPEG'")) as Array<{
        file: string;
        mime: string;
      }>;
      expect(row?.mime).toBe('image/jpeg');
      const stored = readFileSync(join(r.dir, 'uploads', row?.file as string));
      expect([...stored.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      expect(stored.equals(JPEG)).toBe(true);
      fake.media.delete('MEDIA_JPEG');
      expect(t.text(confirm.filter((c) => c.body.msgtype === 'template_card'))).toContain('确认提交');
      const done = t.text(await t.say('zhouba', { MsgType: 'text', Content: '确认提交' }, /受理编号/));
      const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(done)?.[0] as string;
      expect((await r.app.cases.byTicket(ticket))?.photos).toEqual(['wecom:MEDIA_JPEG']);

      // The handling unit's official: the stored photo uploaded again and sent as an image.
      await t.say(
        'lisi',
        { MsgType: 'text', Content: `/join ${await r.app.people.invite('official', '区农业农村委', new Date())}` },
        /已绑定/,
      );
      const shown = await t.say('lisi', { MsgType: 'text', Content: `/photos ${ticket}` }, /\[image /);
      const upload = fake.calls.find((c) => c.path === '/cgi-bin/media/upload') as WeComCall;
      expect(upload.query.type).toBe('image');
      expect([...(upload.body.bytes as Buffer).subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      const image = shown.find((c) => c.body.msgtype === 'image') as WeComCall;
      expect(image.body.image).toEqual({ media_id: 'UPLOADED_1' });
      expect(t.text(shown)).toContain(`${ticket} 现场照片 1 张`);

      // The citizen and an official of another unit are refused; nothing is uploaded for them.
      expect(t.text(await t.say('zhouba', { MsgType: 'text', Content: `/photos ${ticket}` }, /./))).not.toContain('[image');
      await t.say(
        'wangshi',
        { MsgType: 'text', Content: `/join ${await r.app.people.invite('official', '区生态环境局', new Date())}` },
        /已绑定/,
      );
      expect(t.text(await t.say('wangshi', { MsgType: 'text', Content: `/photos ${ticket}` }, /没有找到/))).not.toContain('[image');
      expect(fake.calls.filter((c) => c.path === '/cgi-bin/media/upload')).toHaveLength(1);

      // A text file sent as an image: refused, nothing stored, nothing attached.
      fake.media.set('MEDIA_TXT', { bytes: Buffer.from('just some text, not a photo at all'), contentType: 'image/jpeg' });
      await t.say('sunshi', { MsgType: 'text', Content: '举报' }, /类别/);
      const refused = t.text(await t.say('sunshi', { MsgType: 'image', MediaId: 'MEDIA_TXT' }, /没有保存/));
      expect(refused).toContain('JPEG');
      expect(await backend.sql(r.app, "SELECT ref FROM photo_files WHERE ref = 'wecom:MEDIA_TXT'")).toEqual([]);
      expect(readdirSync(join(r.dir, 'uploads')).filter((n) => !n.startsWith('wecom-') || n.includes('.tmp'))).toEqual([]);
      expect(readdirSync(join(r.dir, 'uploads'))).toHaveLength(1);
    });
  });
});
