/**
 * Fuzzing of every HTTP entry point (issue 11): at least 10,000 seeded random requests each to the
 * web API, the Telegram webhook and the WeCom callback, with no 5xx. Each request goes into the
 * HTTP server's own request handler (routing, body limits, authentication, the channel, the dialog,
 * the store) without a socket, which keeps 30,000 requests within seconds; a sample of each also
 * goes over real HTTP on 127.0.0.1. A failure prints the seed and the request, so it can be replayed.
 * Issue 10 added the officials' desk (/desk/: forms, paths, cookies) and Open311 (/open311/v2/:
 * paths, query strings, bodies), fuzzed the same way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encrypt, signature } from '../bot/channels/wecom/crypto.js';
import { hashKey, open311Limits } from '../bot/open311/open311.js';
import { type FakeTelegram, startFakeTelegram } from '../fakes/telegram.js';
import { type FakeWeCom, messageXml, SAMPLE, startFakeWeCom } from '../fakes/wecom.js';
import { startTestAssistant } from './assistant.js';
import { deskClient } from './desk.helpers.js';

const PER_ENTRY_POINT = 10_000;
const OVER_SOCKETS = 300;
const CONCURRENCY = 16;
const SECRET = 'fuzz-secret_42';

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, n: number) => Math.floor(r() * n);

const TEXTS = [
  '',
  '举报',
  '取消',
  '确认',
  '帮助',
  '/start',
  '/join ABCDEF23',
  '/start ABCDEFGH',
  '加入 XYZ',
  '/cases',
  '/case JJ-20261122-ABCDE',
  '查询 JJ-20261122-ZZZZZ',
  '满意 JJ-20261122-ABCDE',
  '13812345678',
  '29.3,106.2',
  '<script>alert(1)</script>',
  "'; DROP TABLE cases; --",
  '\u0000\u202e\uFFFF',
  '😀'.repeat(30),
  '石蟆镇',
  '完成',
];

function junk(r: Rand, max: number): string {
  const n = int(r, max);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(pick(r, [int(r, 128), 0x4e00 + int(r, 0x5000), int(r, 0xffff)]));
  return s;
}

function randomJson(r: Rand, depth = 0): unknown {
  switch (int(r, depth > 3 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick(r, [0, -1, 1e308, -0, 3.5, Number.MAX_SAFE_INTEGER, 2 ** 64]);
    case 3:
      return pick(r, TEXTS);
    case 4:
      return junk(r, 40);
    case 5:
      return Array.from({ length: int(r, 4) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < int(r, 5); i++)
        o[pick(r, ['text', 'choice', 'location', 'photos', 'messageId', 'code', '__proto__', 'constructor', 'x'])] = randomJson(
          r,
          depth + 1,
        );
      return o;
    }
  }
}

/** Random bytes of a body, often not JSON at all. */
function randomBody(r: Rand, valid: () => unknown): string | Buffer {
  switch (int(r, 8)) {
    case 0:
      return Buffer.from(Array.from({ length: int(r, 300) }, () => int(r, 256)));
    case 1:
      return `${'['.repeat(2000 + int(r, 3000))}${']'.repeat(int(r, 5000))}`;
    case 2:
      return JSON.stringify(randomJson(r));
    case 3:
      return JSON.stringify(valid()).slice(0, int(r, 200));
    case 4:
      return 'x'.repeat(int(r, 70_000));
    default:
      return JSON.stringify(valid());
  }
}

interface Outcome {
  status: number;
  what: string;
}

/** One request into the server's handler, without a socket; resolves with the status. */
function inject(url: string, init: RequestInit): Promise<number> {
  const u = new URL(url);
  const body = init.body === undefined ? Buffer.alloc(0) : Buffer.from(init.body as string | Buffer);
  const headers: Record<string, string> = { 'content-length': String(body.length) };
  for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = v;
  const req = Readable.from(body.length ? [body] : []) as unknown as IncomingMessage;
  Object.assign(req, { method: init.method ?? 'GET', url: `${u.pathname}${u.search}`, headers, socket: { remoteAddress: '127.0.0.1' } });
  return new Promise((resolve) => {
    const res = {
      statusCode: 0,
      headersSent: false,
      writeHead(status: number) {
        res.statusCode = status;
        res.headersSent = true;
        return res;
      },
      setHeader() {},
      end() {
        resolve(res.statusCode);
        return res;
      },
    };
    const handler = running.server.listeners('request')[0] as (q: IncomingMessage, s: ServerResponse) => void;
    handler(req, res as unknown as ServerResponse);
  });
}

