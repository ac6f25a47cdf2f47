/**
 * Issue 11, the platform channels: H2 (authenticate before parsing), M6 (replay window), L7 (WeCom
 * choices in the store), M5 (WeCom markdown escaping), M1 (Telegram: commit before acknowledging,
 * every reply through the outbox, outage and restart), L5 (webhook bodies), L8 (Telegram HTML).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WECOM_MAX_SKEW_SECONDS } from '../bot/channels/wecom/channel.js';
import { extractEncrypt } from '../bot/channels/wecom/crypto.js';
import { callbackUpdate, type FakeTelegram, startFakeTelegram, textUpdate } from '../fakes/telegram.js';
import { callbackRequest, type FakeWeCom, messageXml, SAMPLE, sampleWecomEnv, startFakeWeCom } from '../fakes/wecom.js';
import { toTelegramHtml, toWeComMarkdown } from '../jobs/render.js';
import { SEEN_RETENTION_MS } from '../store/dialogs.js';
import { startTestAssistant } from './assistant.js';
import { type Backend, eachBackend } from './support/backends.js';

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
type Start = Backend['start'];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const wecomEnv = sampleWecomEnv;

/** Starts an assistant with WeCom on a fake; `start` puts it on a backend's store (SQLite by default). */
async function withWeCom(
  env: Record<string, string> = {},
  dir?: string,
  start: Start = startTestAssistant,
): Promise<{ fake: FakeWeCom; running: Running }> {
  const fake = await startFakeWeCom();
  const running = await start({ ...wecomEnv(fake.url), ...env }, dir ? { dir } : {});
  cleanups.push(async () => {
    await running.stop();
    await fake.close();
  });
  return { fake, running };
}

/**
 * The attacker, in a process of its own (so its cost is not counted against the server's loop):
 * posts unsigned bodies to the callback and prints the statuses.
 */
const ATTACKER = `
import { request } from 'node:http';
const [url] = process.argv.slice(1);
const post = (body, chunked) => new Promise((resolve) => {
  const u = new URL(url + '/wecom/callback?msg_signature=0&timestamp=' + Math.floor(Date.now() / 1000) + '&nonce=1');
  const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST',
    headers: chunked ? {} : { 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', () => resolve(0));
  if (chunked) { const b = Buffer.from(body); for (let i = 0; i < b.length; i += 262144) req.write(b.subarray(i, i + 262144)); req.end(); }
  else req.end(body);
});
const huge = '<xml>' + '<a><![CDATA[x]]></a>'.repeat(300000) + '</xml>';
const nested = '<xml>' + '<a>'.repeat(12000) + '<Encrypt>' + 'QUJD'.repeat(100) + '</Encrypt></xml>';
const statuses = await Promise.all([...Array.from({ length: 8 }, () => post(huge)), post(huge, true), ...Array.from({ length: 20 }, () => post(nested))]);
process.stdout.write(JSON.stringify(statuses));
`;

function attack(url: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', ATTACKER, url], { timeout: 20_000 }, (e, out) =>
      e ? reject(e) : resolve(JSON.parse(out) as number[]),
    );
  });
}

