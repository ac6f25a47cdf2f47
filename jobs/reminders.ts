/**
 * Milestone reminders: which nudges are due at a moment (lead-time nudges before a deadline, weekly
 * overdue notices after it), batched into one message per unit, each (milestone, unit, kind,
 * period) recorded in the same transaction that decides to send it — so a restart or a second
 * scheduler never sends it again, and the first run after a long pause sends one notice per
 * milestone rather than a flood of backdated ones.
 */
import { daysBetween, shanghaiDate } from '../core/clock.js';
import type { Db } from '../store/db.js';
import type { MilestoneRow, MilestoneStore } from '../store/milestones.js';
import type { OutboxStore } from '../store/outbox.js';
import type { PeopleStore } from '../store/people.js';
import { isWorkday, type WorkCalendar } from './calendar.js';

/** Settings of the reminders. */
export interface ReminderOptions {
  /** Days before a deadline at which to nudge, e.g. [90, 30, 7, 1]. */
  leadDays: number[];
  calendar: WorkCalendar;
}

/** Nudges of this many days or more wait for a working day; nearer ones are urgent. */
export const URGENT_WITHIN_DAYS = 7;

/** The name under which milestones without a unit go to the administrators. */
export const ADMINS = '管理员';

/** One nudge about one milestone for one unit. */
export interface ReminderItem {
  milestone: MilestoneRow;
  unit: string;
  kind: 'lead' | 'overdue';
  period: string;
  /** Days until the due date; negative when overdue. */
  days: number;
}

/** A message to a unit's chat, as it would be sent. */
export interface PlannedMessage {
  unit: string;
  channel: string | null;
  chatId: string | null;
  kind: 'reminder' | 'digest';
  milestones: Array<{ id: number; title: string; dueDate: string }>;
  text: string;
}

/** The units a milestone names ("区农业农村委、区生态环境局" is two). */
export function unitsOf(m: MilestoneRow): string[] {
  return m.unit
    ? m.unit
        .split(/[、,，;；]/)
        .map((u) => u.trim())
        .filter(Boolean)
    : [ADMINS];
}

/** The nudges due today for the milestones, before removing those already sent. Pure. */
export function dueItems(today: string, milestones: MilestoneRow[], opts: ReminderOptions): ReminderItem[] {
  const workday = isWorkday(today, opts.calendar);
  const leads = [...opts.leadDays].sort((a, b) => a - b);
  const items: ReminderItem[] = [];
  for (const m of milestones) {
    if (m.status !== 'open') continue;
    if (m.snoozedUntil && m.snoozedUntil > today) continue;
    const days = daysBetween(today, m.dueDate);
    let kind: ReminderItem['kind'];
    let period: string;
    if (days >= 0) {
      // The nearest lead window the milestone is in: at 5 days left that is the 7-day nudge, and
      // the 90- and 30-day nudges it missed are not sent late.
      const lead = leads.find((l) => days <= l);
      if (lead === undefined) continue;
      if (lead >= URGENT_WITHIN_DAYS && !workday) continue;
      kind = 'lead';
      period = `lead-${lead}`;
    } else {
      if (!workday) continue;
      kind = 'overdue';
      period = `overdue-w${Math.floor((-days - 1) / 7)}`;
    }
    for (const unit of unitsOf(m)) items.push({ milestone: m, unit, kind, period, days });
  }
  return items;
}

/** One line of a reminder. */
export function itemLine(i: ReminderItem, documentTitle: (id: string) => string): string {
  const m = i.milestone;
  const src = m.document ? `来源：${documentTitle(m.document)}${m.locator ?? ''}` : '来源：办理单位添加';
  const unit = `责任单位：${m.unit ?? '未指定（请管理员指定）'}`;
  if (i.kind === 'lead') {
    return `[#${m.id}] 距「${m.title}」还有${i.days}天（截止 ${m.dueDate}；${unit}；${src}）`;
  }
  return `[#${m.id}] 「${m.title}」已逾期 ${-i.days} 天，请更新整改进度或申请销号（截止 ${m.dueDate}；${unit}；${src}）`;
}

/** The text of one unit's reminder message. */
export function reminderText(unit: string, items: ReminderItem[], documentTitle: (id: string) => string): string {
  const head =
    unit === ADMINS ? `【整改节点提醒】以下节点未指定责任单位（${items.length}项）` : `【整改节点提醒】${unit}（${items.length}项）`;
  const tail =
    unit === ADMINS
      ? '请用 npm run admin -- milestone assign 编号 单位 指定责任单位。'
      : '发送 /milestones 查看本单位节点；/done 编号 说明 标记完成；/snooze 编号 天数 暂缓提醒。';
  return [head, ...items.map((i) => itemLine(i, documentTitle)), tail].join('\n');
}

/** What running the reminders needs. */
export interface ReminderDeps {
  db: Db;
  milestones: MilestoneStore;
  outbox: OutboxStore;
  people: PeopleStore;
  documentTitle: (id: string) => string;
}

/**
 * Decides and records the reminders due at `now` and puts their messages in the outbox, in one
 * transaction. With `dryRun` nothing is recorded: the messages are only returned.
 */
export function runReminders(deps: ReminderDeps, now: Date, opts: ReminderOptions, dryRun = false): PlannedMessage[] {
  const today = shanghaiDate(now);
  const seen = deps.db.prepare('SELECT 1 FROM reminder_log WHERE milestone_id = ? AND unit = ? AND kind = ? AND period = ?');
  const log = deps.db.prepare(
    'INSERT INTO reminder_log (milestone_id, unit, kind, period, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const tx = deps.db.transaction((): PlannedMessage[] => {
    const fresh = dueItems(today, deps.milestones.list({ status: 'open' }), opts).filter(
      (i) => seen.get(i.milestone.id, i.unit, i.kind, i.period) === undefined,
    );
    const byUnit = new Map<string, ReminderItem[]>();
    for (const i of fresh) byUnit.set(i.unit, [...(byUnit.get(i.unit) ?? []), i]);
    const out: PlannedMessage[] = [];
    for (const [unit, items] of byUnit) {
      items.sort((a, b) => a.days - b.days);
      const text = reminderText(unit, items, deps.documentTitle);
      const targets = unit === ADMINS ? deps.people.adminTargets() : deps.people.targets(unit);
      const milestones = items.map((i) => ({ id: i.milestone.id, title: i.milestone.title, dueDate: i.milestone.dueDate }));
      const batch = items.map((i) => `${i.milestone.id}:${i.kind}:${i.period}`).join(',');
      for (const t of targets.length ? targets : [{ channel: null, chatId: null }]) {
        out.push({ unit, channel: t.channel, chatId: t.chatId, kind: 'reminder', milestones, text });
        if (!dryRun) {
          deps.outbox.enqueue(
            {
              dedupeKey: `reminder:${today}:${unit}:${t.channel}:${t.chatId}:${batch}`,
              channel: t.channel,
              chatId: t.chatId,
              unit,
              kind: 'reminder',
              text,
            },
            now,
          );
        }
      }
      if (!dryRun) for (const i of items) log.run(i.milestone.id, i.unit, i.kind, i.period, now.toISOString());
    }
    return out;
  });
  if (!dryRun) return tx.immediate();
  // A dry run reads inside a transaction that is always rolled back.
  let planned: PlannedMessage[] = [];
  try {
    deps.db.transaction(() => {
      planned = tx();
      throw new DryRun();
    })();
  } catch (e) {
    if (!(e instanceof DryRun)) throw e;
  }
  return planned;
}

class DryRun extends Error {}
