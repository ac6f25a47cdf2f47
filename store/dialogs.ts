/**
 * Dialog state per chat identity (so a half-filed report survives a restart) and the record of
 * inbound message ids already handled (so a redelivered message is not handled twice). Message ids
 * are scoped by channel, user and chat: one user's id can never swallow another's message.
 *
 * The state is stored as versioned JSON, `{"v": n, "state": …}`, and read back through a reader
 * that validates it (zod, in bot/dialog/state.ts): a state this program cannot use is never
 * handed to the dialog as if it were well-formed.
 */
import type { Db } from './db.js';

/** Reads a stored state: the state to use, or null (absent or unusable). */
export type StateReader = (stored: unknown) => unknown | null;

/** The current version of the stored dialog state. */
export const DIALOG_STATE_VERSION = 1;

/** How long handled message ids are kept; longer than any channel's redelivery or replay window. */
export const SEEN_RETENTION_MS = 30 * 86_400_000;

/** The dialog store. */
export interface DialogStore {
  get<T>(channel: string, userId: string): T | null;
  /** The stored JSON as it is, unvalidated (for the reader that decides whether it is usable). */
  raw(channel: string, userId: string): unknown | undefined;
  put<T>(channel: string, userId: string, chatId: string, state: T, now: Date): void;
  clear(channel: string, userId: string): void;
  /** Records an inbound message id of one user in one chat; false when it was seen before. */
  firstSeen(channel: string, userId: string, chatId: string, messageId: string, now: Date): boolean;
  /** Forgets seen ids older than `before` (a housekeeping job). */
  pruneSeen(before: Date): number;
}

/** Creates the dialog store; `read` validates (and upgrades) a stored state. */
export function createDialogStore(db: Db, read: StateReader = (s) => s): DialogStore {
  const getQ = db.prepare('SELECT state FROM dialogs WHERE channel = ? AND user_id = ?').pluck();
  const putQ = db.prepare(
    `INSERT INTO dialogs (channel, user_id, chat_id, state, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id, state = excluded.state, updated_at = excluded.updated_at`,
  );
  const delQ = db.prepare('DELETE FROM dialogs WHERE channel = ? AND user_id = ?');
  const seenQ = db.prepare(
    'INSERT INTO inbound_messages (channel, user_id, chat_id, message_id, seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const pruneQ = db.prepare('DELETE FROM inbound_messages WHERE seen_at < ?');
  const raw = (channel: string, userId: string): unknown | undefined => {
    const v = getQ.get(channel, userId) as string | undefined;
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return null;
    }
  };
  return {
    get<T>(channel: string, userId: string) {
      const v = raw(channel, userId);
      return v === undefined ? null : ((read(v) as T | null) ?? null);
    },
    raw,
    put(channel, userId, chatId, state, now) {
      putQ.run(channel, userId, chatId, JSON.stringify({ v: DIALOG_STATE_VERSION, state }), now.toISOString());
    },
    clear(channel, userId) {
      delQ.run(channel, userId);
    },
    firstSeen: (channel, userId, chatId, messageId, now) => seenQ.run(channel, userId, chatId, messageId, now.toISOString()).changes === 1,
    pruneSeen: (before) => pruneQ.run(before.toISOString()).changes,
  };
}
