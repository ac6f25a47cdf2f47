/**
 * The weekly digest of each unit: its open complaint cases by status, those past their time limit,
 * the complaints of the week linked to its milestones ("本周涉及「…」的举报3件"), the week's progress
 * updates, the milestones whose result it still has to report, and those due in the next 90 days.
 * The administrators get one too: the units that have not answered result requests, the inferred
 * unit mappings waiting for confirmation, and the milestones nobody handles.
 */

import type { CaseService } from '../cases/service.js';
import { addDays, daysBetween, shanghaiDate, shanghaiMidnight } from '../core/clock.js';
import { STATUS } from '../core/domain.js';
import { type Lang, messages } from '../core/messages/index.js';
import type { CasePort, MilestoneRow, OutboxPort, PeoplePort, ReminderLogPort, Store } from '../store/ports.js';
import { ADMINS, type Ledger } from './ledger.js';
import { type PlannedMessage, weekOf } from './reminders.js';

export { weekOf } from './reminders.js';

/** What the digest needs. */
export interface DigestDeps {
  store: Pick<Store, 'transaction'>;
  log: ReminderLogPort;
  service: CaseService;
  cases: CasePort;
  ledger: Ledger;
  outbox: OutboxPort;
  people: PeoplePort;
}

/** Lines listed at most per section. */
const MAX_LINES = 10;

function week(now: Date): { start: string; from: Date; to: Date } {
  const start = weekOf(shanghaiDate(now));
  return { start, from: shanghaiMidnight(start), to: shanghaiMidnight(addDays(start, 7)) };
}

