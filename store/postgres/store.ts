/**
 * The PostgreSQL adapter of the store's ports (`DATABASE_URL=postgres://…`): a `pg` pool shared by
 * every replica's processes, the schema of `store/postgres/migrations.ts`, and values returned exactly as
 * the SQLite adapter returns them (the contract suite, tests/store.contract.ts, runs on both).
 *
 * The unit of work: `transaction(fn)` takes one pooled connection, `BEGIN`s (READ COMMITTED), and
 * carries it along `fn`'s async call chain (AsyncLocalStorage), so every port called inside — through
 * `tx` or through the store — runs on it; a transaction inside is a savepoint. A serialisation
 * failure, a deadlock or a clash of two new tickets rolls the whole transaction back and runs it
 * again. A port called outside a transaction runs on any pooled connection; the few that write more
 * than one statement open their own transaction.
 *
 * Several replicas: the outbox hands each due message to one dispatcher (`SELECT … FOR UPDATE SKIP
 * LOCKED`, then a claim that pushes `next_attempt_at` forward until it is marked sent or failed);
 * leases are rows claimed with one conditional upsert (one reminder per firing); milestone
 * synchronisation and per-key rate limits take transaction-scoped advisory locks.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type pg from 'pg';
import { RectifyError } from '../../core/errors.js';
import type { Milestone, MilestoneEvidence, ProgressUpdate } from '../../knowledge/mod.js';
import { CASE_COLUMNS, type CaseEvent, type CaseRecord, type CaseRow, caseOf } from '../cases.js';
import type { ChatLine } from '../chats.js';
import type { StoredChoice } from '../choices.js';
import { type ContactDbRow, toContact } from '../contacts.js';
import { DIALOG_STATE_VERSION, type StateReader } from '../dialogs.js';
import { type CaseLink, type StoredUpdate, toUpdate, type UpdateRow } from '../ledger.js';
import {
  DOCUMENTS_ACTOR,
  type MilestoneEvent,
  type MilestoneRow,
  milestoneOf,
  type StoredMilestoneRow,
  splitUnits,
} from '../milestones.js';
import { type OutboxRow, outboxMessageOf } from '../outbox.js';
import { type IdRow, type PersonRole, toIdentity, type UnitChat } from '../people.js';
import type {
  ApiKeyPort,
  CasePort,
  ChatPort,
  ChoicePort,
  ContactPort,
  CorpusPort,
  DialogPort,
  HealthPort,
  InboundSeenPort,
  KnownUnitPort,
  LeasePort,
  LedgerPort,
  LimitPort,
  MilestonePort,
  OutboxPort,
  PeoplePort,
  PhotoFilePort,
  Ports,
  QuestionPort,
  ReminderLogPort,
  SessionPort,
  Store,
  StoreOptions,
  TransactionOptions,
  UnitMapPort,
  UploadPort,
  WeComCardPort,
} from '../ports.js';
import { type CuratedAnswer, type LoggedAnswer, type QRow, type QueuedQuestion, toQ } from '../questions.js';
import { type SessionDbRow, toSession } from '../sessions.js';
import { toMapping, type UnitMapping, type UnitMapRow } from '../units.js';
import type { WeComCard } from '../wecom-cards.js';
import { openPg, type PgDb } from './db.js';

/** Options of the PostgreSQL store. */
export interface PgStoreOptions extends StoreOptions {
  /** How long a dispatcher holds the outbox messages `due` handed it before others may take them. Default 60 s. */
  outboxClaimMs?: number;
  /** Most connections of this process. Default 10. */
  maxConnections?: number;
  /** How often a transaction that met a serialisation failure or deadlock runs again. Default 5. */
  retries?: number;
}

/** The PostgreSQL store: the ports, and the pool for what only it has (tests, migrate-store). */
export interface PgStore extends Store {
  readonly kind: 'postgres';
  readonly db: PgDb;
}

type Q = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

// Duplicates and refused reports are not complaints about a task (as in store/ledger.ts).
const NOT_COUNTED = ['重复', '不予受理'];

const iso = (d: Date) => d.toISOString();

/** A retryable failure: serialisation, deadlock, or two transactions drawing the same new ticket. */
function retryable(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string } | null;
  return err?.code === '40001' || err?.code === '40P01' || (err?.code === '23505' && err.constraint === 'cases_ticket_key');
}

/** Opens the PostgreSQL store at `url` (migrating it). */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
  const db = await openPg(url, { max: options.maxConnections ?? 10 });
  return createPgStore(db, options);
}