/** Runs `n` requests (the first `OVER_SOCKETS` over HTTP), `CONCURRENCY` at a time; returns the 5xx outcomes and the counts. */
async function hammer(
  n: number,
  make: (i: number) => { url: string; init: RequestInit; what: string },
): Promise<{ bad: Outcome[]; done: number; statuses: Map<number, number> }> {
  const bad: Outcome[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const { url, init, what } = make(i);
        let status = 0;
        if (i < OVER_SOCKETS) {
          try {
            const res = await fetch(url, init);
            status = res.status;
            await res.arrayBuffer();
          } catch {
            status = 0; // The server closed the connection (e.g. a body over the limit): not a 5xx.
          }
        } else status = await inject(url, init);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) bad.push({ status, what: what.slice(0, 300) });
        done++;
      }
    }),
  );
  return { bad, done, statuses };
}

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running;
let tg: FakeTelegram;
let wc: FakeWeCom;
let port: number;

beforeAll(async () => {
  tg = await startFakeTelegram();
  wc = await startFakeWeCom();
  port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  running = await startTestAssistant({
    HTTP_PORT: String(port),
    LOG_LEVEL: 'error',
    TELEGRAM_BOT_TOKEN: '123456:FUZZ-token-abcdefghijklmnopqrstuvwxyz',
    TELEGRAM_API_ROOT: tg.url,
    TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    WECOM_CORP_ID: SAMPLE.corpId,
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: 'fuzz',
    WECOM_TOKEN: SAMPLE.token,
    WECOM_ENCODING_AES_KEY: SAMPLE.encodingAesKey,
    WECOM_API_BASE: wc.url,
    WEB_SESSIONS_PER_HOUR_PER_ADDRESS: '100000',
  });
  await tg.waitFor((c) => c.method === 'setWebhook');
});

afterAll(async () => {
  await running.stop();
  await tg.close();
  await wc.close();
});

