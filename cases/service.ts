/**
 * The case service: files reports as cases (routed, numbered, with their first history entry and
 * the unit's notification, all in one transaction), takes officials' and citizens' actions through
 * the lifecycle, and finds possible duplicates. Functions take `now`; nothing here reads the clock.
 */

import { shanghaiDate } from '../core/clock.js';
import { button } from '../core/domain.js';
import { maskPhone, maskPhonesIn } from '../core/mask.js';
import { type Lang, messages } from '../core/messages/index.js';
import { hanLength } from '../core/text.js';
import type { CasePort, CaseRecord, CaseUpdate, LimitPort, OutboxPort, PeoplePort, PersonRole, Store } from '../store/ports.js';
import type { Category } from './categories.js';
import { distanceM } from './geo.js';
import { type Action, checkAction, isOverdue, nextStatus, OPEN_STATUSES, STATUS } from './lifecycle.js';
import { newTicket } from './ticket.js';

/** A report ready to be filed: what the citizen says of it. */
export type Draft = Pick<
  CaseRecord,
  'category' | 'town' | 'address' | 'lat' | 'lon' | 'description' | 'since' | 'anonymous' | 'phone' | 'photos'
>;

/** Who acts. */
export interface Actor {
  channel: string;
  userId: string;
  role: PersonRole | 'system';
  unit: string | null;
  /** Acting from a group chat: nothing private (a reporter's phone) may be shown there. */
  inGroup?: boolean;
}

/** Where a report comes from. */
export interface ReportSource {
  channel: string;
  userId: string;
  chatId: string;
  /** The client's address where the channel knows it (the web), for the per-address limit. */
  origin?: string | null;
}

/** Time limits and quotas. */
export interface CaseLimits {
  acceptDays: number;
  completeDays: number;
  reportsPerHour: number;
  /** Reports from one client address (the web) per hour: new sessions do not reset it. */
  reportsPerHourPerAddress?: number;
}

/** The defaults of duplicate detection. */
export const duplicateRules = {
  radiusM: 250,
  townDays: 7,
  textOverlap: 0.4,
};

/** What the service needs. */
export interface CaseServiceDeps {
  /** The unit of work: filing and acting each run in one transaction (joining the caller's). */
  store: Pick<Store, 'transaction'>;
  cases: CasePort;
  people: PeoplePort;
  outbox: OutboxPort;
  categories: Category[];
  limits: CaseLimits;
  /** Where per-address report counts are kept. */
  rateLimits?: LimitPort;
  random?: (n: number) => number;
  /** The language a citizen writes in (their notices follow it); Chinese when unknown. */
  langOf?: (channel: string, userId: string) => Promise<Lang | null>;
}

/** The result of filing or acting: the case, or a message saying why not. */
/** A failure's `message` is Chinese; `say` gives it in another language where the reason is in the catalog. */
export type Outcome = { ok: true; case: CaseRecord } | { ok: false; message: string; code: string; say?: (lang: Lang) => string };

/** A failure whose text comes from the catalog. */
const refusal = (code: string, say: (lang: Lang) => string): Outcome => ({ ok: false, code, message: say('zh'), say });

/** The case service. */
export interface CaseService {
  file(draft: Draft, from: ReportSource, sourceKey: string | null, now: Date): Promise<Outcome>;
  act(
    ticket: string,
    action: Action,
    actor: Actor,
    note: string | null,
    now: Date,
    extra?: { duplicateOf?: string; referTo?: string; category?: string },
  ): Promise<Outcome>;
  /** The case if the viewer may see it: its reporter, an official of its unit, or an administrator. */
  visibleTo(ticket: string, viewer: Actor): Promise<CaseRecord | null>;
  /** Whether the viewer may see the reporter's phone: only officials of the handling unit, and not in a group. */
  mayseePhone(c: CaseRecord, viewer: Actor): boolean;
  possibleDuplicates(c: CaseRecord): Promise<CaseRecord[]>;
  /** A unit's open cases, overdue first, then by due date. */
  openForUnit(unit: string, now: Date): Promise<Array<CaseRecord & { overdue: boolean }>>;
  unitFor(category: string, town: string | null): Promise<string>;
  categoryName(id: string, lang?: Lang): string;
  /**
   * Delivers the notices kept for units that had no chat to reach (all units, or one): a copy to
   * each chat the unit now has, once. Returns how many notices were released.
   */
  releaseHeld(now: Date, unit?: string): Promise<number>;
}

const day = 86_400_000;
/** The earliest instant a case can have been filed at: "of any age" for the ports' `since`. */
const EPOCH = new Date(0).toISOString();

