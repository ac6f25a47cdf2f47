/**
 * The Telegram channel through grammY: long polling by default, a webhook (with its secret token
 * checked in constant time on every request) when configured. Updates become channel-neutral
 * inbound messages for the dialog core; replies become messages with inline buttons, or reply
 * keyboards for the category and place questions (with a location button).
 *
 * An update is acknowledged only after it is committed: its effects and its owed replies (in the
 * outbox) in one transaction. The webhook answers 200 after that commit (503 when it could not
 * commit, so Telegram delivers it again); polling asks for the next updates only past those
 * committed. Replies are then sent, in order per chat; one that cannot be sent (the Bot API is
 * down) stays in the outbox for the dispatcher, and a redelivered update sends its still-pending
 * replies again. Long texts are split before any escaping.
 */

import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, BotError, type Context, GrammyError, HttpError, InlineKeyboard, InputFile, Keyboard } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { type Lang, messages } from '../../core/messages/index.js';
import { dispatchDefaults, type Sender } from '../../jobs/dispatch.js';
import { splitParagraphs, toTelegramEntities } from '../../jobs/render.js';
import type { OutboxMessage, OutboxPort, PeoplePort } from '../../store/ports.js';
import type { Delivery } from '../delivery.js';
import type { Inbound, Reply } from '../dialog/types.js';
import { safeEqual } from '../sessions.js';

/** Settings of the channel. */
export interface TelegramOptions {
  token: string;
  apiRoot: string;
  webhook?: { url: string; secret: string } | null;
  delivery: Delivery;
  outbox: OutboxPort;
  people: PeoplePort;
  /** Skips getMe (tests). */
  botInfo?: UserFromGetMe;
  /** The time of each request or update (the composition root passes the system clock). */
  clock: Clock;
  log?: (line: string) => void;
  /** The bytes of a case photo kept as a file (web uploads, downloaded WeCom photos). */
  photoFile?: (ref: string) => Promise<{ bytes: Buffer; mime: string } | null>;
  /** Pushes per second across all chats (Telegram: about 30). */
  pushPerSecond?: number;
}

/** Thrown when an update could not be committed: it must not be acknowledged. */
class NotCommitted extends Error {}

const userSchema = z.object({ id: z.number().int(), is_bot: z.boolean(), first_name: z.string().max(1024) }).loose();
const messageSchema = z
  .object({
    message_id: z.number().int(),
    chat: z.object({ id: z.number().int(), type: z.string().max(32) }).loose(),
    from: userSchema.optional(),
    text: z.string().max(16_384).optional(),
    caption: z.string().max(4096).optional(),
    location: z.object({ latitude: z.number(), longitude: z.number() }).loose().optional(),
    venue: z
      .object({ title: z.string().max(1024), address: z.string().max(1024) })
      .loose()
      .optional(),
    photo: z
      .array(z.object({ file_id: z.string().max(512) }).loose())
      .max(20)
      .optional(),
  })
  .loose();
/** The parts of an update the channel reads, validated before grammY sees it. */
export const updateSchema = z
  .object({
    update_id: z.number().int().nonnegative(),
    message: messageSchema.optional(),
    edited_message: messageSchema.optional(),
    callback_query: z
      .object({ id: z.string().max(256), from: userSchema, data: z.string().max(512).optional(), message: messageSchema.optional() })
      .loose()
      .optional(),
  })
  .loose();

/** The citizens' command menu, in a language (from the message catalog). */
export function citizenCommands(lang: Lang = 'zh'): Array<{ command: string; description: string }> {
  return Object.entries(messages(lang).telegram.menu).map(([command, description]) => ({ command, description }));
}

/** What officials see in the menu: the citizens' commands and theirs. */
export function officialCommands(lang: Lang = 'zh'): Array<{ command: string; description: string }> {
  return [
    ...citizenCommands(lang),
    ...Object.entries(messages(lang).telegram.officialMenu).map(([command, description]) => ({ command, description })),
  ];
}

