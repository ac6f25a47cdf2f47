/**
 * The dialog core: one function from an inbound message (any channel) to the replies. It answers
 * questions, runs the report intake, shows a citizen their cases, takes satisfaction ratings, and
 * serves officials and administrators. Each message is handled in one transaction: the message id
 * is recorded as seen together with every change it causes, so a redelivered message does nothing
 * twice and a crash loses nothing that was confirmed.
 */

import type { Category } from '../../cases/categories.js';
import type { Area, TownPoints } from '../../cases/geo.js';
import type { Actor, CaseService } from '../../cases/service.js';
import { ticketIn } from '../../cases/ticket.js';
import { shanghaiDate } from '../../core/clock.js';
import { button, STATUS } from '../../core/domain.js';
import { maskPhonesIn } from '../../core/mask.js';
import { type Lang, langOf, type Messages, messages } from '../../core/messages/index.js';
import { hanLength } from '../../core/text.js';
import type { MilestoneDesk } from '../../jobs/desk.js';
import { type Answer, type Answerer, CONVERSATIONAL_INTENTS, defaultAnswerOptions, type Topic } from '../../knowledge/mod.js';
import type { CasePort, CaseRecord, ChatPort, DialogPort, InboundSeenPort, LimitPort, PeoplePort, Store } from '../../store/ports.js';
import { createLookupGuard, notFoundForYou, ownCase } from './guards.js';
import {
  actionPrompt,
  COMMAND_ACTIONS,
  listUnitCases,
  type OfficialState,
  showCase,
  showHistory,
  showPhotos,
  takeAction,
} from './officials.js';
import {
  isNonAnswer,
  looksLikeQuestion,
  placePoint,
  prompt,
  type ReportContext,
  type ReportState,
  startReport,
  stepReport,
} from './report.js';
import { restartIfUnreadable } from './state.js';
import { type DialogResult, type Inbound, inboundSchema, type Reply, type ValidInbound } from './types.js';

/** What the dialog core is made of. */
export interface DialogDeps {
  /** The unit of work: each message is handled in one transaction. */
  store: Pick<Store, 'transaction'>;
  dialogs: DialogPort;
  inbound: InboundSeenPort;
  people: PeoplePort;
  cases: CasePort;
  service: CaseService;
  answerer: Answerer;
  categories: Category[];
  towns: string[];
  area: Area;
  /** The towns' approximate centres (a GPS point is named by the nearest). */
  townPoints?: TownPoints;
  /** Where each person's language is kept (their notices follow it). */
  chats?: ChatPort;
  acceptDays: number;
  milestones?: MilestoneDesk;
  /** How long the last answer's topic is used for follow-ups (default: the answerer's). */
  topicTtlMs?: number;
  /** Rate limits of ticket lookups and ratings (none when absent). */
  limits?: LimitPort;
  lookupsPerHour?: number;
  /** Where unexpected errors go (already masked). */
  onError?: (error: unknown) => void;
  /** Answers' 👍/👎: logs each answer given (its id goes into the buttons) and records ratings (issue 10). */
  feedback?: {
    log(a: Answer, who: { channel: string; userId: string }, now: Date): Promise<number>;
    rate(id: number, who: { channel: string; userId: string }, rating: 'up' | 'down', now: Date): Promise<'ok' | 'again' | 'unknown'>;
    /** Queues a question the records could not answer. */
    unanswered?(a: Answer, now: Date): Promise<void>;
  };
  /** A one-time sign-in link to the officials' desk for a signed-in official (`/desk`); null when the desk is off. */
  deskLink?: (actor: Actor, now: Date) => Promise<string | null>;
  /** Brings what the answerer reads of the store (contacts, the ledger) up to date before it answers. */
  beforeAnswer?: (now: Date) => Promise<void>;
}

/** The dialog core. */
export interface Dialog {
  handle(message: Inbound, now: Date): Promise<DialogResult>;
}

/** Between reports: the topic of the last answer, so that a follow-up ("那2030年呢？") is read against it. */
interface IdleState {
  flow: 'idle';
  topic?: { value: Topic; at: string };
  lang?: Lang;
}