describe('HTTP fuzzing (seeded)', () => {
  it(`web API: ${PER_ENTRY_POINT} random requests, no 5xx`, async () => {
    const seed = 11_001;
    const r = rng(seed);
    const base = running.url;
    // A few real sessions to fuzz with (cookie and CSRF token), and the garbage kind.
    const sessions: Array<{ cookie: string; csrf: string }> = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'x-rectify-client': '1' } });
      sessions.push({
        cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string,
        csrf: ((await res.json()) as { csrf: string }).csrf,
      });
    }
    const paths = [
      '/api/chat',
      '/api/chat',
      '/api/chat',
      '/api/photo',
      '/api/session',
      '/api/login',
      '/api/logout',
      '/api/notifications',
      '/api/x',
      '/',
      '/login',
      '/healthz',
      '/%',
      '/api/chat?session=abc',
    ];
    const { bad, done, statuses } = await hammer(PER_ENTRY_POINT, () => {
      const s = pick(r, sessions);
      const path = pick(r, paths);
      const method = r() < 0.85 ? 'POST' : pick(r, ['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
      const headers: Record<string, string> = {};
      if (r() < 0.8)
        headers.cookie =
          r() < 0.85
            ? s.cookie
            : pick(r, ['rectify_sid=', `rectify_sid=${'A'.repeat(43)}`, 'a=b; rectify_sid=;;;', junk(r, 80).replace(/[^\x20-\x7e]/g, '')]);
      if (r() < 0.8) headers['x-csrf-token'] = r() < 0.85 ? s.csrf : junk(r, 30).replace(/[^\x20-\x7e]/g, '');
      if (r() < 0.3) headers['x-rectify-client'] = '1';
      headers['content-type'] = pick(r, ['application/json', 'image/png', 'text/plain', '']);
      const body =
        path === '/api/photo'
          ? pick(r, [
              Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(int(r, 2000))]),
              Buffer.from([0xff, 0xd8, 0xff]),
              Buffer.alloc(int(r, 100)),
            ])
          : randomBody(r, () => ({
              messageId: r() < 0.5 ? `m${int(r, 50)}` : junk(r, 20),
              ...(r() < 0.6 ? { text: pick(r, TEXTS) } : {}),
              ...(r() < 0.3
                ? {
                    choice: pick(r, [
                      'cat:garbage',
                      'town:石蟆镇',
                      'skip',
                      'anon',
                      'confirm',
                      'rate:JJ-20261122-ABCDE:yes',
                      'cancel',
                      junk(r, 10),
                    ]),
                  }
                : {}),
              ...(r() < 0.1 ? { location: { lat: (r() - 0.5) * 200, lon: (r() - 0.5) * 400 } } : {}),
              ...(r() < 0.05 ? { photos: [junk(r, 30)] } : {}),
              ...(r() < 0.1 ? { code: junk(r, 12) } : {}),
            }));
      const init: RequestInit = { method, headers, ...(method === 'GET' ? {} : { body }) };
      return {
        url: `${base}${path}`,
        init,
        what: `seed ${seed} ${method} ${path} ${JSON.stringify(headers)} ${String(body).slice(0, 200)}`,
      };
    });
    expect(done).toBeGreaterThanOrEqual(PER_ENTRY_POINT);
    expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
    // The fuzz reached the dialog, not only the front door.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(500);
  });

  it(`Telegram webhook: ${PER_ENTRY_POINT} random requests, no 5xx`, async () => {
    const seed = 11_002;
    const r = rng(seed);
    const url = `http://127.0.0.1:${port}/telegram/webhook`;
    let update = 1;
    const validUpdate = () => {
      const user = { id: 900 + int(r, 20), is_bot: r() < 0.05, first_name: pick(r, ['U', junk(r, 10)]) };
      const chat = { id: r() < 0.8 ? user.id : -1000 - int(r, 5), type: pick(r, ['private', 'group', 'supergroup', 'channel']) };
      const message = {
        message_id: int(r, 100),
        date: 0,
        chat,
        from: user,
        ...(r() < 0.7 ? { text: pick(r, TEXTS) } : {}),
        ...(r() < 0.1 ? { location: { latitude: (r() - 0.5) * 200, longitude: (r() - 0.5) * 400 } } : {}),
        ...(r() < 0.1 ? { photo: [{ file_id: junk(r, 20), file_unique_id: 'u', width: 1, height: 1 }] } : {}),
      };
      const kind = int(r, 3);
      return {
        update_id: r() < 0.9 ? update++ : pick(r, [-1, 0, 1.5, 'x']),
        ...(kind === 0
          ? { message }
          : kind === 1
            ? { edited_message: message }
            : {
                callback_query: {
                  id: `cq${int(r, 1000)}`,
                  from: user,
                  chat_instance: 'c',
                  data: pick(r, ['cat:garbage', 'skip', 'confirm', junk(r, 20)]),
                  message,
                },
              }),
      };
    };
    const { bad, done, statuses } = await hammer(PER_ENTRY_POINT, () => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const roll = r();
      if (roll < 0.6) headers['x-telegram-bot-api-secret-token'] = SECRET;
      else if (roll < 0.9) headers['x-telegram-bot-api-secret-token'] = junk(r, 40).replace(/[^\x20-\x7e]/g, '');
      const body = randomBody(r, validUpdate);
      return {
        url,
        init: { method: 'POST', headers, body },
        what: `seed ${seed} ${JSON.stringify(headers)} ${String(body).slice(0, 300)}`,
      };
    });
    expect(done).toBeGreaterThanOrEqual(PER_ENTRY_POINT);
    expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(1000);
  });

  it(`WeCom callback: ${PER_ENTRY_POINT} random requests, no 5xx`, async () => {
    const seed = 11_003;
    const r = rng(seed);
    const base = `${running.url}/wecom/callback`;
    // Encrypting is the fake's side and costs time: a pool of signed messages, reused and mutated.
    const pool = Array.from({ length: 300 }, () => {
      const fields = pick<Record<string, string>>(r, [
        { MsgType: 'text', Content: pick(r, TEXTS) },
        { MsgType: 'text', Content: junk(r, 50) },
        { MsgType: 'location', Location_X: String((r() - 0.5) * 200), Location_Y: 'abc', Label: junk(r, 20) },
        { MsgType: 'image', MediaId: junk(r, 10) },
        { MsgType: 'event', Event: pick(r, ['subscribe', 'click', '']) },
        { MsgType: pick(r, ['voice', 'video', 'link', '']) },
      ]);
      const xml = r() < 0.9 ? messageXml(`fz${int(r, 30)}`, fields) : pick(r, ['<xml/>', 'not xml', `<xml>${'<a>'.repeat(500)}`]);
      return encrypt(SAMPLE.encodingAesKey, xml, r() < 0.95 ? SAMPLE.corpId : 'other');
    });
    const { bad, done, statuses } = await hammer(PER_ENTRY_POINT, () => {
      const now = Math.floor(Date.now() / 1000);
      const ts = String(r() < 0.85 ? now : pick(r, [now - 3600, now + 3600, 0, -5, 1e15]));
      const nonce = String(int(r, 1e9));
      let enc = pick(r, pool);
      const roll = r();
      if (roll < 0.1) enc = enc.slice(0, int(r, enc.length));
      else if (roll < 0.15) enc = `${enc.slice(0, 10)}A${enc.slice(11)}`;
      const sig = r() < 0.6 ? signature(SAMPLE.token, ts, nonce, enc) : junk(r, 40).replace(/[^\x20-\x7e]/g, '');
      const body =
        r() < 0.8
          ? `<xml><ToUserName><![CDATA[${SAMPLE.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>`
          : pick(r, [junk(r, 500), `<xml>${'<a>'.repeat(int(r, 20_000))}</xml>`, `<Encrypt>${enc}`, 'x'.repeat(70_000)]);
      const method = r() < 0.95 ? 'POST' : pick(r, ['GET', 'PUT']);
      const query = new URLSearchParams({ msg_signature: sig, timestamp: ts, nonce, ...(method === 'GET' ? { echostr: enc } : {}) });
      return {
        url: `${base}?${query}`,
        init: { method, ...(method === 'POST' ? { body } : {}) },
        what: `seed ${seed} ${method} ${query} ${body.slice(0, 200)}`,
      };
    });
    expect(done).toBeGreaterThanOrEqual(PER_ENTRY_POINT);
    expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(1000);
    await running.wecom?.idle();
  });
});

