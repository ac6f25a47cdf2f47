/**
 * Issue 12 on Telegram: a 6,000-character reply is split on paragraph boundaries (nothing cut),
 * notices go out as text with entities (no hand-escaped HTML), and an official of the handling
 * unit sees a case's photos, sent by their file_id.
 */
import { afterEach, expect, it } from 'vitest';
import { callbackUpdate, type FakeTelegram, photoUpdate, startFakeTelegram, textUpdate } from '../fakes/telegram.js';
import { splitParagraphs } from '../jobs/render.js';
import type { startTestAssistant } from './assistant.js';
import { NOW } from './helpers.js';
import { eachBackend } from './support/backends.js';

const TOKEN = '123456:TEST-token-abcdefghijklmnopqrstuvwxyz';
type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let fake: FakeTelegram | null = null;
let running: Running | null = null;

afterEach(async () => {
  await running?.stop();
  await fake?.close();
  running = null;
  fake = null;
});

eachBackend('Telegram long replies, entities and photos', (backend) => {
  it('splits a 6,000-character reply on paragraph boundaries', async () => {
    fake = await startFakeTelegram();
    running = await backend.start({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url });
    const paragraphs = Array.from({ length: 30 }, (_, i) => `第${i + 1}段：${'江津区农业农村污染整改进展说明'.repeat(13)}`);
    const text = paragraphs.join('\n\n');
    expect(text.length).toBeGreaterThan(6000);
    const sender = running.telegram?.sender;
    await sender?.send('777', { text, kind: 'reply', choices: [[{ label: '好的', value: 'ok' }]] });
    const sent = fake.calls.filter((c) => c.method === 'sendMessage' && String(c.payload.chat_id) === '777');
    expect(sent.length).toBe(2);
    const parts = sent.map((c) => String(c.payload.text));
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    // Every piece is whole paragraphs; together they are the text.
    for (const p of parts) for (const para of p.split('\n\n')) expect(paragraphs).toContain(para);
    expect(parts.join('\n\n')).toBe(text);
    // The buttons go with the last piece only.
    expect(sent[0]?.payload.reply_markup).toBeUndefined();
    expect(sent[1]?.payload.reply_markup).toBeDefined();
    expect(splitParagraphs('a\n\nb', 4096)).toEqual(['a\n\nb']);
  });

  it('sends notices as text with a bold entity, not HTML', async () => {
    fake = await startFakeTelegram();
    running = await backend.start({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url });
    await running.telegram?.sender.send('778', { text: '【提醒】<b>节点</b> & 到期\n第二行', kind: 'reminder', choices: null });
    const call = fake.calls.find((c) => c.method === 'sendMessage' && String(c.payload.chat_id) === '778');
    expect(call?.payload.parse_mode).toBeUndefined();
    expect(call?.payload.text).toBe('【提醒】<b>节点</b> & 到期\n第二行');
    expect(call?.payload.entities).toEqual([{ type: 'bold', offset: 0, length: '【提醒】<b>节点</b> & 到期'.length }]);
  });

  it('shows the handling unit’s official the photos by file_id', async () => {
    fake = await startFakeTelegram();
    running = await backend.start({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url });
    const f = fake;
    const r = running;
    // Waits for a reply in the update's own chat and then for all of that update's replies (not a
    // fixed pause: on a loaded machine a late reply of one step was taken for the next one's).
    const say = async (u: Record<string, unknown>) => {
      const chat = Number(((u.message ?? (u.callback_query as { message: unknown }).message) as { chat: { id: number } }).chat.id);
      const n = f.calls.length;
      f.push(u);
      await f.waitFor(() =>
        f.calls.slice(n).some((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && Number(c.payload.chat_id) === chat),
      );
      await r.telegram?.idle();
    };
    await say(textUpdate(301, '举报'));
    await say(callbackUpdate(301, 'cat:livestock'));
    await say(textUpdate(301, '石蟆镇'));
    await say(textUpdate(301, '养猪场每天晚上往小河里排粪水，臭得很'));
    await say(textUpdate(301, '跳过'));
    await say(photoUpdate(301, 'PHOTO-FILE-ID-1'));
    await say(callbackUpdate(301, 'done'));
    await say(callbackUpdate(301, 'anon'));
    await say(callbackUpdate(301, 'confirm'));
    const ticket = (await r.app.cases.list({}))[0]?.ticket as string;
    expect((await r.app.cases.byTicket(ticket))?.photos).toEqual(['PHOTO-FILE-ID-1']);
    const code = await r.app.people.invite('official', '区农业农村委', NOW);
    await say(textUpdate(302, `/join ${code}`));
    await say(textUpdate(302, `/case ${ticket}`));
    expect(f.calls.filter((c) => c.method === 'sendMessage' && Number(c.payload.chat_id) === 302).at(-1)?.payload.text).toContain(
      `/photos ${ticket}`,
    );
    await say(textUpdate(302, `/photos ${ticket}`));
    await f.waitFor(() => f.calls.some((c) => c.method === 'sendPhoto' && Number(c.payload.chat_id) === 302));
    const photo = f.calls.find((c) => c.method === 'sendPhoto' && Number(c.payload.chat_id) === 302);
    expect(photo?.payload.photo).toBe('PHOTO-FILE-ID-1');
    // A citizen asking for the photos is refused.
    await say(textUpdate(303, `/photos ${ticket}`));
    expect(f.calls.some((c) => c.method === 'sendPhoto' && Number(c.payload.chat_id) === 303)).toBe(false);
  });
});
