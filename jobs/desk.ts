/**
 * The milestone desk: officials list their unit's milestones, see one with its evidence, updates
 * and history, post a dated progress update, mark one done, reopen or drop it with a note, snooze
 * one, add one, and change the milestone a complaint case is linked to — by chat. Administrators
 * see all milestones and may act on any.
 */
import type { Actor, CaseService } from '../cases/service.js';
import { addDays, daysBetween, shanghaiDate, shanghaiDateTime } from '../core/clock.js';
import { type Lang, messages } from '../core/messages/index.js';
import type { KnowledgeBase } from '../knowledge/mod.js';
import type { CaseRecord, MilestoneRow } from '../store/ports.js';
import type { Ledger } from './ledger.js';
import { handlerLabel } from './reminders.js';

/** Officials' milestone commands, as the dialog core calls them. */
export interface MilestoneDesk {
  // Each reply is in `lang` (the official's chat language; Chinese when not given).
  list(actor: Actor, now: Date, lang?: Lang): Promise<string>;
  show(actor: Actor, id: number, now: Date, lang?: Lang): Promise<string>;
  done(actor: Actor, id: number, note: string, now: Date, lang?: Lang): Promise<string>;
  reopen(actor: Actor, id: number, note: string, now: Date, lang?: Lang): Promise<string>;
  drop(actor: Actor, id: number, note: string, now: Date, lang?: Lang): Promise<string>;
  snooze(actor: Actor, id: number, days: number, now: Date, note?: string, lang?: Lang): Promise<string>;
  add(actor: Actor, dueDate: string, title: string, now: Date, lang?: Lang): Promise<string>;
  /** Posts a progress update; `text` may start with the date it speaks of (YYYY-MM-DD). */
  update(actor: Actor, id: number, text: string, now: Date, lang?: Lang): Promise<string>;
  /** The line that shows a case's milestone link to officials, storing an automatic link the first time. */
  caseLink(c: CaseRecord, now: Date, lang?: Lang): Promise<string>;
  /** Links a case to a milestone ("0"/"无": to none). */
  link(actor: Actor, c: CaseRecord, target: string, now: Date, lang?: Lang): Promise<string>;
  ledger: Ledger;
}

/** Whether a unit reported on a past-due milestone since its due date (what its state label says). */
export async function reportedSinceDue(m: MilestoneRow, ledger: Ledger): Promise<boolean> {
  return (await ledger.store.updates(m.id)).some((u) => u.date >= m.dueDate);
}

/** What a milestone's state is, in a few words; `reported`: an update since the due date is on record. */
export function stateLabel(m: MilestoneRow, today: string, reported = false, lang: Lang = 'zh'): string {
  const w = messages(lang).milestones.state;
  if (m.status === 'done') return m.outcome === 'met' ? w.doneMet : w.done;
  if (m.status === 'cancelled') return w.cancelled;
  const d = daysBetween(today, m.dueDate);
  if (d >= 0) return w.daysLeft(d);
  if (m.outcome === 'missed') return w.missed;
  if (reported) return w.reported;
  return w.unreported;
}

/** A milestone in one line. */
export function milestoneLine(m: MilestoneRow, today: string, reported = false, lang: Lang = 'zh'): string {
  const w = messages(lang).milestones;
  const snoozed = m.status === 'open' && m.snoozedUntil && m.snoozedUntil > today ? w.snoozedUntil(m.snoozedUntil) : '';
  return w.line(m.id, m.title, m.dueDate, stateLabel(m, today, reported, lang), snoozed);
}

/** Who did it, in words. */
export function actorLabel(actor: string, lang: Lang = 'zh'): string {
  return messages(lang).milestones.actors[actor] ?? actor;
}

/**
 * Creates the desk over the ledger (the composition root has synchronised the documents' milestones
 * into the store); the knowledge base in use names the documents.
 */
