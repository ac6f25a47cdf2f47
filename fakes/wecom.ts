/**
 * A fake WeCom server API on 127.0.0.1 (gettoken, message/send, webhook/send), and helpers that
 * play WeCom's side of the callback: encrypting and signing messages as WeCom would.
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
  waitFor(pred: (c: WeComCall) => boolean, ms?: number): Promise<WeComCall>;
  close(): Promise<void>;
}

/** Starts the fake on a free port. */
export async function startFakeWeCom(): Promise<FakeWeCom> {
  const calls: WeComCall[] = [];
  const fail: number[] = [];
  const state = { tokensIssued: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = Object.fromEntries(url.searchParams);
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const send = (d: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(d));
      };
      if (url.pathname === '/__stats') return send({ calls: calls.length, tokens: state.tokensIssued });
      if (url.pathname === '/cgi-bin/gettoken') {
        state.tokensIssued++;
        return send({ errcode: 0, errmsg: 'ok', access_token: `TOKEN${state.tokensIssued}`, expires_in: 7200 });
      }
      calls.push({ path: url.pathname, query, body });
      const code = fail.shift();
      if (code !== undefined) return send({ errcode: code, errmsg: 'injected' });
      if (url.pathname === '/cgi-bin/message/send') {
        if (query.access_token !== `TOKEN${state.tokensIssued}`) return send({ errcode: 42001, errmsg: 'access_token expired' });
        return send({ errcode: 0, errmsg: 'ok', msgid: `m${calls.length}` });
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
