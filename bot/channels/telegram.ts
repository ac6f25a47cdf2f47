/**
 * The Telegram channel through grammY: long polling by default, a webhook (with its secret token
 * checked on every request) when configured. Updates become channel-neutral inbound messages for
 * the dialog core; replies become messages with inline buttons, or reply keyboards for the
 * category and place questions (with a location button). 429s are retried by auto-retry, pushes
 * are throttled within Telegram's limits, and one failing update never stops the bot.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { type RunnerHandle, run, sequentialize } from '@grammyjs/runner';
import { Bot, type Context, GrammyError, HttpError, InlineKeyboard, Keyboard, webhookCallback } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Sender } from '../../jobs/dispatch.js';
import { toTelegramHtml } from '../../jobs/render.js';
import type { PeopleStore } from '../../store/people.js';
import type { Dialog } from '../dialog/dialog.js';
import type { Inbound, Reply } from '../dialog/types.js';

/** Settings of the channel. */
export interface TelegramOptions {
  token: string;
  apiRoot: string;
  webhook?: { url: string; secret: string } | null;
  dialog: Dialog;
  people: PeopleStore;
  /** Skips getMe (tests). */
  botInfo?: UserFromGetMe;
  clock?: () => Date;
  log?: (line: string) => void;
  /** Pushes per second across all chats (Telegram: about 30). */
  pushPerSecond?: number;
}

/** The command menus, in Chinese. */
export const CITIZEN_COMMANDS = [
  { command: 'start', description: '开始使用' },
  { command: 'help', description: '帮助' },
  { command: 'report', description: '举报污染问题' },
  { command: 'status', description: '查询举报进度' },
  { command: 'cancel', description: '取消正在填写的举报' },
];
export const OFFICIAL_COMMANDS = [
  ...CITIZEN_COMMANDS,
  { command: 'cases', description: '本单位待办举报' },
  { command: 'case', description: '查看举报详情：/case 编号' },
  { command: 'accept', description: '受理：/accept 编号' },
  { command: 'refuse', description: '不予受理：/refuse 编号 理由 | 去向' },
  { command: 'dup', description: '标记重复：/dup 编号 原编号' },
  { command: 'progress', description: '办理进展：/progress 编号 内容' },
  { command: 'close', description: '办结：/close 编号 结果' },
  { command: 'history', description: '处理记录：/history 编号' },
  { command: 'bind', description: '把本群设为本单位提醒群' },
  { command: 'milestones', description: '本单位整改节点' },
];

/** The inbound message of an update, or null for updates the assistant ignores. */
export function inboundOf(ctx: Context): Inbound | null {
  const chat = ctx.chat;
  const from = ctx.from;
  if (!chat || !from || from.is_bot) return null;
  const base = {
    channel: 'telegram',
    userId: String(from.id),
    chatId: String(chat.id),
    chatType: chat.type === 'private' ? ('private' as const) : ('group' as const),
    name: [from.first_name, from.last_name].filter(Boolean).join(' ') || null,
  };
  if (ctx.callbackQuery?.data) return { ...base, messageId: `cb:${ctx.callbackQuery.id}`, choice: ctx.callbackQuery.data };
  const msg = ctx.message ?? ctx.editedMessage;
  if (!msg) return null;
  const text = msg.text ?? msg.caption ?? null;
  // In groups the bot listens only to commands; members talk among themselves.
  if (chat.type !== 'private' && !text?.startsWith('/')) return null;
  const location = msg.location
    ? { lat: msg.location.latitude, lon: msg.location.longitude, label: msg.venue ? `${msg.venue.title} ${msg.venue.address}` : null }
    : null;
  // file_id, never a URL: download URLs carry the bot token.
  const photos = msg.photo?.length ? [(msg.photo[msg.photo.length - 1] as { file_id: string }).file_id] : null;
  return { ...base, messageId: `${chat.id}:${msg.message_id}${ctx.editedMessage ? ':e' : ''}`, text, location, photos };
}

/** The markup of a reply: reply keyboards for categories and places, inline buttons otherwise. */
export function markupOf(r: Reply, privateChat: boolean) {
  const rows = r.choices ?? [];
  const typed = rows.flat().some((c) => c.value.startsWith('cat:') || c.value.startsWith('town:'));
  if (privateChat && (typed || r.requestLocation)) {
    const kb = new Keyboard();
    if (r.requestLocation) kb.requestLocation('📍 发送当前位置').row();
    for (const row of rows) {
      for (const c of row) kb.text(c.label);
      kb.row();
    }
    return kb.resized().oneTime();
  }
  if (rows.length === 0) return privateChat ? { remove_keyboard: true as const } : undefined;
  const ik = new InlineKeyboard();
  for (const row of rows) {
    for (const c of row) ik.text(c.label, c.value);
    ik.row();
  }
  return ik;
}

