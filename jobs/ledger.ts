/**
 * The living ledger, assembled over the store: who handles each milestone (the unit-mapping table
 * resolved for its sources, never a whole jurisdiction), dated progress updates, whether a unit has
 * answered a result request, and the links of complaint cases to the milestone they bear on.
 */
import type { Category } from '../cases/categories.js';
import { classifyReport } from '../cases/categories.js';
import { hanBigrams } from '../core/text.js';
import { isJurisdiction, isUnitName, type Milestone } from '../knowledge/mod.js';
import { splitUnits } from '../store/milestones.js';
import type {
  CaseLink,
  CaseRecord,
  LedgerPort,
  MilestonePort,
  MilestoneRow,
  Ports,
  Store,
  StoredUpdate,
  UnitMapPort,
  UnitMapping,
} from '../store/ports.js';

/** The name under which milestones without a unit go to the administrators. */
export const ADMINS = '管理员';

/** A unit that handles a milestone, and why. */
export interface Handler {
  unit: string;
  /** assigned: by an administrator for this milestone; official: the unit that added it; else the mapping's state. */
  state: 'assigned' | 'official' | 'confirmed' | 'stated' | 'inferred';
  reason: string | null;
}

/** The thresholds of linking a case to a milestone. */
export const linkDefaults = {
  /** Han characters of topic words a milestone must share with a case to be linked (scaled to 1). */
  fullKeywordChars: 3,
  /** Weight of the description's own bigrams beside the category's topic words. */
  descriptionWeight: 0.5,
  /** The least score that links. */
  minScore: 0.5,
};

/** A suggested link. */
export interface LinkSuggestion {
  milestone: MilestoneRow;
  score: number;
}

/** Who handles a milestone, decided from the mapping table as it was read (synchronous). */
export type HandlerResolver = (m: MilestoneRow) => Handler[];

/** The ledger service. */
export interface Ledger {
  milestones: MilestonePort;
  units: UnitMapPort;
  store: LedgerPort;
  /** Brings the documents' milestones and their unit seeds into the store. */
  sync(list: Milestone[], now: Date): Promise<number>;
  /** Reads the mapping table once: a resolver of handlers for many milestones. */
  resolver(): Promise<HandlerResolver>;
  /** The units that handle a milestone (empty: nobody the texts or the administrators name). */
  handlers(m: MilestoneRow): Promise<Handler[]>;
  /** The recipients of a milestone's reminders: its handling units, or the administrators. */
  recipients(m: MilestoneRow): Promise<string[]>;
  /** Where a mapping holds, in words: "#12 标题" for one milestone, "plan/第2行", "所有文件". */
  scopeLabel(r: { document: string; scope: string }): Promise<string>;
  /** Whether an official of `unit` may act on a milestone. */
  handledBy(m: MilestoneRow, unit: string): Promise<boolean>;
  /** A unit's milestones (restatements left out). */
  forUnit(unit: string, status?: MilestoneRow['status']): Promise<MilestoneRow[]>;
  /** Records a progress update, with an event in the milestone's history. */
  update(
    m: MilestoneRow,
    u: { text: string; date: string; unit: string | null; author: string; via: string },
    now: Date,
  ): Promise<StoredUpdate>;
  /** Whether `unit` has reported on a milestone since its due date (an administrator's update answers for all). */
  answered(m: MilestoneRow, unit: string): Promise<boolean>;
  /** The milestone a case bears on, best first, if any scores enough. */
  suggest(c: CaseRecord): Promise<LinkSuggestion | null>;
  /** The case's link, computed and stored the first time it is asked for. */
  linkOf(c: CaseRecord, now: Date): Promise<CaseLink>;
  /** Sets a case's link by hand (null: unlinked). */
  setLink(c: CaseRecord, milestoneId: number | null, actor: string, now: Date): Promise<void>;
}

const STATE_RANK: Record<Handler['state'], number> = { assigned: 5, official: 4, confirmed: 3, stated: 2, inferred: 1 };

/**
 * The live mappings of a body for a task of a document, among the table's rows: the most specific
 * level with a stated or confirmed mapping, else the most specific level with an inferred one.
 */
export function lookupMapping(rows: UnitMapping[], document: string | null, scope: string | null, body: string): UnitMapping[] {
  const levels: Array<[string, string]> = [];
  if (document && scope) levels.push([document, scope]);
  if (document) levels.push([document, '*']);
  levels.push(['*', '*']);
  const found = levels.map(([d, s]) => rows.filter((r) => r.document === d && r.scope === s && r.body === body && r.state !== 'removed'));
  return found.find((rs) => rs.some((r) => r.state !== 'inferred')) ?? found.find((rs) => rs.length > 0) ?? [];
}

/** Who handles a milestone, over the rows of the mapping table. */
export function handlersOver(rows: UnitMapping[]): HandlerResolver {
  return (m) => {
    if (m.assigned.length) return m.assigned.map((unit) => ({ unit, state: 'assigned', reason: null }));
    if (m.origin === 'official') return splitUnits(m.unit).map((unit) => ({ unit, state: 'official', reason: null }));
    const out = new Map<string, Handler>();
    const add = (h: Handler) => {
      if (isJurisdiction(h.unit)) return; // a whole district is nobody's chat
      const had = out.get(h.unit);
      if (!had || STATE_RANK[h.state] > STATE_RANK[had.state]) out.set(h.unit, h);
    };
    const live = (r: UnitMapping) => add({ unit: r.unit, state: r.state === 'removed' ? 'inferred' : r.state, reason: r.reason });
    for (const s of m.sources) {
      if (!s.body) continue;
      for (const r of lookupMapping(rows, s.document, s.task, s.body)) live(r);
    }
    // A milestone whose text names no body: a mapping for this milestone, or for such targets of its document.
    if (out.size === 0 && m.sources.length > 0 && m.sources.every((s) => !s.body)) {
      for (const r of lookupMapping(rows, m.document, m.key, '')) live(r);
    }
    // A row stored before the mapping existed: a body that is itself a list of units names them.
    if (out.size === 0 && m.sources.every((s) => s.body === m.unit) && m.unit) {
      for (const p of splitUnits(m.unit)) if (isUnitName(p)) add({ unit: p, state: 'stated', reason: null });
    }
    return [...out.values()];
  };
}

