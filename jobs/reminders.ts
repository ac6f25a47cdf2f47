/**
 * Milestone reminders. Before a deadline: lead-time nudges (90, 30, 7, 1 days). After it, for a
 * target whose result is not on record and that the unit has not reported on: a request for the
 * result ("…已到期，请报告完成情况：/update 节点号 内容"), once a week for a configurable number of
 * weeks; after that the milestone appears only in the unit's weekly digest, and the administrators
 * are told once of each unit that has not answered. A target the documents report as met is done:
 * it gets nothing, and no message ever counts "overdue days".
 *
 * Messages go to the units that handle a milestone (see `jobs/ledger.ts`): never to a whole
 * district, and to each unit of a milestone with several. One message per unit and kind; each
 * (milestone, unit, kind, period) is recorded in the same transaction that decides to send it — so a
 * restart or a second scheduler never sends it again, and the first run after a long pause sends one
 * request per milestone rather than a flood of backdated ones.
 */
import { addDays, daysBetween, shanghaiDate } from '../core/clock.js';
import { type Lang, messages } from '../core/messages/index.js';
import type { MilestoneRow, OutboxPort, PeoplePort, ReminderLogPort, Store } from '../store/ports.js';
import { isWorkday, type WorkCalendar } from './calendar.js';
import { ADMINS, type Handler, type Ledger } from './ledger.js';

export { ADMINS } from './ledger.js';

/** Settings of the reminders. */
export interface ReminderOptions {
  /** Days before a deadline at which to nudge, e.g. [90, 30, 7, 1]. */
  leadDays: number[];
  calendar: WorkCalendar;
  /** Weekly result requests after a deadline before only the digest and the administrators hear of it. */
  resultRequestWeeks: number;
}

/** The default number of weekly result requests (RESULT_REQUEST_WEEKS). */
export const DEFAULT_RESULT_REQUEST_WEEKS = 4;

/** Nudges of this many days or more wait for a working day; nearer ones are urgent. */
export const URGENT_WITHIN_DAYS = 7;

/** What a reminder asks. */
export type ReminderKind = 'lead' | 'result-request' | 'escalation';

/** One nudge about one milestone for one unit. */
export interface ReminderItem {
  milestone: MilestoneRow;
  /** The unit the nudge is about (for an escalation: the unit that has not answered). */
  unit: string;
  kind: ReminderKind;
  period: string;
  /** Days until the due date; negative when past. */
  days: number;
  /** Which result request this is (1-based), for result requests. */
  round?: number;
}

/** A message to a unit's chat, as it would be sent. */
export interface PlannedMessage {
  unit: string;
  channel: string | null;
  chatId: string | null;
  kind: ReminderKind | 'digest';
  milestones: Array<{ id: number; title: string; dueDate: string }>;
  text: string;
}

/** What deciding the reminders needs to know besides the milestones. */
export interface ReminderContext {
  /** The units a milestone's reminders go to ([ADMINS] when none). */
  recipients(m: MilestoneRow): string[];
  /** Result requests recorded for a milestone and unit: how many, and the week of the last. */
  requests(milestoneId: number, unit: string): { count: number; last: string | null };
  escalated(milestoneId: number, unit: string): boolean;
  answered(m: MilestoneRow, unit: string): boolean;
}

/** The Monday (YYYY-MM-DD) of the Shanghai week of a date. */
export function weekOf(date: string): string {
  const dow = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(date, -dow);
}

/** The nudges due today for the milestones, before removing those already sent. Pure. */
export function dueItems(today: string, milestones: MilestoneRow[], opts: ReminderOptions, ctx: ReminderContext): ReminderItem[] {
  const workday = isWorkday(today, opts.calendar);
  const leads = [...opts.leadDays].sort((a, b) => a - b);
  const week = `w${weekOf(today)}`;
  const items: ReminderItem[] = [];
  for (const m of milestones) {
    if (m.status !== 'open') continue;
    if (m.snoozedUntil && m.snoozedUntil > today) continue;
    const days = daysBetween(today, m.dueDate);
    if (days >= 0) {
      // The nearest lead window the milestone is in: at 5 days left that is the 7-day nudge, and
      // the 90- and 30-day nudges it missed are not sent late.
      const lead = leads.find((l) => days <= l);
      if (lead === undefined) continue;
      if (lead >= URGENT_WITHIN_DAYS && !workday) continue;
      for (const unit of ctx.recipients(m)) items.push({ milestone: m, unit, kind: 'lead', period: `lead-${lead}`, days });
      continue;
    }
    if (!workday) continue;
    for (const unit of ctx.recipients(m)) {
      if (ctx.answered(m, unit)) continue;
      const r = ctx.requests(m.id, unit);
      if (r.last === week) continue;
      if (r.count < opts.resultRequestWeeks) {
        items.push({ milestone: m, unit, kind: 'result-request', period: week, days, round: r.count + 1 });
      } else if (unit !== ADMINS && !ctx.escalated(m.id, unit)) {
        items.push({ milestone: m, unit, kind: 'escalation', period: 'once', days });
      }
    }
  }
  return items;
}

