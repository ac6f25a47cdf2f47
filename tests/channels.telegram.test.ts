import { createServer } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { callbackUpdate, type FakeTelegram, locationUpdate, photoUpdate, startFakeTelegram, textUpdate } from '../fakes/telegram.js';
import type { startTestAssistant } from './assistant.js';
import { eachBackend } from './support/backends.js';

const TOKEN = '123456:TEST-token-abcdefghijklmnopqrstuvwxyz';
const CITIZEN = 111;
const OFFICIAL = 222;

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let fake: FakeTelegram | null = null;
let running: Running | null = null;

afterEach(async () => {
  await running?.stop();
  await fake?.close();
  running = null;
  fake = null;
});

const sentTo = (f: FakeTelegram, chat: number) => f.calls.filter((c) => c.method === 'sendMessage' && Number(c.payload.chat_id) === chat);

/** Sends an update and waits for the bot's next message to that chat; returns its text. */
async function turn(f: FakeTelegram, deliver: () => Promise<void> | void, chat: number, match?: RegExp): Promise<string> {
  const before = sentTo(f, chat).length;
  await deliver();
  await f.waitFor(() =>
    sentTo(f, chat)
      .slice(before)
      .some((m) => !match || match.test(String(m.payload.text))),
  );
  return sentTo(f, chat)
    .slice(before)
    .map((m) => String(m.payload.text))
    .join('\n');
}

/** The whole scenario: question, report with location and photo, status, an official accepting. */
async function scenario(f: FakeTelegram, r: Running, deliver: (u: Record<string, unknown>) => Promise<void> | void) {
  expect(await turn(f, () => deliver(textUpdate(CITIZEN, '尾水整改完成了多少？')), CITIZEN, /978万吨/)).toContain('978万吨');

  const cat = await turn(f, () => deliver(textUpdate(CITIZEN, '举报')), CITIZEN, /类别/);
  expect(cat).toContain('请选择问题类别');
  const keyboard = sentTo(f, CITIZEN).at(-1)?.payload.reply_markup as { keyboard: Array<Array<{ text: string }>> };
  expect(keyboard.keyboard.flat().map((b) => b.text)).toContain('畜禽养殖污染');
  const where = await turn(f, () => deliver(textUpdate(CITIZEN, '畜禽养殖污染')), CITIZEN, /哪里/);
  expect(where).toContain('发送定位');
  const locKb = sentTo(f, CITIZEN).at(-1)?.payload.reply_markup as { keyboard: Array<Array<{ text: string; request_location?: boolean }>> };
  expect(locKb.keyboard[0]?.[0]?.request_location).toBe(true);
  expect(await turn(f, () => deliver(locationUpdate(CITIZEN, 29.05, 105.95)), CITIZEN, /描述/)).toContain('描述现场情况');
  await turn(f, () => deliver(textUpdate(CITIZEN, '养猪场每天晚上往小河里排粪水，臭得很')), CITIZEN, /什么时候/);
  await turn(f, () => deliver(textUpdate(CITIZEN, '跳过')), CITIZEN, /照片/);
  expect(await turn(f, () => deliver(photoUpdate(CITIZEN, 'PHOTO-FILE-ID')), CITIZEN, /已收到/)).toContain('已收到第1张照片');
  await turn(f, () => deliver(callbackUpdate(CITIZEN, 'done')), CITIZEN, /联系电话/);
  await turn(f, () => deliver(callbackUpdate(CITIZEN, 'anon')), CITIZEN, /请确认/);
  const done = await turn(f, () => deliver(callbackUpdate(CITIZEN, 'confirm')), CITIZEN, /受理编号/);
  const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(done)?.[0] as string;
  expect(ticket).toBeDefined();
  const stored = await r.app.cases.byTicket(ticket);
  expect(stored).toMatchObject({ channel: 'telegram', lat: 29.05, lon: 105.95, photos: ['PHOTO-FILE-ID'], anonymous: true });
  expect(f.calls.some((c) => c.method === 'answerCallbackQuery')).toBe(true);

  expect(await turn(f, () => deliver(textUpdate(CITIZEN, '/status')), CITIZEN, new RegExp(ticket))).toContain('待受理');

  const code = await r.app.people.invite('official', '区农业农村委', new Date());
  expect(await turn(f, () => deliver(textUpdate(OFFICIAL, `/join ${code}`)), OFFICIAL, /已绑定/)).toContain('区农业农村委');
  await f.waitFor((c) => c.method === 'setMyCommands' && (c.payload.scope as { type?: string } | undefined)?.type === 'chat');
  expect(await turn(f, () => deliver(textUpdate(OFFICIAL, `/accept ${ticket}`)), OFFICIAL, /已办理/)).toContain('已受理');
  expect((await r.app.cases.byTicket(ticket))?.status).toBe('已受理');

  // The citizen hears of the change through the outbox.
  const report = await r.jobs.dispatch(r.senders, new Date());
  expect(report.sent).toBeGreaterThanOrEqual(1);
  expect(sentTo(f, CITIZEN).at(-1)?.payload.text).toContain('已受理');
}

eachBackend('Telegram channel', (backend) => {
  it('runs a whole conversation through grammY in long-polling mode', async () => {
    fake = await startFakeTelegram();
    running = await backend.start({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url });
    const f = fake;
    await f.waitFor((c) => c.method === 'setMyCommands');
    const menu = f.calls.find((c) => c.method === 'setMyCommands')?.payload.commands as Array<{ command: string; description: string }>;
    expect(menu.map((c) => c.command)).toEqual(['start', 'help', 'report', 'status', 'cancel']);
    expect(menu[2]?.description).toBe('举报污染问题');
    await scenario(f, running, (u) => void f.push(u));
  });

  it('runs the same through a webhook, and refuses a forged request', async () => {
    fake = await startFakeTelegram();
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const secret = 'hook-secret_123';
    running = await backend.start({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.url,
      HTTP_PORT: String(port),
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
      TELEGRAM_WEBHOOK_SECRET: secret,
    });
    const f = fake;
    const hook = await f.waitFor((c) => c.method === 'setWebhook');
    expect(hook.payload).toMatchObject({ url: `http://127.0.0.1:${port}/telegram/webhook`, secret_token: secret });
    let id = 1;
    const post = (u: Record<string, unknown>, s = secret) =>
      fetch(`http://127.0.0.1:${port}/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': s },
        body: JSON.stringify({ update_id: id++, ...u }),
      });
    const forged = await post(textUpdate(CITIZEN, '举报'), 'wrong');
    expect(forged.status).toBe(401);
    expect(sentTo(f, CITIZEN)).toHaveLength(0);
    await scenario(f, running, async (u) => {
      const r = await post(u);
      expect(r.status).toBe(200);
    });
  });

  it('retries a 429 from Telegram and keeps going', async () => {
    fake = await startFakeTelegram();
    running = await backend.start({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url });
    fake.flood('sendMessage', 1);
    const f = fake;
    expect(await turn(f, () => void f.push(textUpdate(CITIZEN, '你好')), CITIZEN)).toContain('整改助手');
  });
});