describe('H2: the WeCom callback authenticates before it parses', () => {
  it('keeps /healthz fast while unsigned oversized XML arrives', async () => {
    const { running } = await withWeCom();
    // Warm up the client and the route, then measure.
    for (let i = 0; i < 3; i++) await fetch(`${running.url}/healthz`);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const health: number[] = [];
    let attacking = true;
    const probe = (async () => {
      while (attacking || health.length < 10) {
        const t0 = performance.now();
        await fetch(`${running.url}/healthz`);
        health.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const statuses = await attack(running.url).finally(() => {
      attacking = false;
    });
    await probe;
    delay.disable();
    // Refused: too large (413, or the connection closed first), or a bad signature (403); never parsed.
    for (const s of statuses.slice(0, 9)) expect([0, 413]).toContain(s);
    for (const s of statuses.slice(9)) expect(s).toBe(403);
    // (Before: one such request stalled /healthz ~1 s; eight at once held the loop 4.7 s.) The bounds
    // sit well below that and well above what a loaded 2-core CI machine adds on its own.
    expect(Math.max(...health)).toBeLessThan(600);
    expect(delay.max / 1e6).toBeLessThan(400);
  });

  it('finds the Encrypt field without parsing and only in a small body', () => {
    expect(extractEncrypt('<xml><Encrypt><![CDATA[QUJD]]></Encrypt></xml>')).toBe('QUJD');
    expect(extractEncrypt('<xml><Encrypt>QUJD</Encrypt></xml>')).toBe('QUJD');
    expect(extractEncrypt('<xml><Encrypt><![CDATA[<a/>]]></Encrypt></xml>')).toBeNull();
    expect(extractEncrypt(`<xml><Encrypt>${'QUJD'.repeat(20_000)}</Encrypt></xml>`)).toBeNull();
    expect(extractEncrypt('<xml/>')).toBeNull();
  });
});

const TOKEN = '123456:TEST-token-abcdefghijklmnopqrstuvwxyz';
const CITIZEN = 333;

async function withTelegram(env: Record<string, string> = {}, dir?: string, fake?: FakeTelegram, start: Start = startTestAssistant) {
  const f = fake ?? (await startFakeTelegram());
  const running = await start({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: f.url, ...env }, dir ? { dir } : {});
  return { fake: f, running };
}

const sentTo = (f: FakeTelegram, chat: number) => f.calls.filter((c) => c.method === 'sendMessage' && Number(c.payload.chat_id) === chat);

async function until(pred: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

eachBackend('platform channels', (backend) => {
  describe('M6: WeCom replays', () => {
    it('refuses a correctly signed callback whose timestamp is more than five minutes old', async () => {
      const { fake, running } = await withWeCom({}, undefined, backend.start);
      const old = callbackRequest(
        messageXml('replayer', { MsgType: 'text', Content: '/progress JJ-20261122-ABCDE 已处理' }),
        SAMPLE,
        Date.now() - 6 * 60_000,
      );
      const res = await fetch(`${running.url}/wecom/callback?${old.query}`, { method: 'POST', body: old.body });
      expect(res.status).toBe(403);
      const future = callbackRequest(messageXml('replayer', { MsgType: 'text', Content: '你好' }), SAMPLE, Date.now() + 6 * 60_000);
      expect((await fetch(`${running.url}/wecom/callback?${future.query}`, { method: 'POST', body: future.body })).status).toBe(403);
      const fresh = callbackRequest(messageXml('replayer', { MsgType: 'text', Content: '你好' }), SAMPLE, Date.now() - 60_000);
      expect(await (await fetch(`${running.url}/wecom/callback?${fresh.query}`, { method: 'POST', body: fresh.body })).text()).toBe(
        'success',
      );
      await running.wecom?.idle();
      expect(fake.calls.filter((c) => c.body.touser === 'replayer')).toHaveLength(1);
      // Within the window a replay is caught by its MsgId, kept far longer than the window.
      expect(SEEN_RETENTION_MS).toBeGreaterThan(WECOM_MAX_SKEW_SECONDS * 1000 * 2);
    });
  });

  describe('L7 and M5: WeCom choices and markdown', () => {
    it('keeps the numbered choices in the store: "1" works after a restart', async () => {
      const first = await withWeCom({}, undefined, backend.start);
      const say = async (r: Running, text: string) => {
        const req = callbackRequest(messageXml('zhaoliu', { MsgType: 'text', Content: text }));
        expect(await (await fetch(`${r.url}/wecom/callback?${req.query}`, { method: 'POST', body: req.body })).text()).toBe('success');
        await r.wecom?.idle();
      };
      await say(first.running, '举报');
      const cats = String((first.fake.calls.at(-1)?.body.text as { content: string } | undefined)?.content);
      expect(cats).toMatch(/1\. /);
      const dir = first.running.dir;
      await cleanups.pop()?.();
      const second = await withWeCom({}, dir, backend.start);
      await say(second.running, '1');
      const next = String((second.fake.calls.at(-1)?.body.text as { content: string } | undefined)?.content);
      expect(next).toContain('哪里');
      expect((await second.running.app.choices.get('wecom', 'zhaoliu'))?.length).toBeGreaterThan(3);
    });

    it('escapes a citizen’s text in WeCom markdown pushed to a group', async () => {
      const { fake, running } = await withWeCom({ WECOM_WEBHOOK_KEY: 'robot-key' }, undefined, backend.start);
      const r = running;
      const now = new Date();
      await r.app.people.bindChat('区城市管理局', 'wecom-robot', 'default', 'test', now);
      const user = { channel: 'test', userId: 'md', chatId: 'md' };
      let n = 0;
      const say = (m: Record<string, unknown>) => r.app.dialog.handle({ ...user, messageId: `md${++n}`, ...m }, now);
      await say({ text: '举报' });
      await say({ choice: 'cat:garbage' });
      await say({ choice: 'town:石蟆镇' });
      await say({
        text: '# 紧急通知 [点此领取补贴](http://evil.example/x) <font color="warning">立即处理</font> <@all> **河边堆垃圾** 电话13812345678',
      });
      await say({ choice: 'skip' });
      await say({ choice: 'skip' });
      await say({ choice: 'anon' });
      await say({ choice: 'confirm' });
      await r.jobs.dispatch(r.senders, new Date(Date.now() + 1000));
      const md = String(
        (fake.calls.find((c) => c.path === '/cgi-bin/webhook/send')?.body.markdown as { content: string } | undefined)?.content,
      );
      expect(md).toMatch(/^\*\*【新举报】/);
      for (const raw of ['[点此', '](http', '<font color="warning">立即', '<@all>', '**河边', '\n# ']) expect(md).not.toContain(raw);
      expect(md).toContain('［点此领取补贴］');
      // A group push shows no phone number typed into the text.
      expect(md).not.toContain('13812345678');
      expect(toWeComMarkdown('标题\n<font color="info">x</font>')[1]).toBeUndefined();
      expect(toWeComMarkdown('标题\n<font color="info">x</font>')[0]).toBe('**标题**\n＜font color="info"＞x＜/font＞');
    });
  });

  describe('M1: Telegram commits before it acknowledges; every reply goes through the outbox', () => {
    it('loses no ticket when the Bot API is down across a restart', async () => {
      const fake = await startFakeTelegram();
      let { running } = await withTelegram({}, undefined, fake, backend.start);
      cleanups.push(async () => {
        await running.stop();
        await fake.close();
      });
      const steps: Array<Record<string, unknown>> = [
        textUpdate(CITIZEN, '举报'),
        callbackUpdate(CITIZEN, 'cat:garbage'),
        callbackUpdate(CITIZEN, 'town:石蟆镇'),
        textUpdate(CITIZEN, '河滩上堆了很多生活垃圾没人清运'),
        callbackUpdate(CITIZEN, 'skip'),
        callbackUpdate(CITIZEN, 'skip'),
        callbackUpdate(CITIZEN, 'anon'),
      ];
      for (const u of steps) {
        const before = sentTo(fake, CITIZEN).length;
        fake.push(u);
        await until(() => sentTo(fake, CITIZEN).length > before);
      }
      await until(() => String(sentTo(fake, CITIZEN).at(-1)?.payload.text).includes('请确认'));
      // The Bot API goes down; the confirmation press arrives and is committed, its reply cannot be sent.
      fake.outage(true);
      fake.push(callbackUpdate(CITIZEN, 'confirm'));
      const r1 = running;
      await until(async () => (await r1.app.cases.list({})).length === 1);
      await until(async () => (await r1.app.outbox.list({ kind: 'reply', status: 'pending' })).some((m) => m.attempts > 0));
      const dir = running.dir;
      await running.stop();
      // Restart while the Bot API is still down, then it comes back.
      ({ running } = await withTelegram({}, dir, fake, backend.start));
      fake.outage(false);
      const ticket = (await running.app.cases.list({}))[0]?.ticket as string;
      expect(await running.app.cases.list({})).toHaveLength(1);
      const owed = await running.app.outbox.list({ kind: 'reply', status: 'pending' });
      expect(owed.map((m) => m.text).join()).toContain(ticket);
      const report = await running.jobs.dispatch(running.senders, new Date(Date.now() + 10 * 60_000));
      expect(report.sent).toBeGreaterThanOrEqual(1);
      expect(
        sentTo(fake, CITIZEN)
          .map((c) => String(c.payload.text))
          .join(),
      ).toContain(ticket);
      expect(await running.app.cases.list({})).toHaveLength(1);
    });

    it('re-sends the pending replies of a redelivered update instead of answering nothing', async () => {
      const { fake, running } = await withTelegram({}, undefined, undefined, backend.start);
      cleanups.push(async () => {
        await running.stop();
        await fake.close();
      });
      fake.outage(true);
      const update = textUpdate(CITIZEN, '帮助');
      fake.push(update);
      await until(async () => (await running.app.outbox.list({ kind: 'reply' })).some((m) => m.attempts > 0));
      fake.outage(false);
      expect(sentTo(fake, CITIZEN)).toHaveLength(0);
      // Telegram delivers the same message again (same chat and message id).
      fake.push(update);
      await until(() => sentTo(fake, CITIZEN).length > 0);
      await running.telegram?.idle();
      expect(sentTo(fake, CITIZEN)).toHaveLength(1);
      expect(String(sentTo(fake, CITIZEN)[0]?.payload.text)).toContain('整改助手');
    });
  });

  describe('L5: webhook bodies', () => {
    it('answers 401, 400 and 413, never 500', async () => {
      const fake = await startFakeTelegram();
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const secret = 'hook-secret_123';
      const { running } = await withTelegram(
        { HTTP_PORT: String(port), TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`, TELEGRAM_WEBHOOK_SECRET: secret },
        undefined,
        fake,
        backend.start,
      );
      cleanups.push(async () => {
        await running.stop();
        await fake.close();
      });
      await fake.waitFor((c) => c.method === 'setWebhook');
      const post = (body: string, s = secret) =>
        fetch(`http://127.0.0.1:${port}/telegram/webhook`, { method: 'POST', headers: { 'x-telegram-bot-api-secret-token': s }, body });
      expect((await post('{"update_id":1}', 'wrong')).status).toBe(401);
      expect((await post('not json at all')).status).toBe(400);
      expect((await post('{"update_id": "x", "message": 5}')).status).toBe(200);
      expect((await post(JSON.stringify({ update_id: 2, pad: 'x'.repeat(300_000) }))).status).toBe(413);
      expect((await post(JSON.stringify({ update_id: 3, ...textUpdate(CITIZEN, '你好') }))).status).toBe(200);
      await fake.waitFor((c) => c.method === 'sendMessage' && Number(c.payload.chat_id) === CITIZEN);
    });
  });
});

describe('M1 on SQLite: another process holds the write lock', () => {
  it('does not skip an update it could not commit while the store was locked', async () => {
    const { fake, running } = await withTelegram();
    cleanups.push(async () => {
      await running.stop();
      await fake.close();
    });
    await fake.waitFor((c) => c.method === 'setMyCommands');
    const other = new Database(`${running.dir}/db.sqlite`, { timeout: 100 });
    other.exec('BEGIN IMMEDIATE');
    fake.push(textUpdate(CITIZEN, '尾水整改完成了多少？'));
    // Meanwhile the process stays responsive.
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await fetch(`${running.url}/healthz`);
    expect(performance.now() - t0).toBeLessThan(1500);
    await new Promise((r) => setTimeout(r, 2500));
    other.exec('COMMIT');
    other.close();
    await until(() => sentTo(fake, CITIZEN).length > 0, 10_000);
    expect(String(sentTo(fake, CITIZEN)[0]?.payload.text)).toContain('978万吨');
    expect(running.logs.join('\n')).toContain('not committed');
  });
});

describe('L8: Telegram messages are split before escaping', () => {
  it('never cuts an entity or leaves a tag open', () => {
    const text = [
      '【整改节点提醒】<区农业农村委> & 区生态环境局',
      ...Array.from({ length: 400 }, (_, i) => `${i} ${'&<>'.repeat(12)}`),
    ].join('\n');
    const parts = toTelegramHtml(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(4096);
      // Every & starts a whole entity; tags are only the title's <b></b>, closed.
      expect(p.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
      expect(p.replace(/<\/?b>/g, '')).not.toMatch(/[<>]/);
      expect((p.match(/<b>/g) ?? []).length).toBe((p.match(/<\/b>/g) ?? []).length);
    }
    const back = parts
      .join('\n')
      .replace(/<\/?b>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    expect(back).toBe(text);
    // One line longer than a message.
    for (const p of toTelegramHtml(`标题\n${'&'.repeat(5000)}`)) expect(p.replace(/&amp;/g, '')).not.toContain('&');
  });
});