/** How a message names a milestone's handling units. */
export function handlerLabel(hs: Handler[], lang: Lang = 'zh'): string {
  const w = messages(lang).reminders;
  if (hs.length === 0) return w.unassigned;
  return hs.map((h) => (h.state === 'inferred' ? w.inferred(h.unit) : h.unit)).join(w.listSep);
}

/** What the reminder lines need besides the item. */
export interface LineContext {
  documentTitle: (id: string) => string;
  handlers: (m: MilestoneRow) => Handler[];
}

function sourceOf(m: MilestoneRow, c: LineContext, lang: Lang): string {
  const w = messages(lang).reminders;
  return m.document ? w.source(`${c.documentTitle(m.document)}${m.locator ?? ''}`) : w.sourceAdded;
}

/** One line of a reminder. */
export function itemLine(i: ReminderItem, c: LineContext, weeks = DEFAULT_RESULT_REQUEST_WEEKS, lang: Lang = 'zh'): string {
  const w = messages(lang).reminders;
  const m = i.milestone;
  const src = sourceOf(m, c, lang);
  const unit = w.handlers(handlerLabel(c.handlers(m), lang));
  if (i.kind === 'lead') return w.lead(m.id, m.title, i.days, m.dueDate, unit, src);
  const missed =
    m.outcome === 'missed' && m.evidence ? w.missed(`${c.documentTitle(m.evidence.document)}${m.evidence.locator}`, m.evidence.reason) : '';
  if (i.kind === 'result-request') return w.request(m.id, m.title, m.dueDate, missed, i.round ?? 1, weeks, unit, src);
  return w.escalated(m.id, m.title, m.dueDate, missed, i.unit, weeks, src);
}

/**
 * The text of one message: the items of one kind for one recipient. Reminders go to a unit's bound
 * chat, whose language is not known: Chinese unless `lang` says otherwise.
 */
export function reminderText(
  unit: string,
  kind: ReminderKind,
  items: ReminderItem[],
  c: LineContext,
  weeks: number,
  lang: Lang = 'zh',
): string {
  const w = messages(lang).reminders;
  const n = items.length;
  const lines = items.map((i) => itemLine(i, c, weeks, lang));
  if (kind === 'escalation') {
    const units = [...new Set(items.map((i) => i.unit))];
    return [w.escalationHead(units, n), ...lines, w.escalationFoot].join('\n');
  }
  if (unit === ADMINS) {
    const head = kind === 'lead' ? w.adminLeadHead(n) : w.adminRequestHead(n);
    return [head, ...lines, w.adminFoot].join('\n');
  }
  if (kind === 'lead') return [w.leadHead(unit, n), ...lines, w.leadFoot].join('\n');
  return [w.requestHead(unit, n), ...lines, w.requestFoot].join('\n');
}

/** What running the reminders needs. */
export interface ReminderDeps {
  store: Pick<Store, 'transaction'>;
  log: ReminderLogPort;
  ledger: Ledger;
  outbox: OutboxPort;
  people: PeoplePort;
  documentTitle: (id: string) => string;
}

const KIND_ORDER: ReminderKind[] = ['result-request', 'lead', 'escalation'];