/** The store over an open pool. */
export function createPgStore(db: PgDb, options: PgStoreOptions = {}): PgStore {
  /** The transaction in progress: its connection, its savepoints, and the end of its queue of statements. */
  interface Tx {
    client: pg.PoolClient;
    savepoints: number;
    tail: Promise<unknown>;
  }
  const current = new AsyncLocalStorage<Tx>();
  // One connection runs one statement at a time: ports called concurrently inside a transaction
  // (Promise.all) queue their statements here rather than on the driver (deprecated in pg 8).
  const inTx = (t: Tx, sql: string, params?: unknown[]): Promise<pg.QueryResult> => {
    const r = t.tail.then(() => t.client.query(sql, params as unknown[]));
    t.tail = r.catch(() => {});
    return r;
  };
  const read: StateReader = options.readState ?? ((s) => s);
  const claimMs = options.outboxClaimMs ?? 60_000;

  const q: Q = (sql, params) => {
    const inside = current.getStore();
    return inside ? inTx(inside, sql, params) : db.pool.query(sql, params as unknown[]);
  };
  const rows = async <T>(sql: string, params?: unknown[]): Promise<T[]> => (await q(sql, params)).rows as T[];
  const one = async <T>(sql: string, params?: unknown[]): Promise<T | null> => ((await q(sql, params)).rows[0] as T | undefined) ?? null;
  const changes = async (sql: string, params?: unknown[]): Promise<number> => (await q(sql, params)).rowCount ?? 0;

  async function transaction<T>(fn: (tx: Ports) => Promise<T>, o: TransactionOptions = {}): Promise<T> {
    const inside = current.getStore();
    if (inside) {
      const name = `uow_${++inside.savepoints}`;
      await inTx(inside, `SAVEPOINT ${name}`);
      try {
        const r = await fn(ports);
        await inTx(inside, o.rollback ? `ROLLBACK TO SAVEPOINT ${name}` : `RELEASE SAVEPOINT ${name}`);
        return r;
      } catch (e) {
        await inTx(inside, `ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
        throw e;
      }
    }
    const retries = options.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const client = await db.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const t: Tx = { client, savepoints: 0, tail: Promise.resolve() };
        const r = await current.run(t, () => fn(ports));
        // Statements still queued (a caller that did not await them) finish before the commit.
        await t.tail;
        await client.query(o.rollback ? 'ROLLBACK' : 'COMMIT');
        return r;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (!retryable(e) || attempt >= retries) throw e;
      } finally {
        client.release(broken);
      }
      // Jittered back-off, so the replicas that clashed do not clash again.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
    }
  }
  /** Several statements as one: a savepoint inside a transaction, else a transaction of their own. */
  const atomic = <T>(fn: () => Promise<T>): Promise<T> => transaction(() => fn());

  // ── cases ──────────────────────────────────────────────────────────────────────────────────
  const CASE_SELECT = `SELECT c.*, d.ticket AS duplicate_ticket,
    (SELECT json_agg(p.file_ref ORDER BY p.position) FROM case_photos p WHERE p.case_id = c.id) AS photos
    FROM cases c LEFT JOIN cases d ON d.id = c.duplicate_of`;
  const toCase = caseOf;
  const caseBy = async (cond: string, params: unknown[]) => {
    const r = await one<CaseRow>(`${CASE_SELECT} WHERE ${cond}`, params);
    return r ? toCase(r) : null;
  };
  const caseList = async (sql: string, params: unknown[]) => (await rows<CaseRow>(sql, params)).map(toCase);
  const cases: CasePort = {
    insert: (c) =>
      atomic(async () => {
        const r = await one<{ id: number }>(
          `INSERT INTO cases (ticket, channel, user_id, chat_id, category, town, address, lat, lon, description, since,
             anonymous, phone, unit, status, created_at, updated_at, accept_due, source_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18) RETURNING id`,
          [
            c.ticket,
            c.channel,
            c.userId,
            c.chatId,
            c.category,
            c.town,
            c.address,
            c.lat,
            c.lon,
            c.description,
            c.since,
            c.anonymous,
            c.phone,
            c.unit,
            c.status,
            c.createdAt,
            c.acceptDue,
            c.sourceKey,
          ],
        );
        const id = (r as { id: number }).id;
        for (const [i, ref] of c.photos.entries()) {
          await q('INSERT INTO case_photos (case_id, position, channel, file_ref) VALUES ($1, $2, $3, $4)', [id, i, c.channel, ref]);
        }
        return (await caseBy('c.id = $1', [id])) as CaseRecord;
      }),
    byTicket: (t) => caseBy('c.ticket = $1', [t]),
    hasTicket: async (t) => (await one('SELECT 1 FROM cases WHERE ticket = $1', [t])) !== null,
    byId: (id) => caseBy('c.id = $1', [id]),
    bySourceKey: (k) => caseBy('c.source_key = $1', [k]),
    forUser: (channel, userId, limit) =>
      caseList(`${CASE_SELECT} WHERE c.channel = $1 AND c.user_id = $2 ORDER BY c.created_at DESC, c.id DESC LIMIT $3`, [
        channel,
        userId,
        limit,
      ]),
    list(f) {
      const conds: string[] = [];
      const args: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        args.push(v);
        conds.push(sql.replace('?', `$${args.length}`));
      };
      if (f.unit) add('c.unit = ?', f.unit);
      if (f.status?.length) add('c.status = ANY(?::text[])', f.status);
      if (f.category) add('c.category = ?', f.category);
      if (f.town) add('c.town = ?', f.town);
      if (f.from) add('c.created_at >= ?', f.from);
      if (f.to) add('c.created_at < ?', f.to);
      args.push(f.limit ?? 100_000);
      return caseList(
        `${CASE_SELECT}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY c.created_at, c.id LIMIT $${args.length}`,
        args,
      );
    },
    countSince: async (channel, userId, since) =>
      (
        (await one<{ n: number }>('SELECT count(*) AS n FROM cases WHERE channel = $1 AND user_id = $2 AND created_at >= $3', [
          channel,
          userId,
          iso(since),
        ])) as { n: number }
      ).n,
    async update(id, fields, now) {
      const sets = ['updated_at = $2'];
      const args: unknown[] = [id, iso(now)];
      for (const [k, v] of Object.entries(fields)) {
        const col = CASE_COLUMNS[k];
        if (!col) continue;
        let value: unknown = v;
        if (k === 'duplicateOf' && v) value = (await one<{ id: number }>('SELECT id FROM cases WHERE ticket = $1', [v]))?.id ?? null;
        args.push(value);
        sets.push(`${col} = $${args.length}`);
      }
      await q(`UPDATE cases SET ${sets.join(', ')} WHERE id = $1`, args);
    },
    async addEvent(caseId, e) {
      await q(
        'INSERT INTO case_events (case_id, at, actor_role, actor, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [caseId, e.at, e.actorRole, e.actor, e.fromStatus, e.toStatus, e.note],
      );
    },
    events: (caseId) =>
      rows<CaseEvent>(
        'SELECT at, actor_role AS "actorRole", actor, from_status AS "fromStatus", to_status AS "toStatus", note FROM case_events WHERE case_id = $1 ORDER BY id',
        [caseId],
      ),
    near: (category, lat, lon, d, since) =>
      caseList(
        `${CASE_SELECT} WHERE c.category = $1 AND c.lat BETWEEN $2 AND $3 AND c.lon BETWEEN $4 AND $5 AND c.created_at >= $6
         ORDER BY c.created_at DESC LIMIT 50`,
        [category, lat - d, lat + d, lon - d, lon + d, since],
      ),
    inTown: (town, since) =>
      caseList(`${CASE_SELECT} WHERE c.town = $1 AND c.created_at >= $2 ORDER BY c.created_at DESC LIMIT 50`, [town, since]),
    unitsWithCasesNotIn: async (statuses) =>
      (
        await rows<{ unit: string }>(
          'SELECT unit FROM (SELECT DISTINCT unit FROM cases WHERE status <> ALL($1::text[])) AS u ORDER BY unit COLLATE "C"',
          [statuses],
        )
      ).map((r) => r.unit),
    route: async (category, town) =>
      (
        await one<{ unit: string }>("SELECT unit FROM routing WHERE category = $1 AND town IN ($2, '*') ORDER BY town = '*' LIMIT 1", [
          category,
          town ?? '*',
        ])
      )?.unit ?? null,
    async setRoute(category, town, unit) {
      await q(
        'INSERT INTO routing (category, town, unit) VALUES ($1, $2, $3) ON CONFLICT (category, town) DO UPDATE SET unit = excluded.unit',
        [category, town ?? '*', unit],
      );
    },
    removeRoute: (category, town) => changes('DELETE FROM routing WHERE category = $1 AND town = $2', [category, town ?? '*']),
    routes: () => rows('SELECT category, town, unit FROM routing ORDER BY category COLLATE "C", town COLLATE "C"'),
  };

  // ── dialogs and inbound ids ────────────────────────────────────────────────────────────────
  const rawState = async (channel: string, userId: string): Promise<unknown | undefined> => {
    const r = await one<{ state: string }>('SELECT state FROM dialogs WHERE channel = $1 AND user_id = $2', [channel, userId]);
    if (!r) return undefined;
    try {
      return JSON.parse(r.state) as unknown;
    } catch {
      return null;
    }
  };
  const dialogs: DialogPort = {
    async get<T>(channel: string, userId: string) {
      const v = await rawState(channel, userId);
      return v === undefined ? null : ((read(v) as T | null) ?? null);
    },
    raw: rawState,
    async put(channel, userId, chatId, state, now) {
      await q(
        `INSERT INTO dialogs (channel, user_id, chat_id, state, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id, state = excluded.state, updated_at = excluded.updated_at`,
        [channel, userId, chatId, JSON.stringify({ v: DIALOG_STATE_VERSION, state }), iso(now)],
      );
    },
    async clear(channel, userId) {
      await q('DELETE FROM dialogs WHERE channel = $1 AND user_id = $2', [channel, userId]);
    },
  };
  const inbound: InboundSeenPort = {
    // Two replicas handed the same message: the second insert waits for the first transaction and
    // then finds the row, so only one of them handles it.
    firstSeen: async (channel, userId, chatId, messageId, now) =>
      (await changes(
        'INSERT INTO inbound_messages (channel, user_id, chat_id, message_id, seen_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [channel, userId, chatId, messageId, iso(now)],
      )) === 1,
    pruneSeen: (before) => changes('DELETE FROM inbound_messages WHERE seen_at < $1', [iso(before)]),
  };

  // ── people ─────────────────────────────────────────────────────────────────────────────────
  const putIdentity = (channel: string, userId: string, role: PersonRole, unit: string | null, name: string | null, now: Date) =>
    q(
      `INSERT INTO identities (channel, user_id, role, unit, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (channel, user_id) DO UPDATE SET role = excluded.role, unit = excluded.unit, name = excluded.name`,
      [channel, userId, role, unit, name, iso(now)],
    );
  const officialsOf = async (unit: string) =>
    (await rows<IdRow>("SELECT * FROM identities WHERE role = 'official' AND unit = $1 ORDER BY created_at, channel, user_id", [unit])).map(
      toIdentity,
    );
  const adminsQ = async () =>
    (await rows<IdRow>("SELECT * FROM identities WHERE role = 'admin' ORDER BY created_at, channel, user_id")).map(toIdentity);
  const chatsOf = (unit: string) =>
    rows<UnitChat>(
      'SELECT unit, channel, chat_id AS "chatId" FROM unit_chats WHERE unit = $1 ORDER BY channel COLLATE "C", chat_id COLLATE "C"',
      [unit],
    );
  const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
  const people: PeoplePort = {
    async identity(channel, userId) {
      const r = await one<IdRow>('SELECT * FROM identities WHERE channel = $1 AND user_id = $2', [channel, userId]);
      return r ? toIdentity(r) : { channel, userId, role: 'citizen', unit: null, name: null };
    },
    async invite(role, unit, now) {
      const code = [...randomBytes(8)].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
      await q('INSERT INTO invites (code, role, unit, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        code,
        role,
        unit,
        iso(now),
        new Date(now.getTime() + 7 * 86_400_000).toISOString(),
      ]);
      return code;
    },
    redeem: (code, channel, userId, name, now) =>
      atomic(async () => {
        const r = await one<{ role: 'official' | 'admin'; unit: string | null }>(
          'UPDATE invites SET used_at = $1, used_by = $2 WHERE code = $3 AND used_at IS NULL AND expires_at > $1 RETURNING role, unit',
          [iso(now), `${channel}:${userId}`, code.trim().toUpperCase()],
        );
        if (!r) return null;
        await putIdentity(channel, userId, r.role, r.unit, name, now);
        return { channel, userId, role: r.role, unit: r.unit, name };
      }),
    officials: officialsOf,
    admins: adminsQ,
    async bindChat(unit, channel, chatId, by, now) {
      await q(
        `INSERT INTO unit_chats (unit, channel, chat_id, bound_by, bound_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (unit, channel, chat_id) DO UPDATE SET bound_by = excluded.bound_by, bound_at = excluded.bound_at`,
        [unit, channel, chatId, by, iso(now)],
      );
    },
    async targets(unit) {
      const t = new Map<string, { channel: string; chatId: string }>();
      for (const c of await chatsOf(unit)) t.set(`${c.channel}:${c.chatId}`, { channel: c.channel, chatId: c.chatId });
      for (const o of await officialsOf(unit)) t.set(`${o.channel}:${o.userId}`, { channel: o.channel, chatId: o.userId });
      return [...t.values()];
    },
    adminTargets: async () => (await adminsQ()).map((a) => ({ channel: a.channel, chatId: a.userId })),
    unitChats: chatsOf,
    allUnitChats: () =>
      rows<UnitChat>(
        'SELECT unit, channel, chat_id AS "chatId" FROM unit_chats ORDER BY unit COLLATE "C", channel COLLATE "C", chat_id COLLATE "C"',
      ),
    list: async () =>
      (
        await rows<IdRow>('SELECT * FROM identities ORDER BY role COLLATE "C", unit COLLATE "C", channel COLLATE "C", user_id COLLATE "C"')
      ).map(toIdentity),
    async bind(channel, userId, role, unit, name, now) {
      await putIdentity(channel, userId, role, unit, name, now);
    },
    async forget(channel, userId) {
      await q('DELETE FROM identities WHERE channel = $1 AND user_id = $2', [channel, userId]);
    },
  };

  // ── outbox ─────────────────────────────────────────────────────────────────────────────────
  type OutRow = OutboxRow;
  const toMessage = outboxMessageOf;
  const messages = async (sql: string, params?: unknown[]) => (await rows<OutRow>(sql, params)).map(toMessage);
  const outbox: OutboxPort = {
    async enqueue(m, now) {
      const status = !(m.channel && m.chatId) ? 'unroutable' : m.delivered ? 'sent' : 'pending';
      return (
        (await changes(
          `INSERT INTO outbox (dedupe_key, channel, chat_id, unit, kind, text, choices, request_location, photos, status, next_attempt_at, created_at, sent_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (dedupe_key) DO NOTHING`,
          [
            m.dedupeKey ?? null,
            m.channel,
            m.chatId,
            m.unit ?? null,
            m.kind,
            m.text,
            m.choices ? JSON.stringify(m.choices) : null,
            Boolean(m.requestLocation),
            m.photos?.length ? JSON.stringify(m.photos) : null,
            status,
            iso(m.notBefore ?? now),
            iso(now),
            m.delivered ? iso(now) : null,
          ],
        )) === 1
      );
    },
    // Each due message goes to one dispatcher: rows another replica is claiming are skipped, and the
    // claim moves next_attempt_at past `now` until markSent/markFailed settles the message (a
    // dispatcher that dies leaves it to the others after the claim). The messages are returned as
    // they were before the claim.
    async due(now, limit, channels) {
      const r = await rows<OutRow & { claimed_from: string }>(
        `WITH c AS (
           SELECT id, next_attempt_at FROM outbox
           WHERE status = 'pending' AND next_attempt_at <= $1 AND channel = ANY($2::text[])
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
         )
         UPDATE outbox o SET next_attempt_at = $4 FROM c WHERE o.id = c.id RETURNING o.*, c.next_attempt_at AS claimed_from`,
        [iso(now), channels, limit, new Date(now.getTime() + claimMs).toISOString()],
      );
      return r.map((x) => toMessage({ ...x, next_attempt_at: x.claimed_from })).sort((a, b) => a.id - b.id);
    },
    pendingFor: (channel, chatId, limit) =>
      messages("SELECT * FROM outbox WHERE status = 'pending' AND channel = $1 AND chat_id = $2 ORDER BY id LIMIT $3", [
        channel,
        chatId,
        limit,
      ]),
    pendingCount: async () => ((await one<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE status = 'pending'")) as { n: number }).n,
    async markSent(id, now) {
      await q("UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2", [iso(now), id]);
    },
    async markFailed(id, error, retryAt) {
      await q(
        'UPDATE outbox SET status = $2, attempts = attempts + 1, last_error = $3, next_attempt_at = coalesce($4::timestamptz, next_attempt_at) WHERE id = $1',
        [id, retryAt ? 'pending' : 'failed', error, retryAt ? iso(retryAt) : null],
      );
    },
    list(filter = {}) {
      const conds: string[] = [];
      const args: unknown[] = [];
      if (filter.status) {
        args.push(filter.status);
        conds.push(`status = $${args.length}`);
      }
      if (filter.kind) {
        args.push(filter.kind);
        conds.push(`kind = $${args.length}`);
      }
      return messages(`SELECT * FROM outbox${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY id`, args);
    },
    hasKey: async (key) => (await one('SELECT 1 FROM outbox WHERE dedupe_key = $1', [key])) !== null,
    pruneDeliveredReplies: (before) =>
      changes("DELETE FROM outbox WHERE kind = 'reply' AND status = 'sent' AND sent_at < $1", [iso(before)]),
    // A byte-wise range (COLLATE "C", indexed) over the dedupe keys: `prefix` followed by more characters.
    byKeyPrefix: (prefix) =>
      messages('SELECT * FROM outbox WHERE dedupe_key COLLATE "C" >= $1 AND dedupe_key COLLATE "C" < $2 ORDER BY id', [
        prefix,
        `${prefix}\uffff`,
      ]),
    heldFor: (unit) =>
      messages("SELECT * FROM outbox WHERE status = 'unroutable' AND unit = $1 AND released_at IS NULL AND kind = 'unit' ORDER BY id", [
        unit,
      ]),
    heldUnits: async () =>
      (
        await rows<{ unit: string }>(
          `SELECT unit FROM (SELECT DISTINCT unit FROM outbox WHERE status = 'unroutable' AND released_at IS NULL AND kind = 'unit' AND unit IS NOT NULL) AS u
           ORDER BY unit COLLATE "C"`,
        )
      ).map((r) => r.unit),
    async markReleased(id, now) {
      await q('UPDATE outbox SET released_at = $1 WHERE id = $2', [iso(now), id]);
    },
  };

  // ── milestones ─────────────────────────────────────────────────────────────────────────────
  type MRow = StoredMilestoneRow;
  const toMilestone = milestoneOf;
  const milestoneBy = async (cond: string, v: unknown) => {
    const r = await one<MRow>(`SELECT * FROM milestones WHERE ${cond}`, [v]);
    return r ? toMilestone(r) : null;
  };
  const mEvent = async (id: number, now: Date, actor: string, action: string, note: string | null) => {
    await q('INSERT INTO milestone_events (milestone_id, at, actor, action, note) VALUES ($1, $2, $3, $4, $5)', [
      id,
      iso(now),
      actor,
      action,
      note,
    ]);
  };
  const setMStatus = (id: number, status: string, now: Date) =>
    q('UPDATE milestones SET status = $1, updated_at = $2 WHERE id = $3', [status, iso(now), id]);
  const evidenceNote = (e: MilestoneEvidence) => `文件记载已完成：${e.document} ${e.locator}「${e.text.slice(0, 60)}」（${e.reason}）`;
  async function applyEvidence(row: MilestoneRow, m: Milestone, now: Date): Promise<void> {
    const personDecided =
      (await one(
        `SELECT 1 FROM milestone_events WHERE milestone_id = $1 AND action IN ('done', 'cancelled', 'reopened', 'open')
         AND actor NOT IN ('system', $2) LIMIT 1`,
        [row.id, DOCUMENTS_ACTOR],
      )) !== null;
    if (m.outcome === 'met' && m.evidence && row.status === 'open' && !personDecided) {
      await setMStatus(row.id, 'done', now);
      await mEvent(row.id, now, DOCUMENTS_ACTOR, 'done', evidenceNote(m.evidence));
    } else if (m.outcome !== 'met' && row.status === 'done') {
      const last = await one<{ actor: string }>(
        "SELECT actor FROM milestone_events WHERE milestone_id = $1 AND action IN ('done', 'cancelled', 'reopened', 'open') ORDER BY id DESC LIMIT 1",
        [row.id],
      );
      if (last?.actor === DOCUMENTS_ACTOR) {
        await setMStatus(row.id, 'open', now);
        await mEvent(row.id, now, DOCUMENTS_ACTOR, 'reopened', '文件中已无完成的记载');
      }
    }
  }
  // Every replica synchronises at start and on reload; one at a time, so a target is inserted once.
  const SYNC_LOCK = 7_246_002;
  const milestones: MilestonePort = {
    sync: (list, now) =>
      atomic(async () => {
        await q('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
        let added = 0;
        const claimed = new Map<number, Milestone>();
        const params = (m: Milestone) => [
          m.key,
          m.title,
          m.text,
          m.dueDate,
          m.dueLabel,
          m.unit,
          m.document,
          m.locator,
          JSON.stringify(m.sources),
          m.outcome,
          m.evidence ? JSON.stringify(m.evidence) : null,
          iso(now),
        ];
        for (const m of list) {
          let row = await milestoneBy('key = $1', m.key);
          if (!row) {
            for (const a of m.aliases) {
              const r = await milestoneBy('key = $1', a);
              if (r && r.origin === 'corpus' && !claimed.has(r.id)) {
                row = r;
                break;
              }
            }
          }
          if (row) {
            await q(
              `UPDATE milestones SET key = $1, title = $2, text = $3, due_date = $4, due_label = $5, unit = $6, document = $7, locator = $8,
                 sources = $9, outcome = $10, evidence = $11, merged_into = NULL,
                 updated_at = CASE WHEN title IS NOT DISTINCT FROM $2 AND outcome IS NOT DISTINCT FROM $10 AND sources IS NOT DISTINCT FROM $9
                   THEN updated_at ELSE $12 END
               WHERE id = $13`,
              [...params(m), row.id],
            );
            if (row.title !== m.title) await mEvent(row.id, now, 'system', 'revised', `原标题「${row.title}」`);
          } else {
            const r = (await one<{ id: number }>(
              `INSERT INTO milestones (key, title, text, due_date, due_label, unit, document, locator, origin, status, sources, outcome, evidence,
                 created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'corpus', 'open', $9, $10, $11, $12, $12) RETURNING id`,
              params(m),
            )) as { id: number };
            added++;
            row = (await milestoneBy('id = $1', r.id)) as MilestoneRow;
            await mEvent(row.id, now, 'system', 'imported', m.sources.map((s) => `${s.document} ${s.locator}`).join('；'));
          }
          claimed.set(row.id, m);
          await applyEvidence((await milestoneBy('id = $1', row.id)) as MilestoneRow, m, now);
        }
        const byKey = new Map(list.map((m) => [m.key, m]));
        const docs = new Set(list.map((m) => m.document));
        for (const m of list) {
          const into = (await milestoneBy('key = $1', m.key)) as MilestoneRow;
          for (const a of m.aliases) {
            const r = await milestoneBy('key = $1', a);
            if (r && r.id !== into.id && !claimed.has(r.id) && r.mergedInto === null) {
              await q('UPDATE milestones SET merged_into = $1, updated_at = $2 WHERE id = $3', [into.id, iso(now), r.id]);
              await q('UPDATE milestone_updates SET milestone_id = $1 WHERE milestone_id = $2', [into.id, r.id]);
              await q('UPDATE case_links SET milestone_id = $1 WHERE milestone_id = $2', [into.id, r.id]);
              await mEvent(r.id, now, 'system', 'merged', `并入 #${into.id}`);
              await mEvent(into.id, now, 'system', 'merged', `#${r.id}「${r.title}」为同一目标的另一处表述，已并入`);
              claimed.set(r.id, m);
            }
          }
        }
        for (const r of (await rows<MRow>("SELECT * FROM milestones WHERE origin = 'corpus' AND merged_into IS NULL ORDER BY id")).map(
          toMilestone,
        )) {
          if (claimed.has(r.id) || byKey.has(r.key) || !r.document || !docs.has(r.document) || r.status === 'cancelled') continue;
          await setMStatus(r.id, 'cancelled', now);
          await mEvent(r.id, now, 'system', 'retired', '文件中已无此目标');
        }
        return added;
      }),
    async list(filter = {}) {
      const conds = ['merged_into IS NULL'];
      const args: unknown[] = [];
      if (filter.status) {
        args.push(filter.status);
        conds.push(`status = $${args.length}`);
      }
      if (filter.unit) {
        // A milestone may name several units ("区农业农村委、区生态环境局").
        args.push(`%、${filter.unit.replace(/[\\%_]/g, (c) => `\\${c}`)}、%`);
        conds.push(`(('、' || unit || '、') LIKE $${args.length} OR ('、' || assigned || '、') LIKE $${args.length})`);
      }
      return (await rows<MRow>(`SELECT * FROM milestones WHERE ${conds.join(' AND ')} ORDER BY due_date, id`, args)).map(toMilestone);
    },
    get: (id) => milestoneBy('id = $1', id),
    byKey: (key) => milestoneBy('key = $1', key),
    setStatus: (id, status, actor, note, now) =>
      atomic(async () => {
        await setMStatus(id, status, now);
        await mEvent(id, now, actor, status === 'open' ? 'reopened' : status, note);
      }),
    snooze: (id, until, actor, now, note = null) =>
      atomic(async () => {
        await q('UPDATE milestones SET snoozed_until = $1, updated_at = $2 WHERE id = $3', [until, iso(now), id]);
        await mEvent(id, now, actor, 'snoozed', `至 ${until}${note ? `：${note}` : ''}`);
      }),
    assign(id, unit, actor, now) {
      const units = Array.isArray(unit) ? unit : splitUnits(unit);
      return atomic(async () => {
        await q('UPDATE milestones SET assigned = $1, updated_at = $2 WHERE id = $3', [
          units.length ? units.join('、') : null,
          iso(now),
          id,
        ]);
        await mEvent(id, now, actor, 'assigned', units.length ? units.join('、') : '（恢复按对照表）');
      });
    },
    add: (m, actor, now) =>
      atomic(async () => {
        const key = `official:${now.getTime()}:${randomBytes(4).toString('hex').slice(0, 6)}`;
        const r = (await one<{ id: number }>(
          `INSERT INTO milestones (key, title, text, due_date, due_label, unit, document, locator, origin, status, sources, outcome, evidence,
             created_at, updated_at)
           VALUES ($1, $2, NULL, $3, $4, $5, NULL, NULL, 'official', 'open', '[]', NULL, NULL, $6, $6) RETURNING id`,
          [key, m.title, m.dueDate, `${m.dueDate}前`, m.unit, iso(now)],
        )) as { id: number };
        await mEvent(r.id, now, actor, 'added', null);
        return (await milestoneBy('id = $1', r.id)) as MilestoneRow;
      }),
    events: (id) => rows<MilestoneEvent>('SELECT at, actor, action, note FROM milestone_events WHERE milestone_id = $1 ORDER BY id', [id]),
    note: (id, actor, action, note, now) => mEvent(id, now, actor, action, note),
  };

  // ── unit map ───────────────────────────────────────────────────────────────────────────────
  type URow = UnitMapRow;
  const level = async (d: string, s: string, body: string) =>
    (
      await rows<URow>("SELECT * FROM unit_map WHERE document = $1 AND scope = $2 AND body = $3 AND state <> 'removed' ORDER BY id", [
        d,
        s,
        body,
      ])
    ).map(toMapping);
  const mappingById = async (id: number) => {
    const r = await one<URow>('SELECT * FROM unit_map WHERE id = $1', [id]);
    return r ? toMapping(r) : null;
  };
  const units: UnitMapPort = {
    seed: (seeds, now) =>
      atomic(async () => {
        let n = 0;
        for (const s of seeds) {
          n += await changes(
            `INSERT INTO unit_map (document, scope, body, unit, state, reason, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'documents', $7) ON CONFLICT DO NOTHING`,
            [s.document, s.scope, s.body, s.unit, s.state, s.reason, iso(now)],
          );
        }
        return n;
      }),
    async list(filter = {}) {
      const conds: string[] = [];
      const args: unknown[] = [];
      if (!filter.all && !filter.state) conds.push("state <> 'removed'");
      if (filter.state) {
        args.push(filter.state);
        conds.push(`state = $${args.length}`);
      }
      if (filter.body !== undefined) {
        args.push(filter.body);
        conds.push(`body = $${args.length}`);
      }
      return (
        await rows<URow>(
          `SELECT * FROM unit_map${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY body COLLATE "C", document COLLATE "C", scope COLLATE "C", id`,
          args,
        )
      ).map(toMapping);
    },
    get: mappingById,
    async lookup(document, scope, body) {
      const levels: Array<[string, string]> = [];
      if (document && scope) levels.push([document, scope]);
      if (document) levels.push([document, '*']);
      levels.push(['*', '*']);
      const found: UnitMapping[][] = [];
      for (const [d, s] of levels) found.push(await level(d, s, body));
      return found.find((r) => r.some((x) => x.state !== 'inferred')) ?? found.find((r) => r.length > 0) ?? [];
    },
    set(body, list, at, actor, now) {
      const document = at.document ?? '*';
      const scope = at.scope ?? '*';
      return atomic(async () => {
        await q(
          "UPDATE unit_map SET state = 'removed', updated_by = $1, updated_at = $2 WHERE document = $3 AND scope = $4 AND body = $5 AND state <> 'removed'",
          [actor, iso(now), document, scope, body],
        );
        for (const unit of list) {
          await q(
            `INSERT INTO unit_map (document, scope, body, unit, state, reason, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, 'confirmed', '管理员设定', $5, $6)
             ON CONFLICT (document, scope, body, unit) DO UPDATE SET state = 'confirmed', updated_by = $5, updated_at = $6`,
            [document, scope, body, unit, actor, iso(now)],
          );
        }
        return level(document, scope, body);
      });
    },
    async confirm(id, actor, now) {
      const r = await mappingById(id);
      if (!r || r.state === 'removed') return null;
      await q('UPDATE unit_map SET state = $1, updated_by = $2, updated_at = $3 WHERE id = $4', ['confirmed', actor, iso(now), id]);
      return mappingById(id);
    },
    remove: async (id, actor, now) =>
      (await changes('UPDATE unit_map SET state = $1, updated_by = $2, updated_at = $3 WHERE id = $4', [
        'removed',
        actor,
        iso(now),
        id,
      ])) === 1,
  };

  // ── ledger ─────────────────────────────────────────────────────────────────────────────────
  type UpRow = UpdateRow;
  const UPDATE_SELECT = 'SELECT u.*, m.key FROM milestone_updates u JOIN milestones m ON m.id = u.milestone_id';
  const updatesWhere = async (cond: string, params: unknown[]) =>
    (await rows<UpRow>(`${UPDATE_SELECT}${cond} ORDER BY u.date DESC, u.id DESC`, params)).map(toUpdate);
  const ledger: LedgerPort = {
    async addUpdate(u, now) {
      const r = (await one<{ id: number }>(
        'INSERT INTO milestone_updates (milestone_id, date, unit, author, text, via, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
        [u.milestoneId, u.date, u.unit, u.author, u.text, u.via, iso(now)],
      )) as { id: number };
      return (await updatesWhere(' WHERE u.id = $1', [r.id]))[0] as StoredUpdate;
    },
    updates: (id) => updatesWhere(' WHERE u.milestone_id = $1', [id]),
    updatesSince: (at) => updatesWhere(' WHERE u.created_at >= $1', [iso(at)]),
    allUpdates: async () =>
      (await updatesWhere('', [])).map(
        ({ id, milestoneId, date, unit, author, text }): ProgressUpdate => ({
          id,
          milestoneId,
          date,
          unit,
          author,
          text,
        }),
      ),
    async linkCountsByKey() {
      const r = await rows<{ key: string; n: number }>(
        `SELECT m.key AS key, count(*) AS n FROM case_links l JOIN milestones m ON m.id = l.milestone_id JOIN cases c ON c.id = l.case_id
         WHERE c.status <> ALL($1::text[]) GROUP BY m.key`,
        [NOT_COUNTED],
      );
      return new Map(r.map((x) => [x.key, x.n]));
    },
    link: (caseId) =>
      one<CaseLink>(
        'SELECT case_id AS "caseId", milestone_id AS "milestoneId", score, linked_by AS "linkedBy", linked_at AS "linkedAt" FROM case_links WHERE case_id = $1',
        [caseId],
      ),
    async setLink(caseId, milestoneId, score, by, now) {
      await q(
        `INSERT INTO case_links (case_id, milestone_id, score, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (case_id) DO UPDATE SET milestone_id = excluded.milestone_id, score = excluded.score, linked_by = excluded.linked_by,
           linked_at = excluded.linked_at`,
        [caseId, milestoneId, score, by, iso(now)],
      );
    },
    async linkCounts(range) {
      const r = await rows<{ id: number; n: number }>(
        `SELECT l.milestone_id AS id, count(*) AS n FROM case_links l JOIN cases c ON c.id = l.case_id
         WHERE l.milestone_id IS NOT NULL AND c.status <> ALL($1::text[])
           AND ($2::timestamptz IS NULL OR c.created_at >= $2) AND ($3::timestamptz IS NULL OR c.created_at < $3)
         GROUP BY l.milestone_id`,
        [NOT_COUNTED, range ? iso(range.from) : null, range ? iso(range.to) : null],
      );
      return new Map(r.map((x) => [x.id, x.n]));
    },
  };

  // ── contacts ───────────────────────────────────────────────────────────────────────────────
  type CRow = ContactDbRow;
  const contacts: ContactPort = {
    set: async (c, now) =>
      toContact(
        (await one<CRow>(
          `INSERT INTO contacts (unit, name, phone, hours, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
           ON CONFLICT (unit, name) DO UPDATE SET phone = excluded.phone, hours = excluded.hours, note = excluded.note, updated_at = excluded.updated_at
           RETURNING *`,
          [c.unit, c.name, c.phone, c.hours ?? null, c.note ?? null, iso(now)],
        )) as CRow,
      ),
    list: async () => (await rows<CRow>('SELECT * FROM contacts ORDER BY unit COLLATE "C", name COLLATE "C"')).map(toContact),
    forUnit: async (unit) => (await rows<CRow>('SELECT * FROM contacts WHERE unit = $1 ORDER BY name COLLATE "C"', [unit])).map(toContact),
    remove: (unit, name) =>
      name
        ? changes('DELETE FROM contacts WHERE unit = $1 AND name = $2', [unit, name])
        : changes('DELETE FROM contacts WHERE unit = $1', [unit]),
  };

  // ── questions and API keys ─────────────────────────────────────────────────────────────────
  const QUEUE_ORDER = 'ORDER BY (not_found + rated_down) DESC, last_at DESC LIMIT 1000';
  const questions: QuestionPort = {
    logAnswer: async (a, now) =>
      (
        (await one<{ id: number }>(
          'INSERT INTO answer_log (channel, user_id, question, norm, found, curated_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
          [a.channel, a.userId, a.question.slice(0, 2000), a.norm.slice(0, 2000), a.found, a.curatedId, iso(now)],
        )) as { id: number }
      ).id,
    answer: (id) =>
      one<LoggedAnswer>(
        'SELECT id, channel, user_id AS "userId", question, norm, found, curated_id AS "curatedId", at FROM answer_log WHERE id = $1',
        [id],
      ),
    rate: async (answerId, channel, userId, rating, now) =>
      (await changes(
        `INSERT INTO answer_ratings (answer_id, channel, user_id, rating, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (answer_id, channel, user_id) DO UPDATE SET rating = excluded.rating, at = excluded.at
         WHERE answer_ratings.rating <> excluded.rating`,
        [answerId, channel, userId, rating, iso(now)],
      )) > 0,
    async ratings() {
      const r = (await one<{ up: number; down: number }>(
        "SELECT count(*) FILTER (WHERE rating = 'up') AS up, count(*) FILTER (WHERE rating = 'down') AS down FROM answer_ratings",
      )) as { up: number; down: number };
      return { up: r.up, down: r.down };
    },
    async enqueue(x, now) {
      await q(
        `INSERT INTO question_queue (norm, question, lang, not_found, rated_down, first_at, last_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (norm) DO UPDATE SET not_found = question_queue.not_found + $4, rated_down = question_queue.rated_down + $5,
           last_at = $6, question = $2,
           state = CASE WHEN question_queue.state = 'answered' THEN 'answered' ELSE 'open' END`,
        [x.norm.slice(0, 2000), x.question.slice(0, 2000), x.lang, x.reason === 'not_found' ? 1 : 0, x.reason === 'down' ? 1 : 0, iso(now)],
      );
    },
    queue: async (state = 'open') =>
      (
        await (state === 'all'
          ? rows<QRow>(`SELECT * FROM question_queue ${QUEUE_ORDER}`)
          : rows<QRow>(`SELECT * FROM question_queue WHERE state = $1 ${QUEUE_ORDER}`, [state]))
      ).map(toQ),
    get: async (id) => {
      const r = await one<QRow>('SELECT * FROM question_queue WHERE id = $1', [id]);
      return r ? toQ(r) : null;
    },
    async counts() {
      const out = { open: 0, answered: 0, out_of_scope: 0, dismissed: 0 };
      for (const r of await rows<{ state: QueuedQuestion['state']; n: number }>(
        'SELECT state, count(*) AS n FROM question_queue GROUP BY state',
      ))
        out[r.state] = r.n;
      return out;
    },
    async setState(id, state, by, now) {
      await q('UPDATE question_queue SET state = $1, handled_by = $2, handled_at = $3 WHERE id = $4', [state, by, iso(now), id]);
    },
    async addCurated(c, now) {
      const r = (await one<{ id: number }>(
        'INSERT INTO curated_answers (question, norm, answer, unit, author, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [c.question, c.norm, c.answer, c.unit, c.author, iso(now)],
      )) as { id: number };
      return { id: r.id, ...c, createdAt: iso(now) };
    },
    curated: () =>
      rows<CuratedAnswer>(
        'SELECT id, question, norm, answer, unit, author, created_at AS "createdAt" FROM curated_answers WHERE active ORDER BY id DESC',
      ),
  };
  const apiKeys: ApiKeyPort = {
    insert: async (h, name, now) =>
      (
        (await one<{ id: number }>('INSERT INTO open311_keys (key_hash, name, created_at) VALUES ($1, $2, $3) RETURNING id', [
          h,
          name,
          iso(now),
        ])) as {
          id: number;
        }
      ).id,
    byHash: (h) => one('SELECT id, name FROM open311_keys WHERE key_hash = $1 AND revoked_at IS NULL', [h]),
    revoke: async (id, now) =>
      (await changes('UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [iso(now), id])) > 0,
    list: () => rows('SELECT id, name, created_at AS "createdAt", revoked_at AS "revokedAt" FROM open311_keys ORDER BY id'),
  };

  // ── sessions, limits, uploads, photos ──────────────────────────────────────────────────────
  type SRow = SessionDbRow;
  const sessions: SessionPort = {
    async insert(s) {
      await q(
        `INSERT INTO web_sessions (id_hash, user_id, role, unit, csrf, client, created_at, seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [s.idHash, s.userId, s.role, s.unit, s.csrf, s.client, s.createdAt, s.seenAt, s.expiresAt],
      );
    },
    byHash: async (h) => {
      const r = await one<SRow>('SELECT * FROM web_sessions WHERE id_hash = $1', [h]);
      return r ? toSession(r) : null;
    },
    async touch(h, seenAt, expiresAt) {
      await q('UPDATE web_sessions SET seen_at = $1, expires_at = $2 WHERE id_hash = $3', [iso(seenAt), iso(expiresAt), h]);
    },
    remove: async (h) => {
      const r = await one<SRow>('DELETE FROM web_sessions WHERE id_hash = $1 RETURNING *', [h]);
      return r ? toSession(r) : null;
    },
    expired: async (now) => (await rows<SRow>('DELETE FROM web_sessions WHERE expires_at <= $1 RETURNING *', [iso(now)])).map(toSession),
    ofUser: async (userId) => (await rows<SRow>('SELECT * FROM web_sessions WHERE user_id = $1', [userId])).map(toSession),
    async insertCode(c) {
      await q('INSERT INTO login_codes (code_hash, role, unit, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        c.codeHash,
        c.role,
        c.unit,
        iso(c.createdAt),
        iso(c.expiresAt),
      ]);
    },
    useCode: (codeHash, by, now) =>
      one(
        'UPDATE login_codes SET used_at = $1, used_by = $2 WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $1 RETURNING role, unit',
        [iso(now), by, codeHash],
      ),
  };
  const countHits = async (bucket: string, key: string, since: string) =>
    (
      (await one<{ n: number }>('SELECT count(*) AS n FROM rate_hits WHERE bucket = $1 AND key = $2 AND at >= $3', [
        bucket,
        key,
        since,
      ])) as {
        n: number;
      }
    ).n;
  const limits: LimitPort = {
    take: (bucket, key, now, windowMs, limit) =>
      atomic(async () => {
        // Replicas counting the same key one at a time, so a limit holds across them.
        await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`rate:${bucket}:${key}`]);
        const since = new Date(now.getTime() - windowMs).toISOString();
        await q('DELETE FROM rate_hits WHERE bucket = $1 AND key = $2 AND at < $3', [bucket, key, since]);
        if ((await countHits(bucket, key, since)) >= limit) return false;
        await q('INSERT INTO rate_hits (bucket, key, at) VALUES ($1, $2, $3)', [bucket, key, iso(now)]);
        return true;
      }),
    count: (bucket, key, since) => countHits(bucket, key, iso(since)),
    async record(bucket, key, now) {
      await q('INSERT INTO rate_hits (bucket, key, at) VALUES ($1, $2, $3)', [bucket, key, iso(now)]);
    },
    prune: (before) => changes('DELETE FROM rate_hits WHERE at < $1', [iso(before)]),
  };
  const uploads: UploadPort = {
    async record(u, now) {
      await q('INSERT INTO uploads (ref, channel, user_id, bytes, mime, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        u.ref,
        u.channel,
        u.userId,
        u.bytes,
        u.mime,
        iso(now),
      ]);
    },
    totalBytes: async () => ((await one<{ n: number }>('SELECT coalesce(sum(bytes), 0) AS n FROM uploads')) as { n: number }).n,
    pendingCount: async (channel, userId, since) =>
      (
        (await one<{ n: number }>(
          'SELECT count(*) AS n FROM uploads WHERE channel = $1 AND user_id = $2 AND attached_at IS NULL AND created_at >= $3',
          [channel, userId, iso(since)],
        )) as { n: number }
      ).n,
    owns: async (channel, userId, ref) =>
      (await one('SELECT 1 FROM uploads WHERE channel = $1 AND user_id = $2 AND ref = $3', [channel, userId, ref])) !== null,
    async attach(refs, now) {
      if (refs.length) await q('UPDATE uploads SET attached_at = coalesce(attached_at, $1) WHERE ref = ANY($2::text[])', [iso(now), refs]);
    },
    removeOrphans: async (before) =>
      (await rows<{ ref: string }>('DELETE FROM uploads WHERE attached_at IS NULL AND created_at < $1 RETURNING ref', [iso(before)])).map(
        (r) => r.ref,
      ),
  };
  const photos: PhotoFilePort = {
    async record(ref, file, mime, bytes, now) {
      await q(
        `INSERT INTO photo_files (ref, file, mime, bytes, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ref) DO UPDATE SET file = excluded.file, mime = excluded.mime, bytes = excluded.bytes, created_at = excluded.created_at`,
        [ref, basename(file), mime, bytes, iso(now)],
      );
    },
    file: async (ref) => (await one<{ file: string }>('SELECT file FROM photo_files WHERE ref = $1', [ref]))?.file ?? null,
  };

  // ── chats, choices, cards, known units ─────────────────────────────────────────────────────
  const chats: ChatPort = {
    lang: async (channel, userId) =>
      (await one<{ lang: 'zh' | 'en' }>('SELECT lang FROM chat_prefs WHERE channel = $1 AND user_id = $2', [channel, userId]))?.lang ??
      null,
    async setLang(channel, userId, lang, now) {
      await q(
        `INSERT INTO chat_prefs (channel, user_id, lang, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel, user_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at`,
        [channel, userId, lang, iso(now)],
      );
    },
    async log(channel, userId, lines, now) {
      for (const l of lines) {
        await q('INSERT INTO chat_log (channel, user_id, who, text, choices, at) VALUES ($1, $2, $3, $4, $5, $6)', [
          channel,
          userId,
          l.who,
          l.text.slice(0, 20_000),
          l.choices ? JSON.stringify(l.choices) : null,
          iso(now),
        ]);
      }
    },
    history: async (channel, userId, limit) =>
      (
        await rows<{ who: ChatLine['who']; text: string; choices: string | null; at: string }>(
          `SELECT who, text, choices, at FROM (SELECT * FROM chat_log WHERE channel = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3) AS last
           ORDER BY id`,
          [channel, userId, limit],
        )
      ).map((r) => {
        let choices: ChatLine['choices'] = null;
        try {
          choices = r.choices ? (JSON.parse(r.choices) as ChatLine['choices']) : null;
        } catch {}
        return { who: r.who, text: r.text, choices, at: r.at };
      }),
    async forget(channel, userId) {
      await q('DELETE FROM chat_log WHERE channel = $1 AND user_id = $2', [channel, userId]);
    },
    prune: (before) => changes('DELETE FROM chat_log WHERE at < $1', [iso(before)]),
  };
  const readStoredChoices = (raw: string, max: number): StoredChoice[] | null => {
    try {
      const v = JSON.parse(raw) as unknown;
      if (!Array.isArray(v) || v.length > max) return null;
      const out: StoredChoice[] = [];
      for (const c of v) {
        const o = c as { label?: unknown; value?: unknown } | null;
        if (typeof o?.label !== 'string' || typeof o.value !== 'string' || o.label.length > 200 || o.value.length > 512) return null;
        out.push({ label: o.label, value: o.value });
      }
      return out;
    } catch {
      return null;
    }
  };
  const choices: ChoicePort = {
    async put(channel, userId, list, now) {
      await q(
        `INSERT INTO chat_choices (channel, user_id, choices, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel, user_id) DO UPDATE SET choices = excluded.choices, updated_at = excluded.updated_at`,
        [channel, userId, JSON.stringify(list.map((c) => ({ label: c.label, value: c.value }))), iso(now)],
      );
    },
    async get(channel, userId) {
      const r = await one<{ choices: string }>('SELECT choices FROM chat_choices WHERE channel = $1 AND user_id = $2', [channel, userId]);
      return r ? readStoredChoices(r.choices, 200) : null;
    },
  };
  const wecomCards: WeComCardPort = {
    async put(taskId, userId, list, now) {
      await q('INSERT INTO wecom_cards (task_id, user_id, choices, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        taskId,
        userId,
        JSON.stringify(list.map((c) => ({ label: c.label, value: c.value }))),
        iso(now),
      ]);
    },
    async get(taskId): Promise<WeComCard | null> {
      const r = await one<{ task_id: string; user_id: string; choices: string; chosen_value: string | null }>(
        'SELECT task_id, user_id, choices, chosen_value FROM wecom_cards WHERE task_id = $1',
        [taskId],
      );
      if (!r) return null;
      return { taskId: r.task_id, userId: r.user_id, choices: readStoredChoices(r.choices, 50) ?? [], chosenValue: r.chosen_value };
    },
    choose: async (taskId, value, now) =>
      (await changes('UPDATE wecom_cards SET chosen_value = $1, chosen_at = $2 WHERE task_id = $3 AND chosen_at IS NULL', [
        value,
        iso(now),
        taskId,
      ])) === 1,
  };
  const knownUnits: KnownUnitPort = {
    names: async () =>
      (
        await rows<{ name: string }>(
          `SELECT name FROM (SELECT name FROM known_units
             UNION SELECT unit FROM routing
             UNION SELECT unit FROM unit_map WHERE state <> 'removed'
             UNION SELECT unit FROM contacts
             UNION SELECT unit FROM identities WHERE unit IS NOT NULL) AS u
           ORDER BY name COLLATE "C"`,
        )
      ).map((r) => r.name),
    async add(name, by, now) {
      await q('INSERT INTO known_units (name, added_by, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [name.trim(), by, iso(now)]);
    },
  };

  // ── reminders, leases, health ──────────────────────────────────────────────────────────────
  const reminders: ReminderLogPort = {
    has: async (id, unit, kind, period) =>
      (await one('SELECT 1 FROM reminder_log WHERE milestone_id = $1 AND unit = $2 AND kind = $3 AND period = $4', [
        id,
        unit,
        kind,
        period,
      ])) !== null,
    requests: async (id, unit) =>
      (await one<{ count: number; last: string | null }>(
        'SELECT count(*) AS count, max(period COLLATE "C") AS last FROM reminder_log WHERE milestone_id = $1 AND unit = $2 AND kind = \'result-request\'',
        [id, unit],
      )) as { count: number; last: string | null },
    escalations: () =>
      rows<{ milestoneId: number; unit: string }>(
        `SELECT milestone_id AS "milestoneId", unit FROM reminder_log WHERE kind = 'escalation' ORDER BY unit COLLATE "C", milestone_id`,
      ),
    async record(id, unit, kind, period, now) {
      await q(
        'INSERT INTO reminder_log (milestone_id, unit, kind, period, decided_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [id, unit, kind, period, iso(now)],
      );
    },
    // Under READ COMMITTED each statement reads what is committed when it starts: two runs that
    // checked the log at once would each decide (and batch) the same reminders. Taken before the
    // first read, the lock makes a later run read everything the earlier one committed.
    async serialise(job) {
      await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`jobs:${job}`]);
    },
  };
  const leases: LeasePort = {
    // One statement: of replicas claiming the same firing, the first takes the row; the others wait
    // for its lock, then find the lease unexpired and change nothing.
    claim: async (name, holder, until, now) =>
      (await changes(
        `INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until < $4`,
        [name, holder, iso(until), iso(now)],
      )) === 1,
    prune: (before) => changes('DELETE FROM leases WHERE until < $1', [iso(before)]),
  };
  const health: HealthPort = {
    async probe(now) {
      await q('INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at', [iso(now)]);
    },
    schemaVersion: async () => (await one<{ v: number | null }>('SELECT max(version) AS v FROM schema_version'))?.v ?? 0,
  };

  // ── the imported corpus and its version (issue 13) ─────────────────────────────────────────
  const corpus: CorpusPort = {
    version: async () => Number((await one<{ version: string }>('SELECT version FROM corpus_version WHERE id = 1'))?.version ?? 0),
    async read() {
      const v = await one<{ version: string; hash: string; updated_at: Date }>(
        'SELECT version, hash, updated_at FROM corpus_version WHERE id = 1',
      );
      if (!v) return null;
      const files: Record<string, string> = {};
      for (const r of await rows<{ name: string; content: string }>('SELECT name, content FROM corpus_files ORDER BY name COLLATE "C"')) {
        files[r.name] = r.content;
      }
      return { version: Number(v.version), hash: v.hash, updatedAt: new Date(v.updated_at), files };
    },
    async publish(files, hash, now) {
      await q('DELETE FROM corpus_files');
      for (const [name, content] of Object.entries(files))
        await q('INSERT INTO corpus_files (name, content) VALUES ($1, $2)', [name, content]);
      const r = await one<{ version: string }>(
        `INSERT INTO corpus_version (id, version, hash, updated_at) VALUES (1, 1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET version = corpus_version.version + 1, hash = excluded.hash, updated_at = excluded.updated_at
         RETURNING version`,
        [hash, iso(now)],
      );
      return Number(r?.version);
    },
  };

  const ports: Ports = {
    cases,
    dialogs,
    inbound,
    people,
    outbox,
    milestones,
    units,
    ledger,
    contacts,
    questions,
    apiKeys,
    sessions,
    limits,
    uploads,
    photos,
    chats,
    choices,
    wecomCards,
    knownUnits,
    reminders,
    leases,
    health,
    corpus,
  };
  return {
    kind: 'postgres',
    db,
    ...ports,
    transaction,
    inTransaction: () => current.getStore() !== undefined,
    backup: async () => {
      throw new RectifyError(
        'store',
        'backup',
        'PostgreSQL 存储请用 pg_dump 备份（例如 pg_dump -Fc 数据库 > 备份.dump）/ back up a PostgreSQL store with pg_dump (e.g. pg_dump -Fc db > backup.dump)',
      );
    },
    close: () => db.close(),
  };
}
