/**
 * The WeCom channel: the callback at /wecom/callback (URL verification; decryption of messages,
 * which then enter the same dialog as every channel) and the senders for app messages and the
 * group robot. The dialog handles each message (and commits it) before the callback is
 * acknowledged, which takes milliseconds; the replies go out afterwards through message/send, so
 * WeCom's 5-second limit is never at risk. A redelivered MsgId is recognised by the dialog.
 */
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { Sender } from '../../../jobs/dispatch.js';
import { toWeComMarkdown } from '../../../jobs/render.js';
import type { OutboxStore } from '../../../store/outbox.js';
import type { Dialog } from '../../dialog/dialog.js';
import type { Choice, Inbound, Reply } from '../../dialog/types.js';
import type { WeComClient, WeComTarget } from './client.js';
import { decrypt, verifySignature } from './crypto.js';

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
  dialog: Dialog;
  outbox: OutboxStore;
  clock?: () => Date;
  log?: (line: string) => void;
}

const parser = new XMLParser({ parseTagValue: false, trimValues: true, processEntities: false });

const envelopeSchema = z.object({ xml: z.object({ Encrypt: z.string().min(1) }).loose() });

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
  // The last buttons each user saw, so that "3" picks the third. Bounded: oldest users dropped.
  const lastChoices = new Map<string, Choice[]>();
  const pending = new Set<Promise<void>>();

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
        const choices = lastChoices.get(m.FromUserName);
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

  async function reply(user: string, replies: Reply[]): Promise<void> {
    if (replies.length === 0) return;
    const { text, choices } = renderReplies(replies);
    if (lastChoices.size > 10_000) lastChoices.delete(lastChoices.keys().next().value as string);
    lastChoices.set(user, choices);
    if (!o.client) {
      log('wecom: a reply was not sent: WECOM_SECRET / WECOM_AGENT_ID are not set');
      return;
    }
    try {
      await o.client.sendText({ touser: user }, text);
    } catch (e) {
      // Not lost: the dispatcher retries it with backoff.
      o.outbox.enqueue({ channel: 'wecom', chatId: user, kind: 'reply', text }, clock());
      log(`wecom: reply queued for retry: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  function handle(req: CallbackRequest): CallbackResponse {
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
    let encrypted: string;
    try {
      encrypted = envelopeSchema.parse(parser.parse(req.body)).xml.Encrypt;
    } catch {
      return { status: 400, body: 'bad xml' };
    }
    if (!verifySignature(sig, o.token, ts, nonce, encrypted)) return { status: 403, body: 'bad signature' };
    let message: WeComMessage;
    try {
      const xml = decrypt(o.encodingAesKey, encrypted, o.corpId).message;
      message = messageSchema.parse((parser.parse(xml) as { xml: unknown }).xml);
    } catch {
      return { status: 400, body: 'bad message' };
    }
    const inbound = toInbound(message);
    if (inbound) {
      const result = o.dialog.handle(inbound, clock());
      const p = reply(message.FromUserName, result.replies).finally(() => pending.delete(p));
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
      const { text } = renderReplies([{ text: m.text, ...(m.choices ? { choices: m.choices } : {}) }]);
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
