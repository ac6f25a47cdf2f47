/**
 * The milestone desk: officials list their unit's milestones, see one with its evidence, updates
 * and history, post a dated progress update, mark one done, reopen or drop it with a note, snooze
 * one, add one, and change the milestone a complaint case is linked to — by chat. Administrators
 * see all milestones and may act on any.
 */
import type { Category } from '../cases/categories.js';
import type { Actor, CaseService } from '../cases/service.js';
import { addDays, daysBetween, shanghaiDate, shanghaiDateTime } from '../core/clock.js';
import type { KnowledgeBase } from '../knowledge/mod.js';
import type { CaseRecord } from '../store/cases.js';
import type { Db } from '../store/db.js';
import type { MilestoneRow } from '../store/milestones.js';
import { createLedger, type Ledger } from './ledger.js';
import { handlerLabel } from './reminders.js';

/** Officials' milestone commands, as the dialog core calls them. */
export interface MilestoneDesk {
  list(actor: Actor, now: Date): string;
  show(actor: Actor, id: number, now: Date): string;
  done(actor: Actor, id: number, note: string, now: Date): string;
  reopen(actor: Actor, id: number, note: string, now: Date): string;
  drop(actor: Actor, id: number, note: string, now: Date): string;
  snooze(actor: Actor, id: number, days: number, now: Date, note?: string): string;
  add(actor: Actor, dueDate: string, title: string, now: Date): string;
  /** Posts a progress update; `text` may start with the date it speaks of (YYYY-MM-DD). */
  update(actor: Actor, id: number, text: string, now: Date): string;
  /** The line that shows a case's milestone link to officials, storing an automatic link the first time. */
  caseLink(c: CaseRecord, now: Date): string;
  /** Links a case to a milestone ("0"/"无": to none). */
  link(actor: Actor, c: CaseRecord, target: string, now: Date): string;
  ledger: Ledger;
}

/** What a milestone's state is, in a few words. */
export function stateLabel(m: MilestoneRow, today: string, ledger?: Ledger): string {
  if (m.status === 'done') return m.outcome === 'met' ? '【已完成·文件有记载】' : '【已完成】';
  if (m.status === 'cancelled') return '【已取消】';
  const d = daysBetween(today, m.dueDate);
  if (d >= 0) return `还有${d}天`;
  if (m.outcome === 'missed') return '已到期·文件记载未达标';
  if (ledger?.store.updates(m.id).some((u) => u.date >= m.dueDate)) return '已到期·已报告情况';
  return '已到期·待报告完成情况';
}

/** A milestone in one line. */
export function milestoneLine(m: MilestoneRow, today: string, ledger?: Ledger): string {
  const snoozed = m.status === 'open' && m.snoozedUntil && m.snoozedUntil > today ? `，暂缓至${m.snoozedUntil}` : '';
  return `[#${m.id}] ${m.title}（截止 ${m.dueDate}，${stateLabel(m, today, ledger)}${snoozed}）`;
}

const ACTION_WORDS: Record<string, string> = {
  imported: '导入',
  done: '标记完成',
  cancelled: '取消',
  reopened: '重新打开',
  snoozed: '暂缓提醒',
  assigned: '指定责任单位',
  added: '添加',
  merged: '合并',
  revised: '按文件更新',
  retired: '文件已删除此目标',
  update: '报告进展',
  linked: '关联举报',
};

/** Who did it, in words. */
export function actorLabel(actor: string): string {
  if (actor === 'documents') return '文件记载';
  if (actor === 'system') return '系统';
  if (actor === 'admin-cli') return '管理员（命令行）';
  return actor;
}

