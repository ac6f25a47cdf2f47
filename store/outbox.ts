/**
 * The outbox: every message the program owes someone (a unit told of a new case, a citizen told of
 * a status change, a reminder) is written here in the same transaction as the change that causes
 * it, and a dispatcher sends it later with retries. Nothing is sent twice: a dedupe key makes a
 * second enqueue of the same message a no-op.
 */
import { z } from 'zod';
import type { OutboxKind, OutboxStatus } from '../core/domain.js';
import type { Db } from './db.js';
import { where } from './sql.js';

/** A message waiting to be sent (or already sent). */
export interface OutboxMessage {
  id: number;
  dedupeKey: string | null;
  channel: string | null;
  chatId: string | null;
  unit: string | null;
  kind: OutboxKind;
  text: string;
  /** Buttons to show with the text, as rows of {label, value}. */
  choices: Array<Array<{ label: string; value: string }>> | null;
  /** Ask the user's client for a location button (an owed reply of the report intake). */
  requestLocation: boolean;
  /** Photos to show with the text ("TICKET#ref"): officials viewing a case. */
  photos: string[] | null;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** What to enqueue. */
export interface OutboxInput {
  dedupeKey?: string | null;
  channel: string | null;
  chatId: string | null;
  unit?: string | null;
  kind: OutboxKind;
  text: string;
  choices?: Array<Array<{ label: string; value: string }>> | null;
  requestLocation?: boolean;
  photos?: string[] | null;
  /** Not for the dispatcher before this time (a channel that sends it at once holds it meanwhile). */
  notBefore?: Date;
  /** Already delivered (a reply that went back in the HTTP response it answers). */
  delivered?: boolean;
}

/** The outbox store. */
export interface OutboxStore {
  /** Enqueues a message; returns false when its dedupe key was already used. */
  enqueue(m: OutboxInput, now: Date): boolean;
  /** Pending messages due at `now` for the given channels, oldest first. */
  due(now: Date, limit: number, channels: string[]): OutboxMessage[];
  /** Pending messages for one chat (the web and terminal chats fetch their own). */
  pendingFor(channel: string, chatId: string, limit: number): OutboxMessage[];
  /** How many messages are pending. */
  pendingCount(): number;
  markSent(id: number, now: Date): void;
  markFailed(id: number, error: string, retryAt: Date | null): void;
  list(filter?: { status?: OutboxStatus; kind?: OutboxKind }): OutboxMessage[];
  hasKey(key: string): boolean;
  /** Forgets delivered replies (kind "reply") sent before `before`; a redelivery older than that gets nothing again. */
  pruneDeliveredReplies(before: Date): number;
  /** The messages whose dedupe key starts with `prefix` (the owed replies of one inbound message), in order. */
  byKeyPrefix(prefix: string): OutboxMessage[];
  /** Notices kept for a unit that had no chat to reach them (unroutable, not yet released), oldest first. */
  heldFor(unit: string): OutboxMessage[];
  /** Units with notices kept. */
  heldUnits(): string[];
  /** Marks a kept notice as released (its copies were enqueued for the unit's chats). */
  markReleased(id: number, now: Date): void;
}

/** An outbox row as either adapter reads it, its flag already a boolean. */
export interface OutboxRow {
  id: number;
  dedupe_key: string | null;
  channel: string | null;
  chat_id: string | null;
  unit: string | null;
  kind: OutboxKind;
  text: string;
  choices: string | null;
  request_location: boolean;
  photos: string | null;
  status: OutboxMessage['status'];
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

/** The row as SQLite returns it (flags as 0/1). */
type Row = Omit<OutboxRow, 'request_location'> & { request_location: number };

/** Buttons as stored: validated when read back, never trusted as they are. */
export const choicesSchema = z.array(z.array(z.object({ label: z.string().max(200), value: z.string().max(512) }).loose()).max(20)).max(30);

function readChoices(raw: string | null): OutboxMessage['choices'] {
  if (!raw) return null;
  try {
    const r = choicesSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data.map((row) => row.map((c) => ({ label: c.label, value: c.value }))) : null;
  } catch {
    return null;
  }
}

function readPhotos(raw: string | null): string[] | null {
  if (!raw) return null;
  try {
    const r = z.array(z.string().max(700)).max(20).safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** The message a row holds, its stored buttons and photos validated: one mapper for both adapters. */
export const outboxMessageOf = (r: OutboxRow): OutboxMessage => ({
  id: r.id,
  dedupeKey: r.dedupe_key,
  channel: r.channel,
  chatId: r.chat_id,
  unit: r.unit,
  kind: r.kind,
  text: r.text,
  choices: readChoices(r.choices),
  requestLocation: r.request_location,
  photos: readPhotos(r.photos),
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

const toMessage = (r: Row): OutboxMessage => outboxMessageOf({ ...r, request_location: r.request_location === 1 });

/** Creates the outbox store. */
export function createOutboxStore(db: Db): OutboxStore {
  const ins = db.prepare(
    `INSERT INTO outbox (dedupe_key, channel, chat_id, unit, kind, text, choices, request_location, photos, status, next_attempt_at, created_at, sent_at)
     VALUES (@dedupeKey, @channel, @chatId, @unit, @kind, @text, @choices, @requestLocation, @photos, @status, @notBefore, @now, @sentAt)
     ON CONFLICT (dedupe_key) DO NOTHING`,
  );
  const dueQ = db.prepare(
    "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND channel IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?",
  );
  const forChatQ = db.prepare("SELECT * FROM outbox WHERE status = 'pending' AND channel = ? AND chat_id = ? ORDER BY id LIMIT ?");
  const sent = db.prepare("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?");
  const failed = db.prepare(
    'UPDATE outbox SET status = @status, attempts = attempts + 1, last_error = @error, next_attempt_at = coalesce(@retryAt, next_attempt_at) WHERE id = @id',
  );
  const hasKeyQ = db.prepare('SELECT 1 FROM outbox WHERE dedupe_key = ?');
  const pruneRepliesQ = db.prepare("DELETE FROM outbox WHERE kind = 'reply' AND status = 'sent' AND sent_at < ?");
  // A range on the unique index: keys are `prefix` followed by more characters.
  const prefixQ = db.prepare('SELECT * FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ? ORDER BY id');
  const heldQ = db.prepare(
    "SELECT * FROM outbox WHERE status = 'unroutable' AND unit = ? AND released_at IS NULL AND kind = 'unit' ORDER BY id",
  );
  const heldUnitsQ = db
    .prepare("SELECT DISTINCT unit FROM outbox WHERE status = 'unroutable' AND released_at IS NULL AND kind = 'unit' AND unit IS NOT NULL")
    .pluck();
  const releaseQ = db.prepare('UPDATE outbox SET released_at = ? WHERE id = ?');
  return {
    heldFor: (unit) => (heldQ.all(unit) as Row[]).map(toMessage),
    heldUnits: () => heldUnitsQ.all() as string[],
    markReleased: (id, now) => {
      releaseQ.run(now.toISOString(), id);
    },
    enqueue(m, now) {
      const status = !(m.channel && m.chatId) ? 'unroutable' : m.delivered ? 'sent' : 'pending';
      return (
        ins.run({
          dedupeKey: m.dedupeKey ?? null,
          channel: m.channel,
          chatId: m.chatId,
          unit: m.unit ?? null,
          kind: m.kind,
          text: m.text,
          choices: m.choices ? JSON.stringify(m.choices) : null,
          requestLocation: m.requestLocation ? 1 : 0,
          photos: m.photos?.length ? JSON.stringify(m.photos) : null,
          status,
          now: now.toISOString(),
          notBefore: (m.notBefore ?? now).toISOString(),
          sentAt: m.delivered ? now.toISOString() : null,
        }).changes === 1
      );
    },
    due: (now, limit, channels) => (dueQ.all(now.toISOString(), JSON.stringify(channels), limit) as Row[]).map(toMessage),
    pendingFor: (channel, chatId, limit) => (forChatQ.all(channel, chatId, limit) as Row[]).map(toMessage),
    pendingCount: () => db.prepare("SELECT count(*) FROM outbox WHERE status = 'pending'").pluck().get() as number,
    markSent: (id, now) => {
      sent.run(now.toISOString(), id);
    },
    markFailed: (id, error, retryAt) => {
      failed.run({ id, error, status: retryAt ? 'pending' : 'failed', retryAt: retryAt?.toISOString() ?? null });
    },
    list(filter = {}) {
      const w = where([
        { when: filter.status, sql: 'status = ?', args: [filter.status ?? ''] },
        { when: filter.kind, sql: 'kind = ?', args: [filter.kind ?? ''] },
      ]);
      return (db.prepare(`SELECT * FROM outbox${w.sql} ORDER BY id`).all(...w.args) as Row[]).map(toMessage);
    },
    hasKey: (key) => hasKeyQ.get(key) !== undefined,
    pruneDeliveredReplies: (before) => pruneRepliesQ.run(before.toISOString()).changes,
    byKeyPrefix: (prefix) => (prefixQ.all(prefix, `${prefix}\uffff`) as Row[]).map(toMessage),
  };
}
