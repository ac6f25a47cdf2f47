/**
 * The WeCom server API through axios: an access token cached and refreshed before it expires (and
 * once, with one retry, when WeCom says it is invalid), every reply's errcode checked — WeCom
 * answers HTTP 200 with an error code — and turned into a typed error.
 */
import axios, { type AxiosInstance } from 'axios';

/** An error code from WeCom. */
export class WeComApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly method: string,
  ) {
    super(`wecom: ${method} failed with errcode ${errcode}: ${errmsg}`);
    this.name = 'WeComApiError';
  }
}

/** Codes that mean "get a new token and try again". */
export const TOKEN_ERRCODES = new Set([40014, 42001, 42007, 42009]);

/** Settings of the client. */
export interface WeComClientOptions {
  apiBase: string;
  corpId: string;
  secret: string;
  agentId: number;
  clock?: () => number;
  http?: AxiosInstance;
}

/** A message to users or departments. */
export interface WeComTarget {
  touser?: string;
  toparty?: string;
}

/** The WeCom client. */
export interface WeComClient {
  token(): Promise<string>;
  call<T extends { errcode: number; errmsg: string }>(path: string, body: unknown): Promise<T>;
  sendText(to: WeComTarget, content: string): Promise<void>;
  sendMarkdown(to: WeComTarget, content: string): Promise<void>;
  sendTextcard(to: WeComTarget, card: { title: string; description: string; url: string; btntxt?: string }): Promise<void>;
}

/** Creates the client. */
export function createWeComClient(o: WeComClientOptions): WeComClient {
  const http = o.http ?? axios.create({ baseURL: o.apiBase, timeout: 10_000 });
  const clock = o.clock ?? Date.now;
  let cached: { token: string; until: number } | null = null;
  let inflight: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const r = await http.get('/cgi-bin/gettoken', { params: { corpid: o.corpId, corpsecret: o.secret } });
    const d = r.data as { errcode: number; errmsg: string; access_token?: string; expires_in?: number };
    if (d.errcode !== 0 || !d.access_token) throw new WeComApiError(d.errcode, d.errmsg, 'gettoken');
    // Refresh five minutes early, so a token never expires in flight.
    cached = { token: d.access_token, until: clock() + ((d.expires_in ?? 7200) - 300) * 1000 };
    return d.access_token;
  }

  async function token(force = false): Promise<string> {
    if (!force && cached && clock() < cached.until) return cached.token;
    // One request for many callers at once.
    inflight ??= fetchToken().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  async function call<T extends { errcode: number; errmsg: string }>(path: string, body: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const t = await token(attempt > 0);
      const r = await http.post(path, body, { params: { access_token: t } });
      const d = r.data as T;
      if (d.errcode === 0) return d;
      if (TOKEN_ERRCODES.has(d.errcode) && attempt === 0) {
        cached = null;
        continue;
      }
      throw new WeComApiError(d.errcode, d.errmsg, path);
    }
  }

  const send = (to: WeComTarget, msgtype: string, payload: unknown) =>
    call('/cgi-bin/message/send', { ...to, agentid: o.agentId, msgtype, [msgtype]: payload, safe: 0 }).then(() => undefined);

  return {
    token: () => token(),
    call,
    sendText: (to, content) => send(to, 'text', { content }),
    sendMarkdown: (to, content) => send(to, 'markdown', { content }),
    sendTextcard: (to, card) => send(to, 'textcard', card),
  };
}

/** A sliding-window limiter: at most `limit` takes per `windowMs`; `take` waits for a slot. */
export function createLimiter(
  limit: number,
  windowMs: number,
  clock: () => number = Date.now,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
) {
  const stamps: number[] = [];
  let chain = Promise.resolve();
  return {
    take(): Promise<void> {
      chain = chain.then(async () => {
        for (;;) {
          const now = clock();
          while (stamps.length && (stamps[0] as number) <= now - windowMs) stamps.shift();
          if (stamps.length < limit) {
            stamps.push(now);
            return;
          }
          await sleep((stamps[0] as number) + windowMs - now);
        }
      });
      return chain;
    },
  };
}

/** The group robot webhook (send only), batched within its 20 messages a minute. */
export function createRobot(
  apiBase: string,
  http: AxiosInstance = axios.create({ baseURL: apiBase, timeout: 10_000 }),
  limiter = createLimiter(20, 60_000),
) {
  return {
    async send(key: string, markdown: string): Promise<void> {
      await limiter.take();
      const r = await http.post('/cgi-bin/webhook/send', { msgtype: 'markdown', markdown: { content: markdown } }, { params: { key } });
      const d = r.data as { errcode: number; errmsg: string };
      if (d.errcode !== 0) throw new WeComApiError(d.errcode, d.errmsg, 'webhook/send');
    },
  };
}
