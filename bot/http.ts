/**
 * The one HTTP server of the program: the web chat and its API, /healthz, the Telegram webhook
 * (when configured) and the WeCom callback, on one port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { WebRequest, WebResponse } from './channels/web/web.js';
import type { CallbackRequest, CallbackResponse } from './channels/wecom/channel.js';

/** What the server serves. */
export interface HttpParts {
  web: { handle(req: WebRequest): WebResponse | null };
  telegram?: { path: string; handler: (req: IncomingMessage, res: ServerResponse) => unknown } | null;
  wecom?: { handle(req: CallbackRequest): CallbackResponse } | null;
  health(): { ok: boolean } & Record<string, unknown>;
  log?: (line: string) => void;
}

/** Largest request body read (a photo is at most 5 MB). */
const MAX_BODY = 6 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Creates the server (not yet listening). */
export function createHttpServer(parts: HttpParts): Server {
  const log = parts.log ?? (() => {});
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (parts.telegram && url.pathname === parts.telegram.path && req.method === 'POST') {
        await parts.telegram.handler(req, res);
        return;
      }
      if (url.pathname === '/healthz') {
        const h = parts.health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(h));
        return;
      }
      const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
      if (body === null) {
        res.writeHead(413, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: '请求太大。' }));
        return;
      }
      if (url.pathname === '/wecom/callback') {
        if (!parts.wecom) {
          res.writeHead(404).end('wecom is not configured');
          return;
        }
        const r = parts.wecom.handle({ method: req.method ?? 'GET', query: url.searchParams, body: body.toString('utf8') });
        res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(r.body);
        return;
      }
      const r = parts.web.handle({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        contentType: String(req.headers['content-type'] ?? ''),
        body,
      });
      if (r) {
        res.writeHead(r.status, { 'content-type': r.type, 'cache-control': 'no-store' });
        res.end(r.body);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found');
    } catch (e) {
      log(`http: ${req.method} ${url.pathname} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error');
    }
  });
}
