/**
 * Officials' side of the dialog: their unit's open cases, a case's details and history, and the
 * actions that move a case through its lifecycle. A citizen never reaches these: the router checks
 * the role bound to the chat identity by an invite code.
 */

import type { Action } from '../../cases/lifecycle.js';
import { type Actor, type CaseService, phoneFor } from '../../cases/service.js';
import { ticketIn } from '../../cases/ticket.js';
import { shanghaiDateTime } from '../../core/clock.js';
import { button, type CaseStatus, STATUS } from '../../core/domain.js';
import { maskOrNull, maskPhonesIn } from '../../core/mask.js';
import { type Lang, messages } from '../../core/messages/index.js';
import type { CasePort, CaseRecord } from '../../store/ports.js';
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
  cases: CasePort;
  /** The line that shows which milestone a case is linked to (the milestone desk supplies it). */
  caseLink?: (c: CaseRecord, now: Date, lang?: Lang) => Promise<string>;
}

/** Statuses in which the handling unit works on a case. */
const IN_HAND: CaseStatus[] = [STATUS.accepted, STATUS.dispatched, STATUS.inProgress, STATUS.reopened];

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
export function caseLine(c: CaseRecord & { overdue?: boolean }, service: CaseService, lang: Lang = 'zh'): string {
  const say = messages(lang);
  const o = say.officials;
  const due = c.status === '待受理' ? o.acceptDue(fmtDue(c.acceptDue)) : o.completeDue(fmtDue(c.completeDue));
  return `${c.overdue ? o.overdueMark : ''}${c.ticket} ${say.status[c.status] ?? c.status} ${service.categoryName(c.category, lang)} ${c.town ?? c.address ?? ''} ${due}`
    .replace(/\s+/g, ' ')
    .trim();
}

/** The unit's open cases, overdue first. */
export async function listUnitCases(actor: Actor, ctx: OfficialsContext, now: Date, lang: Lang = 'zh'): Promise<Reply> {
  const o = messages(lang).officials;
  if (!actor.unit) return { text: o.noUnit };
  const open = await ctx.service.openForUnit(actor.unit, now);
  if (open.length === 0) return { text: o.noOpenCases(actor.unit) };
  const overdue = open.filter((c) => c.overdue).length;
  const shown = open.slice(0, 20);
  return {
    text: o.openCases(
      actor.unit,
      open.length,
      overdue,
      shown.map((c) => caseLine(c, ctx.service, lang)).join('\n'),
      open.length - shown.length,
    ),
    choices: shown.slice(0, 5).map((c) => [button(o.viewButton(c.ticket), `case:${c.ticket}`)]),
  };
}

