/**
 * Milestones in the store: the dated targets of the documents (synchronised from the knowledge
 * base, keeping their status) and those officials add, with a history of every change.
 */
import type { Milestone } from '../knowledge/mod.js';
import type { Db } from './db.js';
import { where } from './sql.js';

/** A stored milestone. */
export interface MilestoneRow {
  id: number;
  key: string;
  title: string;
  dueDate: string;
  dueLabel: string;
  unit: string | null;
  document: string | null;
  locator: string | null;
  origin: 'corpus' | 'official';
  status: 'open' | 'done' | 'cancelled';
  snoozedUntil: string | null;
}

/** A change of a milestone. */
export interface MilestoneEvent {
  at: string;
  actor: string;
  action: string;
  note: string | null;
}

/** The milestone store. */
export interface MilestoneStore {
  /** Adds the documents' milestones not stored yet; returns how many were added. */
  sync(list: Milestone[], now: Date): number;
  list(filter?: { status?: string; unit?: string }): MilestoneRow[];
  get(id: number): MilestoneRow | null;
  setStatus(id: number, status: MilestoneRow['status'], actor: string, note: string | null, now: Date): void;
  snooze(id: number, until: string, actor: string, now: Date): void;
  assign(id: number, unit: string, actor: string, now: Date): void;
  add(m: { title: string; dueDate: string; unit: string | null }, actor: string, now: Date): MilestoneRow;
  events(id: number): MilestoneEvent[];
}

interface Row {
  id: number;
  key: string;
  title: string;
  due_date: string;
  due_label: string;
  unit: string | null;
  document: string | null;
  locator: string | null;
  origin: 'corpus' | 'official';
  status: 'open' | 'done' | 'cancelled';
  snoozed_until: string | null;
}

const toRow = (r: Row): MilestoneRow => ({
  id: r.id,
  key: r.key,
  title: r.title,
  dueDate: r.due_date,
  dueLabel: r.due_label,
  unit: r.unit,
  document: r.document,
  locator: r.locator,
  origin: r.origin,
  status: r.status,
  snoozedUntil: r.snoozed_until,
});

/** Creates the milestone store. */
export function createMilestoneStore(db: Db): MilestoneStore {
  const ins = db.prepare(
    `INSERT INTO milestones (key, title, due_date, due_label, unit, document, locator, origin, status, created_at, updated_at)
     VALUES (@key, @title, @dueDate, @dueLabel, @unit, @document, @locator, @origin, 'open', @now, @now)
     ON CONFLICT (key) DO NOTHING`,
  );
  const getQ = db.prepare('SELECT * FROM milestones WHERE id = ?');
  const evIns = db.prepare('INSERT INTO milestone_events (milestone_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)');
  const evQ = db.prepare('SELECT at, actor, action, note FROM milestone_events WHERE milestone_id = ? ORDER BY id');
  const setStatusQ = db.prepare('UPDATE milestones SET status = ?, updated_at = ? WHERE id = ?');
  const snoozeQ = db.prepare('UPDATE milestones SET snoozed_until = ?, updated_at = ? WHERE id = ?');
  const assignQ = db.prepare('UPDATE milestones SET unit = ?, updated_at = ? WHERE id = ?');
  const event = (id: number, now: Date, actor: string, action: string, note: string | null) =>
    evIns.run(id, now.toISOString(), actor, action, note);

  return {
    sync(list, now) {
      return db.transaction(() => {
        let n = 0;
        for (const m of list) {
          const r = ins.run({ ...m, origin: 'corpus', now: now.toISOString() });
          if (r.changes === 1) {
            n++;
            event(Number(r.lastInsertRowid), now, 'system', 'imported', `${m.document} ${m.locator}`);
          }
        }
        return n;
      })();
    },
    list(filter = {}) {
      const w = where([
        { when: filter.status, sql: 'status = ?', args: [filter.status ?? ''] },
        // A milestone may name several units ("区农业农村委、区生态环境局").
        { when: filter.unit, sql: "('、' || unit || '、') LIKE ?", args: [`%、${filter.unit}、%`] },
      ]);
      return (db.prepare(`SELECT * FROM milestones${w.sql} ORDER BY due_date, id`).all(...w.args) as Row[]).map(toRow);
    },
    get: (id) => {
      const r = getQ.get(id) as Row | undefined;
      return r ? toRow(r) : null;
    },
    setStatus(id, status, actor, note, now) {
      db.transaction(() => {
        setStatusQ.run(status, now.toISOString(), id);
        event(id, now, actor, status, note);
      })();
    },
    snooze(id, until, actor, now) {
      db.transaction(() => {
        snoozeQ.run(until, now.toISOString(), id);
        event(id, now, actor, 'snoozed', `至 ${until}`);
      })();
    },
    assign(id, unit, actor, now) {
      db.transaction(() => {
        assignQ.run(unit, now.toISOString(), id);
        event(id, now, actor, 'assigned', unit);
      })();
    },
    add(m, actor, now) {
      return db.transaction(() => {
        const key = `official:${now.getTime()}:${Math.random().toString(36).slice(2, 8)}`;
        const r = ins.run({
          key,
          title: m.title,
          dueDate: m.dueDate,
          dueLabel: `${m.dueDate}前`,
          unit: m.unit,
          document: null,
          locator: null,
          origin: 'official',
          now: now.toISOString(),
        });
        const id = Number(r.lastInsertRowid);
        event(id, now, actor, 'added', null);
        return toRow(getQ.get(id) as Row);
      })();
    },
    events: (id) => evQ.all(id) as MilestoneEvent[],
  };
}
