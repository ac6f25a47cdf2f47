/**
 * Web sessions issued by the server: a random token in an HttpOnly, SameSite=Strict cookie, only its
 * hash stored; a CSRF token per session for every request that changes something. A citizen's
 * session lasts while it is used (sliding, WEB_SESSION_DAYS); an official's or administrator's web
 * identity needs a sign-in with a one-time code (`npm run admin -- login-link`), gets a session and
 * a user id of its own, and expires after WEB_SIGNIN_HOURS whatever happens.
 *
 * Nothing here is specific to the chat page: an officials' desk under /desk/ can use the same
 * create / verify / signIn / revoke / expire and the CSRF check.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PeoplePort, PersonRole, SessionPort, SessionRow, Store } from '../store/ports.js';

/** The cookie's name. */
export const SESSION_COOKIE = 'rectify_sid';

/** How sessions and sign-in codes last. */
export interface SessionSettings {
  citizenDays: number;
  signedInHours: number;
  codeMinutes: number;
  /** Mark the cookie Secure (the site is served over https). */
  secureCookie: boolean;
}

/** A verified session. */
export interface WebSession {
  token: string;
  userId: string;
  role: PersonRole;
  unit: string | null;
  csrf: string;
  signedIn: boolean;
  expiresAt: Date;
}

/** The session module. */
export interface Sessions {
  create(now: Date, client: string | null): Promise<WebSession>;
  verify(token: string | null, now: Date): Promise<WebSession | null>;
  revoke(token: string): Promise<void>;
  /** Removes expired sessions (and the web identities of expired sign-ins); returns how many. */
  expire(now: Date): Promise<number>;
  /** A one-time sign-in code for a role (stored hashed, single use, expiring). */
  issueCode(role: 'official' | 'admin', unit: string | null, now: Date): Promise<string>;
  /** Signs a session in with a code: a new session (new token and user id) replaces it; null when the code is not valid. */
  signIn(token: string, code: string, now: Date, client: string | null): Promise<WebSession | null>;
  /** The Set-Cookie value for a session, or for clearing the cookie. */
  cookie(session: WebSession | null, now: Date): string;
  /** Whether a request carries the session's CSRF token. */
  csrfOk(session: WebSession, given: string | null | undefined): boolean;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const SLIDE_AFTER_MS = 3600_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const random = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Compares two strings in constant time (for the strings' length: both are hashed first). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.slice(0, 8192).split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

/** Normalises a typed sign-in code: upper case, without spaces or dashes. */
export function normalizeCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

/** Creates the session module. */
export function createSessions(deps: {
  store: Pick<Store, 'transaction'>;
  sessions: SessionPort;
  people: PeoplePort;
  settings: SessionSettings;
}): Sessions {
  const { people, settings } = deps;
  const store = deps.sessions;
  const uow = deps.store;
  const asSession = (token: string, r: SessionRow): WebSession => ({
    token,
    userId: r.userId,
    role: r.role,
    unit: r.unit,
    csrf: r.csrf,
    signedIn: r.role !== 'citizen',
    expiresAt: new Date(r.expiresAt),
  });
  const drop = async (r: SessionRow | null) => {
    if (r && r.role !== 'citizen') await people.forget('web', r.userId);
  };

  async function insert(
    now: Date,
    client: string | null,
    role: PersonRole,
    unit: string | null,
    userId: string,
    lifeMs: number,
  ): Promise<WebSession> {
    const token = random(32);
    const row: SessionRow = {
      idHash: sha256(token),
      userId,
      role,
      unit,
      csrf: random(24),
      client,
      createdAt: now.toISOString(),
      seenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + lifeMs).toISOString(),
    };
    await store.insert(row);
    return asSession(token, row);
  }

  const citizenLife = settings.citizenDays * 86_400_000;

  return {
    create: (now, client) => insert(now, client, 'citizen', null, `w-${random(12)}`, citizenLife),
    async verify(token, now) {
      if (!token || !TOKEN.test(token)) return null;
      const h = sha256(token);
      const r = await store.byHash(h);
      if (!r) return null;
      if (Date.parse(r.expiresAt) <= now.getTime()) {
        await uow.transaction(async () => drop(await store.remove(h)));
        return null;
      }
      // A citizen's session lasts while it is used; a sign-in ends at its fixed time.
      if (r.role === 'citizen' && now.getTime() - Date.parse(r.seenAt) > SLIDE_AFTER_MS) {
        const until = new Date(now.getTime() + citizenLife);
        await store.touch(h, now, until);
        r.expiresAt = until.toISOString();
      }
      return asSession(token, r);
    },
    async revoke(token) {
      if (!TOKEN.test(token)) return;
      await uow.transaction(async () => drop(await store.remove(sha256(token))));
    },
    expire(now) {
      return uow.transaction(async () => {
        const gone = await store.expired(now);
        for (const r of gone) await drop(r);
        return gone.length;
      });
    },
    async issueCode(role, unit, now) {
      const code = [...randomBytes(10)].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
      await store.insertCode({
        codeHash: sha256(code),
        role,
        unit,
        createdAt: now,
        expiresAt: new Date(now.getTime() + settings.codeMinutes * 60_000),
      });
      return code;
    },
    async signIn(token, code, now, client) {
      const normal = normalizeCode(code);
      if (!/^[A-Z0-9]{10}$/.test(normal)) return null;
      return uow.transaction(async () => {
        const userId = `wo-${random(12)}`;
        const granted = await store.useCode(sha256(normal), `web:${userId}`, now);
        if (!granted) return null;
        // A new token and a new user id: whatever knew the old session learns nothing of this one.
        if (TOKEN.test(token)) await drop(await store.remove(sha256(token)));
        const s = await insert(now, client, granted.role, granted.unit, userId, settings.signedInHours * 3600_000);
        await people.bind('web', userId, granted.role, granted.unit, '网页登录', now);
        return s;
      });
    },
    cookie(session, now) {
      const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(settings.secureCookie ? ['Secure'] : [])];
      if (!session) return `${SESSION_COOKIE}=; Max-Age=0; ${attrs.join('; ')}`;
      const maxAge = Math.max(0, Math.floor((session.expiresAt.getTime() - now.getTime()) / 1000));
      return `${SESSION_COOKIE}=${session.token}; Max-Age=${maxAge}; ${attrs.join('; ')}`;
    },
    csrfOk: (session, given) => typeof given === 'string' && given.length > 0 && given.length < 200 && safeEqual(session.csrf, given),
  };
}
