/**
 * The WeCom channel: the callback at /wecom/callback (URL verification; decryption of messages,
 * which then enter the same dialog as every channel) and the senders for app messages and the
 * group robot.
 *
 * A callback is authenticated before anything is parsed: its timestamp must be within a few minutes
 * of ours (a captured callback cannot be replayed later), and the signature is checked over the raw
 * `Encrypt` field, found by a bounded scan of a body of at most 64 KB, compared in constant time.
 * Only then is the payload decrypted and its XML parsed. A failing request costs microseconds.
 *
 * Each message is handled (and committed, with its owed reply in the outbox and the numbered
 * choices in the store) before the callback is acknowledged; the reply goes out afterwards through
 * message/send, and stays in the outbox for the dispatcher when WeCom cannot be reached. A
 * redelivered MsgId is not handled again, but its reply is sent again if it is still owed.
 */
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { dispatchDefaults, type Sender } from '../../../jobs/dispatch.js';
import { toWeComMarkdown } from '../../../jobs/render.js';
import type { ChoiceStore } from '../../../store/choices.js';
import type { OutboxMessage, OutboxStore } from '../../../store/outbox.js';
import type { Delivery } from '../../delivery.js';
import type { Choice, Inbound, Reply } from '../../dialog/types.js';
import type { WeComClient, WeComTarget } from './client.js';
import { decrypt, extractEncrypt, verifySignature } from './crypto.js';

/** How far a callback's timestamp may be from our clock, by default (seconds). */
export const WECOM_MAX_SKEW_SECONDS = 300;

/** A request to the callback, independent of the HTTP server. */
export interface CallbackRequest {
  method: string;
  query: URLSearchParams;
  body: string;
}

/** The answer to the callback. */
export interface CallbackResponse {
  status: number;
  body: string;
}

/** Settings of the channel. */
export interface WeComChannelOptions {
  token: string;
  encodingAesKey: string;
  corpId: string;
  client: WeComClient | null;
  delivery: Delivery;
  outbox: OutboxStore;
  choices: ChoiceStore;
  /** How far a callback's timestamp may be from our clock (seconds). */
  maxSkewSeconds?: number;
  clock?: () => Date;
  log?: (line: string) => void;
}

// Parses only decrypted, authenticated payloads.
const parser = new XMLParser({ parseTagValue: false, trimValues: true, processEntities: false });

/** A decrypted WeCom message, validated. */
export const messageSchema = z
  .object({
    ToUserName: z.string(),
    FromUserName: z.string().min(1),
    CreateTime: z.coerce.number(),
    MsgType: z.string(),
    MsgId: z.string().optional(),
    AgentID: z.string().optional(),
    Content: z.string().optional(),
    MediaId: z.string().optional(),
    Location_X: z.coerce.number().optional(),
    Location_Y: z.coerce.number().optional(),
    Label: z.string().optional(),
    Event: z.string().optional(),
  })
  .loose();

/** A decrypted WeCom message. */
export type WeComMessage = z.infer<typeof messageSchema>;

/** Where a chat id of a unit goes: "party:2" is a department, anything else a user id. */
export function targetOf(chatId: string): WeComTarget {
  return chatId.startsWith('party:') ? { toparty: chatId.slice(6) } : { touser: chatId.replace(/^user:/, '') };
}

/** Renders replies as one text, buttons as a numbered list to answer with a number. */
export function renderReplies(replies: Reply[]): { text: string; choices: Choice[] } {
  const choices: Choice[] = [];
  const parts = replies.map((r) => {
    const flat = (r.choices ?? []).flat();
    if (flat.length === 0) return r.text;
    const list = flat.map((c) => `${choices.push(c)}. ${c.label}`).join('\n');
    return `${r.text}\n${list}${r.requestLocation ? '\n（也可以发送位置：点“+”→“位置”）' : ''}`;
  });
  return { text: parts.join('\n\n'), choices };
}