/** The command menus in Chinese (the default). */
export const CITIZEN_COMMANDS = citizenCommands('zh');
export const OFFICIAL_COMMANDS = officialCommands('zh');

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
  // In groups the bot listens only to commands and to replies to its own messages (an official
  // answering a reminder); members talk among themselves.
  const toBot = msg.reply_to_message?.from?.id !== undefined && msg.reply_to_message.from.id === ctx.me?.id;
  if (chat.type !== 'private' && !text?.startsWith('/') && !toBot) return null;
  const location = msg.location
    ? { lat: msg.location.latitude, lon: msg.location.longitude, label: msg.venue ? `${msg.venue.title} ${msg.venue.address}` : null }
    : null;
  // file_id, never a URL: download URLs carry the bot token.
  const photos = msg.photo?.length ? [(msg.photo[msg.photo.length - 1] as { file_id: string }).file_id] : null;
  // A reply to a reminder carries the reminder's text, so that "#节点号" in it says what is updated.
  const replied = msg.reply_to_message;
  const replyTo = replied ? { text: (replied.text ?? replied.caption ?? null)?.slice(0, 8000) ?? null } : null;
  return { ...base, messageId: `${chat.id}:${msg.message_id}${ctx.editedMessage ? ':e' : ''}`, text, location, photos, replyTo };
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
    // Pacing, not the time of day: the monotonic timer, as the setTimeout it feeds (a test's fixed
    // clock would stall it).
    const now = performance.now();
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
  const clock = o.clock;
  const bot = new Bot(o.token, { client: { apiRoot: o.apiRoot }, ...(o.botInfo ? { botInfo: o.botInfo } : {}) });
  // Waits out a 429's retry_after; other failures are the outbox's to retry (with backoff, across restarts).
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: true, rethrowInternalServerErrors: true }));
  const throttle = pushThrottle(o.pushPerSecond ?? 25);

  /** Sends one owed message: split into pieces of at most 4,096 characters, the buttons on the last. */
  async function sendMessage(chatId: string, m: Pick<OutboxMessage, 'text' | 'choices' | 'kind'> & { requestLocation?: boolean }) {
    if (m.kind === 'reminder' || m.kind === 'digest') {
      // Entities, not markup: nothing in the text needs escaping.
      for (const part of toTelegramEntities(m.text)) await bot.api.sendMessage(chatId, part.text, { entities: part.entities });
      return;
    }
    const privateChat = !chatId.startsWith('-');
    // Long replies are split on paragraph boundaries, never cut.
    const parts = splitParagraphs(m.text, 4096);
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      const markup = last
        ? markupOf(
            { text: part, ...(m.choices ? { choices: m.choices } : {}), ...(m.requestLocation ? { requestLocation: true } : {}) },
            privateChat,
          )
        : undefined;
      await bot.api.sendMessage(chatId, part, markup ? { reply_markup: markup } : {});
    }
    // Case photos for the officials who act on them: by file_id (Telegram's own), or the stored file.
    for (const p of (m as { photos?: string[] | null }).photos ?? []) {
      const ref = p.slice(p.indexOf('#') + 1);
      const stored = (await o.photoFile?.(ref)) ?? null;
      if (stored) await bot.api.sendPhoto(chatId, new InputFile(stored.bytes), { caption: p.slice(0, p.indexOf('#')) });
      else if (!/^(web|wecom):/.test(ref)) await bot.api.sendPhoto(chatId, ref, { caption: p.slice(0, p.indexOf('#')) });
    }
  }

  // Replies of one chat go out in order; chats do not wait for each other.
  const chains = new Map<string, Promise<void>>();
  const pending = new Set<Promise<void>>();
  // Outbox ids queued or being sent by this process: a redelivery meanwhile does not send them twice.
  const inFlight = new Set<number>();
  function sendOwed(chatId: string, owed: OutboxMessage[]): void {
    const messages = owed.filter((m) => !inFlight.has(m.id));
    if (messages.length === 0) return;
    for (const m of messages) inFlight.add(m.id);
    const run = async () => {
      for (const m of messages) {
        try {
          await sendMessage(chatId, m);
          await o.outbox.markSent(m.id, clock());
        } catch (e) {
          const now = clock();
          const error =
            e instanceof GrammyError
              ? `Telegram said ${e.error_code} ${e.description}`
              : e instanceof HttpError
                ? 'network error'
                : String(e);
          try {
            await o.outbox.markFailed(m.id, error, new Date(now.getTime() + dispatchDefaults.backoffMs(m.attempts + 1)));
          } catch {}
          log(`telegram: reply left in the outbox for retry: ${error}`);
          return;
        }
      }
    };
    const next = (chains.get(chatId) ?? Promise.resolve()).then(run, run);
    chains.set(chatId, next);
    const tracked = next.finally(() => {
      for (const m of messages) inFlight.delete(m.id);
      pending.delete(tracked);
      if (chains.get(chatId) === next) chains.delete(chatId);
    });
    pending.add(tracked);
  }

  bot.use(async (ctx: Context) => {
    const inbound = inboundOf(ctx);
    const chat = ctx.chat;
    if (!inbound || !chat) {
      if (ctx.callbackQuery) void ctx.answerCallbackQuery().catch(() => {});
      return;
    }
    // Only a /join (or /start with a code) can turn a citizen into an official.
    const joining = /^\/(join|start)\s+\S/.test(inbound.text ?? '');
    const before = joining ? (await o.people.identity('telegram', inbound.userId)).role : null;
    let owed: Awaited<ReturnType<Delivery['handle']>>;
    try {
      owed = await o.delivery.handle(inbound, clock());
    } catch (e) {
      throw new NotCommitted(e instanceof Error ? e.message : String(e));
    }
    // Committed: from here on nothing is lost, whatever the Bot API does.
    if (ctx.callbackQuery) void ctx.answerCallbackQuery().catch(() => {});
    sendOwed(String(chat.id), owed.messages);
    // A citizen who just joined as an official gets the officials' menu in this chat.
    if (joining && before === 'citizen' && (await o.people.identity('telegram', inbound.userId)).role !== 'citizen') {
      void bot.api.setMyCommands(OFFICIAL_COMMANDS, { scope: { type: 'chat', chat_id: chat.id } }).catch(() => {});
    }
  });

  /** Handles one update; false when it was not committed (it must come again). */
  async function handleOne(raw: unknown): Promise<boolean> {
    const u = updateSchema.safeParse(raw);
    if (!u.success) return true; // Nothing this assistant reads: acknowledged and ignored.
    try {
      await bot.handleUpdate(u.data as unknown as Update);
      return true;
    } catch (e) {
      const err = e instanceof BotError ? e.error : e;
      if (err instanceof NotCommitted || !(e instanceof BotError)) {
        log(`telegram: update ${u.data.update_id} not committed, it will come again: ${err instanceof Error ? err.message : String(err)}`);
        return false;
      }
      log(`telegram: update ${u.data.update_id} failed: ${err instanceof Error ? err.message : String(err)}`);
      return true;
    }
  }

  const sender: Sender = {
    async send(chatId, m) {
      await throttle(chatId);
      await sendMessage(chatId, m);
    },
  };

  let mode: 'off' | 'polling' | 'webhook' = 'off';
  let polling: { abort: AbortController; done: Promise<void> } | null = null;

  /** Long polling that asks for updates past an id only once that update is committed. */
  async function poll(abort: AbortController): Promise<void> {
    let offset = 0;
    let delay = 1000;
    while (!abort.signal.aborted) {
      let updates: Update[];
      try {
        updates = await bot.api.getUpdates(
          { offset, timeout: 25, allowed_updates: ['message', 'edited_message', 'callback_query'] },
          // grammy declares its own AbortSignal (a structural twin of the platform's).
          abort.signal as Parameters<typeof bot.api.getUpdates>[1],
        );
        delay = 1000;
      } catch (e) {
        if (abort.signal.aborted) break;
        if (e instanceof GrammyError && (e.error_code === 401 || e.error_code === 409)) {
          mode = 'off';
          log(`telegram: polling stopped: ${e.description}`);
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(30_000, delay * 2);
        continue;
      }
      for (const u of updates) {
        if (abort.signal.aborted) return;
        if (!(await handleOne(u))) {
          await new Promise((r) => setTimeout(r, 1000));
          break;
        }
        offset = u.update_id + 1;
      }
    }
    // Tell Telegram what was handled, so a restart does not get it again.
    if (offset > 0) await bot.api.getUpdates({ offset, limit: 1, timeout: 0 }).catch(() => {});
  }

  /**
   * Downloads a file by its file_id on the server side: getFile, then the bytes under the API root.
   * The download address carries the bot token, so it is never logged, shown or returned; null when
   * the file cannot be had (unknown, too big, the Bot API down or slow).
   */
  async function downloadFile(fileId: string, maxBytes: number): Promise<Buffer | null> {
    try {
      const f = await bot.api.getFile(fileId);
      const path = f.file_path;
      if (!path || path.length > 512 || /(^|\/)\.\.(\/|$)|^\/|[?#\\]/.test(path)) return null;
      if (f.file_size !== undefined && f.file_size > maxBytes) return null;
      const url = `${o.apiRoot.replace(/\/+$/, '')}/file/bot${o.token}/${path.split('/').map(encodeURIComponent).join('/')}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(20_000), redirect: 'error' });
      if (!res.ok || !res.body) return null;
      if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
        await res.body.cancel().catch(() => {});
        return null;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        n += chunk.length;
        if (n > maxBytes) return null;
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks);
    } catch (e) {
      // Only the kind of failure: a message of fetch may quote the address, which has the token.
      log(
        `telegram: file not downloaded: ${e instanceof GrammyError ? `Telegram said ${e.error_code}` : e instanceof Error ? e.name : 'error'}`,
      );
      return null;
    }
  }

  return {
    bot,
    sender,
    downloadFile,
    status: () => mode,
    /** The webhook's handler: the secret token checked in constant time, then the update committed, then 200. */
    webhook: o.webhook
      ? {
          path: new URL(o.webhook.url).pathname,
          handle: async (req: { body: Buffer; secret: string | undefined }): Promise<{ status: number; body: string }> => {
            if (req.secret === undefined || !safeEqual(req.secret, (o.webhook as { secret: string }).secret)) {
              return { status: 401, body: 'unauthorized' };
            }
            let update: unknown;
            try {
              update = JSON.parse(req.body.toString('utf8'));
            } catch {
              return { status: 400, body: 'bad json' };
            }
            if (!bot.isInited()) return { status: 503, body: 'starting' };
            return (await handleOne(update)) ? { status: 200, body: 'ok' } : { status: 503, body: 'not committed' };
          },
        }
      : null,
    async start(): Promise<void> {
      await bot.init();
      // The menu is a nicety: a Bot API that is down at start-up must not keep the assistant from starting.
      await bot.api.setMyCommands(CITIZEN_COMMANDS).catch((e: unknown) => log(`telegram: menu not set: ${String(e)}`));
      // Users whose Telegram is in English see the menu in English.
      await bot.api.setMyCommands(citizenCommands('en'), { language_code: 'en' }).catch(() => {});
      if (o.webhook) {
        await bot.api.setWebhook(o.webhook.url, {
          secret_token: o.webhook.secret,
          allowed_updates: ['message', 'edited_message', 'callback_query'],
        });
        mode = 'webhook';
        return;
      }
      mode = 'polling';
      await bot.api.deleteWebhook().catch((e: unknown) => log(`telegram: deleteWebhook failed (polling retries): ${String(e)}`));
      const abort = new AbortController();
      polling = {
        abort,
        done: poll(abort).catch((e: unknown) => {
          mode = 'off';
          log(`telegram: polling stopped: ${String(e)}`);
        }),
      };
    },
    async stop(): Promise<void> {
      if (polling) {
        polling.abort.abort();
        await polling.done;
      }
      polling = null;
      mode = 'off';
      await Promise.allSettled([...pending]);
    },
    /** Resolves when the replies under way have been sent or left for retry. */
    idle: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
