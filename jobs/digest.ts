/**
 * The weekly digest of each unit: its open complaint cases by status, those past their time limit,
 * and its milestones due in the next 90 days (plus how many are overdue).
 */

import type { CaseService } from '../cases/service.js';
import { addDays, daysBetween, shanghaiDate } from '../core/clock.js';
import type { Db } from '../store/db.js';
import type { MilestoneStore } from '../store/milestones.js';
import type { OutboxStore } from '../store/outbox.js';
import type { PeopleStore } from '../store/people.js';
import { type PlannedMessage, unitsOf } from './reminders.js';

/** What the digest needs. */
export interface DigestDeps {
  db: Db;
  service: CaseService;
  milestones: MilestoneStore;
  outbox: OutboxStore;
  people: PeopleStore;
}

/** The Monday (YYYY-MM-DD) of the Shanghai week of a date. */
export function weekOf(date: string): string {
  const dow = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(date, -dow);
}

/** The digest text of one unit. */
export function digestText(unit: string, deps: DigestDeps, now: Date): string {
  const today = shanghaiDate(now);
  const open = deps.service.openForUnit(unit, now);
  const byStatus = new Map<string, number>();
  for (const c of open) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  const overdue = open.filter((c) => c.overdue);
  const ms = deps.milestones.list({ status: 'open', unit });
  const soon = ms.filter((m) => {
    const d = daysBetween(today, m.dueDate);
    return d >= 0 && d <= 90;
  });
  const late = ms.filter((m) => m.dueDate < today);
  const lines = [`【每周汇总】${unit}（${weekOf(today)}周）`];
  lines.push(open.length ? `待办举报 ${open.length} 件：${[...byStatus].map(([s, n]) => `${s} ${n}`).join('，')}` : '待办举报：无');
  if (overdue.length)
    lines.push(
      `超过时限 ${overdue.length} 件：${overdue
        .slice(0, 10)
        .map((c) => c.ticket)
        .join('、')}${overdue.length > 10 ? '……' : ''}`,
    );
  lines.push(soon.length ? `未来90天到期的整改节点 ${soon.length} 项：` : '未来90天没有到期的整改节点。');
  for (const m of soon.slice(0, 10)) lines.push(`[#${m.id}] ${m.title}（截止 ${m.dueDate}）`);
  if (late.length) lines.push(`已逾期未销号的整改节点 ${late.length} 项，发送 /milestones 查看。`);
  return lines.join('\n');
}

/** Puts each unit's digest for this week in the outbox (once a week per chat). */
export function runDigest(deps: DigestDeps, now: Date, dryRun = false): PlannedMessage[] {
  const week = weekOf(shanghaiDate(now));
  const units = new Set<string>();
  for (const c of deps.people.allUnitChats()) units.add(c.unit);
  for (const m of deps.milestones.list({ status: 'open' })) for (const u of unitsOf(m)) if (u !== '管理员') units.add(u);
  const openCases = deps.db
    .prepare("SELECT DISTINCT unit FROM cases WHERE status NOT IN ('已评价','已关闭','不予受理','重复','已办结')")
    .pluck()
    .all() as string[];
  for (const u of openCases) units.add(u);
  const out: PlannedMessage[] = [];
  const tx = deps.db.transaction(() => {
    for (const unit of [...units].sort()) {
      const text = digestText(unit, deps, now);
      const targets = deps.people.targets(unit);
      for (const t of targets.length ? targets : [{ channel: null, chatId: null }]) {
        const key = `digest:${week}:${unit}:${t.channel}:${t.chatId}`;
        if (deps.outbox.hasKey(key)) continue;
        out.push({ unit, channel: t.channel, chatId: t.chatId, kind: 'digest', milestones: [], text });
        if (!dryRun) deps.outbox.enqueue({ dedupeKey: key, channel: t.channel, chatId: t.chatId, unit, kind: 'digest', text }, now);
      }
    }
  });
  tx.immediate();
  return out;
}
