/**
 * The dialog core: one function from an inbound message (any channel) to the replies. It answers
 * questions, runs the report intake, shows a citizen their cases, takes satisfaction ratings, and
 * serves officials and administrators. Each message is handled in one transaction: the message id
 * is recorded as seen together with every change it causes, so a redelivered message does nothing
 * twice and a crash loses nothing that was confirmed.
 */

import type { Category } from '../../cases/categories.js';
import type { Area } from '../../cases/geo.js';
import type { Actor, CaseService } from '../../cases/service.js';
import { ticketIn } from '../../cases/ticket.js';
import { shanghaiDateTime } from '../../core/clock.js';
import { maskPhonesIn } from '../../core/mask.js';
import type { MilestoneDesk } from '../../jobs/desk.js';
import { type Answer, type Answerer, CONVERSATIONAL_INTENTS, defaultAnswerOptions, type Topic } from '../../knowledge/mod.js';
import type { CaseStore } from '../../store/cases.js';
import type { Db } from '../../store/db.js';
import type { DialogStore } from '../../store/dialogs.js';
import type { LimitStore } from '../../store/limits.js';
import type { PeopleStore } from '../../store/people.js';
import { createLookupGuard, notFoundForYou, ownCase } from './guards.js';
import { actionPrompt, COMMAND_ACTIONS, listUnitCases, type OfficialState, showCase, showHistory, takeAction } from './officials.js';
import { looksLikeQuestion, prompt, type ReportContext, type ReportState, startReport, stepReport } from './report.js';
import { restartIfUnreadable } from './state.js';
import { type DialogResult, type Inbound, inboundSchema, type Reply, type ValidInbound } from './types.js';

/** What the dialog core is made of. */
export interface DialogDeps {
  db: Db;
  dialogs: DialogStore;
  people: PeopleStore;
  cases: CaseStore;
  service: CaseService;
  answerer: Answerer;
  categories: Category[];
  towns: string[];
  area: Area;
  acceptDays: number;
  milestones?: MilestoneDesk;
  /** How long the last answer's topic is used for follow-ups (default: the answerer's). */
  topicTtlMs?: number;
  /** Rate limits of ticket lookups and ratings (none when absent). */
  limits?: LimitStore;
  lookupsPerHour?: number;
  /** Where unexpected errors go (already masked). */
  onError?: (error: unknown) => void;
  /** Answers' 👍/👎: logs each answer given (its id goes into the buttons) and records ratings (issue 10). */
  feedback?: {
    log(a: Answer, who: { channel: string; userId: string }, now: Date): number;
    rate(id: number, who: { channel: string; userId: string }, rating: 'up' | 'down', now: Date): 'ok' | 'again' | 'unknown';
  };
  /** A one-time sign-in link to the officials' desk for a signed-in official (`/desk`); null when the desk is off. */
  deskLink?: (actor: Actor, now: Date) => string | null;
}

/** The dialog core. */
export interface Dialog {
  handle(message: Inbound, now: Date): DialogResult;
}

/** Between reports: the topic of the last answer, so that a follow-up ("那2030年呢？") is read against it. */
interface IdleState {
  flow: 'idle';
  topic?: { value: Topic; at: string };
}

type State = ReportState | OfficialState | IdleState;

/** The last answer's topic while it is fresh enough to lean on. */
function liveTopic(state: State, now: Date, ttlMs: number): Topic | null {
  if (state.flow !== 'idle' || !state.topic) return null;
  return now.getTime() - Date.parse(state.topic.at) <= ttlMs ? state.topic.value : null;
}

/** Officials' milestone commands, handled by the milestone desk. */
const MILESTONE_COMMANDS = ['milestones', 'milestone', 'update', 'done', 'reopen', 'drop', 'snooze', 'addmilestone', 'link'];

/** Largest text the core reads; longer messages are cut (a description allows 2,000 characters). */
const MAX_TEXT = 4000;

const HELP_CITIZEN =
  '我是江津区“整改助手”，可以：\n• 回答整改台账和“十四五”规划的问题，直接提问即可，例如“尾水整改完成了多少？”\n• 受理污染举报：发送“举报”或 /report\n• 查询举报进度：发送“查询 JJ-…”或 /status\n• 随时发送“取消”可放弃正在填写的举报';
