/**
 * The local web chat: a page and a small JSON API on the assistant's own HTTP server, so anyone can
 * ask and report with no account.
 *
 * Identity is issued by the server: `POST /api/session` sets an HttpOnly, SameSite=Strict cookie
 * with a random token (only its hash is stored) and returns the session's CSRF token, which every
 * other API call must send in `x-csrf-token`. Nothing identifying is ever in a URL. The chat user
 * id is the session's, not anything the client says. Officials sign in on the page with a one-time
 * code (`/login#CODE`, from `npm run admin -- login-link`); `/join` works only in a signed-in
 * session. Notifications are fetched for the cookie's identity only.
 *
 * Photos are accepted only from a session that is filing a report, checked by their first bytes
 * (JPEG, PNG or WebP), at most `maxPhotos` per report, and stored under a quota.
 */

import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { reportLimits } from '../../../cases/validate.js';
import type { Clock } from '../../../core/clock.js';
import { freeBytes } from '../../../core/disk.js';
import { imageType } from '../../../core/image.js';
import { type Lang, messages } from '../../../core/messages/index.js';
import { projectPath } from '../../../core/paths.js';
import { isBusy } from '../../../store/db.js';
import type { ChatPort, DialogPort, LimitPort, OutboxPort, UploadPort } from '../../../store/ports.js';
import { asReplies, type Delivery } from '../../delivery.js';
import { cookieValue, SESSION_COOKIE, type Sessions, type WebSession } from '../../sessions.js';

/** A request to the web channel, independent of the HTTP server. */
export interface WebRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: Buffer;
  /** The Cookie header. */
  cookie?: string;
  /** The x-csrf-token header. */
  csrf?: string;
  /** Any header the channel needs (lower-case names). */
  header?: (name: string) => string | undefined;
  /** The client's address (as the server sees it, or from X-Forwarded-For behind a trusted proxy). */
  client?: string;
}

/** An answer of the web channel. */
export interface WebResponse {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

/** A case photo's bytes as its viewer may see it, or null (not theirs to see, or not stored here). */
export type PhotoLookup = (viewer: { userId: string }, ticket: string, ref: string) => Promise<{ bytes: Buffer; mime: string } | null>;

const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#1b7f5a"/><path d="M32 12c-9 10-16 18-16 27a16 16 0 0 0 32 0c0-9-7-17-16-27z" fill="#fff"/><path d="M25 40l5 5 10-12" stroke="#1b7f5a" stroke-width="5" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>';

const chatSchema = z.object({
  messageId: z.string().min(1).max(128).optional(),
  text: z.string().max(10_000).optional(),
  choice: z.string().max(512).optional(),
  location: z.object({ lat: z.number().finite(), lon: z.number().finite(), label: z.string().max(500).optional() }).optional(),
  photos: z.array(z.string().max(200)).max(reportLimits.maxPhotos).optional(),
  /** What the page showed as the user's message (a button's label), for the restored conversation. */
  echo: z.string().max(500).optional(),
});

const loginSchema = z.object({ code: z.string().min(1).max(64) });

const json = (status: number, body: unknown, headers?: Record<string, string>): WebResponse => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
  ...(headers ? { headers } : {}),
});

/** The limits of the web chat (the settings fill them in). */
export interface WebLimits {
  photoBytes: number;
  uploadQuotaBytes: number;
  diskMinFreeBytes: number;
  sessionsPerHourPerAddress: number;
  signInsPer15MinPerAddress: number;
}

/** Defaults of the limits. */
export const webDefaults: WebLimits = {
  photoBytes: 5 * 1024 * 1024,
  uploadQuotaBytes: 500 * 1024 * 1024,
  diskMinFreeBytes: 200 * 1024 * 1024,
  sessionsPerHourPerAddress: 60,
  signInsPer15MinPerAddress: 10,
};

/** A message that would bind a role (an invite code): only a signed-in web session may send it. */
export function isJoinAttempt(text: string | undefined): boolean {
  const t = (text ?? '').trim();
  return /^\/(join|start)(@\w+)?\s+\S/i.test(t) || /^(加入|绑定)\s+\S+$/.test(t);
}

