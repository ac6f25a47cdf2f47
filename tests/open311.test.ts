/**
 * Issue 10, Open311 GeoReport v2 at /open311/v2/: the field names of the spec, open/closed with the
 * detail in status_notes, filters and paging, POST with an API key from the command line, no
 * reporter identity or phone, rounded coordinates for anonymous reports, rate limits.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import type { startTestAssistant } from './assistant.js';
import { cliEnv, eachBackend } from './support/backends.js';

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

/** The fields of a GeoReport v2 service request (GeoReport_v2, "GET Service Requests"). */
const REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
].sort();

/** Files a report through the dialog core as a chat citizen, with location and (optionally) a phone. */
async function fileByChat(r: Running, user: string, opts: { phone?: string; lat?: number; lon?: number } = {}): Promise<string> {
  const say = (extra: Record<string, unknown>) =>
    r.app.dialog.handle({ channel: 'telegram', userId: user, chatId: user, messageId: `${user}-${Math.random()}`, ...extra }, new Date());
  await say({ text: '举报' });
  await say({ choice: 'cat:livestock' });
  await say({ location: { lat: opts.lat ?? 29.123456, lon: opts.lon ?? 106.234567, label: '石蟆镇清溪村3组' } });
  await say({ choice: 'loc:ok' });
  await say({ text: '张三家养猪场每天往小河里排粪水，联系13812345678' });
  await say({ choice: 'skip' });
  await say({ choice: 'skip' });
  if (opts.phone) {
    await say({ choice: 'contact' });
    await say({ text: opts.phone });
  } else await say({ choice: 'anon' });
  const done = (await say({ choice: 'confirm' })).replies.map((x) => x.text).join('\n');
  const t = /JJ-\d{8}-[A-Z0-9]{5}/.exec(done)?.[0];
  if (!t) throw new Error(done);
  return t;
}

