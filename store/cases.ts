/**
 * Persistence of complaint cases: the cases, their photos, their history of transitions, and the
 * routing table (category × 镇街 → handling unit).
 */
import type { CaseStatus } from '../core/domain.js';
import type { Db } from './db.js';
import { where } from './sql.js';

/** A stored case. */
export interface CaseRecord {
  id: number;
  ticket: string;
  channel: string;
  userId: string;
  chatId: string;
  category: string;
  town: string | null;
  address: string | null;
  lat: number | null;
  lon: number | null;
  description: string;
  since: string | null;
  anonymous: boolean;
  phone: string | null;
  unit: string;
  status: CaseStatus;
  createdAt: string;
  updatedAt: string;
  acceptDue: string;
  completeDue: string | null;
  closedAt: string | null;
  duplicateOf: string | null;
  refuseReason: string | null;
  referTo: string | null;
  satisfaction: string | null;
  photos: string[];
}

/** A transition in a case's history. */
export interface CaseEvent {
  at: string;
  actorRole: string;
  actor: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus;
  note: string | null;
}

/** What a new case is made of. */
export type NewCase = Omit<
  CaseRecord,
  'id' | 'updatedAt' | 'completeDue' | 'closedAt' | 'duplicateOf' | 'refuseReason' | 'referTo' | 'satisfaction'
> & { sourceKey: string | null };

/** Filters of a case listing. */
export interface CaseFilter {
  unit?: string;
  status?: CaseStatus[];
  category?: string;
  town?: string;
  from?: string;
  to?: string;
  limit?: number;
}

/** The case store. */
export interface CaseStore {
  insert(c: NewCase): CaseRecord;
  byTicket(ticket: string): CaseRecord | null;
  /** Whether a ticket number is taken (cheaper than byTicket). */
  hasTicket(ticket: string): boolean;
  byId(id: number): CaseRecord | null;
  bySourceKey(key: string): CaseRecord | null;
  forUser(channel: string, userId: string, limit: number): CaseRecord[];
  list(filter: CaseFilter): CaseRecord[];
  countSince(channel: string, userId: string, since: Date): number;
  update(
    id: number,
    fields: Partial<
      Pick<
        CaseRecord,
        'status' | 'category' | 'unit' | 'completeDue' | 'closedAt' | 'duplicateOf' | 'refuseReason' | 'referTo' | 'satisfaction'
      >
    >,
    now: Date,
  ): void;
  addEvent(caseId: number, e: CaseEvent): void;
  events(caseId: number): CaseEvent[];
  /** Cases of a category created since a date, with coordinates inside a box around a point. */
  near(category: string, lat: number, lon: number, degrees: number, since: string): CaseRecord[];
  /** Cases in a 镇街 created since a date. */
  inTown(town: string, since: string): CaseRecord[];
  /** Units with a case in none of these statuses. */
  unitsWithCasesNotIn(statuses: CaseStatus[]): string[];
  route(category: string, town: string | null): string | null;
  setRoute(category: string, town: string | null, unit: string): void;
  removeRoute(category: string, town: string | null): number;
  routes(): Array<{ category: string; town: string; unit: string }>;
}

/** A case row as either adapter reads it: the flag a boolean, the photos a list. */
export interface CaseRow {
  id: number;
  ticket: string;
  channel: string;
  user_id: string;
  chat_id: string;
  category: string;
  town: string | null;
  address: string | null;
  lat: number | null;
  lon: number | null;
  description: string;
  since: string | null;
  anonymous: boolean;
  phone: string | null;
  unit: string;
  status: CaseStatus;
  created_at: string;
  updated_at: string;
  accept_due: string;
  complete_due: string | null;
  closed_at: string | null;
  duplicate_ticket: string | null;
  refuse_reason: string | null;
  refer_to: string | null;
  satisfaction: string | null;
  photos: string[] | null;
}

/** The row as SQLite returns it (flags as 0/1, photos as a JSON array). */
type Row = Omit<CaseRow, 'anonymous' | 'photos'> & { anonymous: number; photos: string | null };

