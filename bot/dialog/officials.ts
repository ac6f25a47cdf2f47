/**
 * Officials' side of the dialog: their unit's open cases, a case's details and history, and the
 * actions that move a case through its lifecycle. A citizen never reaches these: the router checks
 * the role bound to the chat identity by an invite code.
 */

import type { Action } from '../../cases/lifecycle.js';
import { type Actor, type CaseService, phoneFor } from '../../cases/service.js';
import { ticketIn } from '../../cases/ticket.js';
import { shanghaiDateTime } from '../../core/clock.js';
import { maskOrNull, maskPhonesIn } from '../../core/mask.js';
import { type Lang, messages } from '../../core/messages/index.js';
import type { CaseRecord, CaseStore } from '../../store/cases.js';
import type { Choice, Reply } from './types.js';

/** A pending official action that waits for its note ("请输入办结结果"). */
export interface OfficialState {
  flow: 'official';
  action: Action;
  ticket: string;
  lang?: Lang;
}

/** What the officials' commands need. */
export interface OfficialsContext {
  service: CaseService;
  cases: CaseStore;
  /** The line that shows which milestone a case is linked to (the milestone desk supplies it). */
  caseLink?: (c: CaseRecord, now: Date) => string;
}

const ACTION_PROMPTS: Partial<Record<Action, string>> = {
  refuse: '请输入不予受理的理由；如应向其他部门反映，用“|”隔开写上部门，例如：不属于环境问题 | 区住房城乡建委',
  duplicate: '请输入与之重复的原举报编号（JJ-…）：',
  dispatch: '请输入派往的单位或承办人：',
  progress: '请输入办理进展：',
  close: '请输入办理结果（将告知举报人）：',
  recategorize: '请输入新的类别名称：',
};

/** The commands officials type, mapped to actions. */
export const COMMAND_ACTIONS: Record<string, Action> = {
  accept: 'accept',
  受理: 'accept',
  refuse: 'refuse',
  不予受理: 'refuse',
  dup: 'duplicate',
  重复: 'duplicate',
  dispatch: 'dispatch',
  派单: 'dispatch',
  progress: 'progress',
  进展: 'progress',
  close: 'close',
  办结: 'close',
  recat: 'recategorize',
  改类: 'recategorize',
};

function fmtDue(iso: string | null): string {
  return iso ? shanghaiDateTime(new Date(iso)).slice(0, 10) : '—';
}

/** One line of a case in a listing. */
export function caseLine(c: CaseRecord & { overdue?: boolean }, service: CaseService): string {
  const due = c.status === '待受理' ? `受理时限 ${fmtDue(c.acceptDue)}` : `办结时限 ${fmtDue(c.completeDue)}`;
  return `${c.overdue ? '⚠️逾期 ' : ''}${c.ticket} ${c.status} ${service.categoryName(c.category)} ${c.town ?? c.address ?? ''} ${due}`
    .replace(/\s+/g, ' ')
    .trim();
}

/** The unit's open cases, overdue first. */
export function listUnitCases(actor: Actor, ctx: OfficialsContext, now: Date): Reply {
  if (!actor.unit) return { text: '您的账号没有绑定单位，请联系管理员。' };
  const open = ctx.service.openForUnit(actor.unit, now);
  if (open.length === 0) return { text: `${actor.unit}目前没有待办举报。` };
  const overdue = open.filter((c) => c.overdue).length;
  const shown = open.slice(0, 20);
  return {
    text: `${actor.unit}待办举报 ${open.length} 件${overdue ? `（逾期 ${overdue} 件）` : ''}：\n${shown.map((c) => caseLine(c, ctx.service)).join('\n')}${open.length > shown.length ? `\n……另有 ${open.length - shown.length} 件` : ''}`,
    choices: shown.slice(0, 5).map((c) => [{ label: `查看 ${c.ticket}`, value: `case:${c.ticket}` }]),
  };
}

