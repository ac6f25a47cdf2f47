/**
 * The milestone desk: officials list their unit's milestones, see one with its evidence, updates
 * and history, post a dated progress update, mark one done, reopen or drop it with a note, snooze
 * one, add one, and change the milestone a complaint case is linked to — by chat. Administrators
 * see all milestones and may act on any.
 */
import type { Category } from '../cases/categories.js';
import type { Actor, CaseService } from '../cases/service.js';
import { addDays, daysBetween, shanghaiDate, shanghaiDateTime } from '../core/clock.js';
import { type Lang, messages } from '../core/messages/index.js';
import type { KnowledgeBase } from '../knowledge/mod.js';
import type { CaseRecord } from '../store/cases.js';
import type { Db } from '../store/db.js';
import type { MilestoneRow } from '../store/milestones.js';
import { createLedger, type Ledger } from './ledger.js';
import { handlerLabel } from './reminders.js';

/** Officials' milestone commands, as the dialog core calls them. */
export interface MilestoneDesk {
  // Each reply is in `lang` (the official's chat language; Chinese when not given).
  list(actor: Actor, now: Date, lang?: Lang): string;
  show(actor: Actor, id: number, now: Date, lang?: Lang): string;
  done(actor: Actor, id: number, note: string, now: Date, lang?: Lang): string;
  reopen(actor: Actor, id: number, note: string, now: Date, lang?: Lang): string;
  drop(actor: Actor, id: number, note: string, now: Date, lang?: Lang): string;
  snooze(actor: Actor, id: number, days: number, now: Date, note?: string, lang?: Lang): string;
  add(actor: Actor, dueDate: string, title: string, now: Date, lang?: Lang): string;
  /** Posts a progress update; `text` may start with the date it speaks of (YYYY-MM-DD). */
  update(actor: Actor, id: number, text: string, now: Date, lang?: Lang): string;
  /** The line that shows a case's milestone link to officials, storing an automatic link the first time. */
  caseLink(c: CaseRecord, now: Date, lang?: Lang): string;
  /** Links a case to a milestone ("0"/"无": to none). */
  link(actor: Actor, c: CaseRecord, target: string, now: Date, lang?: Lang): string;
  ledger: Ledger;
}

/** What a milestone's state is, in a few words. */
export function stateLabel(m: MilestoneRow, today: string, ledger?: Ledger, lang: Lang = 'zh'): string {
  const w = messages(lang).milestones.state;
  if (m.status === 'done') return m.outcome === 'met' ? w.doneMet : w.done;
  if (m.status === 'cancelled') return w.cancelled;
  const d = daysBetween(today, m.dueDate);
  if (d >= 0) return w.daysLeft(d);
  if (m.outcome === 'missed') return w.missed;
  if (ledger?.store.updates(m.id).some((u) => u.date >= m.dueDate)) return w.reported;
  return w.unreported;
}

/** A milestone in one line. */
export function milestoneLine(m: MilestoneRow, today: string, ledger?: Ledger, lang: Lang = 'zh'): string {
  const w = messages(lang).milestones;
  const snoozed = m.status === 'open' && m.snoozedUntil && m.snoozedUntil > today ? w.snoozedUntil(m.snoozedUntil) : '';
  return w.line(m.id, m.title, m.dueDate, stateLabel(m, today, ledger, lang), snoozed);
}

