/**
 * The living ledger in the store: dated progress updates on milestones, and the links of
 * citizens' cases to the milestone they bear on. It implements the `LedgerView` the answerer
 * declares (milestones named by their keys; counts only, no personal data).
 */
import type { LedgerView, ProgressUpdate } from '../knowledge/mod.js';
import type { Db } from './db.js';

/** A stored progress update. */
export interface StoredUpdate extends ProgressUpdate {
  /** The milestone's row id (ProgressUpdate.milestoneId is its key). */
  milestoneRowId: number;
  /** chat, cli … */
  via: string;
  createdAt: string;
}

/** A case's link to a milestone; milestoneId null means "bears on none" (unlinked). */
export interface CaseLink {
  caseId: number;
  milestoneId: number | null;
  score: number | null;
  /** "auto" when the similarity decided, else who set it. */
  linkedBy: string;
  linkedAt: string;
}

/** Cases that are not counted as complaints about a task: duplicates and refused reports. */
const NOT_COUNTED = ['重复', '不予受理'];

/** The ledger store. */
export interface LedgerStore extends LedgerView {
  addUpdate(
    u: { milestoneId: number; date: string; unit: string | null; author: string | null; text: string; via: string },
    now: Date,
  ): StoredUpdate;
  /** A milestone's updates, newest first. */
  updates(milestoneId: number): StoredUpdate[];
  /** Updates posted since an instant, newest first. */
  updatesSince(since: Date): StoredUpdate[];
  /** Every update, newest first, as the answerer reads them. */
  allUpdates(): ProgressUpdate[];
  /** Counted cases linked to each milestone key. */
  linkCountsByKey(): Map<string, number>;
  link(caseId: number): CaseLink | null;
  setLink(caseId: number, milestoneId: number | null, score: number | null, by: string, now: Date): void;
  /** Counted cases linked to each milestone, filed in [from, to) when given. */
  linkCounts(range?: { from: Date; to: Date }): Map<number, number>;
}

/** A progress update row as both adapters read it. */
export interface UpdateRow {
  id: number;
  milestone_id: number;
  key: string;
  date: string;
  unit: string | null;
  author: string | null;
  text: string;
  via: string;
  created_at: string;
}

/** One mapper for both adapters. */
export const toUpdate = (r: UpdateRow): StoredUpdate => ({
  id: r.id,
  milestoneId: r.key,
  milestoneRowId: r.milestone_id,
  date: r.date,
  unit: r.unit,
  author: r.author,
  text: r.text,
  via: r.via,
  createdAt: r.created_at,
});

const UPDATE_SELECT = 'SELECT u.*, m.key FROM milestone_updates u JOIN milestones m ON m.id = u.milestone_id';

/** Creates the ledger store. */
export function createLedgerStore(db: Db): LedgerStore {
  const ins = db.prepare(
    'INSERT INTO milestone_updates (milestone_id, date, unit, author, text, via, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const byId = db.prepare(`${UPDATE_SELECT} WHERE u.id = ?`);
  const forMilestone = db.prepare(`${UPDATE_SELECT} WHERE u.milestone_id = ? ORDER BY u.date DESC, u.id DESC`);
  const since = db.prepare(`${UPDATE_SELECT} WHERE u.created_at >= ? ORDER BY u.date DESC, u.id DESC`);
  const forKeys = db.prepare(`${UPDATE_SELECT} WHERE m.key IN (SELECT value FROM json_each(?)) ORDER BY u.date DESC, u.id DESC`);
  const countKeys = db
    .prepare(
      `SELECT count(*) FROM case_links l JOIN milestones m ON m.id = l.milestone_id JOIN cases c ON c.id = l.case_id
       WHERE m.key IN (SELECT value FROM json_each(?)) AND c.status NOT IN (SELECT value FROM json_each(?))`,
    )
    .pluck();
  const linkQ = db.prepare(
    'SELECT case_id AS caseId, milestone_id AS milestoneId, score, linked_by AS linkedBy, linked_at AS linkedAt FROM case_links WHERE case_id = ?',
  );
  const setLinkQ = db.prepare(
    `INSERT INTO case_links (case_id, milestone_id, score, linked_by, linked_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (case_id) DO UPDATE SET milestone_id = excluded.milestone_id, score = excluded.score, linked_by = excluded.linked_by,
       linked_at = excluded.linked_at`,
  );
  const countsQ = db.prepare(
    `SELECT l.milestone_id AS id, count(*) AS n FROM case_links l JOIN cases c ON c.id = l.case_id
     WHERE l.milestone_id IS NOT NULL AND c.status NOT IN (SELECT value FROM json_each(?)) AND c.created_at >= ? AND c.created_at < ?
     GROUP BY l.milestone_id`,
  );
  return {
    addUpdate(u, now) {
      const r = ins.run(u.milestoneId, u.date, u.unit, u.author, u.text, u.via, now.toISOString());
      return toUpdate(byId.get(Number(r.lastInsertRowid)) as UpdateRow);
    },
    updates: (id) => (forMilestone.all(id) as UpdateRow[]).map(toUpdate),
    updatesSince: (at) => (since.all(at.toISOString()) as UpdateRow[]).map(toUpdate),
    updatesFor(milestoneIds) {
      if (milestoneIds.length === 0) return [];
      return (forKeys.all(JSON.stringify(milestoneIds)) as UpdateRow[])
        .map(toUpdate)
        .map(({ id, milestoneId, date, unit, author, text }) => ({
          id,
          milestoneId,
          date,
          unit,
          author,
          text,
        }));
    },
    linkedCaseCount(milestoneIds) {
      if (milestoneIds.length === 0) return 0;
      return countKeys.get(JSON.stringify(milestoneIds), JSON.stringify(NOT_COUNTED)) as number;
    },
    allUpdates: () =>
      (db.prepare(`${UPDATE_SELECT} ORDER BY u.date DESC, u.id DESC`).all() as UpdateRow[]).map((r) => {
        const { id, milestoneId, date, unit, author, text } = toUpdate(r);
        return { id, milestoneId, date, unit, author, text };
      }),
    linkCountsByKey() {
      const rows = db
        .prepare(
          `SELECT m.key AS key, count(*) AS n FROM case_links l JOIN milestones m ON m.id = l.milestone_id JOIN cases c ON c.id = l.case_id
           WHERE c.status NOT IN (SELECT value FROM json_each(?)) GROUP BY m.key`,
        )
        .all(JSON.stringify(NOT_COUNTED)) as Array<{ key: string; n: number }>;
      return new Map(rows.map((r) => [r.key, r.n]));
    },
    link: (caseId) => (linkQ.get(caseId) as CaseLink | undefined) ?? null,
    setLink(caseId, milestoneId, score, by, now) {
      setLinkQ.run(caseId, milestoneId, score, by, now.toISOString());
    },
    linkCounts(range) {
      const from = range?.from.toISOString() ?? '0000';
      const to = range?.to.toISOString() ?? '9999';
      const rows = countsQ.all(JSON.stringify(NOT_COUNTED), from, to) as Array<{ id: number; n: number }>;
      return new Map(rows.map((r) => [r.id, r.n]));
    },
  };
}