function bigramSet(s: string): Set<string> {
  const han = s.replace(/[^\p{Script=Han}]/gu, '');
  const out = new Set<string>();
  for (let i = 0; i + 1 < han.length; i++) out.add(han.slice(i, i + 2));
  return out;
}

function similarity(a: string, b: string): number {
  const x = bigramSet(a);
  const y = bigramSet(b);
  if (x.size === 0 || y.size === 0) return 0;
  let n = 0;
  for (const t of x) if (y.has(t)) n++;
  return n / Math.min(x.size, y.size);
}

/** Creates the case service. */
export function createCaseService(deps: CaseServiceDeps): CaseService {
  const { store, cases, people, outbox, categories, limits } = deps;
  const categoryName = (id: string, lang: Lang = 'zh') => {
    const c = categories.find((x) => x.id === id);
    return (lang === 'en' ? c?.nameEn : undefined) ?? c?.name ?? id;
  };
  const langFor = async (c: CaseRecord): Promise<Lang> => (await deps.langOf?.(c.channel, c.userId)) ?? 'zh';
  /** A note as it reads inside a sentence: no closing full stop of its own (no "。。"). */
  const bare = (note: string | null) => (note ? note.trim().replace(/[。．.！!]+$/u, '') : note);
  const unitFor = async (category: string, town: string | null) =>
    (await cases.route(category, town)) ?? categories.find((c) => c.id === category)?.unit ?? categories.at(-1)?.unit ?? '区生态环境局';

  /**
   * Enqueues a message to everyone who speaks for a unit: its bound chats and its officials. A bound
   * chat may be a group, so phone numbers typed into the text are masked there; an official's own
   * chat gets it as it is.
   */
  async function notifyUnit(unit: string, key: string, text: string, now: Date): Promise<void> {
    const targets = await people.targets(unit);
    if (targets.length === 0) {
      // Kept, and delivered when someone of the unit binds a chat (releaseHeld).
      await outbox.enqueue(
        { dedupeKey: `${key}:unroutable`, channel: null, chatId: null, unit, kind: 'unit', text: maskPhonesIn(text) },
        now,
      );
      return;
    }
    const own = new Set((await people.officials(unit)).map((o) => `${o.channel}:${o.userId}`));
    for (const t of targets) {
      const body = own.has(`${t.channel}:${t.chatId}`) ? text : maskPhonesIn(text);
      await outbox.enqueue({ dedupeKey: `${key}:${t.channel}:${t.chatId}`, ...t, unit, kind: 'unit', text: body }, now);
    }
  }

  async function notifyCitizen(
    c: CaseRecord,
    key: string,
    text: string,
    now: Date,
    choices?: Array<Array<{ label: string; value: string }>>,
  ): Promise<void> {
    await outbox.enqueue({ dedupeKey: key, channel: c.channel, chatId: c.chatId, kind: 'citizen', text, choices: choices ?? null }, now);
  }

  function summaryForUnit(c: CaseRecord): string {
    const where = [c.town, c.address, c.lat !== null ? `GPS ${c.lat.toFixed(5)},${c.lon?.toFixed(5)}` : null].filter(Boolean).join('，');
    // A unit's chat has no known language: its notices are in Chinese.
    return messages('zh').caseErrors.newCase(
      c.ticket,
      categoryName(c.category),
      where,
      c.description.slice(0, 200),
      c.acceptDue.slice(0, 10),
    );
  }

  const fileTx = async (draft: Draft, from: ReportSource, sourceKey: string | null, now: Date): Promise<Outcome> => {
    if (sourceKey) {
      const existing = await cases.bySourceKey(sourceKey);
      if (existing) return { ok: true, case: existing };
    }
    const recent = await cases.countSince(from.channel, from.userId, new Date(now.getTime() - 3600_000));
    if (recent >= limits.reportsPerHour) {
      return refusal('rate_limited', (l) => messages(l).caseErrors.tooMany(recent));
    }
    const perAddress = limits.reportsPerHourPerAddress;
    if (from.origin && perAddress && deps.rateLimits) {
      if ((await deps.rateLimits.count('report-addr', from.origin, new Date(now.getTime() - 3600_000))) >= perAddress) {
        return refusal('rate_limited', (l) => messages(l).caseErrors.tooManyFromNetwork(perAddress));
      }
    }
    const words = draft.description.split(/\s+/).filter((w) => /[a-z]{2,}/i.test(w)).length;
    if (hanLength(draft.description) < 5 && words < 5) return refusal('invalid', (l) => messages(l).caseErrors.tooShort);
    const unit = await unitFor(draft.category, draft.town);
    const base = {
      ...draft,
      channel: from.channel,
      userId: from.userId,
      chatId: from.chatId,
      unit,
      status: STATUS.submitted,
      createdAt: now.toISOString(),
      acceptDue: new Date(now.getTime() + limits.acceptDays * day).toISOString(),
      sourceKey,
      phone: draft.anonymous ? null : draft.phone,
    };
    let created: CaseRecord | null = null;
    // A ticket collision is astronomically rare but must not lose the report: draw again.
    for (let attempt = 0; attempt < 5 && !created; attempt++) {
      const ticket = newTicket(now, deps.random);
      if (await cases.hasTicket(ticket)) continue;
      created = await cases.insert({ ...base, ticket });
    }
    if (!created) return refusal('ticket', (l) => messages(l).caseErrors.busy);
    await cases.addEvent(created.id, {
      at: now.toISOString(),
      actorRole: 'citizen',
      actor: draft.anonymous ? '匿名' : 'reporter',
      fromStatus: null,
      toStatus: STATUS.submitted,
      note: null,
    });
    await notifyUnit(unit, `case:${created.ticket}:new`, summaryForUnit(created), now);
    if ((await people.targets(unit)).length === 0) {
      // Nobody of the unit can be reached yet: the administrators hear of it at once.
      for (const a of await people.adminTargets())
        await outbox.enqueue(
          {
            dedupeKey: `case:${created.ticket}:unrouted:${a.channel}:${a.chatId}`,
            ...a,
            kind: 'admin',
            text: messages('zh').notify.unroutable(created.ticket, unit),
          },
          now,
        );
    }
    if (from.origin && deps.rateLimits) await deps.rateLimits.record('report-addr', from.origin, now);
    return { ok: true, case: created };
  };

  const actTx = async (
    ticket: string,
    action: Action,
    actor: Actor,
    note: string | null,
    now: Date,
    extra: { duplicateOf?: string; referTo?: string; category?: string },
  ): Promise<Outcome> => {
    const c = await cases.byTicket(ticket);
    if (!c) return refusal('not_found', (l) => messages(l).caseErrors.notFound(ticket));
    if (actor.role === 'official' && actor.unit !== c.unit) {
      return refusal('forbidden', (l) => messages(l).caseErrors.notYourUnit);
    }
    if (actor.role === 'citizen' && !(actor.channel === c.channel && actor.userId === c.userId)) {
      return refusal('forbidden', (l) => messages(l).caseErrors.notYourReport);
    }
    const checked = action === 'duplicate' ? (extra.duplicateOf ?? null) : action === 'recategorize' ? (extra.category ?? null) : note;
    const why = checkAction(action, c.status, actor.role, checked);
    if (why) return refusal('not_allowed', (l) => checkAction(action, c.status, actor.role, checked, l) ?? why);
    const to = nextStatus(action, c.status);
    const fields: CaseUpdate = { status: to };
    if (action === 'accept') fields.completeDue = new Date(now.getTime() + limits.completeDays * day).toISOString();
    if (action === 'close') fields.closedAt = now.toISOString();
    if (action === 'refuse') {
      fields.refuseReason = note;
      fields.referTo = extra.referTo ?? null;
    }
    if (action === 'duplicate') {
      const orig = await cases.byTicket(extra.duplicateOf ?? '');
      if (!orig || orig.id === c.id) return refusal('not_found', (l) => messages(l).caseErrors.noOriginal(extra.duplicateOf ?? ''));
      fields.duplicateOf = orig.ticket;
    }
    if (action === 'satisfied') fields.satisfaction = '满意';
    if (action === 'unsatisfied') {
      fields.satisfaction = '不满意';
      fields.completeDue = new Date(now.getTime() + limits.completeDays * day).toISOString();
    }
    if (action === 'recategorize') {
      const cat = categories.find((x) => x.id === extra.category || x.name === extra.category);
      if (!cat) return refusal('invalid', (l) => messages(l).caseErrors.noCategory(extra.category ?? ''));
      fields.category = cat.id;
      fields.unit = await unitFor(cat.id, c.town);
    }
    await cases.update(c.id, fields, now);
    const noteText =
      action === 'duplicate'
        ? `与 ${fields.duplicateOf} 重复${note ? `：${note}` : ''}`
        : action === 'recategorize'
          ? `改为“${categoryName(fields.category as string)}”，由${fields.unit}办理${note ? `：${note}` : ''}`
          : action === 'refuse' && extra.referTo
            ? `${note}；请向${extra.referTo}反映`
            : note;
    await cases.addEvent(c.id, {
      at: now.toISOString(),
      actorRole: actor.role,
      actor: `${actor.channel}:${actor.userId}`,
      fromStatus: c.status,
      toStatus: to,
      note: noteText,
    });
    const updated = (await cases.byTicket(ticket)) as CaseRecord;
    const eventNo = (await cases.events(c.id)).length;
    if (actor.role !== 'citizen') {
      const say = messages(await langFor(updated));
      if (action === 'close') {
        await notifyCitizen(updated, `case:${ticket}:ev${eventNo}:citizen`, say.notify.closed(ticket, note), now, [
          [button(say.notify.satisfied, `rate:${ticket}:yes`), button(say.notify.unsatisfied, `rate:${ticket}:no`)],
        ]);
      } else if (action !== 'recategorize' || fields.unit !== c.unit) {
        await notifyCitizen(
          updated,
          `case:${ticket}:ev${eventNo}:citizen`,
          say.notify.statusChanged(ticket, say.status[to] ?? to, bare(noteText)),
          now,
        );
      }
    }
    if (action === 'recategorize' && fields.unit !== c.unit) {
      await notifyUnit(updated.unit, `case:${ticket}:ev${eventNo}:reroute`, summaryForUnit(updated), now);
    }
    if (action === 'unsatisfied') {
      await notifyUnit(
        updated.unit,
        `case:${ticket}:ev${eventNo}:reopen`,
        messages('zh').notify.unitReopen(ticket, bare(note), shanghaiDate(new Date(updated.completeDue ?? now.toISOString()))),
        now,
      );
    }
    return { ok: true, case: updated };
  };

  return {
    file: (draft, from, sourceKey, now) => store.transaction(() => fileTx(draft, from, sourceKey, now)),
    act: (ticket, action, actor, note, now, extra = {}) => store.transaction(() => actTx(ticket, action, actor, note, now, extra)),
    async visibleTo(ticket, viewer) {
      const c = await cases.byTicket(ticket);
      if (!c) return null;
      if (viewer.role === 'admin') return c;
      if (viewer.role === 'official' && viewer.unit === c.unit) return c;
      if (viewer.channel === c.channel && viewer.userId === c.userId) return c;
      return null;
    },
    mayseePhone: (c, viewer) => viewer.role === 'official' && viewer.unit === c.unit && viewer.inGroup !== true,
    async possibleDuplicates(c) {
      const since = new Date(Date.parse(c.createdAt) - duplicateRules.townDays * day).toISOString();
      const found = new Map<number, CaseRecord>();
      if (c.lat !== null && c.lon !== null) {
        // 250 m is about 0.0023° of latitude; the box is widened, the distance decides. Any age: a
        // real instant (the epoch), since PostgreSQL compares it as a timestamp, not as text.
        for (const o of await cases.near(c.category, c.lat, c.lon, 0.005, EPOCH)) {
          if (
            o.id !== c.id &&
            o.lat !== null &&
            o.lon !== null &&
            distanceM({ lat: c.lat, lon: c.lon }, { lat: o.lat, lon: o.lon }) <= duplicateRules.radiusM
          ) {
            found.set(o.id, o);
          }
        }
      }
      if (c.town) {
        for (const o of await cases.inTown(c.town, since)) {
          if (o.id !== c.id && o.createdAt <= c.createdAt && similarity(o.description, c.description) >= duplicateRules.textOverlap)
            found.set(o.id, o);
        }
      }
      return [...found.values()];
    },
    async openForUnit(unit, now) {
      return (await cases.list({ unit, status: OPEN_STATUSES }))
        .map((c) => ({ ...c, overdue: isOverdue(c, now) }))
        .sort(
          (a, b) => Number(b.overdue) - Number(a.overdue) || (a.completeDue ?? a.acceptDue).localeCompare(b.completeDue ?? b.acceptDue),
        );
    },
    unitFor,
    categoryName,
    releaseHeld(now, unit) {
      return store.transaction(async () => {
        let released = 0;
        for (const u of unit ? [unit] : await outbox.heldUnits()) {
          if ((await people.targets(u)).length === 0) continue;
          for (const m of await outbox.heldFor(u)) {
            await notifyUnit(u, `${m.dedupeKey ?? `held:${m.id}`}:released`, m.text, now);
            await outbox.markReleased(m.id, now);
            released++;
          }
        }
        return released;
      });
    },
  };
}

/** A phone as a viewer may see it. */
export function phoneFor(c: CaseRecord, mayseePhone: boolean): string {
  if (c.anonymous || !c.phone) return '匿名';
  return mayseePhone ? c.phone : maskPhone(c.phone);
}