const HOUR = 3600_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/** What the web channel needs. */
export interface WebChannelOptions {
  delivery: Delivery;
  outbox: OutboxPort;
  dialogs: DialogPort;
  sessions: Sessions;
  limits: LimitPort;
  uploads: UploadPort;
  uploadDir: string;
  /** The conversation log restored after a reload (none kept when absent). */
  chats?: ChatPort;
  /** Case photos for the signed-in officials who may see them. */
  casePhoto?: PhotoLookup;
  webLimits?: Partial<WebLimits>;
  /** Failures of the store (they degrade /healthz). */
  onStoreError?: (e: unknown) => void;
  /** The time of each request or update (the composition root passes the system clock). */
  clock: Clock;
  log?: (line: string) => void;
}

/** Creates the web channel. */
export function createWebChannel(o: WebChannelOptions) {
  const clock = o.clock;
  const log = o.log ?? (() => {});
  const lim: WebLimits = { ...webDefaults, ...o.webLimits };
  const page = readFileSync(projectPath('bot', 'channels', 'web', 'chat.html'), 'utf8');
  let lastSweep = 0;

  const describe = (s: WebSession) => ({ csrf: s.csrf, role: s.role, unit: s.unit, signedIn: s.signedIn });
  /** The API's error texts in the language of the session's chat (Chinese before there is one, or when unknown). */
  const errs = async (s?: { userId: string } | null) => messages(s ? await safeLang(s.userId) : 'zh').webApi;
  const safeLang = async (userId: string): Promise<Lang | null> => {
    try {
      return (await o.chats?.lang('web', userId)) ?? null;
    } catch {
      return null;
    }
  };
  const noSession = async () => json(401, { error: (await errs()).noSession, code: 'no_session' });
  const storeError = async (e: unknown, s?: { userId: string }): Promise<WebResponse> => {
    o.onStoreError?.(e);
    if (isBusy(e)) return json(503, { error: (await errs()).busy });
    log(`web: store error: ${e instanceof Error ? e.message : String(e)}`);
    return json(503, { error: (await errs(s)).cannotSave });
  };

  /** The session of a request that may change something: its cookie and its CSRF token. */
  async function session(req: WebRequest, now: Date): Promise<WebSession | null> {
    const s = await o.sessions.verify(cookieValue(req.cookie, SESSION_COOKIE), now);
    return s && o.sessions.csrfOk(s, req.csrf) ? s : null;
  }

  async function openSession(req: WebRequest, now: Date): Promise<WebResponse> {
    // A custom header: a cross-site form cannot send it, so no other site can replace the cookie.
    if (req.header?.('x-rectify-client') !== '1') return json(403, { error: (await errs()).badOrigin });
    const existing = await o.sessions.verify(cookieValue(req.cookie, SESSION_COOKIE), now);
    if (existing) return json(200, describe(existing));
    const client = req.client ?? 'unknown';
    if (!(await o.limits.take('session-addr', client, now, HOUR, lim.sessionsPerHourPerAddress))) {
      return json(429, { error: (await errs()).tooManySessions });
    }
    const s = await o.sessions.create(now, client);
    return json(200, describe(s), { 'set-cookie': o.sessions.cookie(s, now) });
  }

  async function signIn(req: WebRequest, now: Date): Promise<WebResponse> {
    const s = await session(req, now);
    if (!s) return noSession();
    const client = req.client ?? 'unknown';
    if (!(await o.limits.take('signin-addr', client, now, 15 * 60_000, lim.signInsPer15MinPerAddress))) {
      return json(429, { error: (await errs(s)).signInSlow });
    }
    const body = parseJson(req.body, loginSchema);
    if (!body) return json(400, { error: (await errs(s)).badRequest });
    const signed = await o.sessions.signIn(s.token, body.code, now, client);
    if (!signed) return json(403, { error: (await errs(s)).badCode });
    return json(200, describe(signed), { 'set-cookie': o.sessions.cookie(signed, now) });
  }

  async function chat(req: WebRequest, now: Date): Promise<WebResponse> {
    const s = await session(req, now);
    if (!s) return noSession();
    const m = parseJson(req.body, chatSchema);
    if (!m) return json(400, { error: (await errs(s)).badRequest });
    if (isJoinAttempt(m.text) && !s.signedIn) {
      return json(200, { replies: [{ text: messages(await safeLang(s.userId)).web.staffSignInRequired }] });
    }
    for (const ref of m.photos ?? [])
      if (!(await o.uploads.owns('web', s.userId, ref))) return json(400, { error: (await errs(s)).badPhoto });
    try {
      const owed = await o.delivery.handle(
        {
          channel: 'web',
          userId: s.userId,
          chatId: s.userId,
          ...(m.messageId ? { messageId: m.messageId } : {}),
          ...(m.text !== undefined ? { text: m.text } : {}),
          ...(m.choice !== undefined ? { choice: m.choice } : {}),
          ...(m.location ? { location: m.location } : {}),
          ...(m.photos ? { photos: m.photos } : {}),
          origin: req.client ?? null,
        },
        now,
        { inResponse: true },
      );
      if (m.photos?.length) await o.uploads.attach(m.photos, now);
      if (o.chats && !owed.duplicate) {
        const echo = m.echo ?? m.text ?? (m.location ? '📍' : m.photos?.length ? '📷' : null);
        await o.chats.log(
          'web',
          s.userId,
          [
            ...(echo ? [{ who: 'me' as const, text: echo, choices: null }] : []),
            ...owed.messages.map((x) => ({ who: 'bot' as const, text: x.text, choices: x.choices })),
          ],
          now,
        );
      }
      return json(200, { replies: asReplies(owed.messages), ...(owed.duplicate ? { duplicate: true } : {}) });
    } catch (e) {
      return storeError(e);
    }
  }

  async function notifications(req: WebRequest, now: Date): Promise<WebResponse> {
    const s = await session(req, now);
    if (!s) return noSession();
    try {
      const mine = await o.outbox.pendingFor('web', s.userId, 50);
      for (const m of mine) await o.outbox.markSent(m.id, now);
      if (mine.length)
        await o.chats?.log(
          'web',
          s.userId,
          mine.map((m) => ({ who: 'note' as const, text: m.text, choices: m.choices })),
          now,
        );
      return json(200, { notifications: mine.map((m) => ({ text: m.text, choices: m.choices })) });
    } catch (e) {
      return storeError(e);
    }
  }

  async function photo(req: WebRequest, now: Date): Promise<WebResponse> {
    const s = await session(req, now);
    if (!s) return noSession();
    const state = await o.dialogs.get<{ flow: string; draft?: { photos?: string[] } }>('web', s.userId);
    if (state?.flow !== 'report') return json(409, { error: (await errs(s)).reportFirst });
    if (req.body.length === 0) return json(400, { error: (await errs(s)).emptyPhoto });
    if (req.body.length > lim.photoBytes)
      return json(413, { error: (await errs(s)).photoTooBig(Math.round(lim.photoBytes / 1024 / 1024)) });
    const type = imageType(req.body);
    if (!type) return json(415, { error: (await errs(s)).photoType });
    const had = (state.draft?.photos?.length ?? 0) + (await o.uploads.pendingCount('web', s.userId, new Date(now.getTime() - HOUR)));
    if (had >= reportLimits.maxPhotos) return json(429, { error: (await errs(s)).tooManyPhotos(reportLimits.maxPhotos) });
    const free = freeBytes(o.uploadDir);
    const full = { error: (await errs(s)).storeFull };
    if ((await o.uploads.totalBytes()) + req.body.length > lim.uploadQuotaBytes) return json(507, full);
    if (free !== null && free - req.body.length < lim.diskMinFreeBytes) return json(507, full);
    const name = `${randomUUID()}.${type.ext}`;
    const file = join(o.uploadDir, name);
    try {
      mkdirSync(o.uploadDir, { recursive: true });
      writeFileSync(file, req.body, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      log(`web: photo not saved: ${e instanceof Error ? e.message : String(e)}`);
      try {
        unlinkSync(file);
      } catch {}
      return json(507, full);
    }
    try {
      await o.uploads.record({ ref: `web:${name}`, channel: 'web', userId: s.userId, bytes: req.body.length, mime: type.mime }, now);
    } catch (e) {
      try {
        unlinkSync(file);
      } catch {}
      return storeError(e);
    }
    return json(200, { ref: `web:${name}` });
  }

  /** The conversation so far (for a reload) and whether a report draft waits. */
  async function historyOf(req: WebRequest, now: Date): Promise<WebResponse> {
    const s = await session(req, now);
    if (!s) return noSession();
    const state = await o.dialogs.get<{ flow: string }>('web', s.userId);
    return json(200, { lines: (await o.chats?.history('web', s.userId, 200)) ?? [], draft: state?.flow === 'report' });
  }

  /** A case photo, for a signed-in official of the case's unit or an administrator (cookie only: an <img> sends no header). */
  async function casePhoto(req: WebRequest, now: Date): Promise<WebResponse> {
    const s = await o.sessions.verify(cookieValue(req.cookie, SESSION_COOKIE), now);
    const p = req.query.get('p') ?? '';
    const hash = p.indexOf('#');
    if (!s?.signedIn || hash < 1 || !o.casePhoto) return json(404, { error: (await errs(s)).noPhoto });
    const found = await o.casePhoto({ userId: s.userId }, p.slice(0, hash), p.slice(hash + 1));
    if (!found || !imageType(found.bytes)) return json(404, { error: (await errs(s)).noPhoto });
    return { status: 200, type: found.mime, body: found.bytes, headers: { 'cache-control': 'private, no-store' } };
  }

  /** Housekeeping, every few minutes: expired sessions, old rate-limit hits, photos no report took. */
  async function sweep(now: Date): Promise<void> {
    try {
      await o.sessions.expire(now);
      await o.limits.prune(new Date(now.getTime() - 24 * HOUR));
      for (const ref of await o.uploads.removeOrphans(new Date(now.getTime() - 24 * HOUR))) {
        try {
          unlinkSync(join(o.uploadDir, ref.replace(/^web:/, '')));
        } catch {}
      }
    } catch (e) {
      log(`web: housekeeping failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return {
    async handle(req: WebRequest): Promise<WebResponse | null> {
      const now = clock();
      if (req.method === 'GET' && (req.path === '/' || req.path === '/chat' || req.path === '/login'))
        return { status: 200, type: 'text/html; charset=utf-8', body: page };
      if (req.method === 'GET' && (req.path === '/favicon.svg' || req.path === '/favicon.ico'))
        return { status: 200, type: 'image/svg+xml', body: FAVICON };
      if (req.method === 'GET' && req.path === '/api/case-photo') return casePhoto(req, now);
      if (!req.path.startsWith('/api/')) return null;
      if (req.method !== 'POST') return json(405, { error: (await errs()).badMethod });
      if (now.getTime() - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = now.getTime();
        await sweep(now);
      }
      try {
        switch (req.path) {
          case '/api/session':
            return await openSession(req, now);
          case '/api/login':
            return await signIn(req, now);
          case '/api/logout': {
            const s = await session(req, now);
            if (!s) return noSession();
            await o.sessions.revoke(s.token);
            return json(200, { ok: true }, { 'set-cookie': o.sessions.cookie(null, now) });
          }
          case '/api/chat':
            return await chat(req, now);
          case '/api/notifications':
            return await notifications(req, now);
          case '/api/history':
            return await historyOf(req, now);
          case '/api/photo':
            return await photo(req, now);
          default:
            return json(404, { error: (await errs()).noEndpoint });
        }
      } catch (e) {
        return storeError(e);
      }
    },
  };
}

function parseJson<T>(body: Buffer, schema: z.ZodType<T>): T | null {
  try {
    const r = schema.safeParse(JSON.parse(body.toString('utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