/** Files an anonymous report through the dialog core as a web citizen; returns its ticket. */
async function fileByChat(user: string, category: string, town: string): Promise<string> {
  const say = (extra: Record<string, unknown>) =>
    running.app.dialog.handle({ channel: 'web', userId: user, chatId: user, messageId: `${user}-${Math.random()}`, ...extra }, new Date());
  await say({ text: '举报' });
  await say({ choice: `cat:${category}` });
  await say({ choice: `town:${town}` });
  await say({ text: '河边有人倾倒垃圾和粪水，气味很大，请尽快处理' });
  await say({ choice: 'skip' });
  await say({ choice: 'skip' });
  await say({ choice: 'anon' });
  const done = (await say({ choice: 'confirm' })).replies.map((x) => x.text).join('\n');
  return /JJ-\d{8}-[A-Z0-9]{5}/.exec(done)?.[0] as string;
}

/** Percent-encoded text (lone surrogates become U+FFFD, as a browser would send them). */
const enc = (s: string) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

/** A printable piece of junk (for headers and cookies). */
const printable = (r: Rand, n: number) => junk(r, n).replace(/[^\x20-\x7e]/g, '');

describe('HTTP fuzzing of the desk and Open311 (seeded)', () => {
  it(`desk: ${PER_ENTRY_POINT} random requests (forms, paths, cookies), no 5xx`, async () => {
    const seed = 10_001;
    const r = rng(seed);
    const base = running.url;
    const tickets = [await fileByChat('fz-d1', 'livestock', '石蟆镇'), await fileByChat('fz-d2', 'garbage', '吴滩镇')];
    const units: string[] = [];
    for (const t of tickets) units.push((await running.app.cases.byTicket(t))?.unit as string);
    const now = new Date();
    // Real sessions (two units and an administrator), with their CSRF tokens, and garbage ones.
    const sessions: Array<{ cookie: string; csrf: string }> = [];
    for (const [role, unit] of [
      ['official', units[0]],
      ['official', units[1]],
      ['official', '区城市管理局'],
      ['admin', null],
    ] as const) {
      const c = await deskClient(base, await running.app.sessions.issueCode(role, unit ?? null, now));
      sessions.push({ cookie: c.cookie, csrf: await c.csrf() });
    }
    const ticket = () =>
      pick(r, [...tickets, 'JJ-20261122-ABCDE', tickets[0]?.toLowerCase() as string, printable(r, 20), '%E0%A4%A', '..']);
    const paths = () =>
      pick(r, [
        '/desk',
        '/desk/',
        '/desk/cases',
        `/desk/cases?status=${enc(pick(r, ['待受理', '已受理', junk(r, 5)]))}&town=${enc(junk(r, 4))}&task=${pick(r, ['none', '1', '-1', 'x', ''])}&overdue=${pick(r, ['1', '0', ''])}`,
        `/desk/cases.csv?category=${enc(junk(r, 6))}`,
        `/desk/case/${ticket()}`,
        `/desk/case/${ticket()}?done=1`,
        `/desk/case/${ticket()}/act`,
        `/desk/case/${ticket()}/act`,
        `/desk/case/${ticket()}/link`,
        `/desk/case/${ticket()}/link`,
        `/desk/photo/${ticket()}/${pick(r, ['0', '1', '-1', 'x', '1e3'])}/${printable(r, 40)}`,
        `/desk/photo/${ticket()}`,
        '/desk/questions',
        `/desk/questions?state=${pick(r, ['open', 'all', 'answered', junk(r, 5)])}`,
        `/desk/questions/${pick(r, ['1', '2', '0', '999999999999', 'x'])}`,
        '/desk/questions.csv',
        '/desk/import',
        '/desk/import/confirm',
        '/desk/login',
        '/desk/logout',
        `/desk/lang?to=${pick(r, ['en', 'zh', junk(r, 3)])}`,
        '/desk/%',
        `/desk/${enc(junk(r, 20))}`,
        `/desk/case/${'A'.repeat(int(r, 100))}`,
      ]);
    const form = (path: string, s: { csrf: string }): Record<string, string> => {
      const f: Record<string, string> = {};
      // Never a valid logout: it would end the session the rest of the fuzz uses.
      if (r() < 0.85) f.csrf = r() < 0.8 && !path.endsWith('/logout') ? s.csrf : printable(r, 40);
      if (r() < 0.7)
        f.action = pick(r, ['accept', 'refuse', 'dispatch', 'progress', 'close', 'recategorize', 'duplicate', junk(r, 8), '__proto__']);
      if (r() < 0.5) f.note = pick(r, [junk(r, 60), ...TEXTS, 'x'.repeat(int(r, 12_000))]);
      if (r() < 0.2) f.referTo = junk(r, 20);
      if (r() < 0.2) f.duplicateOf = ticket();
      if (r() < 0.2) f.category = pick(r, ['livestock', 'garbage', junk(r, 8)]);
      if (r() < 0.5) f.milestone = pick(r, ['0', '1', '2', '5', '-1', '1e9', '99999999999', ' 3 ', junk(r, 5)]);
      if (r() < 0.3) f.op = pick(r, ['curate', 'dismiss', 'out_of_scope', junk(r, 6)]);
      if (r() < 0.2) f.answer = junk(r, 100);
      if (r() < 0.2) f.id = printable(r, 22);
      if (r() < 0.1) f.code = printable(r, 12);
      if (r() < 0.1) f.title = junk(r, 30);
      return f;
    };
    const multipart = (fields: Record<string, string>): { type: string; body: Buffer } => {
      const b = `----fz${int(r, 1e9)}`;
      const parts = Object.entries(fields).map(([k, v]) =>
        Buffer.from(`--${b}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
      );
      const file = pick(r, [
        Buffer.from(Array.from({ length: int(r, 400) }, () => int(r, 256))),
        Buffer.from('整改任务概述,整改责任单位,整改目标,整改时间\n"问题",区农业农村委,"到2026年底完成",2026年\n'),
        Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Array.from({ length: 60 }, () => int(r, 256))]),
        Buffer.alloc(0),
      ]);
      const name = pick(r, ['a.docx', 'b.xlsx', 'c.csv', 'd.txt', 'e.png', '../../x', junk(r, 10)]);
      parts.push(
        Buffer.concat([
          Buffer.from(
            `--${b}\r\ncontent-disposition: form-data; name="file"; filename="${name.replace(/["\r\n]/g, '')}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
          ),
          file,
          Buffer.from('\r\n'),
        ]),
      );
      const tail = r() < 0.9 ? `--${b}--\r\n` : '';
      return {
        type: `multipart/form-data; boundary=${r() < 0.9 ? b : printable(r, 10)}`,
        body: Buffer.concat([...parts, Buffer.from(tail)]),
      };
    };
    const { bad, done, statuses } = await hammer(PER_ENTRY_POINT, () => {
      const s = pick(r, sessions);
      const path = paths();
      const method = r() < 0.5 ? 'POST' : r() < 0.9 ? 'GET' : pick(r, ['PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD']);
      const headers: Record<string, string> = {};
      if (r() < 0.85)
        headers.cookie =
          r() < 0.85
            ? `${s.cookie}${r() < 0.2 ? '; desk_lang=en' : ''}`
            : pick(r, [
                'rectify_sid=',
                `rectify_sid=${'A'.repeat(43)}`,
                'a=b; rectify_sid=;;;',
                `desk_lang=${printable(r, 5)}`,
                printable(r, 80),
              ]);
      if (r() < 0.1) headers.origin = pick(r, ['https://evil.example', 'null', base, printable(r, 20)]);
      if (r() < 0.1) headers['sec-fetch-site'] = pick(r, ['same-origin', 'cross-site', 'none', printable(r, 8)]);
      let body: string | Buffer | undefined;
      if (method === 'POST') {
        const roll = r();
        if (roll < 0.6) {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          body = new URLSearchParams(form(path, s)).toString();
        } else if (roll < 0.8) {
          const m = multipart(form(path, s));
          headers['content-type'] = m.type;
          body = m.body;
        } else {
          headers['content-type'] = pick(r, [
            'application/json',
            'text/plain',
            'multipart/form-data',
            'application/x-www-form-urlencoded',
            '',
          ]);
          body = randomBody(r, () => form(path, s));
        }
      }
      return {
        url: `${base}${path}`,
        init: { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' },
        what: `seed ${seed} ${method} ${path} ${JSON.stringify(headers)} ${String(body ?? '').slice(0, 200)}`,
      };
    });
    expect(done).toBeGreaterThanOrEqual(PER_ENTRY_POINT);
    expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
    // The fuzz got past the sign-in: pages were served, and forms were refused or carried out.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(1000);
    expect(statuses.get(303) ?? 0).toBeGreaterThan(100);
  }, 120_000);

  it(`Open311: ${PER_ENTRY_POINT} random requests (paths, query strings, bodies), no 5xx`, async () => {
    const seed = 10_002;
    const r = rng(seed);
    const key = 'fuzz-open311-key-0123456789abcdef';
    await running.app.apiKeys.insert(hashKey(key), 'fuzz', new Date());
    const ticket = await fileByChat('fz-o1', 'livestock', '石蟆镇');
    const saved = { ...open311Limits };
    // The per-address read limit would answer almost everything with 429: lifted so the fuzz reaches the handlers.
    Object.assign(open311Limits, { readsPerMinute: 1e9, postsPerHour: 1e9 });
    try {
      const date = () =>
        pick(r, ['2026-01-01T00:00:00Z', '2026-13-45', '0', '-1', '9999-12-31T23:59:59+08:00', new Date().toISOString(), junk(r, 10)]);
      const query = (): string => {
        const q = new URLSearchParams();
        for (let i = 0; i < int(r, 6); i++) {
          const k = pick(r, [
            'status',
            'service_code',
            'start_date',
            'end_date',
            'page',
            'page_size',
            'service_request_id',
            'jurisdiction_id',
            'api_key',
            junk(r, 5),
          ]);
          q.append(
            k,
            k.endsWith('_date')
              ? date()
              : pick(r, [
                  'open',
                  'closed',
                  'open,closed',
                  'livestock',
                  'garbage,livestock',
                  '1',
                  '0',
                  '-5',
                  '1e9',
                  '200',
                  '201',
                  ticket,
                  `${ticket},${ticket}`,
                  junk(r, 20),
                ]),
          );
        }
        return r() < 0.1 ? `${q}&%&=%E0%A4%A&&` : q.toString();
      };
      const post = (): Record<string, unknown> => {
        // Some are well formed (they file a case), the rest anything.
        if (r() < 0.2)
          return {
            api_key: key,
            service_code: 'livestock',
            ...(r() < 0.5 ? { lat: 29.05 + r() / 100, long: 105.95 + r() / 100 } : { address_string: '石蟆镇清溪村' }),
            description: `养殖场往河里排粪水，气味很大 ${junk(r, 20)}`,
          };
        const f: Record<string, unknown> = {};
        if (r() < 0.8) f.api_key = r() < 0.8 ? key : printable(r, 30);
        if (r() < 0.9) f.service_code = pick(r, ['livestock', 'garbage', 'water', junk(r, 8), '']);
        if (r() < 0.6) f.lat = pick(r, ['29.05', '29.2', '0', '-91', '1e400', 'NaN', junk(r, 4), 29.05]);
        if (r() < 0.6) f.long = pick(r, ['105.95', '106.2', '181', 'x', '', 105.95]);
        if (r() < 0.5) f.address_string = pick(r, ['石蟆镇清溪村', junk(r, 30), 'x'.repeat(int(r, 3000))]);
        if (r() < 0.9) f.description = pick(r, ['养殖场往河里排粪水，气味很大', junk(r, 80), '', ...TEXTS]);
        if (r() < 0.2) f.phone = pick(r, ['13812345678', junk(r, 12)]);
        if (r() < 0.1) f.email = junk(r, 20);
        if (r() < 0.1) f.media_url = pick(r, ['http://127.0.0.1/x.jpg', 'file:///etc/passwd', junk(r, 20)]);
        if (r() < 0.05) f[pick(r, ['constructor', 'toString'])] = { api_key: key };
        return f;
      };
      const paths = () =>
        pick(r, [
          '/services.json',
          '/services.xml',
          '/requests.json',
          '/requests.json',
          '/requests.json',
          `/requests/${ticket}.json`,
          `/requests/${pick(r, ['JJ-20261122-ABCDE', ticket.toLowerCase(), printable(r, 30), '%', '..%2F..%2Fetc', 'A'.repeat(int(r, 60))])}.json`,
          '/requests.xml',
          '/',
          '',
          '/discovery.json',
          `/${enc(junk(r, 20))}`,
        ]);
      const { bad, done, statuses } = await hammer(PER_ENTRY_POINT, () => {
        const path = r() < 0.03 ? pick(r, ['/open311/', '/open311/v1/requests.json', '/open311/v2']) : `/open311/v2${paths()}`;
        const method = r() < 0.6 ? 'GET' : r() < 0.9 ? 'POST' : pick(r, ['PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD']);
        const headers: Record<string, string> = {};
        let body: string | Buffer | undefined;
        if (method === 'POST' || (method !== 'GET' && method !== 'HEAD' && r() < 0.5)) {
          const roll = r();
          const fields = post();
          if (roll < 0.5) {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            body = new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString();
          } else if (roll < 0.75) {
            headers['content-type'] = pick(r, ['application/json', 'application/json; charset=utf-8']);
            body = randomBody(r, () => fields);
          } else {
            headers['content-type'] = pick(r, [
              'multipart/form-data',
              'multipart/form-data; boundary=x',
              'text/plain',
              'application/xml',
              '',
            ]);
            body = randomBody(r, () => fields);
          }
        }
        const q = r() < 0.7 ? `?${query()}` : '';
        return {
          url: `${running.url}${path}${q}`,
          init: { method, headers, ...(body !== undefined ? { body } : {}) },
          what: `seed ${seed} ${method} ${path}${q} ${JSON.stringify(headers)} ${String(body ?? '').slice(0, 200)}`,
        };
      });
      expect(done).toBeGreaterThanOrEqual(PER_ENTRY_POINT);
      expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
      expect(statuses.get(200) ?? 0).toBeGreaterThan(1000);
      expect(statuses.get(201) ?? 0).toBeGreaterThan(0);
    } finally {
      Object.assign(open311Limits, saved);
    }
  }, 120_000);
});
