/**
 * Milestones in the store: the dated targets of the documents (synchronised from the knowledge
 * base, keeping their status) and those officials add, with a history of every change.
 *
 * Synchronising also upgrades stores written by earlier versions: a stored milestone whose key is
 * an alias of a new one (an earlier key of one of its sources) takes the new key, and further
 * stored restatements of the same target are merged into it (their updates and case links move
 * along). A target the documents report as met starts as done, with the evidence as its note,
 * unless a person has set its status.
 */
import type { Milestone, MilestoneEvidence, MilestoneSource } from '../knowledge/mod.js';
import type { Db } from './db.js';
import { where } from './sql.js';

/** A stored milestone. */
export interface MilestoneRow {
  id: number;
  key: string;
  title: string;
  /** The full sentence (null for milestones officials added). */
  text: string | null;
  dueDate: string;
  dueLabel: string;
  /** The responsible body as the document names it, or the unit an official added it for. */
  unit: string | null;
  document: string | null;
  locator: string | null;
  origin: 'corpus' | 'official';
  status: 'open' | 'done' | 'cancelled';
  snoozedUntil: string | null;
  sources: MilestoneSource[];
  /** What the documents say of the outcome (null for milestones officials added). */
  outcome: 'met' | 'missed' | 'unreported' | null;
  evidence: MilestoneEvidence | null;
  /** Units an administrator assigned, which replace the mapping of the body. */
  assigned: string[];
  /** Set when this row was a restatement merged into another milestone. */
  mergedInto: number | null;
}

/** A change of a milestone. */
export interface MilestoneEvent {
  at: string;
  actor: string;
  action: string;
  note: string | null;
}

/** Who records what the documents say (as opposed to a person). */
export const DOCUMENTS_ACTOR = 'documents';

/** The milestone store. */
export interface MilestoneStore {
  /** Brings the documents' milestones into the store; returns how many were added. */
  sync(list: Milestone[], now: Date): number;
  /** Milestones (restatements merged into others left out), by due date. */
  list(filter?: { status?: string; unit?: string }): MilestoneRow[];
  get(id: number): MilestoneRow | null;
  byKey(key: string): MilestoneRow | null;
  /** Sets the status with a note; reopening is setting it to 'open'. */
  setStatus(id: number, status: MilestoneRow['status'], actor: string, note: string | null, now: Date): void;
  snooze(id: number, until: string, actor: string, now: Date, note?: string | null): void;
  /** Assigns the handling units (several allowed: "区农业农村委、区生态环境局"); an empty list undoes it. */
  assign(id: number, unit: string | string[], actor: string, now: Date): void;
  add(m: { title: string; dueDate: string; unit: string | null }, actor: string, now: Date): MilestoneRow;
  events(id: number): MilestoneEvent[];
  /** Records an event of a milestone (progress updates and case links note themselves here). */
  note(id: number, actor: string, action: string, note: string | null, now: Date): void;
}

/** A milestone row as both adapters read it. */
export interface StoredMilestoneRow {
  id: number;
  key: string;
  title: string;
  text: string | null;
  due_date: string;
  due_label: string;
  unit: string | null;
  document: string | null;
  locator: string | null;
  origin: 'corpus' | 'official';
  status: 'open' | 'done' | 'cancelled';
  snoozed_until: string | null;
  sources: string | null;
  outcome: MilestoneRow['outcome'];
  evidence: string | null;
  assigned: string | null;
  merged_into: number | null;
}

/** Splits a list of units as people write it: "区农业农村委、区生态环境局". */
export function splitUnits(text: string | null): string[] {
  return (text ?? '')
    .split(/[、,，;；]/)
    .map((u) => u.trim())
    .filter(Boolean);
}

/** The milestone a row holds: one mapper for both adapters. */
export const milestoneOf = (r: StoredMilestoneRow): MilestoneRow => ({
  id: r.id,
  key: r.key,
  title: r.title,
  text: r.text,
  dueDate: r.due_date,
  dueLabel: r.due_label,
  unit: r.unit,
  document: r.document,
  locator: r.locator,
  origin: r.origin,
  status: r.status,
  snoozedUntil: r.snoozed_until,
  sources: r.sources
    ? (JSON.parse(r.sources) as MilestoneSource[])
    : r.document && r.locator
      ? [{ document: r.document, locator: r.locator, text: r.text ?? r.title, body: r.unit, task: r.locator }]
      : [],
  outcome: r.outcome,
  evidence: r.evidence ? (JSON.parse(r.evidence) as MilestoneEvidence) : null,
  assigned: splitUnits(r.assigned),
  mergedInto: r.merged_into,
});