const SELECT = `SELECT c.*, d.ticket AS duplicate_ticket,
  (SELECT json_group_array(file_ref) FROM (SELECT file_ref FROM case_photos p WHERE p.case_id = c.id ORDER BY position)) AS photos
  FROM cases c LEFT JOIN cases d ON d.id = c.duplicate_of`;

/** The record a case row holds: one mapper for both adapters. */
export const caseOf = (r: CaseRow): CaseRecord => ({
  id: r.id,
  ticket: r.ticket,
  channel: r.channel,
  userId: r.user_id,
  chatId: r.chat_id,
  category: r.category,
  town: r.town,
  address: r.address,
  lat: r.lat,
  lon: r.lon,
  description: r.description,
  since: r.since,
  anonymous: r.anonymous,
  phone: r.phone,
  unit: r.unit,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  acceptDue: r.accept_due,
  completeDue: r.complete_due,
  closedAt: r.closed_at,
  duplicateOf: r.duplicate_ticket,
  refuseReason: r.refuse_reason,
  referTo: r.refer_to,
  satisfaction: r.satisfaction,
  photos: r.photos ?? [],
});

const toCase = (r: Row): CaseRecord =>
  caseOf({ ...r, anonymous: r.anonymous === 1, photos: r.photos ? (JSON.parse(r.photos) as string[]) : null });

/** The columns a case update may set, by field: the same for both adapters. */
export const CASE_COLUMNS: Record<string, string> = {
  status: 'status',
  category: 'category',
  unit: 'unit',
  completeDue: 'complete_due',
  closedAt: 'closed_at',
  duplicateOf: 'duplicate_of',
  refuseReason: 'refuse_reason',
  referTo: 'refer_to',
  satisfaction: 'satisfaction',
};