/** Creates the desk over the store; the knowledge base supplies the documents' milestones. */
export function createMilestoneDesk(db: Db, kb: KnowledgeBase, categories: Category[] = [], service?: CaseService): MilestoneDesk {
  const ledger = createLedger(db, categories);
  ledger.sync(kb.milestones, new Date());
  const titles = new Map(kb.documents.map((d) => [d.id, d.shortTitle]));
  const docTitle = (id: string) => titles.get(id) ?? id;
  const mayAct = (m: MilestoneRow, actor: { role: string; unit: string | null }) =>
    actor.role === 'admin' || (actor.unit !== null && ledger.handledBy(m, actor.unit));
  const who = (a: { channel: string; userId: string }) => `${a.channel}:${a.userId}`;
  const check = (actor: Actor, id: number): MilestoneRow | string => {
    const m = Number.isInteger(id) ? ledger.milestones.get(id) : null;
    if (!m || m.mergedInto !== null) return `没有编号为 #${Number.isNaN(id) ? '' : id} 的整改节点。发送 /milestones 查看节点号。`;
    if (!mayAct(m, actor)) return '这个整改节点不属于您的单位。';
    return m;
  };
  return {
    ledger,
    list(actor, now) {
      const today = shanghaiDate(now);
      const all = actor.role === 'admin' ? ledger.milestones.list() : ledger.forUnit(actor.unit ?? '—');
      const list = all.filter((m) => m.status === 'open');
      const done = all.length - list.length;
      if (list.length === 0) return `没有未完成的整改节点${done ? `（已完成或取消 ${done} 项）` : ''}。`;
      return `${actor.role === 'admin' ? '全部' : (actor.unit ?? '')}未完成的整改节点（${list.length}项${done ? `，另有已完成或取消 ${done} 项` : ''}）：\n${list
        .map((m) => milestoneLine(m, today, ledger))
        .join('\n')}\n发送 /milestone 节点号 查看详情；/update 节点号 内容 报告进展。`;
    },
    show(actor, id, now) {
      const m = ledger.milestones.get(id);
      if (!m || m.mergedInto !== null) return `没有编号为 #${id} 的整改节点。`;
      if (actor.role !== 'admin' && !(actor.unit && ledger.handledBy(m, actor.unit))) return '这个整改节点不属于您的单位。';
      const today = shanghaiDate(now);
      const lines = [milestoneLine(m, today, ledger)];
      if (m.text && m.text !== m.title) lines.push(`原文：${m.text}`);
      lines.push(`责任单位：${handlerLabel(ledger.handlers(m))}${m.unit ? `（文件写明：${m.unit}）` : ''}`);
      if (m.sources.length) lines.push(`出处：${m.sources.map((s) => `${docTitle(s.document)}${s.locator}`).join('；')}`);
      if (m.evidence)
        lines.push(
          `文件记载的结果：${m.evidence.outcome === 'met' ? '已达到' : '未达到'}（${m.evidence.reason}；${docTitle(m.evidence.document)}${m.evidence.locator}：${m.evidence.text}）`,
        );
      else if (m.origin === 'corpus') lines.push('文件记载的结果：未报告');
      const updates = ledger.store.updates(m.id);
      if (updates.length) {
        lines.push(`进展（${updates.length}条，最新在前）：`);
        for (const u of updates.slice(0, 5)) lines.push(`${u.date}${u.unit ? ` ${u.unit}` : ''}：${u.text}`);
      }
      const cases = ledger.store.linkedCaseCount([m.key]);
      if (cases) lines.push(`关联举报：${cases}件`);
      lines.push('处理记录：');
      for (const e of ledger.milestones.events(m.id).slice(-10))
        lines.push(
          `${shanghaiDateTime(new Date(e.at))} ${actorLabel(e.actor)} ${ACTION_WORDS[e.action] ?? e.action}${e.note ? `：${e.note}` : ''}`,
        );
      return lines.join('\n');
    },
    done(actor, id, note, now) {
      const m = check(actor, id);
      if (typeof m === 'string') return m;
      if (!note.trim()) return '请写上完成情况说明，例如：/done 12 已通过市级销号验收';
      ledger.milestones.setStatus(m.id, 'done', who(actor), note.trim(), now);
      return `已标记完成：#${m.id} ${m.title}`;
    },
    reopen(actor, id, note, now) {
      const m = check(actor, id);
      if (typeof m === 'string') return m;
      if (!note.trim()) return '请写上重新打开的理由，例如：/reopen 12 群众反映问题反弹';
      if (m.status === 'open') return `#${m.id} 本来就是未完成状态。`;
      ledger.milestones.setStatus(m.id, 'open', who(actor), note.trim(), now);
      return `已重新打开：#${m.id} ${m.title}`;
    },
    drop(actor, id, note, now) {
      const m = check(actor, id);
      if (typeof m === 'string') return m;
      if (!note.trim()) return '请写上取消的理由，例如：/drop 12 任务已由市级统一调整';
      ledger.milestones.setStatus(m.id, 'cancelled', who(actor), note.trim(), now);
      return `已取消：#${m.id} ${m.title}`;
    },
    snooze(actor, id, days, now, note = '') {
      const m = check(actor, id);
      if (typeof m === 'string') return m;
      if (!Number.isInteger(days) || days < 1 || days > 90) return '暂缓天数应为1到90之间的整数，例如：/snooze 12 14';
      const until = addDays(shanghaiDate(now), days);
      ledger.milestones.snooze(m.id, until, who(actor), now, note.trim() || null);
      return `已暂缓提醒至 ${until}：#${m.id} ${m.title}`;
    },
    add(actor, dueDate, title, now) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(dueDate) || Number.isNaN(Date.parse(dueDate)))
        return '日期格式应为 YYYY-MM-DD，例如：/addmilestone 2027-06-30 完成石蟆镇养殖场粪污设施验收';
      if (title.trim().length < 4) return '请写上节点内容（至少4个字）。';
      if (!actor.unit) return '管理员请用命令行为指定单位添加节点。';
      const m = ledger.milestones.add({ title: title.trim(), dueDate, unit: actor.unit }, who(actor), now);
      return `已添加整改节点：${milestoneLine(m, shanghaiDate(now))}`;
    },
    update(actor, id, text, now) {
      const m = check(actor, id);
      if (typeof m === 'string') return m;
      const dated = /^(\d{4}-\d{2}-\d{2})\s+([\s\S]*)$/.exec(text.trim());
      const date = dated?.[1] ?? shanghaiDate(now);
      const body = (dated?.[2] ?? text).trim();
      if (Number.isNaN(Date.parse(date)) || date > shanghaiDate(now)) return '进展日期应为今天或以前的 YYYY-MM-DD。';
      if (body.length < 4) return `请写上进展内容（至少4个字），例如：/update ${m.id} 已完成全部养殖场尾水检测`;
      const u = ledger.update(m, { text: body.slice(0, 1000), date, unit: actor.unit, author: who(actor), via: 'chat' }, now);
      return `已记录 #${m.id}「${m.title}」的进展（${u.date}${u.unit ? `，${u.unit}` : ''}）。${
        m.status === 'open' && m.dueDate < shanghaiDate(now) ? '如已全部完成，可再发送 /done 节点号 说明。' : ''
      }`;
    },
    caseLink(c, now) {
      const link = ledger.linkOf(c, now);
      const m = link.milestoneId !== null ? ledger.milestones.get(link.milestoneId) : null;
      const how = link.linkedBy === 'auto' ? '自动关联' : '人工关联';
      if (!m) return `关联整改节点：无（${how}；可用 /link ${c.ticket} 节点号 关联）`;
      return `关联整改节点：#${m.id} ${m.title}（${how}；可用 /link ${c.ticket} 节点号 修改，/link ${c.ticket} 0 取消关联）`;
    },
    link(actor, c, target, now) {
      if (service && !service.visibleTo(c.ticket, actor)) return `没有找到 ${c.ticket}，或这件举报不由您的单位办理。`;
      const t = target.trim().replace(/^#/, '');
      if (/^(0|无|none)$/i.test(t)) {
        ledger.setLink(c, null, who(actor), now);
        return `已取消 ${c.ticket} 与整改节点的关联。`;
      }
      const m = ledger.milestones.get(Number(t));
      if (!/^\d+$/.test(t) || !m || m.mergedInto !== null) return `请写上节点号，例如：/link ${c.ticket} 5（发送 /milestones 查看节点号）`;
      ledger.setLink(c, m.id, who(actor), now);
      return `已把 ${c.ticket} 关联到整改节点 #${m.id} ${m.title}。`;
    },
  };
}
