/**
 * The milestone desk: officials list their unit's milestones, mark one done with a note, snooze
 * one, or add one, by chat. Administrators see all milestones and may act on any.
 */
import type { Actor } from '../cases/service.js';
import { addDays, daysBetween, shanghaiDate } from '../core/clock.js';
import type { KnowledgeBase } from '../knowledge/mod.js';
import type { Db } from '../store/db.js';
import { createMilestoneStore, type MilestoneRow } from '../store/milestones.js';
import { unitsOf } from './reminders.js';

/** Officials' milestone commands, as the dialog core calls them. */
export interface MilestoneDesk {
  list(actor: Actor, now: Date): string;
  done(actor: Actor, id: number, note: string, now: Date): string;
  snooze(actor: Actor, id: number, days: number, now: Date): string;
  add(actor: Actor, dueDate: string, title: string, now: Date): string;
}

/** A milestone in one line. */
export function milestoneLine(m: MilestoneRow, today: string): string {
  const d = daysBetween(today, m.dueDate);
  const when = m.status !== 'open' ? `【${m.status === 'done' ? '已完成' : '已取消'}】` : d < 0 ? `已逾期${-d}天` : `还有${d}天`;
  return `[#${m.id}] ${m.title}（截止 ${m.dueDate}，${when}${m.snoozedUntil && m.snoozedUntil > today ? `，暂缓至${m.snoozedUntil}` : ''}）`;
}

/** Creates the desk over the store; the knowledge base supplies the documents' milestones. */
export function createMilestoneDesk(db: Db, kb: KnowledgeBase): MilestoneDesk {
  const store = createMilestoneStore(db);
  store.sync(kb.milestones, new Date());
  const mayAct = (m: MilestoneRow, actor: { role: string; unit: string | null }) =>
    actor.role === 'admin' || (actor.unit !== null && unitsOf(m).includes(actor.unit));
  const who = (a: { channel: string; userId: string }) => `${a.channel}:${a.userId}`;
  return {
    list(actor, now) {
      const today = shanghaiDate(now);
      const list = store.list(actor.role === 'admin' ? {} : { unit: actor.unit ?? '—' }).filter((m) => m.status === 'open');
      if (list.length === 0) return '没有未完成的整改节点。';
      return `${actor.role === 'admin' ? '全部' : (actor.unit ?? '')}未完成的整改节点（${list.length}项）：\n${list.map((m) => milestoneLine(m, today)).join('\n')}`;
    },
    done(actor, id, note, now) {
      const m = store.get(id);
      if (!m) return `没有编号为 #${id} 的整改节点。`;
      if (!mayAct(m, actor)) return '这个整改节点不属于您的单位。';
      if (!note.trim()) return '请写上完成情况说明，例如：/done 12 已通过市级销号验收';
      store.setStatus(id, 'done', who(actor), note.trim(), now);
      return `已标记完成：#${id} ${m.title}`;
    },
    snooze(actor, id, days, now) {
      const m = store.get(id);
      if (!m) return `没有编号为 #${id} 的整改节点。`;
      if (!mayAct(m, actor)) return '这个整改节点不属于您的单位。';
      if (!Number.isInteger(days) || days < 1 || days > 90) return '暂缓天数应为1到90之间的整数，例如：/snooze 12 14';
      const until = addDays(shanghaiDate(now), days);
      store.snooze(id, until, who(actor), now);
      return `已暂缓提醒至 ${until}：#${id} ${m.title}`;
    },
    add(actor, dueDate, title, now) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(dueDate) || Number.isNaN(Date.parse(dueDate)))
        return '日期格式应为 YYYY-MM-DD，例如：/addmilestone 2027-06-30 完成石蟆镇养殖场粪污设施验收';
      if (title.trim().length < 4) return '请写上节点内容（至少4个字）。';
      if (!actor.unit) return '管理员请用命令行为指定单位添加节点。';
      const m = store.add({ title: title.trim(), dueDate, unit: actor.unit }, who(actor), now);
      return `已添加整改节点：${milestoneLine(m, shanghaiDate(now))}`;
    },
  };
}