/** Creates the case store. */
export function createCaseStore(db: Db): CaseStore {
  const ins = db.prepare(
    `INSERT INTO cases (ticket, channel, user_id, chat_id, category, town, address, lat, lon, description, since,
       anonymous, phone, unit, status, created_at, updated_at, accept_due, source_key)
     VALUES (@ticket, @channel, @userId, @chatId, @category, @town, @address, @lat, @lon, @description, @since,
       @anonymous, @phone, @unit, @status, @createdAt, @createdAt, @acceptDue, @sourceKey)`,
  );
  const insPhoto = db.prepare('INSERT INTO case_photos (case_id, position, channel, file_ref) VALUES (?, ?, ?, ?)');
  const byTicketQ = db.prepare(`${SELECT} WHERE c.ticket = ?`);
  const byIdQ = db.prepare(`${SELECT} WHERE c.id = ?`);
  const bySourceQ = db.prepare('SELECT id FROM cases WHERE source_key = ?').pluck();
  const hasTicketQ = db.prepare('SELECT 1 FROM cases WHERE ticket = ?').pluck();
  const forUserQ = db.prepare(`${SELECT} WHERE c.channel = ? AND c.user_id = ? ORDER BY c.created_at DESC, c.id DESC LIMIT ?`);
  const countQ = db.prepare('SELECT count(*) FROM cases WHERE channel = ? AND user_id = ? AND created_at >= ?').pluck();
  const evIns = db.prepare(
    'INSERT INTO case_events (case_id, at, actor_role, actor, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const evQ = db.prepare(
    'SELECT at, actor_role AS actorRole, actor, from_status AS fromStatus, to_status AS toStatus, note FROM case_events WHERE case_id = ? ORDER BY id',
  );
  const nearQ = db.prepare(
    `${SELECT} WHERE c.category = ? AND c.lat BETWEEN ? AND ? AND c.lon BETWEEN ? AND ? AND c.created_at >= ? ORDER BY c.created_at DESC LIMIT 50`,
  );
  const townQ = db.prepare(`${SELECT} WHERE c.town = ? AND c.created_at >= ? ORDER BY c.created_at DESC LIMIT 50`);
  const routeQ = db.prepare("SELECT unit FROM routing WHERE category = ? AND town IN (?, '*') ORDER BY town = '*' LIMIT 1").pluck();
  const setRouteQ = db.prepare('INSERT OR REPLACE INTO routing (category, town, unit) VALUES (?, ?, ?)');
  const delRouteQ = db.prepare('DELETE FROM routing WHERE category = ? AND town = ?');
  const routesQ = db.prepare('SELECT category, town, unit FROM routing ORDER BY category, town');

  return {
    insert(c) {
      const id = Number(ins.run({ ...c, anonymous: c.anonymous ? 1 : 0 }).lastInsertRowid);
      for (const [i, ref] of c.photos.entries()) insPhoto.run(id, i, c.channel, ref);
      return toCase(byIdQ.get(id) as Row);
    },
    byTicket: (t) => {
      const r = byTicketQ.get(t) as Row | undefined;
      return r ? toCase(r) : null;
    },
    byId: (id) => {
      const r = byIdQ.get(id) as Row | undefined;
      return r ? toCase(r) : null;
    },
    bySourceKey: (k) => {
      const id = bySourceQ.get(k) as number | undefined;
      return id === undefined ? null : toCase(byIdQ.get(id) as Row);
    },
    hasTicket: (t) => hasTicketQ.get(t) !== undefined,
    forUser: (channel, userId, limit) => (forUserQ.all(channel, userId, limit) as Row[]).map(toCase),
    list(f) {
      const w = where([
        { when: f.unit, sql: 'c.unit = ?', args: [f.unit ?? ''] },
        { when: f.status?.length, sql: `c.status IN (${(f.status ?? []).map(() => '?').join(',')})`, args: f.status ?? [] },
        { when: f.category, sql: 'c.category = ?', args: [f.category ?? ''] },
        { when: f.town, sql: 'c.town = ?', args: [f.town ?? ''] },
        { when: f.from, sql: 'c.created_at >= ?', args: [f.from ?? ''] },
        { when: f.to, sql: 'c.created_at < ?', args: [f.to ?? ''] },
      ]);
      return (db.prepare(`${SELECT}${w.sql} ORDER BY c.created_at, c.id LIMIT ?`).all(...w.args, f.limit ?? 100_000) as Row[]).map(toCase);
    },
    countSince: (channel, userId, since) => countQ.get(channel, userId, since.toISOString()) as number,
    update(id, fields, now) {
      const sets: string[] = ['updated_at = @updatedAt'];
      const args: Record<string, unknown> = { id, updatedAt: now.toISOString() };
      for (const [k, v] of Object.entries(fields)) {
        const col = CASE_COLUMNS[k];
        if (!col) continue;
        sets.push(`${col} = @${k}`);
        args[k] = v;
      }
      if ('duplicateOf' in fields && fields.duplicateOf) {
        args.duplicateOf =
          (db.prepare('SELECT id FROM cases WHERE ticket = ?').pluck().get(fields.duplicateOf) as number | undefined) ?? null;
      }
      db.prepare(`UPDATE cases SET ${sets.join(', ')} WHERE id = @id`).run(args);
    },
    addEvent: (caseId, e) => {
      evIns.run(caseId, e.at, e.actorRole, e.actor, e.fromStatus, e.toStatus, e.note);
    },
    events: (caseId) => evQ.all(caseId) as CaseEvent[],
    near: (category, lat, lon, d, since) => (nearQ.all(category, lat - d, lat + d, lon - d, lon + d, since) as Row[]).map(toCase),
    inTown: (town, since) => (townQ.all(town, since) as Row[]).map(toCase),
    unitsWithCasesNotIn: (statuses) =>
      db
        .prepare('SELECT DISTINCT unit FROM cases WHERE status NOT IN (SELECT value FROM json_each(?)) ORDER BY unit')
        .pluck()
        .all(JSON.stringify(statuses)) as string[],
    route: (category, town) => (routeQ.get(category, town ?? '*') as string | undefined) ?? null,
    setRoute: (category, town, unit) => {
      setRouteQ.run(category, town ?? '*', unit);
    },
    removeRoute: (category, town) => delRouteQ.run(category, town ?? '*').changes,
    routes: () => routesQ.all() as Array<{ category: string; town: string; unit: string }>,
  };
}