/** What deciding needs to know of the open milestones, read ahead so that deciding stays pure. */
async function contextOf(
  deps: ReminderDeps,
  open: MilestoneRow[],
): Promise<{ ctx: ReminderContext; lines: (d: (id: string) => string) => LineContext }> {
  const handlers = await deps.ledger.resolver();
  const recipients = (m: MilestoneRow) => {
    const hs = handlers(m).map((h) => h.unit);
    return hs.length ? hs : [ADMINS];
  };
  const requests = new Map<string, { count: number; last: string | null }>();
  const escalated = new Set<string>();
  const answered = new Set<string>();
  const key = (id: number, unit: string) => `${id}\u0000${unit}`;
  for (const m of open) {
    const updates = await deps.ledger.store.updates(m.id);
    for (const unit of recipients(m)) {
      const k = key(m.id, unit);
      requests.set(k, await deps.log.requests(m.id, unit));
      if (await deps.log.has(m.id, unit, 'escalation', 'once')) escalated.add(k);
      if (updates.some((u) => u.date >= m.dueDate && (u.unit === null || u.unit === unit || unit === ADMINS))) answered.add(k);
    }
  }
  return {
    ctx: {
      recipients,
      requests: (id, unit) => requests.get(key(id, unit)) ?? { count: 0, last: null },
      escalated: (id, unit) => escalated.has(key(id, unit)),
      answered: (m, unit) => answered.has(key(m.id, unit)),
    },
    lines: (documentTitle) => ({ documentTitle, handlers }),
  };
}

/**
 * Decides and records the reminders due at `now` and puts their messages in the outbox, in one
 * transaction. With `dryRun` nothing is recorded: the messages are only returned.
 */
export function runReminders(deps: ReminderDeps, now: Date, opts: ReminderOptions, dryRun = false): Promise<PlannedMessage[]> {
  const today = shanghaiDate(now);
  // A dry run reads inside a transaction that is always rolled back.
  return deps.store.transaction(
    async (): Promise<PlannedMessage[]> => {
      // Replicas may run this at the same moment (the lease is the scheduler's; `npm run jobs -- run`
      // or a test calls it directly): one decides at a time, and the next sees what it recorded.
      await deps.log.serialise('reminders');
      const open = await deps.ledger.milestones.list({ status: 'open' });
      const { ctx, lines: linesOf } = await contextOf(deps, open);
      const lines = linesOf(deps.documentTitle);
      const due = dueItems(today, open, opts, ctx);
      const fresh: ReminderItem[] = [];
      for (const i of due) if (!(await deps.log.has(i.milestone.id, i.unit, i.kind, i.period))) fresh.push(i);
      // One message per recipient and kind; escalations go to the administrators.
      const batches = new Map<string, { unit: string; kind: ReminderKind; items: ReminderItem[] }>();
      for (const i of fresh) {
        const to = i.kind === 'escalation' ? ADMINS : i.unit;
        const k = `${to}\u0000${i.kind}`;
        const b = batches.get(k) ?? { unit: to, kind: i.kind, items: [] };
        b.items.push(i);
        batches.set(k, b);
      }
      const out: PlannedMessage[] = [];
      const ordered = [...batches.values()].sort(
        (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.unit.localeCompare(b.unit, 'zh'),
      );
      for (const { unit, kind, items } of ordered) {
        items.sort((a, b) => a.days - b.days || a.milestone.id - b.milestone.id);
        const text = reminderText(unit, kind, items, lines, opts.resultRequestWeeks);
        const targets = unit === ADMINS ? await deps.people.adminTargets() : await deps.people.targets(unit);
        const milestones = items.map((i) => ({ id: i.milestone.id, title: i.milestone.title, dueDate: i.milestone.dueDate }));
        const batch = items.map((i) => `${i.milestone.id}:${i.unit}:${i.kind}:${i.period}`).join(',');
        for (const t of targets.length ? targets : [{ channel: null, chatId: null }]) {
          out.push({ unit, channel: t.channel, chatId: t.chatId, kind, milestones, text });
          await deps.outbox.enqueue(
            {
              dedupeKey: `reminder:${today}:${unit}:${kind}:${t.channel}:${t.chatId}:${batch}`,
              channel: t.channel,
              chatId: t.chatId,
              unit,
              // Channels render reminders as formatted text; the kind of reminder is in its title.
              kind: 'reminder',
              text,
            },
            now,
          );
        }
        for (const i of items) await deps.log.record(i.milestone.id, i.unit, i.kind, i.period, now);
      }
      return out;
    },
    { rollback: dryRun },
  );
}
