/**
 * The weekly digest of each unit: its open complaint cases by status, those past their time limit,
 * the complaints of the week linked to its milestones ("本周涉及「…」的举报3件"), the week's progress
 * updates, the milestones whose result it still has to report, and those due in the next 90 days.
 * The administrators get one too: the units that have not answered result requests, the inferred
 * unit mappings waiting for confirmation, and the milestones nobody handles.
 */

import type { CaseService } from '../cases/service.js';
import { addDays, daysBetween, shanghaiDate, shanghaiMidnight } from '../core/clock.js';
import { type Lang, messages } from '../core/messages/index.js';
import type { CaseStore } from '../store/cases.js';
import type { Db } from '../store/db.js';
import type { MilestoneRow } from '../store/milestones.js';
import type { OutboxStore } from '../store/outbox.js';
import type { PeopleStore } from '../store/people.js';
import { ADMINS, type Ledger } from './ledger.js';
import { type PlannedMessage, weekOf } from './reminders.js';

export { weekOf } from './reminders.js';

/** What the digest needs. */
export interface DigestDeps {
  db: Db;
  service: CaseService;
  cases: CaseStore;
  ledger: Ledger;
  outbox: OutboxStore;
  people: PeopleStore;
}

/** Lines listed at most per section. */
const MAX_LINES = 10;

function week(now: Date): { start: string; from: Date; to: Date } {
  const start = weekOf(shanghaiDate(now));
  return { start, from: shanghaiMidnight(start), to: shanghaiMidnight(addDays(start, 7)) };
}

/** Cases of the week linked to each milestone; links not stored yet are stored (unless a dry run). */
function linkedThisWeek(deps: DigestDeps, now: Date, dryRun: boolean): Map<number, number> {
  const { from, to } = week(now);
  const counts = new Map<number, number>();
  for (const c of deps.cases.list({ from: from.toISOString(), to: to.toISOString() })) {
    if (c.status === '重复' || c.status === '不予受理') continue;
    const id = dryRun
      ? (deps.ledger.store.link(c.id)?.milestoneId ?? deps.ledger.suggest(c)?.milestone.id ?? null)
      : deps.ledger.linkOf(c, now).milestoneId;
    if (id !== null) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const list = <T>(xs: T[], line: (x: T) => string, more: string) => [
  ...xs.slice(0, MAX_LINES).map(line),
  ...(xs.length > MAX_LINES ? [more] : []),
];

/** The digest text of one unit (Chinese unless `lang` says otherwise: the unit's chat language is not known). */
export function digestText(unit: string, deps: DigestDeps, now: Date, linked: Map<number, number> = new Map(), lang: Lang = 'zh'): string {
  const say = messages(lang);
  const w = say.digest;
  const today = shanghaiDate(now);
  const open = deps.service.openForUnit(unit, now);
  const byStatus = new Map<string, number>();
  for (const c of open) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  const overdue = open.filter((c) => c.overdue);
  const mine = deps.ledger.forUnit(unit);
  const ms = mine.filter((m) => m.status === 'open');
  const soon = ms.filter((m) => {
    const d = daysBetween(today, m.dueDate);
    return d >= 0 && d <= 90;
  });
  const owed = ms.filter((m) => m.dueDate < today && !deps.ledger.answered(m, unit));
  const ids = new Set(mine.map((m) => m.id));
  const updates = deps.ledger.store.updatesSince(new Date(now.getTime() - 7 * 86_400_000)).filter((u) => ids.has(u.milestoneRowId));
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
export function adminDigestText(deps: DigestDeps, now: Date, linked: Map<number, number> = new Map(), lang: Lang = 'zh'): string {
  const w = messages(lang).digest;
  const today = shanghaiDate(now);
  const lines = [w.title(ADMINS, weekOf(today))];
  const escalated = deps.db
    .prepare("SELECT milestone_id AS id, unit FROM reminder_log WHERE kind = 'escalation' ORDER BY unit, milestone_id")
    .all() as Array<{ id: number; unit: string }>;
  const silent = new Map<string, number[]>();
  for (const e of escalated) {
    const m = deps.ledger.milestones.get(e.id);
    if (m?.status !== 'open' || deps.ledger.answered(m, e.unit)) continue;
    silent.set(e.unit, [...(silent.get(e.unit) ?? []), m.id]);
  }
  if (silent.size) {
    lines.push(w.silent(silent.size));
    for (const [u, ids] of silent) lines.push(w.silentLine(u, ids));
  }
  const inferred = deps.ledger.units.list({ state: 'inferred' });
  if (inferred.length) {
    lines.push(w.inferred(inferred.length));
    lines.push(...list(inferred, (r) => w.inferredLine(r.id, r.body, r.unit, deps.ledger.scopeLabel(r), r.reason ?? ''), w.more));
  }
  const open = deps.ledger.milestones.list({ status: 'open' });
  const orphans = open.filter((m: MilestoneRow) => deps.ledger.handlers(m).length === 0);
  if (orphans.length) {
    lines.push(w.orphans(orphans.length));
    lines.push(...list(orphans, (m) => w.orphanLine(m.id, m.title, m.unit), w.more));
  }
  const total = [...linked.values()].reduce((a, b) => a + b, 0);
  if (total) lines.push(w.linkedTotal(total));
  if (lines.length === 1) lines.push(w.nothing);
  return lines.join('\n');
}

/** Puts each unit's digest for this week in the outbox (once a week per chat), and the administrators'. */
export function runDigest(deps: DigestDeps, now: Date, dryRun = false): PlannedMessage[] {
  const wk = weekOf(shanghaiDate(now));
  const out: PlannedMessage[] = [];
  const tx = deps.db.transaction(() => {
    const linked = linkedThisWeek(deps, now, dryRun);
    const units = new Set<string>();
    for (const c of deps.people.allUnitChats()) units.add(c.unit);
    for (const m of deps.ledger.milestones.list({ status: 'open' })) for (const h of deps.ledger.handlers(m)) units.add(h.unit);
    for (const id of linked.keys()) {
      const m = deps.ledger.milestones.get(id);
      if (m) for (const h of deps.ledger.handlers(m)) units.add(h.unit);
    }
    const openCases = deps.db
      .prepare("SELECT DISTINCT unit FROM cases WHERE status NOT IN ('已评价','已关闭','不予受理','重复','已办结')")
      .pluck()
      .all() as string[];
    for (const u of openCases) units.add(u);
    units.delete(ADMINS);
    const send = (unit: string, text: string, targets: Array<{ channel: string | null; chatId: string | null }>) => {
      for (const t of targets.length ? targets : [{ channel: null, chatId: null }]) {
        const key = `digest:${wk}:${unit}:${t.channel}:${t.chatId}`;
        if (deps.outbox.hasKey(key)) continue;
        out.push({ unit, channel: t.channel, chatId: t.chatId, kind: 'digest', milestones: [], text });
        if (!dryRun) deps.outbox.enqueue({ dedupeKey: key, channel: t.channel, chatId: t.chatId, unit, kind: 'digest', text }, now);
      }
    };
    for (const unit of [...units].sort()) send(unit, digestText(unit, deps, now, linked), deps.people.targets(unit));
    send(ADMINS, adminDigestText(deps, now, linked), deps.people.adminTargets());
  });
  if (!dryRun) tx.immediate();
  else {
    try {
      deps.db.transaction(() => {
        tx();
        throw new DryRunDigest();
      })();
    } catch (e) {
      if (!(e instanceof DryRunDigest)) throw e;
    }
  }
  return out;
}

class DryRunDigest extends Error {}