eachBackend('Open311 GeoReport v2', (backend) => {
  it('lists the categories as services with the spec’s fields', async () => {
    running = await backend.start();
    const r = await fetch(`${running.url}/open311/v2/services.json`);
    expect(r.status).toBe(200);
    const services = (await r.json()) as Array<Record<string, unknown>>;
    expect(services.length).toBe(running.app.categories.length);
    for (const s of services) {
      expect(Object.keys(s).sort()).toEqual(['description', 'group', 'keywords', 'metadata', 'service_code', 'service_name', 'type']);
      expect(s.type).toBe('realtime');
      expect(s.metadata).toBe(false);
    }
    expect((await fetch(`${running.url}/open311/v2/services.xml`)).status).toBe(400);
  });

  it('shows a chat report in requests.json with no personal data, rounded coordinates when anonymous, open/closed with detail', async () => {
    running = await backend.start();
    const anon = await fileByChat(running, 'tg-1');
    const named = await fileByChat(running, 'tg-2', { phone: '13900001111', lat: 29.2, lon: 106.3 });
    const r = await fetch(`${running.url}/open311/v2/requests.json`);
    expect(r.status).toBe(200);
    const list = (await r.json()) as Array<Record<string, unknown>>;
    const body = JSON.stringify(list);
    for (const secret of ['13812345678', '13900001111', 'tg-1', 'tg-2', 'telegram']) expect(body, secret).not.toContain(secret);
    const a = list.find((x) => x.service_request_id === anon) as Record<string, unknown>;
    expect(Object.keys(a).sort()).toEqual(REQUEST_FIELDS);
    // Anonymous: the 镇街 only, no street address; coordinates to 0.001°.
    expect(a).toMatchObject({ status: 'open', service_code: 'livestock', lat: 29.123, long: 106.235, media_url: null });
    expect(a.address).toBe((await running.app.cases.byTicket(anon))?.town ?? '');
    expect(JSON.stringify(a)).not.toContain('清溪村');
    expect(a.status_notes).toBe('状态：待受理');
    expect(a.requested_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(String(a.description)).toMatch(/138\*+78/);
    const n = list.find((x) => x.service_request_id === named) as Record<string, unknown>;
    expect(n.lat).toBe(29.2);
    // Refused: closed, the reason in status_notes.
    const unit = (await running.app.cases.byTicket(anon))?.unit as string;
    const off = { channel: 'desk', userId: 'x', role: 'official' as const, unit };
    expect((await running.app.service.act(anon, 'refuse', off, '不属于本单位职责', new Date(), { referTo: '区城市管理局' })).ok).toBe(true);
    const one = (await (await fetch(`${running.url}/open311/v2/requests/${anon}.json`)).json()) as Array<Record<string, unknown>>;
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ status: 'closed' });
    expect(one[0]?.status_notes).toMatch(/不予受理.*不属于本单位职责.*区城市管理局/);
    expect((await fetch(`${running.url}/open311/v2/requests/JJ-20000101-AAAAA.json`)).status).toBe(404);
  });

  it('filters by status, service_code and dates, and pages', async () => {
    running = await backend.start();
    const t1 = await fileByChat(running, 'tg-a');
    await fileByChat(running, 'tg-b');
    await fileByChat(running, 'tg-c');
    const get = async (q: string) => {
      const r = await fetch(`${running?.url}/open311/v2/requests.json?${q}`);
      return { status: r.status, total: r.headers.get('x-total-count'), list: (await r.json()) as Array<Record<string, unknown>> };
    };
    expect((await get('status=open')).list).toHaveLength(3);
    expect((await get('status=closed')).list).toHaveLength(0);
    expect((await get('service_code=garbage')).list).toHaveLength(0);
    expect((await get('service_code=livestock,garbage')).list).toHaveLength(3);
    expect((await get('end_date=2000-01-01T00:00:00Z')).list).toHaveLength(0);
    expect((await get(`start_date=${new Date(Date.now() - 3600_000).toISOString()}`)).list).toHaveLength(3);
    const p1 = await get('page_size=2&page=1');
    const p2 = await get('page_size=2&page=2');
    expect(p1.list).toHaveLength(2);
    expect(p2.list).toHaveLength(1);
    expect(p1.total).toBe('3');
    expect(new Set([...p1.list, ...p2.list].map((x) => x.service_request_id)).size).toBe(3);
    expect((await get(`service_request_id=${t1}`)).list.map((x) => x.service_request_id)).toEqual([t1]);
    expect((await get('status=pending')).status).toBe(400);
    expect((await get('start_date=yesterday')).status).toBe(400);
  });

  it('takes a POST with a key issued by the command line, refuses one without, and limits reads', async () => {
    running = await backend.start();
    const env = cliEnv(running);
    const out = execFileSync('node', ['dist/cli/admin.js', 'open311-key', '--name', '区12345平台'], { env, encoding: 'utf8' });
    const key = /：([A-Za-z0-9_-]{32})\n/.exec(out)?.[1] as string;
    expect(key).toBeDefined();
    const post = (fields: Record<string, string>) =>
      fetch(`${running?.url}/open311/v2/requests.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const fields = {
      service_code: 'garbage',
      lat: '29.2',
      long: '106.25',
      address_string: '吴滩镇郎家村',
      description: '河滩上堆了很多生活垃圾没人清运',
    };
    expect((await post(fields)).status).toBe(403);
    expect((await post({ ...fields, api_key: 'not-a-real-key-at-all' })).status).toBe(403);
    expect((await post({ ...fields, api_key: key, service_code: 'nope' })).status).toBe(404);
    expect((await post({ ...fields, api_key: key, lat: '39.9', long: '116.4' })).status).toBe(400);
    const ok = await post({ ...fields, api_key: key });
    expect(ok.status).toBe(201);
    const [made] = (await ok.json()) as Array<{ service_request_id: string; service_notice: string }>;
    expect(made?.service_request_id).toMatch(/^JJ-\d{8}-[A-Z0-9]{5}$/);
    const c = await running.app.cases.byTicket(made?.service_request_id as string);
    expect(c).toMatchObject({ channel: 'open311', category: 'garbage', town: '吴滩镇', anonymous: true });
    // Revoked: refused.
    execFileSync('node', ['dist/cli/admin.js', 'open311-key', 'revoke', '1'], { env });
    expect((await post({ ...fields, api_key: key })).status).toBe(403);
    // Reads are limited per address.
    let limited = false;
    for (let i = 0; i < 70 && !limited; i++) limited = (await fetch(`${running.url}/open311/v2/services.json`)).status === 429;
    expect(limited).toBe(true);
  });
});