/** Creates the milestone store. */
export function createMilestoneStore(db: Db): MilestoneStore {
  const ins = db.prepare(
    `INSERT INTO milestones (key, title, text, due_date, due_label, unit, document, locator, origin, status, sources, outcome, evidence,
       created_at, updated_at)
     VALUES (@key, @title, @text, @dueDate, @dueLabel, @unit, @document, @locator, @origin, 'open', @sources, @outcome, @evidence, @now, @now)
     ON CONFLICT (key) DO NOTHING`,
  );
  const revise = db.prepare(
    `UPDATE milestones SET key = @key, title = @title, text = @text, due_date = @dueDate, due_label = @dueLabel, unit = @unit,
       document = @document, locator = @locator, sources = @sources, outcome = @outcome, evidence = @evidence, merged_into = NULL,
       updated_at = CASE WHEN title IS @title AND outcome IS @outcome AND sources IS @sources THEN updated_at ELSE @now END
     WHERE id = @id`,
  );
  const getQ = db.prepare('SELECT * FROM milestones WHERE id = ?');
  const byKeyQ = db.prepare('SELECT * FROM milestones WHERE key = ?');
  const corpusQ = db.prepare("SELECT * FROM milestones WHERE origin = 'corpus' AND merged_into IS NULL");
  const evIns = db.prepare('INSERT INTO milestone_events (milestone_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)');
  const evQ = db.prepare('SELECT at, actor, action, note FROM milestone_events WHERE milestone_id = ? ORDER BY id');
  const personSetStatusQ = db
    .prepare(
      `SELECT 1 FROM milestone_events WHERE milestone_id = ? AND action IN ('done', 'cancelled', 'reopened', 'open') AND actor NOT IN ('system', '${DOCUMENTS_ACTOR}') LIMIT 1`,
    )
    .pluck();
  const lastStatusActorQ = db
    .prepare(
      "SELECT actor FROM milestone_events WHERE milestone_id = ? AND action IN ('done', 'cancelled', 'reopened', 'open') ORDER BY id DESC LIMIT 1",
    )
    .pluck();
  const setStatusQ = db.prepare('UPDATE milestones SET status = ?, updated_at = ? WHERE id = ?');
  const snoozeQ = db.prepare('UPDATE milestones SET snoozed_until = ?, updated_at = ? WHERE id = ?');
  const assignQ = db.prepare('UPDATE milestones SET assigned = ?, updated_at = ? WHERE id = ?');
  const mergeQ = db.prepare('UPDATE milestones SET merged_into = ?, updated_at = ? WHERE id = ?');
  const moveUpdates = db.prepare('UPDATE milestone_updates SET milestone_id = ? WHERE milestone_id = ?');
  const moveLinks = db.prepare('UPDATE case_links SET milestone_id = ? WHERE milestone_id = ?');
  const event = (id: number, now: Date, actor: string, action: string, note: string | null) =>
    evIns.run(id, now.toISOString(), actor, action, note);
  const fetch = (r: unknown) => (r ? milestoneOf(r as StoredMilestoneRow) : null);

  const evidenceNote = (e: MilestoneEvidence) => `文件记载已完成：${e.document} ${e.locator}「${e.text.slice(0, 60)}」（${e.reason}）`;

  /** A target the documents report as met is done, unless a person decided otherwise. */
  function applyEvidence(row: MilestoneRow, m: Milestone, now: Date): void {
    const personDecided = personSetStatusQ.get(row.id) !== undefined;
    if (m.outcome === 'met' && m.evidence && row.status === 'open' && !personDecided) {
      setStatusQ.run('done', now.toISOString(), row.id);
      event(row.id, now, DOCUMENTS_ACTOR, 'done', evidenceNote(m.evidence));
    } else if (m.outcome !== 'met' && row.status === 'done' && lastStatusActorQ.get(row.id) === DOCUMENTS_ACTOR) {
      setStatusQ.run('open', now.toISOString(), row.id);
      event(row.id, now, DOCUMENTS_ACTOR, 'reopened', '文件中已无完成的记载');
    }
  }

  function mergeInto(from: MilestoneRow, into: MilestoneRow, now: Date): void {
    mergeQ.run(into.id, now.toISOString(), from.id);
    moveUpdates.run(into.id, from.id);
    moveLinks.run(into.id, from.id);
    event(from.id, now, 'system', 'merged', `并入 #${into.id}`);
    event(into.id, now, 'system', 'merged', `#${from.id}「${from.title}」为同一目标的另一处表述，已并入`);
  }

  return {
    sync(list, now) {
      return db.transaction(() => {
        let added = 0;
        const claimed = new Map<number, Milestone>();
        const params = (m: Milestone) => ({
          key: m.key,
          title: m.title,
          text: m.text,
          dueDate: m.dueDate,
          dueLabel: m.dueLabel,
          unit: m.unit,
          document: m.document,
          locator: m.locator,
          sources: JSON.stringify(m.sources),
          outcome: m.outcome,
          evidence: m.evidence ? JSON.stringify(m.evidence) : null,
          now: now.toISOString(),
        });
        for (const m of list) {
          let row = fetch(byKeyQ.get(m.key));
          if (!row) {
            for (const a of m.aliases) {
              const r = fetch(byKeyQ.get(a));
              if (r && r.origin === 'corpus' && !claimed.has(r.id)) {
                row = r;
                break;
              }
            }
          }
          if (row) {
            revise.run({ ...params(m), id: row.id });
            if (row.title !== m.title) event(row.id, now, 'system', 'revised', `原标题「${row.title}」`);
          } else {
            const r = ins.run({ ...params(m), origin: 'corpus' });
            added++;
            row = milestoneOf(getQ.get(Number(r.lastInsertRowid)) as StoredMilestoneRow);
            event(row.id, now, 'system', 'imported', m.sources.map((s) => `${s.document} ${s.locator}`).join('；'));
          }
          claimed.set(row.id, m);
          applyEvidence(milestoneOf(getQ.get(row.id) as StoredMilestoneRow), m, now);
        }
        // Earlier rows of the same targets that no new milestone took are restatements: merged.
        const byKey = new Map(list.map((m) => [m.key, m]));
        const docs = new Set(list.map((m) => m.document));
        for (const m of list) {
          const into = fetch(byKeyQ.get(m.key)) as MilestoneRow;
          for (const a of m.aliases) {
            const r = fetch(byKeyQ.get(a));
            if (r && r.id !== into.id && !claimed.has(r.id) && r.mergedInto === null) {
              mergeInto(r, into, now);
              claimed.set(r.id, m);
            }
          }
        }
        // Rows of these documents that no milestone stands for any more: the documents dropped them.
        for (const r of (corpusQ.all() as StoredMilestoneRow[]).map(milestoneOf)) {
          if (claimed.has(r.id) || byKey.has(r.key) || !r.document || !docs.has(r.document) || r.status === 'cancelled') continue;
          setStatusQ.run('cancelled', now.toISOString(), r.id);
          event(r.id, now, 'system', 'retired', '文件中已无此目标');
        }
        return added;
      })();
    },
    list(filter = {}) {
      const w = where([
        { when: true, sql: 'merged_into IS NULL', args: [] },
        { when: filter.status, sql: 'status = ?', args: [filter.status ?? ''] },
        // A milestone may name several units ("区农业农村委、区生态环境局").
        {
          when: filter.unit,
          sql: "(('、' || unit || '、') LIKE ? OR ('、' || assigned || '、') LIKE ?)",
          args: [`%、${filter.unit}、%`, `%、${filter.unit}、%`],
        },
      ]);
      return (db.prepare(`SELECT * FROM milestones${w.sql} ORDER BY due_date, id`).all(...w.args) as StoredMilestoneRow[]).map(milestoneOf);
    },
    get: (id) => fetch(getQ.get(id)),
    byKey: (key) => fetch(byKeyQ.get(key)),
    setStatus(id, status, actor, note, now) {
      db.transaction(() => {
        setStatusQ.run(status, now.toISOString(), id);
        event(id, now, actor, status === 'open' ? 'reopened' : status, note);
      })();
    },
    snooze(id, until, actor, now, note = null) {
      db.transaction(() => {
        snoozeQ.run(until, now.toISOString(), id);
        event(id, now, actor, 'snoozed', `至 ${until}${note ? `：${note}` : ''}`);
      })();
    },
    assign(id, unit, actor, now) {
      const units = Array.isArray(unit) ? unit : splitUnits(unit);
      db.transaction(() => {
        assignQ.run(units.length ? units.join('、') : null, now.toISOString(), id);
        event(id, now, actor, 'assigned', units.length ? units.join('、') : '（恢复按对照表）');
      })();
    },
    add(m, actor, now) {
      return db.transaction(() => {
        const key = `official:${now.getTime()}:${Math.random().toString(36).slice(2, 8)}`;
        const r = ins.run({
          key,
          title: m.title,
          text: null,
          dueDate: m.dueDate,
          dueLabel: `${m.dueDate}前`,
          unit: m.unit,
          document: null,
          locator: null,
          origin: 'official',
          sources: '[]',
          outcome: null,
          evidence: null,
          now: now.toISOString(),
        });
        const id = Number(r.lastInsertRowid);
        event(id, now, actor, 'added', null);
        return milestoneOf(getQ.get(id) as StoredMilestoneRow);
      })();
    },
    events: (id) => evQ.all(id) as MilestoneEvent[],
    note: (id, actor, action, note, now) => {
      event(id, now, actor, action, note);
    },
  };
}
