/**
 * A fake WeCom server API on 127.0.0.1 (gettoken, message/send — text, markdown, template cards
 * within WeCom's limits, images —, message/update_template_card, media/get, media/upload,
 * webhook/send), and helpers that play WeCom's side of the callback: encrypting and signing
 * messages as WeCom would, template card clicks included.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encrypt, signature } from '../bot/channels/wecom/crypto.js';

/** The official sample settings of WeCom's documentation. */
export const SAMPLE = {
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
};

/** The settings of an assistant that talks to this fake at `url` with the sample keys. */
export function sampleWecomEnv(url: string): Record<string, string> {
  return {
    WECOM_CORP_ID: SAMPLE.corpId,
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: 'app-secret',
    WECOM_TOKEN: SAMPLE.token,
    WECOM_ENCODING_AES_KEY: SAMPLE.encodingAesKey,
    WECOM_API_BASE: url,
  };
}

/** A recorded call. */
export interface WeComCall {
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
}

/** The fake. */
export interface FakeWeCom {
  url: string;
  calls: WeComCall[];
  tokensIssued: number;
  /** Makes the next sends answer with this errcode. */
  failNext(errcode: number, n?: number): void;
  /** Media WeCom holds (what a user sent; what was uploaded), by media_id. */
  media: Map<string, { bytes: Buffer; contentType: string }>;
  /** A card click: the callback XML WeCom sends, with a fresh response code (good once). */
  clickXml(from: string, taskId: string, key: string): string;
  waitFor(pred: (c: WeComCall) => boolean, ms?: number): Promise<WeComCall>;
  close(): Promise<void>;
}

