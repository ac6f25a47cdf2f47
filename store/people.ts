/**
 * People and places to write to: chat identities with their roles, one-time invite codes that bind
 * an identity to a unit as an official or administrator, and unit group chats bound for pushes.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from './db.js';

/** A role of a chat identity. */
export type PersonRole = 'citizen' | 'official' | 'admin';

/** A chat identity: one user on one channel. */
export interface Identity {
  channel: string;
  userId: string;
  role: PersonRole;
  unit: string | null;
  name: string | null;
}

/** A chat bound to a unit for pushes. */
export interface UnitChat {
  unit: string;
  channel: string;
  chatId: string;
}

/** The people store. */
export interface PeopleStore {
  /** The identity, or a citizen when the user is unknown. */
  identity(channel: string, userId: string): Identity;
  /** Creates a one-time invite code (valid 7 days). */
  invite(role: 'official' | 'admin', unit: string | null, now: Date): string;
  /** Redeems an invite code for an identity; null when the code is unknown, used or expired. */
  redeem(code: string, channel: string, userId: string, name: string | null, now: Date): Identity | null;
  officials(unit: string): Identity[];
  admins(): Identity[];
  bindChat(unit: string, channel: string, chatId: string, by: string, now: Date): void;
  /** Everywhere a unit is spoken to: its bound chats and its officials' own chats. */
  targets(unit: string): Array<{ channel: string; chatId: string }>;
  /** The administrators' own chats. */
  adminTargets(): Array<{ channel: string; chatId: string }>;
  unitChats(unit: string): UnitChat[];
  allUnitChats(): UnitChat[];
  list(): Identity[];
  /** Sets an identity's role directly (a web sign-in with a one-time code). */
  bind(channel: string, userId: string, role: PersonRole, unit: string | null, name: string | null, now: Date): void;
  /** Forgets an identity (a web sign-in that expired or signed out). */
  forget(channel: string, userId: string): void;
}

/** An identity row as both adapters read it. */
export interface IdRow {
  channel: string;
  user_id: string;
  role: PersonRole;
  unit: string | null;
  name: string | null;
}

/** One mapper for both adapters. */
export const toIdentity = (r: IdRow): Identity => ({ channel: r.channel, userId: r.user_id, role: r.role, unit: r.unit, name: r.name });

// Invite codes avoid look-alike characters so they can be read out and typed.
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Creates the people store. */
export function createPeopleStore(db: Db): PeopleStore {
  const getId = db.prepare('SELECT * FROM identities WHERE channel = ? AND user_id = ?');
  const putId = db.prepare(
    `INSERT INTO identities (channel, user_id, role, unit, name, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (channel, user_id) DO UPDATE SET role = excluded.role, unit = excluded.unit, name = excluded.name`,
  );
  const putInvite = db.prepare('INSERT INTO invites (code, role, unit, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
  const useInvite = db.prepare(
    'UPDATE invites SET used_at = ?, used_by = ? WHERE code = ? AND used_at IS NULL AND expires_at > ? RETURNING role, unit',
  );
  const byUnit = db.prepare("SELECT * FROM identities WHERE role = 'official' AND unit = ?");
  const adminsQ = db.prepare("SELECT * FROM identities WHERE role = 'admin'");
  const bind = db.prepare('INSERT OR REPLACE INTO unit_chats (unit, channel, chat_id, bound_by, bound_at) VALUES (?, ?, ?, ?, ?)');
  const chatsQ = db.prepare('SELECT unit, channel, chat_id AS chatId FROM unit_chats WHERE unit = ? ORDER BY channel, chat_id');
  const allChatsQ = db.prepare('SELECT unit, channel, chat_id AS chatId FROM unit_chats ORDER BY unit, channel');
  const listQ = db.prepare('SELECT * FROM identities ORDER BY role, unit, channel, user_id');
  const forgetQ = db.prepare('DELETE FROM identities WHERE channel = ? AND user_id = ?');

  return {
    identity(channel, userId) {
      const r = getId.get(channel, userId) as IdRow | undefined;
      return r ? toIdentity(r) : { channel, userId, role: 'citizen', unit: null, name: null };
    },
    invite(role, unit, now) {
      const bytes = randomBytes(8);
      const code = [...bytes].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
      putInvite.run(code, role, unit, now.toISOString(), new Date(now.getTime() + 7 * 86_400_000).toISOString());
      return code;
    },
    redeem(code, channel, userId, name, now) {
      return db
        .transaction(() => {
          const r = useInvite.get(now.toISOString(), `${channel}:${userId}`, code.trim().toUpperCase(), now.toISOString()) as
            | { role: 'official' | 'admin'; unit: string | null }
            | undefined;
          if (!r) return null;
          putId.run(channel, userId, r.role, r.unit, name, now.toISOString());
          return { channel, userId, role: r.role, unit: r.unit, name };
        })
        .immediate();
    },
    officials: (unit) => (byUnit.all(unit) as IdRow[]).map(toIdentity),
    admins: () => (adminsQ.all() as IdRow[]).map(toIdentity),
    bindChat: (unit, channel, chatId, by, now) => {
      bind.run(unit, channel, chatId, by, now.toISOString());
    },
    unitChats: (unit) => chatsQ.all(unit) as UnitChat[],
    targets(unit) {
      const t = new Map<string, { channel: string; chatId: string }>();
      for (const c of chatsQ.all(unit) as UnitChat[]) t.set(`${c.channel}:${c.chatId}`, { channel: c.channel, chatId: c.chatId });
      for (const o of (byUnit.all(unit) as IdRow[]).map(toIdentity))
        t.set(`${o.channel}:${o.userId}`, { channel: o.channel, chatId: o.userId });
      return [...t.values()];
    },
    adminTargets: () => (adminsQ.all() as IdRow[]).map((a) => ({ channel: a.channel, chatId: a.user_id })),
    allUnitChats: () => allChatsQ.all() as UnitChat[],
    list: () => (listQ.all() as IdRow[]).map(toIdentity),
    bind: (channel, userId, role, unit, name, now) => {
      putId.run(channel, userId, role, unit, name, now.toISOString());
    },
    forget: (channel, userId) => {
      forgetQ.run(channel, userId);
    },
  };
}
