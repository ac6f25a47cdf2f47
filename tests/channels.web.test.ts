import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../store/migrations.js';
import { startTestAssistant } from './assistant.js';

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
});

describe('web chat API', () => {
  it('serves the page, answers, files a report and delivers notifications', async () => {
    running = await startTestAssistant();
    const r = running;
    const page = await fetch(`${r.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('整改助手');
    const session = 'session-abc123';
    let n = 0;
    const chat = async (body: Record<string, unknown>) => {
      const res = await fetch(`${r.url}/api/chat`, { method: 'POST', body: JSON.stringify({ session, messageId: `w${++n}`, ...body }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { replies: Array<{ text: string }> }).replies.map((x) => x.text).join('\n');
    };
    expect(await chat({ text: '畜禽粪污综合利用率是多少' })).toContain('90.72%');
    await chat({ text: '举报' });
    await chat({ choice: 'cat:garbage' });
    await chat({ location: { lat: 29.3, lon: 106.2 } });
    await chat({ text: '河滩上堆了很多生活垃圾没人清运' });
    await chat({ choice: 'skip' });
    const photo = await fetch(`${r.url}/api/photo?session=${session}`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    });
    const { ref } = (await photo.json()) as { ref: string };
    expect(ref).toMatch(/^web:[\w-]+\.png$/);
    expect(await chat({ photos: [ref] })).toContain('已收到');
    await chat({ choice: 'done' });
    await chat({ choice: 'anon' });
    const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(await chat({ choice: 'confirm' }))?.[0] as string;
    const code = r.app.people.invite('admin', null, new Date());
    const admin = { channel: 'web', userId: 'admin-session', chatId: 'admin-session' };
    r.app.dialog.handle({ ...admin, text: `/join ${code}` }, new Date());
    r.app.dialog.handle({ ...admin, text: `/accept ${ticket}` }, new Date());
    const notes = (await (await fetch(`${r.url}/api/notifications?session=${session}`)).json()) as {
      notifications: Array<{ text: string }>;
    };
    expect(notes.notifications.map((x) => x.text).join()).toContain('已受理');
    const again = (await (await fetch(`${r.url}/api/notifications?session=${session}`)).json()) as { notifications: unknown[] };
    expect(again.notifications).toEqual([]);
  });

  it('rejects bad requests with a clear message', async () => {
    running = await startTestAssistant();
    const bad = await fetch(`${running.url}/api/chat`, { method: 'POST', body: '{"session":"x"}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('请求格式不对');
    const gif = await fetch(`${running.url}/api/photo?session=abcdefgh`, {
      method: 'POST',
      headers: { 'content-type': 'image/gif' },
      body: 'GIF89a',
    });
    expect(gif.status).toBe(415);
    expect((await fetch(`${running.url}/nope`)).status).toBe(404);
  });

  it('reports store, knowledge and channels on /healthz', async () => {
    running = await startTestAssistant();
    const h = (await (await fetch(`${running.url}/healthz`)).json()) as Record<string, unknown>;
    expect(h).toMatchObject({
      ok: true,
      store: { status: 'ok', schema: MIGRATIONS.length },
      channels: { web: 'on', telegram: 'off', wecomCallback: 'off' },
    });
    expect((h.knowledge as { statements: number }).statements).toBeGreaterThan(300);
  });
});