/** Cases of the week linked to each milestone; links not stored yet are stored (unless a dry run). */
async function linkedThisWeek(deps: DigestDeps, now: Date, dryRun: boolean): Promise<Map<number, number>> {
  const { from, to } = week(now);
  const counts = new Map<number, number>();
  for (const c of await deps.cases.list({ from: from.toISOString(), to: to.toISOString() })) {
    if (c.status === STATUS.duplicate || c.status === STATUS.refused) continue;
    const id = dryRun
      ? ((await deps.ledger.store.link(c.id))?.milestoneId ?? (await deps.ledger.suggest(c))?.milestone.id ?? null)
      : (await deps.ledger.linkOf(c, now)).milestoneId;
    if (id !== null) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const list = <T>(xs: T[], line: (x: T) => string, more: string) => [
  ...xs.slice(0, MAX_LINES).map(line),
  ...(xs.length > MAX_LINES ? [more] : []),
];

/** The digest text of one unit (Chinese unless `lang` says otherwise: the unit's chat language is not known). */
export async function digestText(
  unit: string,
  deps: DigestDeps,
  now: Date,
  linked: Map<number, number> = new Map(),
  lang: Lang = 'zh',
): Promise<string> {
  const say = messages(lang);
  const w = say.digest;
  const today = shanghaiDate(now);
  const open = await deps.service.openForUnit(unit, now);
  const byStatus = new Map<string, number>();
  for (const c of open) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  const overdue = open.filter((c) => c.overdue);
  const mine = await deps.ledger.forUnit(unit);
  const ms = mine.filter((m) => m.status === 'open');
  const soon = ms.filter((m) => {
    const d = daysBetween(today, m.dueDate);
    return d >= 0 && d <= 90;
  });
  const owed: MilestoneRow[] = [];
  for (const m of ms) if (m.dueDate < today && !(await deps.ledger.answered(m, unit))) owed.push(m);
  const ids = new Set(mine.map((m) => m.id));
  const updates = (await deps.ledger.store.updatesSince(new Date(now.getTime() - 7 * 86_400_000))).filter((u) => ids.has(u.milestoneRowId));
  const lines = [w.title(unit, weekOf(today))];
  lines.push(
    w.open(
      open.length,
      [...byStatus].map(([s, n]): [string, number] => [say.status[s] ?? s, n]),
    ),
  );
  if (overdue.length)
    lines.push(
      w.overdue(
        overdue.length,
        overdue.slice(0, 10).map((c) => c.ticket),
        overdue.length > 10,
      ),
    );
  for (const m of mine) {
    const n = linked.get(m.id);
    if (n) lines.push(w.linked(m.title, n, m.id));
  }
  if (updates.length) {
    lines.push(w.updates(updates.length));
    lines.push(...list(updates, (u) => w.updateLine(u.milestoneRowId, u.date, u.unit, u.text), w.more));
  }
  if (owed.length) {
    lines.push(w.owed(owed.length));
    lines.push(...list(owed, (m) => w.milestone(m.id, m.title, m.dueDate), w.more));
  }
  lines.push(w.soon(soon.length));
  lines.push(...list(soon, (m) => w.milestone(m.id, m.title, m.dueDate), w.more));
  return lines.join('\n');
}

/** The administrators' digest text. */
export async function adminDigestText(
  deps: DigestDeps,
  now: Date,
  linked: Map<number, number> = new Map(),
  lang: Lang = 'zh',
): Promise<string> {
  const w = messages(lang).digest;
  const today = shanghaiDate(now);
  const lines = [w.title(ADMINS, weekOf(today))];
  const silent = new Map<string, number[]>();
  for (const e of await deps.log.escalations()) {
    const m = await deps.ledger.milestones.get(e.milestoneId);
    if (m?.status !== 'open' || (await deps.ledger.answered(m, e.unit))) continue;
    silent.set(e.unit, [...(silent.get(e.unit) ?? []), m.id]);
  }
  if (silent.size) {
    lines.push(w.silent(silent.size));
    for (const [u, ids] of silent) lines.push(w.silentLine(u, ids));
  }
  const inferred = await deps.ledger.units.list({ state: 'inferred' });
  if (inferred.length) {
    const labels = new Map<number, string>();
    for (const r of inferred.slice(0, MAX_LINES)) labels.set(r.id, await deps.ledger.scopeLabel(r));
    lines.push(w.inferred(inferred.length));
    lines.push(...list(inferred, (r) => w.inferredLine(r.id, r.body, r.unit, labels.get(r.id) ?? '', r.reason ?? ''), w.more));
  }
  const open = await deps.ledger.milestones.list({ status: 'open' });
  const handlers = await deps.ledger.resolver();
  const orphans = open.filter((m: MilestoneRow) => handlers(m).length === 0);
  if (orphans.length) {
    lines.push(w.orphans(orphans.length));
    lines.push(...list(orphans, (m) => w.orphanLine(m.id, m.title, m.unit), w.more));
  }
  const total = [...linked.values()].reduce((a, b) => a + b, 0);
  if (total) lines.push(w.linkedTotal(total));
  if (lines.length === 1) lines.push(w.nothing);
  return lines.join('\n');
}

/** The statuses of cases no longer open. */
const FINISHED = [STATUS.rated, STATUS.closed, STATUS.refused, STATUS.duplicate, STATUS.done];

/** Puts each unit's digest for this week in the outbox (once a week per chat), and the administrators'. */
export function runDigest(deps: DigestDeps, now: Date, dryRun = false): Promise<PlannedMessage[]> {
  const wk = weekOf(shanghaiDate(now));
  // A dry run reads inside a transaction that is always rolled back.
  return deps.store.transaction(
    async () => {
      // As the reminders: runs that meet decide one after the other, so each digest is planned once.
      await deps.log.serialise('digest');
      const out: PlannedMessage[] = [];
      const linked = await linkedThisWeek(deps, now, dryRun);
      const units = new Set<string>();
      for (const c of await deps.people.allUnitChats()) units.add(c.unit);
      const handlers = await deps.ledger.resolver();
      for (const m of await deps.ledger.milestones.list({ status: 'open' })) for (const h of handlers(m)) units.add(h.unit);
      for (const id of linked.keys()) {
        const m = await deps.ledger.milestones.get(id);
        if (m) for (const h of handlers(m)) units.add(h.unit);
      }
      for (const u of await deps.cases.unitsWithCasesNotIn(FINISHED)) units.add(u);
      units.delete(ADMINS);
      const send = async (unit: string, text: string, targets: Array<{ channel: string | null; chatId: string | null }>) => {
        for (const t of targets.length ? targets : [{ channel: null, chatId: null }]) {
          const key = `digest:${wk}:${unit}:${t.channel}:${t.chatId}`;
          if (await deps.outbox.hasKey(key)) continue;
          out.push({ unit, channel: t.channel, chatId: t.chatId, kind: 'digest', milestones: [], text });
          if (!dryRun) await deps.outbox.enqueue({ dedupeKey: key, channel: t.channel, chatId: t.chatId, unit, kind: 'digest', text }, now);
        }
      };
      for (const unit of [...units].sort()) await send(unit, await digestText(unit, deps, now, linked), await deps.people.targets(unit));
      await send(ADMINS, await adminDigestText(deps, now, linked), await deps.people.adminTargets());
      return out;
    },
    { rollback: dryRun },
  );
}
