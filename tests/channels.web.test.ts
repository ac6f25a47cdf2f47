import { afterEach, expect, it } from 'vitest';
import { MIGRATIONS } from '../store/migrations.js';
import { PG_MIGRATIONS } from '../store/postgres/migrations.js';
import type { startTestAssistant } from './assistant.js';
import { eachBackend } from './support/backends.js';
import { PNG, webClient } from './web.client.js';

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
});

eachBackend('web chat API', (backend) => {
  it('serves the page, answers, files a report and delivers notifications', async () => {
    running = await backend.start();
    const r = running;
    const page = await fetch(`${r.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('整改助手');
    // The page sets no cookie: the session comes from the API.
    expect(page.headers.get('set-cookie')).toBeNull();
    const c = await webClient(r.url);
    expect(c.cookie).toMatch(/^rectify_sid=[\w-]{43}$/);
    const chat = async (m: Record<string, unknown>) => {
      const res = await c.chat(m);
      expect(res.status).toBe(200);
      return res.text;
    };
    expect(await chat({ text: '畜禽粪污综合利用率是多少' })).toContain('90.72%');
    await chat({ text: '举报' });
    await chat({ choice: 'cat:garbage' });
    await chat({ location: { lat: 29.3, lon: 106.2 } });
    await chat({ text: '河滩上堆了很多生活垃圾没人清运' });
    await chat({ choice: 'skip' });
    const photo = await c.post('/api/photo', PNG, { 'content-type': 'image/png' });
    const { ref } = (await photo.json()) as { ref: string };
    expect(ref).toMatch(/^web:[\w-]+\.png$/);
    expect(await chat({ photos: [ref] })).toContain('已收到');
    await chat({ choice: 'done' });
    await chat({ choice: 'anon' });
    const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(await chat({ choice: 'confirm' }))?.[0] as string;
    const code = await r.app.people.invite('admin', null, new Date());
    const admin = { channel: 'test', userId: 'admin-1', chatId: 'admin-1' };
    await r.app.dialog.handle({ ...admin, text: `/join ${code}` }, new Date());
    await r.app.dialog.handle({ ...admin, text: `/accept ${ticket}` }, new Date());
    const notes = (await (await c.post('/api/notifications', {})).json()) as { notifications: Array<{ text: string }> };
    expect(notes.notifications.map((x) => x.text).join()).toContain('已受理');
    const again = (await (await c.post('/api/notifications', {})).json()) as { notifications: unknown[] };
    expect(again.notifications).toEqual([]);
  });

  it('rejects bad requests with a clear message', async () => {
    running = await backend.start();
    const c = await webClient(running.url);
    const bad = await c.post('/api/chat', '{"text": 42}');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('请求格式不对');
    await c.chat({ text: '举报' });
    const gif = await c.post('/api/photo', 'GIF89a', { 'content-type': 'image/gif' });
    expect(gif.status).toBe(415);
    expect((await fetch(`${running.url}/nope`)).status).toBe(404);
  });

  it('reports store, knowledge and channels on /healthz', async () => {
    running = await backend.start();
    const h = (await (await fetch(`${running.url}/healthz`)).json()) as Record<string, unknown>;
    expect(h).toMatchObject({
      ok: true,
      status: 'ok',
      store: { status: 'ok', schema: (backend.name === 'postgres' ? PG_MIGRATIONS : MIGRATIONS).length },
      channels: { web: 'on', telegram: 'off', wecomCallback: 'off' },
    });
    expect((h.knowledge as { statements: number }).statements).toBeGreaterThan(300);
  });
});