/** Creates the WeCom channel. */
export function createWeComChannel(o: WeComChannelOptions) {
  const clock = o.clock ?? (() => new Date());
  const log = o.log ?? (() => {});
  const maxSkew = o.maxSkewSeconds ?? WECOM_MAX_SKEW_SECONDS;
  const pending = new Set<Promise<void>>();
  // Outbox ids being sent by this process: a redelivery meanwhile does not send them twice.
  const inFlight = new Set<number>();

  function toInbound(m: WeComMessage): Inbound | null {
    const base = {
      channel: 'wecom',
      userId: m.FromUserName,
      chatId: m.FromUserName,
      messageId: m.MsgId ?? `${m.FromUserName}:${m.CreateTime}:${m.Event ?? m.MsgType}`,
    };
    switch (m.MsgType) {
      case 'text': {
        const text = m.Content ?? '';
        const n = Number(text.trim());
        // The buttons this user last saw, from the store: right after a restart and in any process.
        const choices = o.choices.get('wecom', m.FromUserName);
        if (choices && Number.isInteger(n) && n >= 1 && n <= choices.length) return { ...base, choice: (choices[n - 1] as Choice).value };
        const byLabel = choices?.find((c) => c.label === text.trim());
        return byLabel ? { ...base, choice: byLabel.value } : { ...base, text };
      }
      case 'image':
        return m.MediaId ? { ...base, photos: [m.MediaId] } : null;
      case 'location':
        return { ...base, location: { lat: m.Location_X ?? Number.NaN, lon: m.Location_Y ?? Number.NaN, label: m.Label ?? null } };
      case 'event':
        return m.Event === 'subscribe' ? { ...base, text: '/start' } : null;
      default:
        return { ...base, text: '' };
    }
  }

  /** Sends owed replies (already in the outbox) and records each outcome. */
  async function sendOwed(user: string, messages: OutboxMessage[]): Promise<void> {
    for (const m of messages) inFlight.add(m.id);
    try {
      await sendEach(user, messages);
    } finally {
      for (const m of messages) inFlight.delete(m.id);
    }
  }

  async function sendEach(user: string, messages: OutboxMessage[]): Promise<void> {
    for (const m of messages) {
      const now = clock();
      if (!o.client) {
        log('wecom: a reply waits in the outbox: WECOM_SECRET / WECOM_AGENT_ID are not set');
        return;
      }
      try {
        await o.client.sendText({ touser: user }, m.text);
        o.outbox.markSent(m.id, now);
      } catch (e) {
        // Not lost: the dispatcher retries it with backoff.
        const error = e instanceof Error ? e.message : String(e);
        try {
          o.outbox.markFailed(m.id, error, new Date(now.getTime() + dispatchDefaults.backoffMs(m.attempts + 1)));
        } catch {}
        log(`wecom: reply left for retry: ${error}`);
        return;
      }
    }
  }

  async function handle(req: CallbackRequest): Promise<CallbackResponse> {
    const q = (k: string) => req.query.get(k) ?? '';
    const [sig, ts, nonce] = [q('msg_signature'), q('timestamp'), q('nonce')];
    if (req.method === 'GET') {
      const echostr = q('echostr');
      if (!echostr || !verifySignature(sig, o.token, ts, nonce, echostr)) return { status: 403, body: 'bad signature' };
      try {
        return { status: 200, body: decrypt(o.encodingAesKey, echostr, o.corpId).message };
      } catch {
        return { status: 400, body: 'bad echostr' };
      }
    }
    if (req.method !== 'POST') return { status: 405, body: 'method not allowed' };
    // Authenticate before any parsing: the timestamp window, then the signature over the raw Encrypt.
    const now = clock();
    if (!/^\d{1,12}$/.test(ts) || Math.abs(now.getTime() / 1000 - Number(ts)) > maxSkew) return { status: 403, body: 'stale timestamp' };
    const encrypted = extractEncrypt(req.body);
    if (encrypted === null) return { status: 400, body: 'bad body' };
    if (!verifySignature(sig, o.token, ts, nonce, encrypted)) return { status: 403, body: 'bad signature' };
    let message: WeComMessage;
    try {
      const xml = decrypt(o.encodingAesKey, encrypted, o.corpId).message;
      message = messageSchema.parse((parser.parse(xml) as { xml: unknown }).xml);
    } catch {
      return { status: 400, body: 'bad message' };
    }
    const inbound = toInbound(message);
    if (!inbound) return { status: 200, body: 'success' };
    const user = message.FromUserName;
    // Committed before WeCom hears "success"; a failure here makes WeCom deliver it again.
    const owed = await o.delivery.handle(inbound, now, {
      shape: (replies) => (replies.length ? [{ text: renderReplies(replies).text }] : []),
      withinCommit: (replies, at) => {
        if (replies.length) o.choices.put('wecom', user, renderReplies(replies).choices, at);
      },
    });
    const toSend = owed.messages.filter((m) => !inFlight.has(m.id));
    if (toSend.length) {
      const p = sendOwed(user, toSend).finally(() => pending.delete(p));
      pending.add(p);
    }
    return { status: 200, body: 'success' };
  }

  const sender: Sender = {
    async send(chatId, m) {
      if (!o.client) throw new Error('wecom: app messages need WECOM_CORP_ID, WECOM_SECRET and WECOM_AGENT_ID');
      const to = targetOf(chatId);
      if (m.kind === 'reminder' || m.kind === 'digest') {
        for (const part of toWeComMarkdown(m.text)) await o.client.sendMarkdown(to, part);
        return;
      }
      const { text, choices } = renderReplies([{ text: m.text, ...(m.choices ? { choices: m.choices } : {}) }]);
      // A notification with buttons (rate the handling): "1" now picks from these.
      if (choices.length && to.touser) o.choices.put('wecom', to.touser, choices, new Date());
      await o.client.sendText(to, text);
    },
  };

  return {
    handle,
    sender,
    /** Resolves when the replies under way have been sent (tests and the benchmark wait on it). */
    idle: async () => {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}

/** The group-robot sender: chat id "default" is WECOM_WEBHOOK_KEY, any other is a robot key. */
export function robotSender(robot: { send(key: string, markdown: string): Promise<void> }, defaultKey: string | undefined): Sender {
  return {
    async send(chatId, m) {
      const key = chatId === 'default' ? defaultKey : chatId;
      if (!key) throw new Error('wecom: no group robot key (WECOM_WEBHOOK_KEY)');
      for (const part of toWeComMarkdown(m.text)) await robot.send(key, part);
    },
  };
}