/** A citizen said "不满意": the next message says why (or "跳过"). */
export interface RateState {
  flow: 'rate';
  ticket: string;
  lang?: Lang;
}

type State = ReportState | OfficialState | IdleState | RateState;

/** The last answer's topic while it is fresh enough to lean on. */
function liveTopic(state: State, now: Date, ttlMs: number): Topic | null {
  if (state.flow !== 'idle' || !state.topic) return null;
  return now.getTime() - Date.parse(state.topic.at) <= ttlMs ? state.topic.value : null;
}

/** Officials' milestone commands, handled by the milestone desk. */
const MILESTONE_COMMANDS = ['milestones', 'milestone', 'update', 'done', 'reopen', 'drop', 'snooze', 'addmilestone', 'link'];

/** Largest text the core reads; longer messages are cut (a description allows 2,000 characters). */
const MAX_TEXT = 4000;

/** Creates the dialog core. */
export function createDialog(deps: DialogDeps): Dialog {
  const ctx: ReportContext = {
    categories: deps.categories,
    towns: deps.towns,
    area: deps.area,
    ...(deps.townPoints ? { townPoints: deps.townPoints } : {}),
  };
  const desk = deps.milestones;
  const officials = {
    service: deps.service,
    cases: deps.cases,
    ...(desk ? { caseLink: (c: CaseRecord, now: Date, l?: Lang) => desk.caseLink(c, now, l) } : {}),
  };
  const lookups = createLookupGuard(deps.limits ?? null, deps.lookupsPerHour ?? 30);

  /**
   * One turn: the functions that answer one message, sharing its language. A turn of its own per
   * message, so that messages handled at the same time (several connections of a networked store)
   * never see each other's language.
   */
  const newTurn = () => {
    async function actorOf(m: ValidInbound): Promise<Actor> {
      const id = await deps.people.identity(m.channel, m.userId);
      return { channel: m.channel, userId: m.userId, role: id.role, unit: id.unit, inGroup: m.chatType === 'group' };
    }

    /** The language of this turn, set by `route`. */
    let lang: Lang = 'zh';
    let say: Messages = messages('zh');

    async function save(m: ValidInbound, state: State, now: Date): Promise<void> {
      if (state.flow !== 'official') state.lang = lang;
      if (state.flow === 'idle' && !state.topic && lang === 'zh') await deps.dialogs.clear(m.channel, m.userId);
      else await deps.dialogs.put(m.channel, m.userId, m.chatId, state, now);
    }

    /** The help of a role: one text per role, from the catalog. */
    function helpFor(role: Actor['role']): string {
      if (role === 'admin') return `${say.help.citizen}\n\n${say.help.official}\n\n${say.help.admin}`;
      if (role === 'official') return `${say.help.citizen}\n\n${say.help.official}`;
      return say.help.citizen;
    }

    async function fileReport(
      m: ValidInbound,
      s: ReportState,
      draft: NonNullable<ReturnType<typeof stepReport>['submit']>,
      now: Date,
    ): Promise<Reply[]> {
      const key = m.messageId ? `${m.channel}:${m.messageId}` : null;
      const r = await deps.service.file(
        draft,
        { channel: m.channel, userId: m.userId, chatId: m.chatId, origin: m.origin ?? null },
        key,
        now,
      );
      if (!r.ok) {
        await save(m, s, now);
        return [{ text: r.say ? r.say(lang) : r.message }, prompt(s, ctx)];
      }
      await save(m, { flow: 'idle' }, now);
      // The case is linked to the task it bears on in the same transaction (officials may change it).
      await deps.milestones?.ledger.linkOf(r.case, now);
      return [{ text: say.filed(r.case.ticket, r.case.unit, deps.acceptDays) }];
    }

    async function statusOf(m: ValidInbound, actor: Actor, ticket: string | null): Promise<Reply> {
      if (ticket) {
        const c = await deps.service.visibleTo(ticket, actor);
        if (!c) return notFoundForYou(ticket, lang);
        const history = (await showHistory(ticket, actor, officials, actor.role === 'citizen', lang)).text;
        const due =
          c.status === STATUS.submitted
            ? say.acceptDue(shanghaiDate(new Date(c.acceptDue)))
            : c.completeDue
              ? say.completeDue(shanghaiDate(new Date(c.completeDue)))
              : '';
        return {
          text: say
            .caseStatus(c.ticket, say.status[c.status] ?? c.status, deps.service.categoryName(c.category, lang), c.unit, due, history)
            .replace(/\n\n/g, '\n'),
        };
      }
      const mine = await deps.cases.forUser(m.channel, m.userId, 5);
      if (mine.length === 0) return { text: say.noReports };
      return {
        text: say.myReports(
          mine.map((c) => `${c.ticket} ${say.status[c.status] ?? c.status} ${deps.service.categoryName(c.category, lang)}`).join('\n'),
        ),
        choices: mine.map((c) => [button(say.lookupButton(c.ticket), `status:${c.ticket}`)]),
      };
    }

    /** The closed case a rating is for: the named one if it is the user's own, else their latest closed one. */
    async function rateTarget(m: ValidInbound, ticket: string | null, now: Date): Promise<{ case: CaseRecord } | { reply: Reply }> {
      // A ticket that is not the user's own answers exactly as one that does not exist.
      const own = ticket ? await ownCase(deps.cases, m, ticket) : null;
      if (ticket && !own) return { reply: (await lookups.allowed(m, now)) ? notFoundForYou(ticket, lang) : lookups.refusal(lang) };
      const target = own ?? (await deps.cases.forUser(m.channel, m.userId, 20)).find((c) => c.status === STATUS.done) ?? null;
      return target ? { case: target } : { reply: { text: say.noneToRate } };
    }

    async function rate(
      m: ValidInbound,
      actor: Actor,
      ticket: string | null,
      satisfied: boolean,
      note: string | null,
      now: Date,
    ): Promise<Reply> {
      const t = await rateTarget(m, ticket, now);
      if ('reply' in t) return t.reply;
      const target = t.case;
      const r = await deps.service.act(target.ticket, satisfied ? 'satisfied' : 'unsatisfied', actor, note, now);
      if (!r.ok) return { text: r.say ? r.say(lang) : r.message };
      return satisfied
        ? { text: say.thanksRated(target.ticket) }
        : { text: say.reopened(target.ticket, target.unit, shanghaiDate(new Date(r.case.completeDue ?? now.toISOString()))) };
    }

    /** "不满意" without a reason: asks what is still wrong, keeping the case until the answer comes. */
    async function askWhy(m: ValidInbound, ticket: string | null, now: Date): Promise<Reply> {
      const t = await rateTarget(m, ticket, now);
      if ('reply' in t) return t.reply;
      if (t.case.status !== STATUS.done) return { text: say.noneToRate };
      await save(m, { flow: 'rate', ticket: t.case.ticket }, now);
      return { text: say.whyUnsatisfied(t.case.ticket), choices: [[button(say.intake.skip, 'skip')]] };
    }

    async function answer(text: string, now: Date, m?: ValidInbound): Promise<Reply> {
      await deps.beforeAnswer?.(now);
      const a = deps.answerer.answer(text, { now });
      await deps.feedback?.unanswered?.(a, now);
      return m ? rated(render(a), a, m, now) : render(a);
    }

    /** An answer to a question gets 👍/👎 buttons carrying its logged id (every channel renders choices). */
    async function rated(reply: Reply, a: Answer, m: ValidInbound, now: Date): Promise<Reply> {
      if (!deps.feedback || (a.intent !== 'offtopic' && CONVERSATIONAL_INTENTS.includes(a.intent))) return reply;
      const id = await deps.feedback.log(a, { channel: m.channel, userId: m.userId }, now);
      const f = messages(a.lang).feedback;
      return {
        ...reply,
        choices: [[button(f.up, `rate-answer:up:${id}`), button(f.down, `rate-answer:down:${id}`)]],
      };
    }

    /** An answer as a chat message, its sources under it. */
    function render(a: Answer): Reply {
      const src = a.sources.length
        ? `\n\n${messages(a.lang).source}${a.lang === 'en' ? ': ' : '：'}${a.sources.map((s) => `${s.document} ${s.locator}`).join('；')}`
        : '';
      return { text: `${a.answer}${src}` };
    }

    async function officialCommand(name: string, rest: string, m: ValidInbound, actor: Actor, now: Date): Promise<Reply[] | null> {
      const isStaff = actor.role === 'official' || actor.role === 'admin';
      const staffOnly = ['cases', 'case', 'history', 'photos', 'bind', ...MILESTONE_COMMANDS, ...Object.keys(COMMAND_ACTIONS)];
      if (!staffOnly.includes(name)) return null;
      if (!isStaff) return [{ text: say.staffOnly }];
      const ticket = ticketIn(rest);
      const args = rest.replace(/jj-?\d{8}-?\w{5}/i, '').trim();
      const o = say.officials;
      if (name === 'cases') return [await listUnitCases(actor, officials, now, lang)];
      if (name === 'case') return [ticket ? await showCase(ticket, actor, officials, now, lang) : { text: o.caseUsage }];
      if (name === 'history') return [ticket ? await showHistory(ticket, actor, officials, false, lang) : { text: o.historyUsage }];
      if (name === 'photos') return ticket ? [await showPhotos(ticket, actor, officials, lang)] : [{ text: o.photosUsage }];
      if (name === 'bind') {
        if (!actor.unit) return [{ text: o.bindAdmin }];
        await deps.people.bindChat(actor.unit, m.channel, m.chatId, `${m.channel}:${m.userId}`, now);
        const released = await deps.service.releaseHeld(now, actor.unit);
        return [{ text: o.bound(actor.unit, released) }];
      }
      if (MILESTONE_COMMANDS.includes(name)) {
        if (!desk) return [{ text: o.milestonesOff }];
        if (name === 'milestones') return [{ text: await desk.list(actor, now, lang) }];
        if (name === 'link') {
          const c = ticket ? await deps.cases.byTicket(ticket) : null;
          if (!c) return [{ text: o.linkUsage }];
          return [{ text: await desk.link(actor, c, args, now, lang) }];
        }
        const [first, ...more] = rest.trim().split(/\s+/);
        const id = Number((first ?? '').replace(/^#/, ''));
        const note = rest.trim().replace(/^\S+\s*/, '');
        if (name === 'milestone') return [{ text: await desk.show(actor, id, now, lang) }];
        if (name === 'update') return [{ text: await desk.update(actor, id, note, now, lang) }];
        if (name === 'done') return [{ text: await desk.done(actor, id, note, now, lang) }];
        if (name === 'reopen') return [{ text: await desk.reopen(actor, id, note, now, lang) }];
        if (name === 'drop') return [{ text: await desk.drop(actor, id, note, now, lang) }];
        if (name === 'snooze') return [{ text: await desk.snooze(actor, id, Number(more[0] ?? 7), now, more.slice(1).join(' '), lang) }];
        return [{ text: await desk.add(actor, first ?? '', more.join(' '), now, lang) }];
      }
      const action = COMMAND_ACTIONS[name];
      if (!action) return null;
      if (!ticket) return [{ text: o.actionUsage }];
      const ask = actionPrompt(action, lang);
      if (ask && !args) {
        await save(m, { flow: 'official', action, ticket, lang }, now);
        return [{ text: o.ask(ticket, ask) }];
      }
      return [await takeAction(action, ticket, args, actor, officials, now, lang)];
    }

    /** The language of a turn: what the user writes; a message without words keeps the dialog's. */
    function turnLang(text: string, state: State, chatLang: Lang | null): Lang {
      const stored = state.lang ?? chatLang ?? 'zh';
      // A command's arguments (codes, tickets) say nothing of the language.
      const written = text.startsWith('/') ? null : langOf(text);
      if (!written || written === stored) return stored;
      if (state.flow === 'report' && written === 'zh') {
        // An English dialog gives Chinese place names (at the place step, or anywhere short): it stays English.
        if (state.step === 'location' || hanLength(text) < 6 || /[A-Za-z]{3,}/.test(text)) return stored;
      }
      if (written === 'en' && text.trim().split(/\s+/).length < 2 && !/^(help|report|cancel|status|hello|hi|thanks)$/i.test(text.trim()))
        return stored;
      return written;
    }

    async function route(m: ValidInbound, now: Date): Promise<Reply[]> {
      const actor = await actorOf(m);
      const text = (m.text ?? '').trim().slice(0, MAX_TEXT);
      const choice = m.choice ?? null;
      const state = (await deps.dialogs.get<State>(m.channel, m.userId)) ?? { flow: 'idle' };
      const chatLang = (await deps.chats?.lang(m.channel, m.userId)) ?? null;
      lang = turnLang(text, state, chatLang);
      say = messages(lang);
      if (state.flow === 'report') state.lang = lang;
      if (deps.chats && chatLang !== lang && (lang === 'en' || chatLang)) await deps.chats.setLang(m.channel, m.userId, lang, now);

      // Commands work from any state.
      const cmd = /^\/([a-z]+)(?:@\w+)?\s*([\s\S]*)$/i.exec(text);
      const cmdName = cmd?.[1]?.toLowerCase() ?? null;
      const cmdRest = cmd?.[2] ?? '';
      const joinWith = async (code: string): Promise<Reply[]> => {
        const who = await deps.people.redeem(code, m.channel, m.userId, m.name ?? null, now);
        if (!who) return [{ text: say.badInvite }];
        const released = who.unit ? await deps.service.releaseHeld(now, who.unit) : 0;
        return [
          {
            text: `${say.joined(who.unit ?? '', who.role === 'admin' ? 'admin' : 'official')}${released ? `\n${say.notify.heldDelivered(released)}` : ''}\n\n${helpFor(who.role)}`,
          },
        ];
      };

      if (cmdName === 'start' || cmdName === 'help' || /^(帮助|菜单|help|menu)$/i.test(text)) {
        if (cmdName === 'start' && /^[A-Z0-9]{6,16}$/i.test(cmdRest.trim())) return joinWith(cmdRest.trim());
        const draft = state.flow === 'report' ? `\n\n${say.help.draftPending}` : '';
        return [
          {
            text: `${helpFor(actor.role)}${draft}`,
            ...(state.flow === 'report'
              ? {}
              : {
                  choices: [[button(say.help.buttons.report, 'report'), button(say.help.buttons.status, 'status:')]],
                }),
          },
        ];
      }
      if (cmdName === 'join' || /^(加入|绑定)\s+\S+$/.test(text)) {
        return joinWith((cmdName === 'join' ? cmdRest : text.replace(/^(加入|绑定)\s+/, '')).trim());
      }
      if (cmdName === 'cancel' || choice === 'cancel' || /^(取消|退出|cancel|quit)$/i.test(text)) {
        if (state.flow === 'idle') return [{ text: say.nothingToCancel }];
        await save(m, { flow: 'idle' }, now);
        return [{ text: state.flow === 'report' ? say.reportCancelled : say.cancelled }];
      }
      if (
        cmdName === 'status' ||
        cmdName === 'my' ||
        /^(查询|进度|查进度|我的举报|status|my reports)/i.test(text) ||
        choice?.startsWith('status:')
      ) {
        const t = ticketIn(choice ?? text) ?? ticketIn(cmdRest);
        const reply = t && !(await lookups.allowed(m, now)) ? lookups.refusal(lang) : await statusOf(m, actor, t);
        return state.flow === 'report' ? [reply, prompt(state as ReportState, ctx)] : [reply];
      }
      if (choice?.startsWith('rate-answer:')) {
        const [, v, id] = choice.split(':');
        const f = say.feedback;
        if (!deps.feedback || (v !== 'up' && v !== 'down') || !/^\d{1,12}$/.test(id ?? '')) return [{ text: f.expired }];
        const r = await deps.feedback.rate(Number(id), { channel: m.channel, userId: m.userId }, v, now);
        if (r === 'unknown') return [{ text: f.expired }];
        if (r === 'again') return [{ text: f.again }];
        return [{ text: v === 'up' ? f.thanksUp : f.thanksDown }];
      }
      if (choice?.startsWith('rate:')) {
        const [, t, v] = choice.split(':');
        return [v === 'yes' ? await rate(m, actor, t ?? null, true, null, now) : await askWhy(m, t ?? null, now)];
      }
      if (state.flow !== 'report' && /^(不满意|满意|not satisfied|unsatisfied|satisfied)/i.test(text)) {
        const satisfied = /^(满意|satisfied)/i.test(text);
        if (satisfied) return [await rate(m, actor, ticketIn(text), true, null, now)];
        const reason = text
          .replace(/^(不满意|not satisfied|unsatisfied)[，,：:。.\s]*/i, '')
          .replace(/jj-?\d{8}-?\w{5}/i, '')
          .replace(/^[，,：:\s]+/, '')
          .trim();
        return [
          reason && !isNonAnswer(reason) ? await rate(m, actor, ticketIn(text), false, reason, now) : await askWhy(m, ticketIn(text), now),
        ];
      }
      if (state.flow === 'rate' && !cmdName) {
        await save(m, { flow: 'idle' }, now);
        const reason = choice === 'skip' || isNonAnswer(text) || !text ? null : text;
        return [await rate(m, actor, state.ticket, false, reason, now)];
      }
      if (choice?.startsWith('case:')) return (await officialCommand('case', choice.slice(5), m, actor, now)) ?? [];
      if (choice?.startsWith('history:')) return (await officialCommand('history', choice.slice(8), m, actor, now)) ?? [];
      if (choice?.startsWith('photos:')) return (await officialCommand('photos', choice.slice(7), m, actor, now)) ?? [];
      if (choice?.startsWith('act:')) {
        const [, action, t] = choice.split(':');
        const name = Object.entries(COMMAND_ACTIONS).find(([, a]) => a === action)?.[0] ?? '';
        return (await officialCommand(name, t ?? '', m, actor, now)) ?? [];
      }
      if (cmdName === 'desk') {
        const o = say.officials;
        if (actor.role !== 'official' && actor.role !== 'admin') return [{ text: o.deskStaffOnly }];
        if (m.chatType === 'group') return [{ text: o.deskPrivateOnly }];
        const link = (await deps.deskLink?.(actor, now)) ?? null;
        return [{ text: link ? o.deskLink(link) : o.deskOff }];
      }
      if (cmdName) {
        const r = await officialCommand(cmdName, cmdRest, m, actor, now);
        if (r) return r;
      }
      if (
        cmdName === 'report' ||
        choice === 'report' ||
        /^(举报|我要举报|我想举报|投诉|我要投诉|report|i want to report|report pollution)$/i.test(text)
      ) {
        if (state.flow === 'report') return [{ text: say.resumeReport }, prompt(state as ReportState, ctx)];
        const s = startReport(ctx, cmdName === 'report' ? cmdRest : null, lang);
        await save(m, s, now);
        return [{ text: say.startReport }, prompt(s, ctx)];
      }

      if (cmdName) return [{ text: say.noSuchCommand(cmdName) }];

      // An official answers a reminder: "#12 内容", or a reply to a reminder that names one milestone.
      if (desk && (actor.role === 'official' || actor.role === 'admin') && state.flow !== 'report') {
        const tagged = /^#(\d+)\s+([\s\S]+)$/.exec(text);
        if (tagged) return [{ text: await desk.update(actor, Number(tagged[1]), tagged[2] as string, now, lang) }];
        const quoted = [...new Set([...(m.replyTo?.text ?? '').matchAll(/\[#(\d+)\]/g)].map((x) => Number(x[1])))];
        if (quoted.length === 1 && text) return [{ text: await desk.update(actor, quoted[0] as number, text, now, lang) }];
        if (quoted.length > 1 && text) return [{ text: say.officials.whichMilestone(quoted, text) }];
      }

      if (state.flow === 'official') {
        const s = state;
        await save(m, { flow: 'idle' }, now);
        if (!text) return [{ text: say.cancelled }];
        return [await takeAction(s.action, s.ticket, text, actor, officials, now, s.lang ?? lang)];
      }

      if (state.flow === 'report') {
        const s = state as ReportState;
        if (m.photos?.length && !['photos', 'description'].includes(s.step)) {
          const room = 9 - s.draft.photos.length;
          s.draft.photos.push(...m.photos.slice(0, Math.max(0, room)));
          await save(m, s, now);
          return [{ text: say.photoAttached(s.draft.photos.length) }, prompt(s, ctx)];
        }
        if (!choice && looksLikeQuestion(text, s.step)) {
          // A question in the middle is answered; the draft stays where it was.
          return [await answer(text, now, m), { text: say.stillFilling }, prompt(s, ctx)];
        }
        const r = stepReport(s, m, ctx);
        if (r.submit) return fileReport(m, s, r.submit, now);
        await save(m, r.state ?? { flow: 'idle' }, now);
        return r.replies;
      }

      // Idle: a photo or location alone starts a report with it.
      if (m.photos?.length || m.location) {
        const s = startReport(ctx, null, lang);
        if (m.photos?.length) s.draft.photos = m.photos.slice(0, 9);
        if (m.location) placePoint(s, ctx, m.location, m.location.label ?? null);
        await save(m, s, now);
        return [{ text: say.startReportFromMedia }, prompt(s, ctx)];
      }
      if (!text) return [{ text: say.sendSomething }];
      const ttl = deps.topicTtlMs ?? defaultAnswerOptions.topicTtlMs;
      const previous = liveTopic(state, now, ttl);
      await deps.beforeAnswer?.(now);
      const a = deps.answerer.answer(text, { now, context: previous });
      await deps.feedback?.unanswered?.(a, now);
      if (a.lang !== lang && langOf(text)) {
        lang = a.lang;
        say = messages(lang);
      }
      if (a.intent === 'complaint') {
        const s = startReport(ctx, text, lang);
        await save(m, s, now);
        return [{ text: say.startReportFromText }, prompt(s, ctx)];
      }
      // The topic lives in the dialog state, so every channel gets follow-ups; small talk keeps it.
      const topic = a.topic ?? (a.intent === 'thanks' || a.intent === 'greeting' ? previous : null);
      await save(
        m,
        topic
          ? {
              flow: 'idle',
              topic: {
                value: topic,
                at: (a.topic ? now : new Date(state.flow === 'idle' && state.topic ? state.topic.at : now)).toISOString(),
              },
            }
          : { flow: 'idle' },
        now,
      );
      return [await rated(render(a), a, m, now)];
    }

    return route;
  };

  const handleTx = async (m: ValidInbound, now: Date): Promise<DialogResult> => {
    if (m.messageId && !(await deps.inbound.firstSeen(m.channel, m.userId, m.chatId, m.messageId, now)))
      return { replies: [], duplicate: true };
    const restarted = await restartIfUnreadable(deps.dialogs, m.channel, m.userId, langOf(m.text) === 'en');
    const replies = await newTurn()(m, now);
    return { replies: restarted ? [restarted, ...replies] : replies };
  };

  return {
    async handle(message, now) {
      const parsed = inboundSchema.safeParse(message);
      if (!parsed.success) return { replies: [{ text: messages('zh').notUnderstood }], failed: true };
      const m = parsed.data;
      if (m.text && m.text.length > MAX_TEXT) m.text = m.text.slice(0, MAX_TEXT);
      try {
        return await deps.store.transaction(() => handleTx(m, now));
      } catch (e) {
        deps.onError?.(e instanceof Error ? new Error(maskPhonesIn(e.message)) : e);
        return { replies: [{ text: messages(langOf(m.text)).internalError }], failed: true };
      }
    },
  };
}