const HELP_OFFICIAL =
  '\n\n办理单位命令：\n/cases 本单位待办（逾期在前）\n/case 编号 查看详情\n/accept 编号 受理\n/refuse 编号 理由 | 去向\n/dup 编号 原编号 标记重复\n/dispatch 编号 去向\n/progress 编号 进展\n/close 编号 结果\n/recat 编号 新类别\n/history 编号 处理记录\n/bind 把本群绑定为本单位的提醒群\n/milestones 本单位整改节点；/milestone 节点号 详情与记录\n/update 节点号 内容 报告进展（或回复提醒“#节点号 内容”）\n/done 节点号 说明；/reopen 节点号 说明；/drop 节点号 说明；/snooze 节点号 天数 [说明]；/addmilestone 日期 标题\n/link 编号 节点号 改变举报关联的整改节点（0 为不关联）\n/desk 网页工作台的一次性登录链接';

/** Creates the dialog core. */
export function createDialog(deps: DialogDeps): Dialog {
  const ctx: ReportContext = { categories: deps.categories, towns: deps.towns, area: deps.area };
  const desk = deps.milestones;
  const officials = {
    service: deps.service,
    cases: deps.cases,
    ...(desk ? { caseLink: (c: Parameters<typeof desk.caseLink>[0], now: Date) => desk.caseLink(c, now) } : {}),
  };
  const lookups = createLookupGuard(deps.limits ?? null, deps.lookupsPerHour ?? 30);

  function actorOf(m: ValidInbound): Actor {
    const id = deps.people.identity(m.channel, m.userId);
    return { channel: m.channel, userId: m.userId, role: id.role, unit: id.unit, inGroup: m.chatType === 'group' };
  }

  function save(m: ValidInbound, state: State, now: Date): void {
    if (state.flow === 'idle' && !state.topic) deps.dialogs.clear(m.channel, m.userId);
    else deps.dialogs.put(m.channel, m.userId, m.chatId, state, now);
  }

  function fileReport(m: ValidInbound, s: ReportState, draft: NonNullable<ReturnType<typeof stepReport>['submit']>, now: Date): Reply[] {
    const key = m.messageId ? `${m.channel}:${m.messageId}` : null;
    const r = deps.service.file(draft, { channel: m.channel, userId: m.userId, chatId: m.chatId, origin: m.origin ?? null }, key, now);
    if (!r.ok) {
      save(m, s, now);
      return [{ text: r.message }, prompt(s, ctx)];
    }
    save(m, { flow: 'idle' }, now);
    // The case is linked to the task it bears on in the same transaction (officials may change it).
    deps.milestones?.ledger.linkOf(r.case, now);
    return [
      {
        text: `✅ 举报已提交，受理编号：${r.case.ticket}\n已转${r.case.unit}办理，将在${deps.acceptDays}天内决定是否受理，状态变化会通知您。\n随时发送“查询 ${r.case.ticket}”查看进度。`,
      },
    ];
  }

  function statusOf(m: ValidInbound, actor: Actor, ticket: string | null): Reply {
    if (ticket) {
      const c = deps.service.visibleTo(ticket, actor);
      if (!c) return notFoundForYou(ticket);
      const history = showHistory(ticket, actor, officials, actor.role === 'citizen').text;
      const due =
        c.status === '待受理'
          ? `受理时限：${shanghaiDateTime(new Date(c.acceptDue)).slice(0, 10)}`
          : c.completeDue
            ? `办结时限：${shanghaiDateTime(new Date(c.completeDue)).slice(0, 10)}`
            : '';
      return {
        text: `${c.ticket} 当前状态：${c.status}\n类别：${deps.service.categoryName(c.category)}；办理单位：${c.unit}\n${due}\n${history}`.replace(
          /\n\n/g,
          '\n',
        ),
      };
    }
    const mine = deps.cases.forUser(m.channel, m.userId, 5);
    if (mine.length === 0) return { text: '您还没有提交过举报。发送“举报”即可开始。' };
    return {
      text: `您最近的举报：\n${mine.map((c) => `${c.ticket} ${c.status} ${deps.service.categoryName(c.category)}`).join('\n')}\n发送“查询 编号”查看详情。`,
      choices: mine.map((c) => [{ label: `查询 ${c.ticket}`, value: `status:${c.ticket}` }]),
    };
  }

  function rate(m: ValidInbound, actor: Actor, ticket: string | null, satisfied: boolean, note: string | null, now: Date): Reply {
    // A ticket that is not the user's own answers exactly as one that does not exist.
    const own = ticket ? ownCase(deps.cases, m, ticket) : null;
    if (ticket && !own) return lookups.allowed(m, now) ? notFoundForYou(ticket) : lookups.refusal();
    const target = own ?? deps.cases.forUser(m.channel, m.userId, 20).find((c) => c.status === '已办结') ?? null;
    if (!target) return { text: '没有需要评价的举报。' };
    const r = deps.service.act(
      target.ticket,
      satisfied ? 'satisfied' : 'unsatisfied',
      actor,
      note ?? (satisfied ? null : '举报人对办理结果不满意'),
      now,
    );
    if (!r.ok) return { text: r.message };
    return satisfied
      ? { text: `感谢您的评价！举报 ${target.ticket} 已完结。` }
      : { text: `已收到您的意见，举报 ${target.ticket} 已退回${target.unit}重新办理，新的办理结果会再通知您。` };
  }

  function answer(text: string, now: Date, m?: ValidInbound): Reply {
    const a = deps.answerer.answer(text, { now });
    return m ? rated(render(a), a, m, now) : render(a);
  }

  /** An answer to a question gets 👍/👎 buttons carrying its logged id (every channel renders choices). */
  function rated(reply: Reply, a: Answer, m: ValidInbound, now: Date): Reply {
    if (!deps.feedback || (a.intent !== 'offtopic' && CONVERSATIONAL_INTENTS.includes(a.intent))) return reply;
    const id = deps.feedback.log(a, { channel: m.channel, userId: m.userId }, now);
    const en = a.lang === 'en';
    return {
      ...reply,
      choices: [
        [
          { label: en ? '👍 Helpful' : '👍 有用', value: `rate-answer:up:${id}` },
          { label: en ? '👎 Not helpful' : '👎 没用', value: `rate-answer:down:${id}` },
        ],
      ],
    };
  }

  /** An answer as a chat message, its sources under it. */
  function render(a: Answer): Reply {
    const src = a.sources.length
      ? `\n\n${a.lang === 'en' ? 'Source' : '来源'}：${a.sources.map((s) => `${s.document} ${s.locator}`).join('；')}`
      : '';
    return { text: `${a.answer}${src}` };
  }

  function officialCommand(name: string, rest: string, m: ValidInbound, actor: Actor, now: Date): Reply[] | null {
    const isStaff = actor.role === 'official' || actor.role === 'admin';
    const staffOnly = ['cases', 'case', 'history', 'bind', ...MILESTONE_COMMANDS, ...Object.keys(COMMAND_ACTIONS)];
    if (!staffOnly.includes(name)) return null;
    if (!isStaff) return [{ text: '这个命令仅限办理单位工作人员使用。如您是工作人员，请向管理员索取邀请码后发送“/join 邀请码”。' }];
    const ticket = ticketIn(rest);
    const args = rest.replace(/jj-?\d{8}-?\w{5}/i, '').trim();
    if (name === 'cases') return [listUnitCases(actor, officials, now)];
    if (name === 'case') return [ticket ? showCase(ticket, actor, officials, now) : { text: '请写上编号，例如：/case JJ-20261122-7KQ4M' }];
    if (name === 'history') return [ticket ? showHistory(ticket, actor, officials, false) : { text: '请写上编号。' }];
    if (name === 'bind') {
      if (!actor.unit) return [{ text: '管理员账号没有单位，不能绑定提醒群。' }];
      deps.people.bindChat(actor.unit, m.channel, m.chatId, `${m.channel}:${m.userId}`, now);
      return [{ text: `已把本会话绑定为“${actor.unit}”的提醒与新举报通知会话。` }];
    }
    if (MILESTONE_COMMANDS.includes(name)) {
      if (!desk) return [{ text: '整改节点功能未启用。' }];
      if (name === 'milestones') return [{ text: desk.list(actor, now) }];
      if (name === 'link') {
        const c = ticket ? deps.cases.byTicket(ticket) : null;
        if (!c) return [{ text: '请写上举报编号和节点号，例如：/link JJ-20261122-7KQ4M 5' }];
        return [{ text: desk.link(actor, c, args, now) }];
      }
      const [first, ...more] = rest.trim().split(/\s+/);
      const id = Number((first ?? '').replace(/^#/, ''));
      const note = rest.trim().replace(/^\S+\s*/, '');
      if (name === 'milestone') return [{ text: desk.show(actor, id, now) }];
      if (name === 'update') return [{ text: desk.update(actor, id, note, now) }];
      if (name === 'done') return [{ text: desk.done(actor, id, note, now) }];
      if (name === 'reopen') return [{ text: desk.reopen(actor, id, note, now) }];
      if (name === 'drop') return [{ text: desk.drop(actor, id, note, now) }];
      if (name === 'snooze') return [{ text: desk.snooze(actor, id, Number(more[0] ?? 7), now, more.slice(1).join(' ')) }];
      return [{ text: desk.add(actor, first ?? '', more.join(' '), now) }];
    }
    const action = COMMAND_ACTIONS[name];
    if (!action) return null;
    if (!ticket) return [{ text: '请写上举报编号，例如：/accept JJ-20261122-7KQ4M' }];
    const ask = actionPrompt(action);
    if (ask && !args) {
      save(m, { flow: 'official', action, ticket }, now);
      return [{ text: `${ticket}：${ask}` }];
    }
    return [takeAction(action, ticket, args, actor, officials, now)];
  }

  function route(m: ValidInbound, now: Date): Reply[] {
    const actor = actorOf(m);
    const text = (m.text ?? '').trim().slice(0, MAX_TEXT);
    const choice = m.choice ?? null;
    const state = deps.dialogs.get<State>(m.channel, m.userId) ?? { flow: 'idle' };

    // Commands work from any state.
    const cmd = /^\/([a-z]+)(?:@\w+)?\s*([\s\S]*)$/i.exec(text);
    const cmdName = cmd?.[1]?.toLowerCase() ?? null;
    const cmdRest = cmd?.[2] ?? '';
    const joinWith = (code: string): Reply[] => {
      const who = deps.people.redeem(code, m.channel, m.userId, m.name ?? null, now);
      if (!who) return [{ text: '邀请码无效、已使用或已过期，请向管理员重新索取。' }];
      return [{ text: `已绑定为${who.unit ?? ''}${who.role === 'admin' ? '管理员' : '办理人员'}。${HELP_OFFICIAL}` }];
    };

    if (cmdName === 'start' || cmdName === 'help' || /^(帮助|菜单|help)$/i.test(text)) {
      if (cmdName === 'start' && /^[A-Z0-9]{6,16}$/i.test(cmdRest.trim())) return joinWith(cmdRest.trim());
      const draft = state.flow === 'report' ? '\n\n（您有一件举报正在填写，可继续回答上一个问题，或发送“取消”放弃。）' : '';
      return [
        {
          text: `${HELP_CITIZEN}${actor.role === 'citizen' ? '' : HELP_OFFICIAL}${draft}`,
          ...(state.flow === 'report'
            ? {}
            : {
                choices: [
                  [
                    { label: '我要举报', value: 'report' },
                    { label: '查询进度', value: 'status:' },
                  ],
                ],
              }),
        },
      ];
    }
    if (cmdName === 'join' || /^(加入|绑定)\s+\S+$/.test(text)) {
      return joinWith((cmdName === 'join' ? cmdRest : text.replace(/^(加入|绑定)\s+/, '')).trim());
    }
    if (cmdName === 'cancel' || choice === 'cancel' || /^(取消|退出)$/.test(text)) {
      if (state.flow === 'idle') return [{ text: '当前没有正在进行的操作。' }];
      save(m, { flow: 'idle' }, now);
      return [{ text: state.flow === 'report' ? '已取消本次举报，填写的内容已删除。' : '已取消。' }];
    }
    if (cmdName === 'status' || cmdName === 'my' || /^(查询|进度|查进度|我的举报)/.test(text) || choice?.startsWith('status:')) {
      const t = ticketIn(choice ?? text) ?? ticketIn(cmdRest);
      const reply = t && !lookups.allowed(m, now) ? lookups.refusal() : statusOf(m, actor, t);
      return state.flow === 'report' ? [reply, prompt(state as ReportState, ctx)] : [reply];
    }
    if (choice?.startsWith('rate-answer:')) {
      const [, v, id] = choice.split(':');
      if (!deps.feedback || (v !== 'up' && v !== 'down') || !/^\d{1,12}$/.test(id ?? '')) return [{ text: '这个按钮已失效。' }];
      const r = deps.feedback.rate(Number(id), { channel: m.channel, userId: m.userId }, v, now);
      if (r === 'unknown') return [{ text: '这个按钮已失效。' }];
      if (r === 'again') return [{ text: '已记录过您的评价，谢谢。' }];
      return [{ text: v === 'up' ? '谢谢您的反馈！' : '谢谢反馈。这个问题已转给工作人员，他们会补充更准确的答案。' }];
    }
    if (choice?.startsWith('rate:')) {
      const [, t, v] = choice.split(':');
      return [rate(m, actor, t ?? null, v === 'yes', null, now)];
    }
    if (state.flow !== 'report' && /^(不满意|满意)/.test(text)) {
      const satisfied = text.startsWith('满意');
      return [rate(m, actor, ticketIn(text), satisfied, satisfied ? null : text.replace(/^不满意[，,：:\s]*/, '') || null, now)];
    }
    if (choice?.startsWith('case:')) return officialCommand('case', choice.slice(5), m, actor, now) ?? [];
    if (choice?.startsWith('history:')) return officialCommand('history', choice.slice(8), m, actor, now) ?? [];
    if (choice?.startsWith('act:')) {
      const [, action, t] = choice.split(':');
      const name = Object.entries(COMMAND_ACTIONS).find(([, a]) => a === action)?.[0] ?? '';
      return officialCommand(name, t ?? '', m, actor, now) ?? [];
    }
    if (cmdName === 'desk') {
      if (actor.role !== 'official' && actor.role !== 'admin') return [{ text: '工作台仅限办理单位工作人员使用。' }];
      if (m.chatType === 'group') return [{ text: '登录链接只能在私聊中发送，请私聊我发送 /desk。' }];
      const link = deps.deskLink?.(actor, now) ?? null;
      return [{ text: link ? `工作台一次性登录链接（仅可使用一次，请勿转发）：\n${link}` : '工作台未启用。' }];
    }
    if (cmdName) {
      const r = officialCommand(cmdName, cmdRest, m, actor, now);
      if (r) return r;
    }
    if (cmdName === 'report' || choice === 'report' || /^(举报|我要举报|我想举报|投诉|我要投诉)$/.test(text)) {
      if (state.flow === 'report') return [{ text: '您有一件举报正在填写，我们接着来：' }, prompt(state as ReportState, ctx)];
      const s = startReport(ctx, cmdName === 'report' ? cmdRest : null);
      save(m, s, now);
      return [{ text: '好的，我来帮您登记举报，一共几步，随时可发送“取消”。' }, prompt(s, ctx)];
    }

    if (cmdName) return [{ text: `没有 /${cmdName} 这个命令。发送“帮助”查看可用的命令。` }];

    // An official answers a reminder: "#12 内容", or a reply to a reminder that names one milestone.
    if (desk && (actor.role === 'official' || actor.role === 'admin') && state.flow !== 'report') {
      const tagged = /^#(\d+)\s+([\s\S]+)$/.exec(text);
      if (tagged) return [{ text: desk.update(actor, Number(tagged[1]), tagged[2] as string, now) }];
      const quoted = [...new Set([...(m.replyTo?.text ?? '').matchAll(/\[#(\d+)\]/g)].map((x) => Number(x[1])))];
      if (quoted.length === 1 && text) return [{ text: desk.update(actor, quoted[0] as number, text, now) }];
      if (quoted.length > 1 && text)
        return [{ text: `这条提醒包含多个节点（${quoted.map((q) => `#${q}`).join('、')}），请写明节点号，例如：#${quoted[0]} ${text}` }];
    }

    if (state.flow === 'official') {
      const s = state;
      save(m, { flow: 'idle' }, now);
      if (!text) return [{ text: '已取消。' }];
      return [takeAction(s.action, s.ticket, text, actor, officials, now)];
    }

    if (state.flow === 'report') {
      const s = state as ReportState;
      if (m.photos?.length && !['photos', 'description'].includes(s.step)) {
        const room = 9 - s.draft.photos.length;
        s.draft.photos.push(...m.photos.slice(0, Math.max(0, room)));
        save(m, s, now);
        return [{ text: `已收到照片（共${s.draft.photos.length}张），会附在举报中。` }, prompt(s, ctx)];
      }
      if (!choice && looksLikeQuestion(text, s.step)) {
        // A question in the middle is answered; the draft stays where it was.
        return [answer(text, now, m), { text: '（您的举报还在填写中，我们接着来）' }, prompt(s, ctx)];
      }
      const r = stepReport(s, m, ctx);
      if (r.submit) return fileReport(m, s, r.submit, now);
      save(m, r.state ?? { flow: 'idle' }, now);
      return r.replies;
    }

    // Idle: a photo or location alone starts a report with it.
    if (m.photos?.length || m.location) {
      const s = startReport(ctx, null);
      if (m.photos?.length) s.draft.photos = m.photos.slice(0, 9);
      if (m.location) {
        s.draft.lat = m.location.lat;
        s.draft.lon = m.location.lon;
        s.draft.address = m.location.label ?? null;
      }
      save(m, s, now);
      return [{ text: '收到，看起来您要反映一个污染问题，我来帮您登记举报（发送“取消”可放弃）。' }, prompt(s, ctx)];
    }
    if (!text) return [{ text: '请发送文字、定位或照片。发送“帮助”查看我能做什么。' }];
    const ttl = deps.topicTtlMs ?? defaultAnswerOptions.topicTtlMs;
    const previous = liveTopic(state, now, ttl);
    const a = deps.answerer.answer(text, { now, context: previous });
    if (a.intent === 'complaint') {
      const s = startReport(ctx, text);
      save(m, s, now);
      return [{ text: '收到，我来帮您登记举报，一共几步，随时可发送“取消”。' }, prompt(s, ctx)];
    }
    // The topic lives in the dialog state, so every channel gets follow-ups; small talk keeps it.
    const topic = a.topic ?? (a.intent === 'thanks' || a.intent === 'greeting' ? previous : null);
    save(
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
    return [rated(render(a), a, m, now)];
  }

  const handleTx = deps.db.transaction((m: ValidInbound, now: Date): DialogResult => {
    if (m.messageId && !deps.dialogs.firstSeen(m.channel, m.userId, m.chatId, m.messageId, now)) return { replies: [], duplicate: true };
    const restarted = restartIfUnreadable(deps.dialogs, m.channel, m.userId);
    return { replies: restarted ? [restarted, ...route(m, now)] : route(m, now) };
  });

  return {
    handle(message, now) {
      const parsed = inboundSchema.safeParse(message);
      if (!parsed.success) return { replies: [{ text: '抱歉，没有看懂这条消息。请发送文字、定位或照片。' }], failed: true };
      const m = parsed.data;
      if (m.text && m.text.length > MAX_TEXT) m.text = m.text.slice(0, MAX_TEXT);
      try {
        return handleTx.immediate(m, now);
      } catch (e) {
        deps.onError?.(e instanceof Error ? new Error(maskPhonesIn(e.message)) : e);
        return { replies: [{ text: '抱歉，处理您的消息时出错了，请稍后再试。您已提交的内容不会丢失。' }], failed: true };
      }
    },
  };
}
