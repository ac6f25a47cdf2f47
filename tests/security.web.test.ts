/**
 * Issue 11, the web chat: H1 (identity issued by the server), M2 (limits per person and address,
 * uploads, /healthz degraded), L3 (message ids per user).
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { startTestAssistant } from './assistant.js';
import { eachBackend } from './support/backends.js';
import { PNG, webClient } from './web.client.js';

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
});

/** Files a whole anonymous report through the web API; returns the last reply's text. */
async function fileByWeb(c: Awaited<ReturnType<typeof webClient>>, text = '河滩上堆了很多生活垃圾没人清运'): Promise<string> {
  await c.chat({ text: '举报' });
  await c.chat({ choice: 'cat:garbage' });
  await c.chat({ choice: 'town:石蟆镇' });
  await c.chat({ text });
  await c.chat({ choice: 'skip' });
  await c.chat({ choice: 'skip' });
  await c.chat({ choice: 'anon' });
  return (await c.chat({ choice: 'confirm' })).text;
}

eachBackend('web chat security', (backend) => {
  describe('H1: the web identity is issued by the server', () => {
    it('refuses an absent or forged cookie and a missing CSRF token', async () => {
      running = await backend.start();
      const url = running.url;
      const post = (headers: Record<string, string>, body: unknown) =>
        fetch(`${url}/api/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      // The old API: a session string of the client's choosing in the body.
      expect((await post({}, { session: 'session-abc123', messageId: 'x', text: '你好' })).status).toBe(401);
      const forged = `rectify_sid=${'A'.repeat(43)}`;
      expect((await post({ cookie: forged, 'x-csrf-token': 'x' }, { text: '你好' })).status).toBe(401);
      const c = await webClient(url);
      expect((await post({ cookie: c.cookie }, { text: '你好' })).status).toBe(401);
      expect((await post({ cookie: c.cookie, 'x-csrf-token': 'wrong' }, { text: '你好' })).status).toBe(401);
      expect((await post({ cookie: c.cookie, 'x-csrf-token': c.csrf }, { text: '你好' })).status).toBe(200);
      // A cross-site form cannot open (and so replace) a session: it cannot send the custom header.
      expect((await fetch(`${url}/api/session`, { method: 'POST' })).status).toBe(403);
      // The cookie is HttpOnly and SameSite=Strict.
      const r = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'x-rectify-client': '1' } });
      expect(r.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    });

    it('never lets a session string or user id sent by a client act as another user', async () => {
      running = await backend.start();
      const r = running;
      const victim = await webClient(r.url);
      const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(await fileByWeb(victim))?.[0] as string;
      const victimId = (await r.app.cases.byTicket(ticket))?.userId as string;
      expect(victimId).toMatch(/^w-/);
      // The victim is owed a notification.
      await r.app.outbox.enqueue({ channel: 'web', chatId: victimId, kind: 'citizen', text: '您的举报已受理' }, new Date());
      const attacker = await webClient(r.url);
      const seen = await attacker.chat({ session: victimId, userId: victimId, text: '/status' });
      expect(seen.text).not.toContain(ticket);
      expect((await attacker.chat({ text: `查询 ${ticket}` })).text).toContain('没有找到');
      // The notifications URL of old, with the victim's id in it: refused, nothing marked sent.
      expect((await fetch(`${r.url}/api/notifications?session=${victimId}`)).status).toBe(405);
      const theirs = (await (await attacker.post(`/api/notifications?session=${victimId}`, {})).json()) as { notifications: unknown[] };
      expect(theirs.notifications).toEqual([]);
      const mine = (await (await victim.post('/api/notifications', {})).json()) as { notifications: Array<{ text: string }> };
      expect(mine.notifications.map((n) => n.text)).toEqual(['您的举报已受理']);
      // Only hashes are stored.
      const token = victim.cookie.split('=')[1] as string;
      expect(await backend.sql(r.app, 'SELECT id_hash FROM web_sessions WHERE id_hash = ?', [token])).toEqual([]);
    });

    it('binds an official only after a one-time sign-in, which rotates the cookie and expires', async () => {
      running = await backend.start();
      const r = running;
      const citizen = await webClient(r.url);
      const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(await fileByWeb(citizen))?.[0] as string;
      const stranger = await webClient(r.url);
      // /join in a session that has not signed in: refused, the invite stays unused.
      const invite = await r.app.people.invite('official', '区城市管理局', new Date());
      expect((await stranger.chat({ text: `/join ${invite}` })).text).toContain('需要先登录');
      expect((await stranger.chat({ text: `/case ${ticket}` })).text).toContain('仅限办理单位');
      const unit = (await r.app.cases.byTicket(ticket))?.unit as string;
      const code = await r.app.sessions.issueCode('official', unit, new Date());
      expect(await backend.sql(r.app, 'SELECT code_hash FROM login_codes WHERE code_hash = ?', [code])).toEqual([]);
      const official = await webClient(r.url);
      const before = official.cookie;
      const signed = await official.signIn(`${code.slice(0, 5)}-${code.slice(5).toLowerCase()}`);
      expect(signed.status).toBe(200);
      expect(await signed.json()).toMatchObject({ role: 'official', unit, signedIn: true });
      expect(official.cookie).not.toBe(before);
      // The old cookie is gone: whoever had it has nothing.
      const old = await fetch(`${r.url}/api/chat`, {
        method: 'POST',
        headers: { cookie: before, 'x-csrf-token': official.csrf, 'content-type': 'application/json' },
        body: '{"text":"/cases"}',
      });
      expect(old.status).toBe(401);
      expect((await official.chat({ text: `/case ${ticket}` })).text).toContain('情况：河滩上堆了很多生活垃圾');
      // Single use.
      const again = await webClient(r.url);
      expect((await again.signIn(code)).status).toBe(403);
      // A signed-in session may /join.
      expect((await official.chat({ text: `/join ${invite}` })).text).toContain('已绑定');
      // It expires: a session checked 9 hours later (WEB_SIGNIN_HOURS = 8) is gone, and so is its identity.
      const token = official.cookie.split('=')[1] as string;
      const later = new Date(Date.now() + 9 * 3600_000);
      const userId = (await r.app.sessions.verify(token, new Date()))?.userId as string;
      expect((await r.app.people.identity('web', userId)).role).toBe('official');
      expect(await r.app.sessions.verify(token, later)).toBeNull();
      expect((await r.app.people.identity('web', userId)).role).toBe('citizen');
      // An expired code does not sign in.
      const stale = await r.app.sessions.issueCode('admin', null, new Date(Date.now() - 16 * 60_000));
      expect((await (await webClient(r.url)).signIn(stale)).status).toBe(403);
    });
  });

  describe('M2: limits per person and address, uploads, health', () => {
    it('limits reports per client address across new sessions', async () => {
      running = await backend.start({ HTTP_TRUST_PROXY: 'true', WEB_REPORTS_PER_HOUR_PER_ADDRESS: '3' });
      const from = { 'x-forwarded-for': '203.0.113.7' };
      const results: string[] = [];
      for (let i = 0; i < 4; i++) results.push(await fileByWeb(await webClient(running.url, from), `第${i}次举报河边堆放的生活垃圾`));
      expect(results.slice(0, 3).every((t) => /受理编号/.test(t))).toBe(true);
      expect(results[3]).toContain('已达上限');
      // Another address is not affected.
      expect(await fileByWeb(await webClient(running.url, { 'x-forwarded-for': '198.51.100.9' }))).toContain('受理编号');
      expect(await running.app.cases.list({})).toHaveLength(4);
    });

    it('limits new sessions per address', async () => {
      running = await backend.start({ WEB_SESSIONS_PER_HOUR_PER_ADDRESS: '3' });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await fetch(`${running.url}/api/session`, { method: 'POST', headers: { 'x-rectify-client': '1' } })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    });

    it('takes photos only while filing, only images, at most nine, and within the quota', async () => {
      running = await backend.start({ UPLOAD_QUOTA_MB: '1' });
      const r = running;
      const noSession = await fetch(`${r.url}/api/photo`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: PNG });
      expect(noSession.status).toBe(401);
      const c = await webClient(r.url);
      const idle = await c.post('/api/photo', PNG, { 'content-type': 'image/png' });
      expect(idle.status).toBe(409);
      expect(((await idle.json()) as { error: string }).error).toContain('举报');
      await c.chat({ text: '举报' });
      // A non-image claiming to be a PNG.
      const fake = await c.post('/api/photo', Buffer.from('<?php system($_GET[1]); ?>'), { 'content-type': 'image/png' });
      expect(fake.status).toBe(415);
      const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(20)]);
      expect((await c.post('/api/photo', webp, { 'content-type': 'application/octet-stream' })).status).toBe(200);
      for (let i = 0; i < 8; i++) expect((await c.post('/api/photo', PNG, { 'content-type': 'image/png' })).status).toBe(200);
      const tenth = await c.post('/api/photo', PNG, { 'content-type': 'image/png' });
      expect(tenth.status).toBe(429);
      expect(((await tenth.json()) as { error: string }).error).toContain('最多附9张');
      // Another user cannot attach someone else's upload.
      const other = await webClient(r.url);
      await other.chat({ text: '举报' });
      const mine = (await (await other.post('/api/photo', PNG, { 'content-type': 'image/png' })).json()) as { ref: string };
      const [other0] = await backend.sql(
        r.app,
        'SELECT ref FROM uploads WHERE user_id != (SELECT user_id FROM uploads WHERE ref = ?) LIMIT 1',
        [mine.ref],
      );
      const someoneElses = other0?.ref as string;
      expect((await other.chat({ photos: [someoneElses] })).status).toBe(400);
      // Past the quota (1 MB): a clear message, nothing written.
      const big = Buffer.concat([PNG, Buffer.alloc(700 * 1024)]);
      expect((await other.post('/api/photo', big, { 'content-type': 'image/png' })).status).toBe(200);
      const full = await other.post('/api/photo', big, { 'content-type': 'image/png' });
      expect(full.status).toBe(507);
      expect(((await full.json()) as { error: string }).error).toContain('存储空间已满');
      expect(readdirSync(join(r.dir, 'uploads'))).toHaveLength(11);
      // A question still gets its answer.
      expect((await other.chat({ text: '尾水整改完成了多少？' })).text).toContain('978万吨');
    });

    it('removes photos no report took after a day, freeing the quota', async () => {
      let now = Date.now();
      running = await backend.start({}, { clock: () => new Date(now) });
      const r = running;
      const c = await webClient(r.url);
      await c.chat({ text: '举报' });
      expect((await c.post('/api/photo', PNG, { 'content-type': 'image/png' })).status).toBe(200);
      await c.chat({ text: '取消' });
      expect(readdirSync(join(r.dir, 'uploads'))).toHaveLength(1);
      now += 25 * 3600_000;
      await c.open();
      await c.chat({ text: '你好' });
      expect(readdirSync(join(r.dir, 'uploads'))).toHaveLength(0);
      expect(await r.app.uploads.totalBytes()).toBe(0);
    });

    it('says degraded on /healthz when the disk is nearly full or writes fail', async () => {
      let free = 10 * 1024 * 1048576;
      running = await backend.start({ DISK_MIN_FREE_MB: '200' }, { freeBytes: () => free });
      const r = running;
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
      // The disk of an SQLite file; a PostgreSQL server's disk is its own, not watched from here.
      if (backend.name === 'sqlite') {
        free = 50 * 1048576;
        const nearlyFull = await fetch(`${r.url}/healthz`);
        expect(nearlyFull.status).toBe(503);
        expect(await nearlyFull.json()).toMatchObject({ ok: false, status: 'degraded' });
        free = 10 * 1024 * 1048576;
      }
      // The store can no longer grow: a message that must be written fails with a clear answer, and /healthz says so.
      const c = await webClient(r.url);
      if (r.app.db) {
        const pages = r.app.db.pragma('page_count', { simple: true }) as number;
        r.app.db.pragma(`max_page_count = ${pages}`);
      } else {
        // PostgreSQL: every write of a conversation fails as on a full disk (SQLSTATE 53100).
        await backend.sql(
          r.app,
          `CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no space left on device' USING ERRCODE = 'disk_full'; END $$`,
        );
        for (const table of ['inbound_messages', 'dialogs', 'chat_log'])
          await backend.sql(
            r.app,
            `CREATE TRIGGER disk_full BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION disk_full()`,
          );
      }
      let failed: { status: number; body: Record<string, unknown> } | null = null;
      for (let i = 0; i < 200 && !failed; i++) {
        const res = await c.chat({ text: `举报${'臭'.repeat(3000)}${i}` });
        if (res.status !== 200) failed = res;
      }
      expect(failed?.status).toBe(503);
      expect(String(failed?.body.error)).toContain('无法保存');
      const h = await fetch(`${r.url}/healthz`);
      expect(h.status).toBe(503);
      expect(JSON.stringify(await h.json())).toContain('write');
    });
  });

  describe('L3: message ids are scoped per user and chat', () => {
    it('does not let one user’s message id swallow another’s message', async () => {
      running = await backend.start();
      const a = await webClient(running.url);
      const b = await webClient(running.url);
      const first = await a.chat({ messageId: 'same-id', text: '尾水整改完成了多少？' });
      const second = await b.chat({ messageId: 'same-id', text: '尾水整改完成了多少？' });
      expect(first.text).toContain('978万吨');
      expect(second.body.duplicate).toBeUndefined();
      expect(second.text).toContain('978万吨');
      // The same user repeating the id gets the same replies back, handled once.
      const repeat = await a.chat({ messageId: 'same-id', text: '举报' });
      expect(repeat.body.duplicate).toBe(true);
      expect(repeat.text).toContain('978万吨');
    });
  });
});