/** Creates the ledger service over the store's ports (its writes run in one transaction each). */
export function createLedger(
  store: Pick<Store, 'transaction'> & Pick<Ports, 'milestones' | 'units' | 'ledger' | 'cases'>,
  categories: Category[] = [],
): Ledger {
  const milestones = store.milestones;
  const units = store.units;
  const updates = store.ledger;
  const resolver = async () => handlersOver(await units.list({ all: true }));

  function milestoneTopic(m: MilestoneRow): string {
    return [m.title, m.text ?? '', ...m.sources.map((s) => s.text)].join(' ');
  }

  async function suggest(c: CaseRecord): Promise<LinkSuggestion | null> {
    const own = categories.find((x) => x.id === c.category);
    const mentioned = categories.filter((x) => x.keywords.some((k) => c.description.includes(k)));
    const also = classifyReport(c.description, categories);
    const words = new Set<string>();
    for (const cat of [own, also, ...mentioned]) {
      if (!cat) continue;
      words.add(cat.name);
      for (const k of cat.keywords) words.add(k);
    }
    const desc = hanBigrams(c.description);
    let best: { m: MilestoneRow; rank: number; score: number } | null = null;
    for (const m of await milestones.list()) {
      if (m.status === 'cancelled') continue;
      const topic = milestoneTopic(m);
      let chars = 0;
      for (const w of words) if (w.length >= 2 && topic.includes(w)) chars += w.length;
      const mb = hanBigrams(topic);
      let common = 0;
      for (const b of desc) if (mb.has(b)) common++;
      const descShare = desc.size ? common / desc.size : 0;
      const score = Math.min(1, chars / linkDefaults.fullKeywordChars) + linkDefaults.descriptionWeight * descShare;
      if (score < linkDefaults.minScore) continue;
      // The strongest match; among equals the task still running, then the later deadline.
      const rank = chars + 2 * descShare + (m.status === 'open' ? 0.5 : 0) + Number(m.dueDate.slice(0, 4)) / 1e5;
      if (!best || rank > best.rank) best = { m, rank, score };
    }
    return best ? { milestone: best.m, score: Math.round(best.score * 100) / 100 } : null;
  }

  const ledger: Ledger = {
    milestones,
    units,
    store: updates,
    sync(list, now) {
      return store.transaction(async () => {
        const n = await milestones.sync(list, now);
        await units.seed(
          list.flatMap((m) => m.unitSeeds),
          now,
        );
        // A target whose text names no one: the unit that handles complaints on its topic.
        const seeds = [];
        for (const m of list) {
          if (m.sources.some((s) => s.body) || m.unitSeeds.length > 0) continue;
          const cat = classifyReport([m.title, m.text].join(' '), categories);
          if (!cat) continue;
          const unit = (await store.cases.route(cat.id, null)) ?? cat.unit;
          seeds.push({
            document: m.document,
            scope: m.key,
            body: '',
            unit,
            state: 'inferred' as const,
            reason: `文件未写明责任单位；按举报类别「${cat.name}」的分派单位`,
          });
        }
        await units.seed(seeds, now);
        return n;
      });
    },
    resolver,
    handlers: async (m) => (await resolver())(m),
    async recipients(m) {
      const hs = (await ledger.handlers(m)).map((h) => h.unit);
      return hs.length ? hs : [ADMINS];
    },
    async scopeLabel(r) {
      const m = r.scope === '*' ? null : await milestones.byKey(r.scope);
      if (m) return `#${m.id} ${m.title}`;
      if (r.document === '*') return '所有文件';
      return r.scope === '*' ? `${r.document} 全文` : `${r.document} ${r.scope}`;
    },
    handledBy: async (m, unit) => (await ledger.handlers(m)).some((h) => h.unit === unit),
    async forUnit(unit, status) {
      const handlers = await resolver();
      return (await milestones.list(status ? { status } : {})).filter((m) => handlers(m).some((h) => h.unit === unit));
    },
    update(m, u, now) {
      return store.transaction(async () => {
        const stored = await updates.addUpdate(
          { milestoneId: m.id, date: u.date, unit: u.unit, author: u.author, text: u.text, via: u.via },
          now,
        );
        await milestones.note(m.id, u.author, 'update', `${u.date}${u.unit ? `（${u.unit}）` : ''}：${u.text}`, now);
        return stored;
      });
    },
    async answered(m, unit) {
      return (await updates.updates(m.id)).some((u) => u.date >= m.dueDate && (u.unit === null || u.unit === unit || unit === ADMINS));
    },
    suggest,
    linkOf(c, now) {
      return store.transaction(async () => {
        const have = await updates.link(c.id);
        if (have) return have;
        const s = await suggest(c);
        await updates.setLink(c.id, s?.milestone.id ?? null, s?.score ?? null, 'auto', now);
        return (await updates.link(c.id)) as CaseLink;
      });
    },
    setLink(c, milestoneId, actor, now) {
      return store.transaction(async () => {
        await updates.setLink(c.id, milestoneId, null, actor, now);
        if (milestoneId !== null) await milestones.note(milestoneId, actor, 'linked', `举报 ${c.ticket} 关联到本节点`, now);
      });
    },
  };
  return ledger;
}