/** Starts the fake on a free port. */
export async function startFakeWeCom(): Promise<FakeWeCom> {
  const calls: WeComCall[] = [];
  const fail: number[] = [];
  const state = { tokensIssued: 0, uploads: 0, codes: 0 };
  const media = new Map<string, { bytes: Buffer; contentType: string }>();
  const taskIds = new Set<string>();
  const responseCodes = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = Object.fromEntries(url.searchParams);
      const rawBytes = Buffer.concat(chunks);
      const multipart = /^multipart\/form-data/.test(req.headers['content-type'] ?? '');
      const raw = multipart ? '' : rawBytes.toString('utf8');
      const body = multipart
        ? parseUpload(rawBytes, req.headers['content-type'] ?? '')
        : raw
          ? (JSON.parse(raw) as Record<string, unknown>)
          : {};
      const send = (d: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(d));
      };
      if (url.pathname === '/__stats')
        return send({
          calls: calls.length,
          tokens: state.tokensIssued,
          sent: calls.filter((c) => c.path === '/cgi-bin/message/send' || c.path === '/cgi-bin/webhook/send').length,
        });
      // Every call made, for a test in another process to see who was sent what.
      if (url.pathname === '/__calls') return send(calls);
      if (url.pathname === '/cgi-bin/gettoken') {
        // Like WeCom, a token stays the same while it is valid, so replicas sharing one secret do
        // not expire each other's tokens; `tokensIssued` counts the requests.
        state.tokensIssued++;
        return send({ errcode: 0, errmsg: 'ok', access_token: 'TOKEN1', expires_in: 7200 });
      }
      calls.push({ path: url.pathname, query, body });
      const code = fail.shift();
      if (code !== undefined) return send({ errcode: code, errmsg: 'injected' });
      const tokenOk = query.access_token === 'TOKEN1';
      if (url.pathname.startsWith('/cgi-bin/') && url.pathname !== '/cgi-bin/webhook/send' && !tokenOk)
        return send({ errcode: 42001, errmsg: 'access_token expired' });
      if (url.pathname === '/cgi-bin/message/send') {
        if (body.msgtype === 'template_card') {
          const card = body.template_card as { card_type?: string; task_id?: string; button_list?: Array<{ key?: string; text?: string }> };
          const buttons = card.button_list ?? [];
          // WeCom's limits: a unique task id of [A-Za-z0-9_-@] ≤ 128 bytes, 1–6 buttons with distinct keys ≤ 1024 bytes.
          if (card.card_type !== 'button_interaction' || !/^[\w\-@]{1,128}$/.test(card.task_id ?? ''))
            return send({ errcode: 40058, errmsg: 'invalid task_id' });
          if (taskIds.has(card.task_id as string)) return send({ errcode: 40058, errmsg: 'duplicate task_id' });
          if (buttons.length < 1 || buttons.length > 6 || new Set(buttons.map((b) => b.key)).size !== buttons.length)
            return send({ errcode: 40058, errmsg: 'invalid button_list' });
          if (buttons.some((b) => !b.text || !b.key || Buffer.byteLength(b.key) > 1024))
            return send({ errcode: 40058, errmsg: 'invalid button' });
          taskIds.add(card.task_id as string);
        }
        if (body.msgtype === 'image' && !media.has(String((body.image as { media_id?: string })?.media_id)))
          return send({ errcode: 40007, errmsg: 'invalid media_id' });
        return send({ errcode: 0, errmsg: 'ok', msgid: `m${calls.length}` });
      }
      if (url.pathname === '/cgi-bin/message/update_template_card') {
        const code = String(body.response_code ?? '');
        if (!responseCodes.delete(code)) return send({ errcode: 40001, errmsg: 'invalid response_code' });
        return send({ errcode: 0, errmsg: 'ok' });
      }
      if (url.pathname === '/cgi-bin/media/get') {
        const m = media.get(query.media_id ?? '');
        if (!m) return send({ errcode: 40007, errmsg: 'invalid media_id' });
        res.writeHead(200, { 'content-type': m.contentType, 'content-length': m.bytes.length });
        return res.end(m.bytes);
      }
      if (url.pathname === '/cgi-bin/media/upload') {
        if (query.type !== 'image' || !(body.bytes instanceof Buffer)) return send({ errcode: 40004, errmsg: 'invalid media' });
        const id = `UPLOADED_${++state.uploads}`;
        media.set(id, { bytes: body.bytes, contentType: String(body.contentType) });
        return send({ errcode: 0, errmsg: 'ok', type: 'image', media_id: id, created_at: String(Math.floor(Date.now() / 1000)) });
      }
      if (url.pathname === '/cgi-bin/webhook/send') return send({ errcode: 0, errmsg: 'ok' });
      return send({ errcode: 404, errmsg: 'no such api' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    get tokensIssued() {
      return state.tokensIssued;
    },
    failNext(errcode, n = 1) {
      for (let i = 0; i < n; i++) fail.push(errcode);
    },
    media,
    clickXml(from, taskId, key) {
      const code = `RC${++state.codes}_${Math.floor(Math.random() * 1e9)}`;
      responseCodes.add(code);
      return cardEventXml(from, taskId, key, code);
    },
    waitFor(pred, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = () => {
          const hit = calls.find(pred);
          if (hit) return resolve(hit);
          if (Date.now() - start > ms) return reject(new Error(`fake wecom: timed out; calls: ${JSON.stringify(calls).slice(0, 500)}`));
          setTimeout(tick, 20);
        };
        tick();
      });
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// MsgIds are unique across processes too (the benchmark runs several load generators).
let msgId = 7_000_000_000_000_000_000n + BigInt(Date.now()) * 1000n + BigInt(process.pid % 1000) * 1_000_000_000_000n;

/** The XML of a message from a WeCom user, as WeCom builds it. */
export function messageXml(from: string, fields: Record<string, string>, corpId = SAMPLE.corpId): string {
  const id = String(msgId++);
  const body = Object.entries({ MsgId: id, AgentID: '1000002', ...fields })
    .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
    .join('');
  return `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime>${body}</xml>`;
}

/** A signed, encrypted callback request for a message XML (signed at `at`, now by default). */
export function callbackRequest(xml: string, settings = SAMPLE, at = Date.now()): { query: string; body: string } {
  const encrypted = encrypt(settings.encodingAesKey, xml, settings.corpId);
  const timestamp = String(Math.floor(at / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const sig = signature(settings.token, timestamp, nonce, encrypted);
  return {
    query: `msg_signature=${sig}&timestamp=${timestamp}&nonce=${nonce}`,
    body: `<xml><ToUserName><![CDATA[${settings.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
  };
}

/** The part named "media" of a multipart upload: its bytes, content type and file name. */
function parseUpload(raw: Buffer, contentType: string): Record<string, unknown> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return {};
  const delim = Buffer.from(`--${b}`);
  let at = raw.indexOf(delim);
  while (at >= 0) {
    const next = raw.indexOf(delim, at + delim.length);
    if (next < 0) break;
    const part = raw.subarray(at + delim.length + 2, next - 2);
    const headEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headEnd).toString('utf8');
    if (/name="media"/.test(head)) {
      return {
        bytes: Buffer.from(part.subarray(headEnd + 4)),
        contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'application/octet-stream',
        filename: /filename="([^"]*)"/.exec(head)?.[1] ?? '',
      };
    }
    at = next;
  }
  return {};
}

/** The XML of a template card click (event template_card_event), as WeCom builds it. */
export function cardEventXml(from: string, taskId: string, key: string, responseCode: string, corpId = SAMPLE.corpId): string {
  const fields = {
    MsgType: 'event',
    Event: 'template_card_event',
    EventKey: key,
    TaskId: taskId,
    CardType: 'button_interaction',
    ResponseCode: responseCode,
    AgentID: '1000002',
  };
  const body = Object.entries(fields)
    .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
    .join('');
  return `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime>${body}</xml>`;
}
