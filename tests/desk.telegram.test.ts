/**
 * Issue 10 (rest): photos of cases reported on Telegram at the desk. The assistant fetches them from
 * the Bot API on the server (getFile, then the file under the API root), keeps only real images in
 * the photo store, and serves them through the desk's signed photo address to the handling unit and
 * administrators; the bot token and the platform's address never reach the page.
 */

import { afterEach, expect, it } from 'vitest';
import { callbackUpdate, type FakeTelegram, locationUpdate, photoUpdate, startFakeTelegram, textUpdate } from '../fakes/telegram.js';
import type { startTestAssistant } from './assistant.js';
import { deskClient } from './desk.helpers.js';
import { eachBackend } from './support/backends.js';

const TOKEN = '123456:DESK-token-abcdefghijklmnopqrstuvwxyz';
const CITIZEN = 311;

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

/** Pushes an update and waits for the bot's next message to the citizen that matches. */
async function turn(f: FakeTelegram, update: Record<string, unknown>, match: RegExp): Promise<string> {
  const before = sentTo(f, CITIZEN).length;
  f.push(update);
  await f.waitFor(() =>
    sentTo(f, CITIZEN)
      .slice(before)
      .some((m) => match.test(String(m.payload.text))),
  );
  return sentTo(f, CITIZEN)
    .slice(before)
    .map((m) => String(m.payload.text))
    .join('\n');
}

/** A small JPEG-looking file (the magic bytes are what is checked). */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0desk-photo'), Buffer.alloc(200, 7)]);

eachBackend('desk: photos of Telegram reports', (backend) => {
  it('fetches a Telegram photo server-side, keeps it, and serves it only to the handling unit and administrators', async () => {
    fake = await startFakeTelegram();
    const f = fake;
    f.putFile('TG-PHOTO-1', JPEG);
    f.putFile('TG-NOT-AN-IMAGE', Buffer.from('<html><script>alert(1)</script></html>'));
    running = await backend.start({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: f.url });
    const r = running;
    await f.waitFor((c) => c.method === 'setMyCommands');

    await turn(f, textUpdate(CITIZEN, '举报'), /类别/);
    await turn(f, textUpdate(CITIZEN, '畜禽养殖污染'), /哪里/);
    await turn(f, locationUpdate(CITIZEN, 29.05, 105.95), /描述/);
    await turn(f, textUpdate(CITIZEN, '养猪场每天晚上往小河里排粪水，臭得很'), /什么时候/);
    await turn(f, textUpdate(CITIZEN, '跳过'), /照片/);
    await turn(f, photoUpdate(CITIZEN, 'TG-PHOTO-1'), /已收到第1张/);
    await turn(f, photoUpdate(CITIZEN, 'TG-NOT-AN-IMAGE'), /已收到第2张/);
    await turn(f, callbackUpdate(CITIZEN, 'done'), /联系电话/);
    await turn(f, callbackUpdate(CITIZEN, 'anon'), /请确认/);
    const done = await turn(f, callbackUpdate(CITIZEN, 'confirm'), /受理编号/);
    const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(done)?.[0] as string;
    const c = await r.app.cases.byTicket(ticket);
    expect(c).toMatchObject({ channel: 'telegram', photos: ['TG-PHOTO-1', 'TG-NOT-AN-IMAGE'] });
    expect(f.downloads).toEqual([]);

    const own = await deskClient(r.url, await r.app.sessions.issueCode('official', c?.unit as string, new Date()));
    const page = await own.get(`/desk/case/${ticket}`);
    expect(page.status).toBe(200);
    const srcs = [...page.text.matchAll(/src="(\/desk\/photo\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(srcs).toHaveLength(2);
    expect(srcs[0]).toMatch(new RegExp(`^/desk/photo/${ticket}/0/[A-Za-z0-9_-]{32}$`));
    // Neither the token, nor the platform's address, nor the file_id is on the page.
    expect(page.text).not.toContain(TOKEN);
    expect(page.text).not.toContain(f.url);
    expect(page.text).not.toContain('TG-PHOTO-1');

    // The Bot API unreachable: not found for now (no 5xx), nothing kept; then it is fetched.
    f.outage(true);
    expect((await own.get(srcs[0] as string)).status).toBe(404);
    f.outage(false);
    expect(await backend.sql(r.app, 'SELECT ref FROM photo_files')).toEqual([]);
    const img = await fetch(`${r.url}${srcs[0]}`, { headers: { cookie: own.cookie } });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect(img.headers.get('cache-control')).toBe('private, no-store');
    expect(Buffer.from(await img.arrayBuffer()).equals(JPEG)).toBe(true);
    expect(f.calls.filter((x) => x.method === 'getFile').map((x) => x.payload.file_id)).toEqual(['TG-PHOTO-1']);
    expect(f.downloads).toHaveLength(1);

    // Kept in the photo store: the next view does not ask Telegram again, even when it is down.
    const kept = await backend.sql(r.app, 'SELECT mime, bytes FROM photo_files WHERE ref = ?', ['TG-PHOTO-1']);
    expect(kept.map((k) => ({ mime: k.mime, bytes: Number(k.bytes) }))).toEqual([{ mime: 'image/jpeg', bytes: JPEG.length }]);
    f.outage(true);
    const again = await fetch(`${r.url}${srcs[0]}`, { headers: { cookie: own.cookie } });
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer()).equals(JPEG)).toBe(true);
    f.outage(false);
    expect(f.downloads).toHaveLength(1);

    // A file that is not an image is neither served nor kept.
    const bad = await own.get(srcs[1] as string);
    expect(bad.status).toBe(404);
    expect(bad.text).not.toContain('<script>');
    expect(await backend.sql(r.app, 'SELECT ref FROM photo_files WHERE ref = ?', ['TG-NOT-AN-IMAGE'])).toEqual([]);

    // Another unit, no session, a guessed address: nothing.
    const other = await deskClient(r.url, await r.app.sessions.issueCode('official', '区城市管理局', new Date()));
    expect((await other.get(`/desk/case/${ticket}`)).status).toBe(404);
    expect((await other.get(srcs[0] as string)).status).toBe(404);
    const anon = await (await deskClient(r.url)).get(srcs[0] as string);
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/desk/login');
    expect((await own.get(`/desk/photo/${ticket}/0/${'A'.repeat(32)}`)).status).toBe(404);
    // An administrator gets it through the address of its own session (the official's is bound to the official's).
    const admin = await deskClient(r.url, await r.app.sessions.issueCode('admin', null, new Date()));
    expect((await admin.get(srcs[0] as string)).status).toBe(404);
    const adminSrc = /src="(\/desk\/photo\/[^"]+)"/.exec((await admin.get(`/desk/case/${ticket}`)).text)?.[1] as string;
    const adminImg = await fetch(`${r.url}${adminSrc}`, { headers: { cookie: admin.cookie } });
    expect(adminImg.status).toBe(200);
    expect(Buffer.from(await adminImg.arrayBuffer()).equals(JPEG)).toBe(true);
    // The download address (with the token) is not in the logs.
    expect(r.logs.join('\n')).not.toContain(TOKEN);
  }, 60_000);
});