/** A throttle for pushes: at most `perSecond` a second overall, one every 3 s to the same group. */
function pushThrottle(perSecond: number) {
  let next = 0;
  const perChat = new Map<string, number>();
  return async (chatId: string) => {
    const now = Date.now();
    const group = chatId.startsWith('-');
    const at = Math.max(now, next, group ? (perChat.get(chatId) ?? 0) : 0);
    next = at + 1000 / perSecond;
    if (group) perChat.set(chatId, at + 3000);
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };
}

/** Creates the Telegram channel. */
export function createTelegramChannel(o: TelegramOptions) {
  const log = o.log ?? (() => {});
  const clock = o.clock ?? (() => new Date());
  const bot = new Bot(o.token, { client: { apiRoot: o.apiRoot }, ...(o.botInfo ? { botInfo: o.botInfo } : {}) });
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));
  const throttle = pushThrottle(o.pushPerSecond ?? 25);

  async function send(chatId: string | number, replies: Reply[], privateChat: boolean): Promise<void> {
    for (const r of replies) {
      const markup = markupOf(r, privateChat);
      await bot.api.sendMessage(chatId, r.text.slice(0, 4096), markup ? { reply_markup: markup } : {});
    }
  }

  // Updates of different chats are handled concurrently; those of one chat stay in order.
  bot.use(sequentialize((ctx) => (ctx.chat ? String(ctx.chat.id) : ctx.from ? String(ctx.from.id) : undefined)));
  bot.errorBoundary(
    (err) => {
      const e = err.error;
      const what =
        e instanceof GrammyError ? `Telegram said ${e.error_code} ${e.description}` : e instanceof HttpError ? 'network error' : String(e);
      log(`telegram: update ${err.ctx.update.update_id} failed: ${what}`);
    },
    async (ctx) => {
      const inbound = inboundOf(ctx);
      if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => {});
      if (!inbound) return;
      // Only a /join (or /start with a code) can turn a citizen into an official.
      const joining = /^\/(join|start)\s+\S/.test(inbound.text ?? '');
      const before = joining ? o.people.identity('telegram', inbound.userId).role : null;
      const result = o.dialog.handle(inbound, clock());
      const chat = ctx.chat;
      if (!chat) return;
      await send(chat.id, result.replies, chat.type === 'private');
      // A citizen who just joined as an official gets the officials' menu in this chat.
      if (joining && before === 'citizen' && o.people.identity('telegram', inbound.userId).role !== 'citizen') {
        await bot.api.setMyCommands(OFFICIAL_COMMANDS, { scope: { type: 'chat', chat_id: chat.id } }).catch(() => {});
      }
    },
  );
  bot.catch((err) => log(`telegram: ${String(err.error)}`));

  const sender: Sender = {
    async send(chatId, m) {
      await throttle(chatId);
      if (m.kind === 'reminder' || m.kind === 'digest') {
        for (const part of toTelegramHtml(m.text)) await bot.api.sendMessage(chatId, part, { parse_mode: 'HTML' });
        return;
      }
      await send(chatId, [{ text: m.text, ...(m.choices ? { choices: m.choices } : {}) }], !chatId.startsWith('-'));
    },
  };

  let mode: 'off' | 'polling' | 'webhook' = 'off';
  let runner: RunnerHandle | null = null;
  return {
    bot,
    sender,
    status: () => mode,
    /** The webhook's HTTP handler (node:http), checking the secret token. */
    webhookHandler: o.webhook ? webhookCallback(bot, 'http', { secretToken: o.webhook.secret, onTimeout: 'return' }) : null,
    webhookPath: o.webhook ? new URL(o.webhook.url).pathname : null,
    async start(): Promise<void> {
      await bot.init();
      await bot.api.setMyCommands(CITIZEN_COMMANDS);
      if (o.webhook) {
        await bot.api.setWebhook(o.webhook.url, {
          secret_token: o.webhook.secret,
          allowed_updates: ['message', 'edited_message', 'callback_query'],
        });
        mode = 'webhook';
        return;
      }
      mode = 'polling';
      await bot.api.deleteWebhook();
      // The runner fetches the next batch while this one is handled, and handles many chats at once.
      runner = run(bot, {
        runner: { fetch: { allowed_updates: ['message', 'edited_message', 'callback_query'] }, retryInterval: 'exponential', silent: true },
        sink: { concurrency: 64 },
      });
      void runner.task()?.catch((e: unknown) => {
        mode = 'off';
        log(`telegram: polling stopped: ${String(e)}`);
      });
    },
    async stop(): Promise<void> {
      if (runner?.isRunning()) await runner.stop();
      runner = null;
      mode = 'off';
    },
  };
}