/** A case as an official (or administrator) sees it, with the actions open to them. */
export function showCase(ticket: string, actor: Actor, ctx: OfficialsContext, now: Date): Reply {
  const c = ctx.service.visibleTo(ticket, actor);
  if (!c) return { text: `没有找到 ${ticket}，或这件举报不由您的单位办理。` };
  const dups = ctx.service.possibleDuplicates(c);
  // Free text may hold a phone number too: in full only where the reporter's phone may be shown.
  const full = ctx.service.mayseePhone(c, actor);
  const free = (t: string | null) => (full ? t : maskOrNull(t));
  const where = [c.town, free(c.address), c.lat !== null ? `定位 ${c.lat.toFixed(5)}, ${c.lon?.toFixed(5)}` : null]
    .filter(Boolean)
    .join('，');
  const lines = [
    `${c.ticket}【${c.status}】${ctx.service.categoryName(c.category)}`,
    `办理单位：${c.unit}`,
    `地点：${where || '未提供'}`,
    `情况：${free(c.description)}`,
    `开始时间：${free(c.since) ?? '未说明'}`,
    `照片：${c.photos.length}张${c.photos.length ? messages('zh').photos.viewHint(c.ticket) : ''}`,
    `举报人电话：${phoneFor(c, full)}${!full && actor.inGroup && !c.anonymous && c.phone ? '（群聊中不显示完整号码，请私聊查看）' : ''}`,
    `提交：${shanghaiDateTime(new Date(c.createdAt))}；受理时限 ${fmtDue(c.acceptDue)}；办结时限 ${fmtDue(c.completeDue)}`,
  ];
  if (c.duplicateOf) lines.push(`重复于：${c.duplicateOf}`);
  if (c.refuseReason) lines.push(`不予受理理由：${free(c.refuseReason)}${c.referTo ? `；请向${c.referTo}反映` : ''}`);
  if (c.satisfaction) lines.push(`评价：${c.satisfaction}`);
  if (ctx.caseLink) lines.push(ctx.caseLink(c, now));
  // Another unit's cases are named by unit and status only: their ticket numbers are not this unit's to know.
  const mayName = (d: CaseRecord) => actor.role === 'admin' || d.unit === actor.unit;
  if (dups.length)
    lines.push(
      `可能重复：${dups.map((d) => (mayName(d) ? `${d.ticket}（${d.status}）` : `${d.unit}办理的一件举报（${d.status}）`)).join('、')}`,
    );
  const overdue = ctx.service.openForUnit(c.unit, now).find((x) => x.id === c.id)?.overdue;
  if (overdue) lines.push('⚠️ 已超过办理时限');
  const buttons: Choice[] = [];
  const add = (label: string, action: string) => buttons.push({ label, value: `act:${action}:${c.ticket}` });
  if (c.status === '待受理') {
    add('受理', 'accept');
    add('不予受理', 'refuse');
    add('标记重复', 'duplicate');
  } else if (['已受理', '已派单', '办理中', '重新办理'].includes(c.status)) {
    add('派单', 'dispatch');
    add('办理进展', 'progress');
    add('办结', 'close');
  }
  buttons.push({ label: '处理记录', value: `history:${c.ticket}` });
  if (c.photos.length) buttons.push({ label: `照片（${c.photos.length}）`, value: `photos:${c.ticket}` });
  return { text: lines.join('\n'), choices: [buttons.slice(0, 3), buttons.slice(3)].filter((r) => r.length) };
}

/** A case's history of transitions. */
export function showHistory(ticket: string, actor: Actor, ctx: OfficialsContext, forCitizen: boolean, lang: Lang = 'zh'): Reply {
  const c = ctx.service.visibleTo(ticket, actor);
  if (!c) return { text: `没有找到 ${ticket}，或您无权查看。` };
  const say = messages(forCitizen ? lang : 'zh');
  const events = ctx.cases.events(c.id);
  const full = ctx.service.mayseePhone(c, actor) || (forCitizen && actor.role === 'citizen');
  // Roles in words (never "citizen"/"official"), times in Asia/Shanghai.
  const who = (role: string) => (forCitizen ? say.roles[role] : say.staffRoles[role]) ?? role;
  const st = (s: string) => say.status[s] ?? s;
  return {
    text: `${say.historyTitle(c.ticket)}\n${events
      .map(
        (e) =>
          `${shanghaiDateTime(new Date(e.at))} ${who(e.actorRole)} ${e.fromStatus ? `${st(e.fromStatus)}→` : ''}${st(e.toStatus)}${e.note ? `${say.lang === 'en' ? ': ' : '：'}${full ? e.note : maskPhonesIn(e.note)}` : ''}`,
      )
      .join('\n')}`,
  };
}

/** A case's photos for the officials of its unit and administrators: one reply carrying the photo references. */
export function showPhotos(ticket: string, actor: Actor, ctx: OfficialsContext): Reply {
  const c = actor.role === 'citizen' ? null : ctx.service.visibleTo(ticket, actor);
  if (!c) return { text: `没有找到 ${ticket}，或这件举报不由您的单位办理。` };
  if (c.photos.length === 0) return { text: messages('zh').photos.none(c.ticket) };
  return { text: `${c.ticket} 现场照片 ${c.photos.length} 张：`, photos: c.photos.map((p) => `${c.ticket}#${p}`) };
}

/**
 * Takes an action with its note. `args` is what follows the ticket in a typed command; for refusal
 * "理由 | 去向", for a duplicate the original's ticket.
 */
export function takeAction(action: Action, ticket: string, args: string, actor: Actor, ctx: OfficialsContext, now: Date): Reply {
  let note: string | null = args.trim() || null;
  const extra: { duplicateOf?: string; referTo?: string; category?: string } = {};
  if (action === 'refuse' && note) {
    const [reason, referTo] = note.split(/[|｜]/).map((x) => x.trim());
    note = reason || null;
    if (referTo) extra.referTo = referTo;
  }
  if (action === 'duplicate') {
    const orig = ticketIn(args);
    if (orig) extra.duplicateOf = orig;
    note = args.replace(/jj-?\d{8}-?\w{5}/i, '').trim() || null;
  }
  if (action === 'recategorize') {
    extra.category = args.trim();
    note = null;
  }
  const r = ctx.service.act(ticket, action, actor, note, now, extra);
  if (!r.ok) return { text: r.message };
  return { text: `已办理：${r.case.ticket} 现为「${r.case.status}」${action === 'recategorize' ? `，由${r.case.unit}办理` : ''}。` };
}

/** The prompt for an action that needs a note, or null when it needs none. */
export function actionPrompt(action: Action): string | null {
  return ACTION_PROMPTS[action] ?? null;
}