/** Who did it, in words. */
export function actorLabel(actor: string, lang: Lang = 'zh'): string {
  return messages(lang).milestones.actors[actor] ?? actor;
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
  const check = (actor: Actor, id: number, lang: Lang): MilestoneRow | string => {
    const w = messages(lang).milestones;
    const m = Number.isInteger(id) ? ledger.milestones.get(id) : null;
    if (!m || m.mergedInto !== null) return w.noSuch(Number.isNaN(id) ? '' : String(id));
    if (!mayAct(m, actor)) return w.notYours;
    return m;
  };
  return {
    ledger,
    list(actor, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const today = shanghaiDate(now);
      const all = actor.role === 'admin' ? ledger.milestones.list() : ledger.forUnit(actor.unit ?? '—');
      const list = all.filter((m) => m.status === 'open');
      const done = all.length - list.length;
      if (list.length === 0) return w.noneOpen(done);
      return w.openList(
        actor.role === 'admin' ? w.all : (actor.unit ?? ''),
        list.length,
        done,
        list.map((m) => milestoneLine(m, today, ledger, lang)).join('\n'),
      );
    },
    show(actor, id, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = ledger.milestones.get(id);
      if (!m || m.mergedInto !== null) return w.noSuchShort(id);
      if (actor.role !== 'admin' && !(actor.unit && ledger.handledBy(m, actor.unit))) return w.notYours;
      const today = shanghaiDate(now);
      const lines = [milestoneLine(m, today, ledger, lang)];
      if (m.text && m.text !== m.title) lines.push(w.text(m.text));
      lines.push(w.handlers(handlerLabel(ledger.handlers(m), lang), m.unit));
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
      const updates = ledger.store.updates(m.id);
      if (updates.length) {
        lines.push(w.updates(updates.length));
        for (const u of updates.slice(0, 5)) lines.push(w.updateLine(u.date, u.unit, u.text));
      }
      const cases = ledger.store.linkedCaseCount([m.key]);
      if (cases) lines.push(w.cases(cases));
      lines.push(w.history);
      for (const e of ledger.milestones.events(m.id).slice(-10))
        lines.push(w.event(shanghaiDateTime(new Date(e.at)), actorLabel(e.actor, lang), w.actions[e.action] ?? e.action, e.note));
      return lines.join('\n');
    },
    done(actor, id, note, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!note.trim()) return w.doneNote;
      ledger.milestones.setStatus(m.id, 'done', who(actor), note.trim(), now);
      return w.done(m.id, m.title);
    },
    reopen(actor, id, note, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!note.trim()) return w.reopenNote;
      if (m.status === 'open') return w.alreadyOpen(m.id);
      ledger.milestones.setStatus(m.id, 'open', who(actor), note.trim(), now);
      return w.reopened(m.id, m.title);
    },
    drop(actor, id, note, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!note.trim()) return w.dropNote;
      ledger.milestones.setStatus(m.id, 'cancelled', who(actor), note.trim(), now);
      return w.dropped(m.id, m.title);
    },
    snooze(actor, id, days, now, note = '', lang = 'zh') {
      const w = messages(lang).milestones;
      const m = check(actor, id, lang);
      if (typeof m === 'string') return m;
      if (!Number.isInteger(days) || days < 1 || days > 90) return w.snoozeDays;
      const until = addDays(shanghaiDate(now), days);
      ledger.milestones.snooze(m.id, until, who(actor), now, note.trim() || null);
      return w.snoozed(until, m.id, m.title);
    },
    add(actor, dueDate, title, now, lang = 'zh') {
      const w = messages(lang).milestones;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(dueDate) || Number.isNaN(Date.parse(dueDate))) return w.addDate;
      if (title.trim().length < 4) return w.addTitle;
      if (!actor.unit) return w.addAdmin;
      const m = ledger.milestones.add({ title: title.trim(), dueDate, unit: actor.unit }, who(actor), now);
      return w.added(milestoneLine(m, shanghaiDate(now), undefined, lang));
    },
    update(actor, id, text, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const m = check(actor, id, lang);
      if (typeof m === 'string') return m;
      const dated = /^(\d{4}-\d{2}-\d{2})\s+([\s\S]*)$/.exec(text.trim());
      const date = dated?.[1] ?? shanghaiDate(now);
      const body = (dated?.[2] ?? text).trim();
      if (Number.isNaN(Date.parse(date)) || date > shanghaiDate(now)) return w.updateDate;
      if (body.length < 4) return w.updateShort(m.id);
      const u = ledger.update(m, { text: body.slice(0, 1000), date, unit: actor.unit, author: who(actor), via: 'chat' }, now);
      return w.updated(m.id, m.title, u.date, u.unit, m.status === 'open' && m.dueDate < shanghaiDate(now));
    },
    caseLink(c, now, lang = 'zh') {
      const w = messages(lang).milestones;
      const link = ledger.linkOf(c, now);
      const m = link.milestoneId !== null ? ledger.milestones.get(link.milestoneId) : null;
      const how = link.linkedBy === 'auto' ? w.linkAuto : w.linkManual;
      if (!m) return w.caseLinkNone(how, c.ticket);
      return w.caseLink(m.id, m.title, how, c.ticket);
    },
    link(actor, c, target, now, lang = 'zh') {
      const say = messages(lang);
      const w = say.milestones;
      if (service && !service.visibleTo(c.ticket, actor)) return say.officials.notYours(c.ticket);
      const t = target.trim().replace(/^#/, '');
      if (/^(0|无|none)$/i.test(t)) {
        ledger.setLink(c, null, who(actor), now);
        return w.unlinked(c.ticket);
      }
      const m = ledger.milestones.get(Number(t));
      if (!/^\d+$/.test(t) || !m || m.mergedInto !== null) return w.linkNeedsId(c.ticket);
      ledger.setLink(c, m.id, who(actor), now);
      return w.linked(c.ticket, m.id, m.title);
    },
  };
}