export function createMilestoneDesk(ledger: Ledger, kb: () => KnowledgeBase, service?: CaseService): MilestoneDesk {
  const docTitle = (id: string) => kb().documents.find((d) => d.id === id)?.shortTitle ?? id;
  const mayAct = async (m: MilestoneRow, actor: { role: string; unit: string | null }) =>
    actor.role === 'admin' || (actor.unit !== null && (await ledger.handledBy(m, actor.unit)));
  const who = (a: { channel: string; userId: string }) => `${a.channel}:${a.userId}`;
  const check = async (actor: Actor, id: number, lang: Lang): Promise<MilestoneRow | string> => {
    const w = messages(lang).milestones;
    const m = Number.isInteger(id) ? await ledger.milestones.get(id) : null;
    if (!m || m.mergedInto !== null) return w.noSuch(Number.isNaN(id) ? '' : String(id));
    if (!(await mayAct(m, actor))) return w.notYours;
    return m;
  };
  const line = async (m: MilestoneRow, today: string, lang: Lang) =>
    milestoneLine(m, today, m.status === 'open' && m.dueDate < today && (await reportedSinceDue(m, ledger)), lang);
  return {
    ledger,
    async list(actor, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const today = shanghaiDate(now);
      const all = actor.role === 'admin' ? await ledger.milestones.list() : await ledger.forUnit(actor.unit ?? '—');
      const list = all.filter((m) => m.status === 'open');
      const done = all.length - list.length;
      if (list.length === 0) return w.noneOpen(done);
      return w.openList(
        actor.role === 'admin' ? w.all : (actor.unit ?? ''),
        list.length,
        done,
        (await Promise.all(list.map((m) => line(m, today, lang)))).join('\n'),
      );
    },
    async show(actor, id, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = await ledger.milestones.get(id);
      if (!m || m.mergedInto !== null) return w.noSuchShort(id);
      if (actor.role !== 'admin' && !(actor.unit && (await ledger.handledBy(m, actor.unit)))) return w.notYours;
      const today = shanghaiDate(now);
      const lines = [await line(m, today, lang)];
      if (m.text && m.text !== m.title) lines.push(w.text(m.text));
      lines.push(w.handlers(handlerLabel(await ledger.handlers(m), lang), m.unit));
      if (m.sources.length) lines.push(w.sources(m.sources.map((s) => `${docTitle(s.document)}${s.locator}`)));
      if (m.evidence)
        lines.push(
          w.evidence(
            m.evidence.outcome === 'met',
            m.evidence.reason,
            `${docTitle(m.evidence.document)}${m.evidence.locator}`,
            m.evidence.text,
          ),
        );
      else if (m.origin === 'corpus') lines.push(w.noEvidence);
      const updates = await ledger.store.updates(m.id);
      if (updates.length) {
        lines.push(w.updates(updates.length));
        for (const u of updates.slice(0, 5)) lines.push(w.updateLine(u.date, u.unit, u.text));
      }
      const cases = (await ledger.store.linkCountsByKey()).get(m.key) ?? 0;
      if (cases) lines.push(w.cases(cases));
      lines.push(w.history);
      for (const e of (await ledger.milestones.events(m.id)).slice(-10))
        lines.push(w.event(shanghaiDateTime(new Date(e.at)), actorLabel(e.actor, lang), w.actions[e.action] ?? e.action, e.note));
      return lines.join('\n');
    },
    async done(actor, id, note, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = await check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!note.trim()) return w.doneNote;
      await ledger.milestones.setStatus(m.id, 'done', who(actor), note.trim(), now);
      return w.done(m.id, m.title);
    },
    async reopen(actor, id, note, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = await check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!note.trim()) return w.reopenNote;
      if (m.status === 'open') return w.alreadyOpen(m.id);
      await ledger.milestones.setStatus(m.id, 'open', who(actor), note.trim(), now);
      return w.reopened(m.id, m.title);
    },
    async drop(actor, id, note, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = await check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!note.trim()) return w.dropNote;
      await ledger.milestones.setStatus(m.id, 'cancelled', who(actor), note.trim(), now);
      return w.dropped(m.id, m.title);
    },
    async snooze(actor, id, days, now, note = '', lang = 'zh') {
      const w = messages(lang).milestones;
      const m = await check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!Number.isInteger(days) || days < 1 || days > 90) return w.snoozeDays;
      const until = addDays(shanghaiDate(now), days);
      await ledger.milestones.snooze(m.id, until, who(actor), now, note.trim() || null);
      return w.snoozed(until, m.id, m.title);
    },
    async add(actor, dueDate, title, now, lang = 'zh') {
      const w = messages(lang).milestones;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(dueDate) || Number.isNaN(Date.parse(dueDate))) return w.addDate;
      if (title.trim().length < 4) return w.addTitle;
      if (!actor.unit) return w.addAdmin;
      const m = await ledger.milestones.add({ title: title.trim(), dueDate, unit: actor.unit }, who(actor), now);
      return w.added(milestoneLine(m, shanghaiDate(now), false, lang));
    },
    async update(actor, id, text, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = await check(actor, id, lang);
      if (typeof m === 'string') return m;
      const dated = /^(\d{4}-\d{2}-\d{2})\s+([\s\S]*)$/.exec(text.trim());
      const date = dated?.[1] ?? shanghaiDate(now);
      const body = (dated?.[2] ?? text).trim();
      if (Number.isNaN(Date.parse(date)) || date > shanghaiDate(now)) return w.updateDate;
      if (body.length < 4) return w.updateShort(m.id);
      const u = await ledger.update(m, { text: body.slice(0, 1000), date, unit: actor.unit, author: who(actor), via: 'chat' }, now);
      return w.updated(m.id, m.title, u.date, u.unit, m.status === 'open' && m.dueDate < shanghaiDate(now));
    },
    async caseLink(c, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const link = await ledger.linkOf(c, now);
      const m = link.milestoneId !== null ? await ledger.milestones.get(link.milestoneId) : null;
      const how = link.linkedBy === 'auto' ? w.linkAuto : w.linkManual;
      if (!m) return w.caseLinkNone(how, c.ticket);
      return w.caseLink(m.id, m.title, how, c.ticket);
    },
    async link(actor, c, target, now, lang = 'zh') {
      const say = messages(lang);
      const w = say.milestones;
      if (service && !(await service.visibleTo(c.ticket, actor))) return say.officials.notYours(c.ticket);
      const t = target.trim().replace(/^#/, '');
      if (/^(0|无|none)$/i.test(t)) {
        await ledger.setLink(c, null, who(actor), now);
        return w.unlinked(c.ticket);
      }
      const m = await ledger.milestones.get(Number(t));
      if (!/^\d+$/.test(t) || !m || m.mergedInto !== null) return w.linkNeedsId(c.ticket);
      await ledger.setLink(c, m.id, who(actor), now);
      return w.linked(c.ticket, m.id, m.title);
    },
  };
}
