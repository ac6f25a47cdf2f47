/**
 * The one HTTP server of the program: the web chat and its API, /healthz, the Telegram webhook
 * (when configured) and the WeCom callback, on one port.
 *
 * Each route reads at most its own small body limit (a WeCom callback is a few KB, a Telegram
 * update a few KB, a chat message less than 64 KB; only a photo upload may be megabytes): a larger
 * declared body is refused before it is read, a larger actual one as soon as it passes the limit.
 * Nothing is parsed before the route's own authentication (see the WeCom and Telegram channels).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { WebRequest, WebResponse } from './channels/web/web.js';
import type { CallbackRequest, CallbackResponse } from './channels/wecom/channel.js';

/** The Telegram webhook, as the server calls it. */
export interface WebhookPart {
  path: string;
  handle(req: { body: Buffer; secret: string | undefined }): Promise<{ status: number; body: string }>;
}

/** An answer of a prefix route (its body may be bytes: a photo). */
export type RouteResponse = Omit<WebResponse, 'body'> & { body: string | Buffer };

/** A part of the site under a path prefix (the officials' desk, Open311), with its own body limit. */
export interface PrefixRoute {
  prefix: string;
  /** The largest body a POST to this path may have. */
  bodyLimit(path: string): number;
  handle(req: WebRequest): Promise<RouteResponse | null> | RouteResponse | null;
}

/** What the server serves. */
export interface HttpParts {
  web: { handle(req: WebRequest): Promise<WebResponse | null> | WebResponse | null };
  telegram?: WebhookPart | null;
  wecom?: { handle(req: CallbackRequest): Promise<CallbackResponse> | CallbackResponse } | null;
  health(): Promise<{ ok: boolean } & Record<string, unknown>>;
  log?: (line: string) => void;
  /** Errors that reached the server (the store's failures degrade /healthz). */
  onError?: (e: unknown) => void;
  /** Take the client's address from X-Forwarded-For (set when a reverse proxy is in front). */
  trustProxy?: boolean;
  /** The photo upload's limit in bytes. */
  photoBytes?: number;
  /** Parts under their own path prefixes (issue 10: /desk/, /open311/), tried before the web chat. */
  routes?: PrefixRoute[];
}

/** Body limits per route, in bytes. */
export const BODY_LIMITS = {
  wecom: 64 * 1024,
  telegram: 256 * 1024,
  api: 64 * 1024,
  photo: 5 * 1024 * 1024,
};

/** Reads a body of at most `max` bytes; null when it is larger (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(null);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', () => {
      if (!done) resolve(null);
      done = true;
    });
  });
}

/** The client's address: the socket's, or the last X-Forwarded-For hop when a proxy is trusted. */
export function clientOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .at(-1);
    if (xff && xff.length <= 64) return xff;
  }
  return (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Creates the server (not yet listening). */
export function createHttpServer(parts: HttpParts): Server {
  const log = parts.log ?? (() => {});
  const tooLarge = (res: ServerResponse) => {
    // The rest of the body is not read: close the connection after answering.
    res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close', ...SECURITY_HEADERS });
    res.end(JSON.stringify({ error: '请求太大。' }));
  };
  const server = createServer(async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad request');
      return;
    }
    try {
      if (parts.telegram && url.pathname === parts.telegram.path && req.method === 'POST') {
        const body = await readBody(req, BODY_LIMITS.telegram);
        if (body === null) return tooLarge(res);
        const secret = req.headers['x-telegram-bot-api-secret-token'];
        const r = await parts.telegram.handle({ body, secret: typeof secret === 'string' ? secret : undefined });
        res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(r.body);
        return;
      }
      if (url.pathname === '/healthz') {
        const h = await parts.health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify(h));
        return;
      }
      if (url.pathname === '/wecom/callback') {
        if (!parts.wecom) {
          res.writeHead(404).end('wecom is not configured');
          return;
        }
        const body = req.method === 'POST' ? await readBody(req, BODY_LIMITS.wecom) : Buffer.alloc(0);
        if (body === null) return tooLarge(res);
        const r = await parts.wecom.handle({ method: req.method ?? 'GET', query: url.searchParams, body: body.toString('utf8') });
        res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(r.body);
        return;
      }
      const routed = parts.routes?.find((r) => url.pathname === r.prefix.replace(/\/$/, '') || url.pathname.startsWith(r.prefix));
      const limit = routed
        ? routed.bodyLimit(url.pathname)
        : url.pathname === '/api/photo'
          ? (parts.photoBytes ?? BODY_LIMITS.photo) + 1024
          : BODY_LIMITS.api;
      const body = req.method === 'POST' ? await readBody(req, limit) : Buffer.alloc(0);
      if (body === null) return tooLarge(res);
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const request: WebRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        contentType: String(req.headers['content-type'] ?? ''),
        body,
        ...(header('cookie') ? { cookie: header('cookie') } : {}),
        ...(header('x-csrf-token') ? { csrf: header('x-csrf-token') } : {}),
        header,
        client: clientOf(req, parts.trustProxy === true),
      };
      const r = routed ? await routed.handle(request) : await parts.web.handle(request);
      if (r) {
        res.writeHead(r.status, { 'content-type': r.type, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...r.headers });
        res.end(r.body);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found');
    } catch (e) {
      parts.onError?.(e);
      log(`http: ${req.method} ${url.pathname} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error');
    }
  });
  // Slow or stalled clients do not hold sockets for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}
