/**
 * Server-issued web sessions and one-time sign-in codes. Only hashes of the session tokens and of
 * the codes are stored: a copy of the database does not let anyone act as a session.
 */
import type { Db } from './db.js';
import type { PersonRole } from './people.js';

/** A stored session. */
export interface SessionRow {
  idHash: string;
  userId: string;
  role: PersonRole;
  unit: string | null;
  csrf: string;
  client: string | null;
  createdAt: string;
  seenAt: string;
  expiresAt: string;
}

/** The session store. */
export interface SessionStore {
  insert(s: SessionRow): void;
  byHash(idHash: string): SessionRow | null;
  touch(idHash: string, seenAt: Date, expiresAt: Date): void;
  remove(idHash: string): SessionRow | null;
  /** Removes expired sessions; returns them. */
  expired(now: Date): SessionRow[];
  /** Sessions of one user id (an official's sign-in has its own). */
  ofUser(userId: string): SessionRow[];
  insertCode(c: { codeHash: string; role: 'official' | 'admin'; unit: string | null; createdAt: Date; expiresAt: Date }): void;
  /** Uses a code once: its role and unit, or null when unknown, used or expired. */
  useCode(codeHash: string, by: string, now: Date): { role: 'official' | 'admin'; unit: string | null } | null;
}

/** A web session row as both adapters read it. */
export interface SessionDbRow {
  id_hash: string;
  user_id: string;
  role: PersonRole;
  unit: string | null;
  csrf: string;
  client: string | null;
  created_at: string;
  seen_at: string;
  expires_at: string;
}

/** One mapper for both adapters. */
export const toSession = (r: SessionDbRow): SessionRow => ({
  idHash: r.id_hash,
  userId: r.user_id,
  role: r.role,
  unit: r.unit,
  csrf: r.csrf,
  client: r.client,
  createdAt: r.created_at,
  seenAt: r.seen_at,
  expiresAt: r.expires_at,
});

/** Creates the session store. */
export function createSessionStore(db: Db): SessionStore {
  const ins = db.prepare(
    `INSERT INTO web_sessions (id_hash, user_id, role, unit, csrf, client, created_at, seen_at, expires_at)
     VALUES (@idHash, @userId, @role, @unit, @csrf, @client, @createdAt, @seenAt, @expiresAt)`,
  );
  const get = db.prepare('SELECT * FROM web_sessions WHERE id_hash = ?');
  const touch = db.prepare('UPDATE web_sessions SET seen_at = ?, expires_at = ? WHERE id_hash = ?');
  const del = db.prepare('DELETE FROM web_sessions WHERE id_hash = ? RETURNING *');
  const expired = db.prepare('DELETE FROM web_sessions WHERE expires_at <= ? RETURNING *');
  const ofUser = db.prepare('SELECT * FROM web_sessions WHERE user_id = ?');
  const insCode = db.prepare('INSERT INTO login_codes (code_hash, role, unit, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
  const useCode = db.prepare(
    'UPDATE login_codes SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING role, unit',
  );
  return {
    insert: (s) => {
      ins.run(s);
    },
    byHash: (h) => {
      const r = get.get(h) as SessionDbRow | undefined;
      return r ? toSession(r) : null;
    },
    touch: (h, seenAt, expiresAt) => {
      touch.run(seenAt.toISOString(), expiresAt.toISOString(), h);
    },
    remove: (h) => {
      const r = del.get(h) as SessionDbRow | undefined;
      return r ? toSession(r) : null;
    },
    expired: (now) => (expired.all(now.toISOString()) as SessionDbRow[]).map(toSession),
    ofUser: (userId) => (ofUser.all(userId) as SessionDbRow[]).map(toSession),
    insertCode: (c) => {
      insCode.run(c.codeHash, c.role, c.unit, c.createdAt.toISOString(), c.expiresAt.toISOString());
    },
    useCode: (codeHash, by, now) =>
      (useCode.get(now.toISOString(), by, codeHash, now.toISOString()) as
        | { role: 'official' | 'admin'; unit: string | null }
        | undefined) ?? null,
  };
}
