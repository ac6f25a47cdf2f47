/**
 * The unit-mapping table: the responsible body a document names ("江津区", "区农业农村委、区生态环境局")
 * → the units that handle it. Rows are seeded from the documents (stated: the text names the unit;
 * inferred: read from what the text says a unit does, until an administrator confirms it) and
 * edited by administrators. A mapping holds for one task of one document, for a whole document, or
 * everywhere ("*"); the most specific one that exists decides, an administrator's or the text's word
 * before an inference. Removing a row keeps it as
 * "removed", so that the next synchronisation does not seed it again.
 */
import type { UnitSeed } from '../knowledge/mod.js';
import type { Db } from './db.js';
import { where } from './sql.js';

/** One body → unit pair. */
export interface UnitMapping {
  id: number;
  /** A document id, or "*". */
  document: string;
  /** A task of the document ("第2行", a plan paragraph, "专栏2第7项"), or "*". */
  scope: string;
  /** The body as the document writes it; "" when the text names none. */
  body: string;
  unit: string;
  state: 'stated' | 'inferred' | 'confirmed' | 'removed';
  reason: string | null;
  updatedBy: string;
  updatedAt: string;
}

/** The mapping table. */
export interface UnitMapStore {
  /** Adds the seeds not in the table yet (never overriding an administrator); returns how many. */
  seed(seeds: UnitSeed[], now: Date): number;
  list(filter?: { state?: string; body?: string; all?: boolean }): UnitMapping[];
  get(id: number): UnitMapping | null;
  /**
   * The live mappings of a body for a task of a document: the most specific level with a stated or
   * confirmed mapping, else the most specific level with an inferred one.
   */
  lookup(document: string | null, scope: string | null, body: string): UnitMapping[];
  /** Sets a body's units (confirmed); other units of the same body and scope are removed. */
  set(body: string, units: string[], where: { document?: string; scope?: string }, actor: string, now: Date): UnitMapping[];
  confirm(id: number, actor: string, now: Date): UnitMapping | null;
  remove(id: number, actor: string, now: Date): boolean;
}

/** A unit-map row as both adapters read it. */
export interface UnitMapRow {
  id: number;
  document: string;
  scope: string;
  body: string;
  unit: string;
  state: UnitMapping['state'];
  reason: string | null;
  updated_by: string;
  updated_at: string;
}

/** One mapper for both adapters. */
export const toMapping = (r: UnitMapRow): UnitMapping => ({
  id: r.id,
  document: r.document,
  scope: r.scope,
  body: r.body,
  unit: r.unit,
  state: r.state,
  reason: r.reason,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at,
});

/** Creates the mapping store. */
export function createUnitMapStore(db: Db): UnitMapStore {
  const seedQ = db.prepare(
    `INSERT INTO unit_map (document, scope, body, unit, state, reason, updated_by, updated_at)
     VALUES (@document, @scope, @body, @unit, @state, @reason, 'documents', @now) ON CONFLICT DO NOTHING`,
  );
  const getQ = db.prepare('SELECT * FROM unit_map WHERE id = ?');
  const levelQ = db.prepare("SELECT * FROM unit_map WHERE document = ? AND scope = ? AND body = ? AND state != 'removed' ORDER BY id");
  const upsert = db.prepare(
    `INSERT INTO unit_map (document, scope, body, unit, state, reason, updated_by, updated_at)
     VALUES (@document, @scope, @body, @unit, 'confirmed', @reason, @actor, @now)
     ON CONFLICT (document, scope, body, unit) DO UPDATE SET state = 'confirmed', updated_by = @actor, updated_at = @now`,
  );
  const dropOthers = db.prepare(
    "UPDATE unit_map SET state = 'removed', updated_by = ?, updated_at = ? WHERE document = ? AND scope = ? AND body = ? AND state != 'removed'",
  );
  const stateQ = db.prepare('UPDATE unit_map SET state = ?, updated_by = ?, updated_at = ? WHERE id = ?');
  return {
    seed(seeds, now) {
      return db.transaction(() => {
        let n = 0;
        for (const s of seeds) n += seedQ.run({ ...s, now: now.toISOString() }).changes;
        return n;
      })();
    },
    list(filter = {}) {
      const w = where([
        { when: !filter.all && !filter.state, sql: "state != 'removed'", args: [] },
        { when: filter.state, sql: 'state = ?', args: [filter.state ?? ''] },
        { when: filter.body !== undefined, sql: 'body = ?', args: [filter.body ?? ''] },
      ]);
      return (db.prepare(`SELECT * FROM unit_map${w.sql} ORDER BY body, document, scope, id`).all(...w.args) as UnitMapRow[]).map(
        toMapping,
      );
    },
    get: (id) => {
      const r = getQ.get(id) as UnitMapRow | undefined;
      return r ? toMapping(r) : null;
    },
    lookup(document, scope, body) {
      const levels: Array<[string, string]> = [];
      if (document && scope) levels.push([document, scope]);
      if (document) levels.push([document, '*']);
      levels.push(['*', '*']);
      // What a person (or the text itself) stated outranks what was inferred, however specific.
      const found = levels.map(([d, s]) => (levelQ.all(d, s, body) as UnitMapRow[]).map(toMapping));
      return found.find((rows) => rows.some((r) => r.state !== 'inferred')) ?? found.find((rows) => rows.length > 0) ?? [];
    },
    set(body, units, at, actor, now) {
      const document = at.document ?? '*';
      const scope = at.scope ?? '*';
      return db.transaction(() => {
        dropOthers.run(actor, now.toISOString(), document, scope, body);
        for (const unit of units) upsert.run({ document, scope, body, unit, reason: '管理员设定', actor, now: now.toISOString() });
        return (levelQ.all(document, scope, body) as UnitMapRow[]).map(toMapping);
      })();
    },
    confirm(id, actor, now) {
      const r = getQ.get(id) as UnitMapRow | undefined;
      if (!r || r.state === 'removed') return null;
      stateQ.run('confirmed', actor, now.toISOString(), id);
      return toMapping(getQ.get(id) as UnitMapRow);
    },
    remove(id, actor, now) {
      return stateQ.run('removed', actor, now.toISOString(), id).changes === 1;
    },
  };
}