/** A case as an official (or administrator) sees it, with the actions open to them. */
export async function showCase(ticket: string, actor: Actor, ctx: OfficialsContext, now: Date, lang: Lang = 'zh'): Promise<Reply> {
  const say = messages(lang);
  const o = say.officials;
  const st = (s: string) => say.status[s] ?? s;
  const c = await ctx.service.visibleTo(ticket, actor);
  if (!c) return { text: o.notYours(ticket) };
  const dups = await ctx.service.possibleDuplicates(c);
  // Free text may hold a phone number too: in full only where the reporter's phone may be shown.
  const full = ctx.service.mayseePhone(c, actor);
  const free = (t: string | null) => (full ? t : maskOrNull(t));
  const where = [c.town, free(c.address), c.lat !== null ? o.point(c.lat.toFixed(5), String(c.lon?.toFixed(5))) : null]
    .filter(Boolean)
    .join(o.placeSep);
  const lines = [
    o.caseTitle(c.ticket, st(c.status), ctx.service.categoryName(c.category, lang)),
    o.unit(c.unit),
    o.place(where),
    o.situation(free(c.description)),
    o.since(free(c.since)),
    o.photos(c.photos.length, c.photos.length ? say.photos.viewHint(c.ticket) : ''),
    o.phone(phoneFor(c, full), !full && !!actor.inGroup && !c.anonymous && !!c.phone),
    o.filed(shanghaiDateTime(new Date(c.createdAt)), fmtDue(c.acceptDue), fmtDue(c.completeDue)),
  ];
  if (c.duplicateOf) lines.push(o.duplicateOf(c.duplicateOf));
  if (c.refuseReason) lines.push(o.refused(free(c.refuseReason), c.referTo));
  if (c.satisfaction) lines.push(o.rating(o.satisfaction[c.satisfaction] ?? c.satisfaction));
  if (ctx.caseLink) lines.push(await ctx.caseLink(c, now, lang));
  // Another unit's cases are named by unit and status only: their ticket numbers are not this unit's to know.
  const mayName = (d: CaseRecord) => actor.role === 'admin' || d.unit === actor.unit;
  if (dups.length)
    lines.push(
      o.duplicates(dups.map((d) => (mayName(d) ? o.duplicateItem(d.ticket, st(d.status)) : o.otherUnitsCase(d.unit, st(d.status))))),
    );
  const overdue = (await ctx.service.openForUnit(c.unit, now)).find((x) => x.id === c.id)?.overdue;
  if (overdue) lines.push(o.overdue);
  const buttons: Choice[] = [];
  const add = (label: string, action: Action) => buttons.push(button(label, `act:${action}:${c.ticket}`));
  const b = o.buttons;
  if (c.status === STATUS.submitted) {
    add(b.accept, 'accept');
    add(b.refuse, 'refuse');
    add(b.duplicate, 'duplicate');
  } else if (IN_HAND.includes(c.status)) {
    add(b.dispatch, 'dispatch');
    add(b.progress, 'progress');
    add(b.close, 'close');
  }
  buttons.push(button(b.history, `history:${c.ticket}`));
  if (c.photos.length) buttons.push(button(b.photos(c.photos.length), `photos:${c.ticket}`));
  return { text: lines.join('\n'), choices: [buttons.slice(0, 3), buttons.slice(3)].filter((r) => r.length) };
}

/** A case's history of transitions. */
export async function showHistory(
  ticket: string,
  actor: Actor,
  ctx: OfficialsContext,
  forCitizen: boolean,
  lang: Lang = 'zh',
): Promise<Reply> {
  const say = messages(lang);
  const c = await ctx.service.visibleTo(ticket, actor);
  if (!c) return { text: say.officials.notVisible(ticket) };
  const events = await ctx.cases.events(c.id);
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
export async function showPhotos(ticket: string, actor: Actor, ctx: OfficialsContext, lang: Lang = 'zh'): Promise<Reply> {
  const say = messages(lang);
  const c = actor.role === 'citizen' ? null : await ctx.service.visibleTo(ticket, actor);
  if (!c) return { text: say.officials.notYours(ticket) };
  if (c.photos.length === 0) return { text: say.photos.none(c.ticket) };
  return { text: say.officials.photosTitle(c.ticket, c.photos.length), photos: c.photos.map((p) => `${c.ticket}#${p}`) };
}

/**
 * Takes an action with its note. `args` is what follows the ticket in a typed command; for refusal
 * "理由 | 去向", for a duplicate the original's ticket.
 */
export async function takeAction(
  action: Action,
  ticket: string,
  args: string,
  actor: Actor,
  ctx: OfficialsContext,
  now: Date,
  lang: Lang = 'zh',
): Promise<Reply> {
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
  const r = await ctx.service.act(ticket, action, actor, note, now, extra);
  if (!r.ok) return { text: r.say ? r.say(lang) : r.message };
  const say = messages(lang);
  return {
    text: say.officials.acted(r.case.ticket, say.status[r.case.status] ?? r.case.status, action === 'recategorize' ? r.case.unit : null),
  };
}

/** The prompt for an action that needs a note, or null when it needs none. */
export function actionPrompt(action: Action, lang: Lang = 'zh'): string | null {
  return messages(lang).officials.prompts[action] ?? null;
}
