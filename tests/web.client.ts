/** A browser-like client of the web chat API: keeps the session cookie and the CSRF token. */

/** A web chat client. */
export interface WebClient {
  readonly cookie: string;
  readonly csrf: string;
  /** Opens (or resumes) the session. */
  open(): Promise<Record<string, unknown>>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Sends a chat message; returns the status and the replies' text joined. */
  chat(message: Record<string, unknown>): Promise<{ status: number; text: string; body: Record<string, unknown> }>;
  signIn(code: string): Promise<Response>;
}

let seq = 0;

/** A client of the assistant at `base`; `headers` go with every request (e.g. x-forwarded-for). */
export async function webClient(base: string, headers: Record<string, string> = {}): Promise<WebClient> {
  let cookie = '';
  let csrf = '';
  const take = (r: Response) => {
    const set = r.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0] as string;
  };
  const client: WebClient = {
    get cookie() {
      return cookie;
    },
    get csrf() {
      return csrf;
    },
    async open() {
      const r = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'x-rectify-client': '1', ...headers, ...(cookie ? { cookie } : {}) },
      });
      take(r);
      const d = (await r.json()) as Record<string, unknown>;
      if (typeof d.csrf === 'string') csrf = d.csrf;
      return d;
    },
    post(path, body, extra = {}) {
      return fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, ...headers, ...(cookie ? { cookie } : {}), ...extra },
        body: typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body),
      });
    },
    async chat(message) {
      const r = await client.post('/api/chat', { messageId: `w${++seq}`, ...message });
      const body = (await r.json()) as Record<string, unknown>;
      const replies = (body.replies as Array<{ text: string }> | undefined) ?? [];
      return { status: r.status, text: replies.map((x) => x.text).join('\n'), body };
    },
    async signIn(code) {
      const r = await client.post('/api/login', { code });
      take(r);
      if (r.ok) {
        const d = (await r.clone().json()) as { csrf: string };
        csrf = d.csrf;
      }
      return r;
    },
  };
  await client.open();
  return client;
}

/** The smallest valid PNG header (8 bytes of signature and a little more). */
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
