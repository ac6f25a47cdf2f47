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
  /** Milliseconds for the token's lifetime (default: the monotonic timer). */
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
  /** A template card (issue 12: `button_interaction` for choices). */
  sendTemplateCard(to: WeComTarget, card: Record<string, unknown>): Promise<void>;
  /** Replaces the clicked button's text on the card a user answered (the callback's ResponseCode, once). */
  updateTemplateCardButton(userIds: string[], responseCode: string, replaceName: string): Promise<void>;
  sendImage(to: WeComTarget, mediaId: string): Promise<void>;
  /** Downloads a media file (media/get) of at most `maxBytes`; WeCom's JSON error answers throw. */
  getMedia(mediaId: string, maxBytes: number): Promise<{ bytes: Buffer; contentType: string }>;
  /** Uploads an image as temporary media (media/upload, valid three days); its media_id. */
  uploadImage(bytes: Buffer, mime: string, filename: string): Promise<string>;
}

/** A media file larger than allowed. */
export class WeComMediaTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`wecom: media larger than ${maxBytes} bytes`);
    this.name = 'WeComMediaTooLarge';
  }
}

/** Creates the client. */
export function createWeComClient(o: WeComClientOptions): WeComClient {
  const http = o.http ?? axios.create({ baseURL: o.apiBase, timeout: 10_000 });
  // Elapsed time, not the time of day: the monotonic timer.
  const clock = o.clock ?? (() => performance.now());
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

  /** Runs one request with the token; a token error gets a new token and one more try. */
  async function withToken<T>(path: string, run: (t: string) => Promise<{ result: T } | { errcode: number; errmsg: string }>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const t = await token(attempt > 0);
      const d = await run(t);
      if ('result' in d) return d.result;
      if (TOKEN_ERRCODES.has(d.errcode) && attempt === 0) {
        cached = null;
        continue;
      }
      throw new WeComApiError(d.errcode, d.errmsg, path);
    }
  }

  async function call<T extends { errcode: number; errmsg: string }>(path: string, body: unknown): Promise<T> {
    return withToken<T>(path, async (t) => {
      const d = (await http.post(path, body, { params: { access_token: t } })).data as T;
      return d.errcode === 0 ? { result: d } : d;
    });
  }

  async function getMedia(mediaId: string, maxBytes: number): Promise<{ bytes: Buffer; contentType: string }> {
    return withToken<{ bytes: Buffer; contentType: string }>('/cgi-bin/media/get', async (t) => {
      let r: { data: ArrayBuffer; headers: Record<string, unknown> };
      try {
        r = await http.get('/cgi-bin/media/get', {
          params: { access_token: t, media_id: mediaId },
          responseType: 'arraybuffer',
          maxContentLength: maxBytes,
        });
      } catch (e) {
        if (axios.isAxiosError(e) && /maxContentLength/.test(e.message)) throw new WeComMediaTooLarge(maxBytes);
        throw e;
      }
      const bytes = Buffer.from(r.data);
      const contentType = String(r.headers['content-type'] ?? '');
      // WeCom answers an error as JSON with HTTP 200.
      if (/json|text\/plain/.test(contentType) || (bytes[0] === 0x7b && bytes.length < 4096)) {
        try {
          const d = JSON.parse(bytes.toString('utf8')) as { errcode?: number; errmsg?: string };
          if (typeof d.errcode === 'number') return { errcode: d.errcode, errmsg: String(d.errmsg ?? '') };
        } catch {}
      }
      if (bytes.length > maxBytes) throw new WeComMediaTooLarge(maxBytes);
      return { result: { bytes, contentType } };
    });
  }

  async function uploadImage(bytes: Buffer, mime: string, filename: string): Promise<string> {
    return withToken<string>('/cgi-bin/media/upload', async (t) => {
      const form = new FormData();
      form.append('media', new Blob([new Uint8Array(bytes)], { type: mime }), filename);
      const d = (await http.post('/cgi-bin/media/upload', form, { params: { access_token: t, type: 'image' } })).data as {
        errcode: number;
        errmsg: string;
        media_id?: string;
      };
      if (d.errcode === 0 && d.media_id) return { result: d.media_id };
      return { errcode: d.errcode || -1, errmsg: d.errmsg ?? 'no media_id' };
    });
  }

  const send = (to: WeComTarget, msgtype: string, payload: unknown) =>
    call('/cgi-bin/message/send', { ...to, agentid: o.agentId, msgtype, [msgtype]: payload, safe: 0 }).then(() => undefined);

  return {
    token: () => token(),
    call,
    sendText: (to, content) => send(to, 'text', { content }),
    sendMarkdown: (to, content) => send(to, 'markdown', { content }),
    sendTextcard: (to, card) => send(to, 'textcard', card),
    sendTemplateCard: (to, card) => send(to, 'template_card', card),
    updateTemplateCardButton: (userIds, responseCode, replaceName) =>
      call('/cgi-bin/message/update_template_card', {
        userids: userIds,
        agentid: o.agentId,
        response_code: responseCode,
        button: { replace_name: replaceName },
      }).then(() => undefined),
    sendImage: (to, mediaId) => send(to, 'image', { media_id: mediaId }),
    getMedia,
    uploadImage,
  };
}

/** A sliding-window limiter: at most `limit` takes per `windowMs`; `take` waits for a slot. */
export function createLimiter(
  limit: number,
  windowMs: number,
  // Elapsed time, not the time of day: the monotonic timer.
  clock: () => number = () => performance.now(),
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
