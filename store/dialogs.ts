/**
 * Dialog state per chat identity (so a half-filed report survives a restart) and the record of
 * inbound message ids already handled (so a redelivered message is not handled twice).
 */
import type { Db } from './db.js';

/** The dialog store. */
export interface DialogStore {
  get<T>(channel: string, userId: string): T | null;
  put<T>(channel: string, userId: string, chatId: string, state: T, now: Date): void;
  clear(channel: string, userId: string): void;
  /** Records an inbound message id; false when it was seen before. */
  firstSeen(channel: string, messageId: string, now: Date): boolean;
  /** Forgets seen ids older than `before` (a housekeeping job). */
  pruneSeen(before: Date): number;
}

/** Creates the dialog store. */
export function createDialogStore(db: Db): DialogStore {
  const getQ = db.prepare('SELECT state FROM dialogs WHERE channel = ? AND user_id = ?').pluck();
  const putQ = db.prepare(
    `INSERT INTO dialogs (channel, user_id, chat_id, state, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id, state = excluded.state, updated_at = excluded.updated_at`,
  );
  const delQ = db.prepare('DELETE FROM dialogs WHERE channel = ? AND user_id = ?');
  const seenQ = db.prepare('INSERT INTO inbound_seen (channel, message_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const pruneQ = db.prepare('DELETE FROM inbound_seen WHERE seen_at < ?');
  return {
    get<T>(channel: string, userId: string) {
      const v = getQ.get(channel, userId) as string | undefined;
      return v === undefined ? null : (JSON.parse(v) as T);
    },
    put(channel, userId, chatId, state, now) {
      putQ.run(channel, userId, chatId, JSON.stringify(state), now.toISOString());
    },
    clear(channel, userId) {
      delQ.run(channel, userId);
    },
    firstSeen: (channel, messageId, now) => seenQ.run(channel, messageId, now.toISOString()).changes === 1,
    pruneSeen: (before) => pruneQ.run(before.toISOString()).changes,
  };
}
