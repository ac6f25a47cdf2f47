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
import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { Clock } from '../../../core/clock.js';
import { type Lang, messages } from '../../../core/messages/index.js';
import { dispatchDefaults, type Sender } from '../../../jobs/dispatch.js';
import { toWeComMarkdown } from '../../../jobs/render.js';
import type { ChoicePort, OutboxMessage, OutboxPort, WeComCardPort } from '../../../store/ports.js';
import { type Delivery, type OwedMessage, replyKeyPrefix } from '../../delivery.js';
import type { Choice, Inbound, Reply } from '../../dialog/types.js';
import { WeComApiError, type WeComClient, WeComMediaTooLarge, type WeComTarget } from './client.js';
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
  outbox: OutboxPort;
  choices: ChoicePort;
  /** How far a callback's timestamp may be from our clock (seconds). */
  maxSkewSeconds?: number;
  /** Template cards sent for choices (without it, choices are always a numbered list). */
  cards?: WeComCardPort;
  /** Case photos kept as files: received images are downloaded into it, `/photos` reads from it. */
  photos?: PhotoFiles;
  /** Largest photo downloaded (bytes). */
  maxPhotoBytes?: number;
  /** The language a user writes in (for the card's title, the chosen label, a refused photo). */
  lang?: (userId: string) => Promise<Lang | null>;
  /** The time of each request or update (the composition root passes the system clock). */
  clock: Clock;
  log?: (line: string) => void;
}

// Parses only decrypted, authenticated payloads.
const parser = new XMLParser({ parseTagValue: false, trimValues: true, processEntities: false });

/** Case photos kept as files, by their channel reference ("wecom:<media id>"). */
export interface PhotoFiles {
  has(ref: string): Promise<boolean>;
  save(ref: string, bytes: Buffer, now: Date): Promise<{ ok: true } | { ok: false; reason: 'not_image' | 'too_large' }>;
  read(ref: string): Promise<{ bytes: Buffer; mime: string } | null>;
}

/** WeCom's limits of a button_interaction card. */
export const CARD_LIMITS = { buttons: 6, keyBytes: 1024, subtitleChars: 160, replaceNameChars: 20 };

/** Whether buttons fit on one button_interaction card: 1–6, distinct keys of at most 1 KB. */
export function fitsCard(choices: Choice[]): boolean {
  return (
    choices.length >= 1 &&
    choices.length <= CARD_LIMITS.buttons &&
    new Set(choices.map((c) => c.value)).size === choices.length &&
    choices.every((c) => c.label.length > 0 && c.value.length > 0 && Buffer.byteLength(c.value) <= CARD_LIMITS.keyBytes)
  );
}

/** The reference a WeCom image is kept under in a case (and its stored file). */
export const wecomPhotoRef = (mediaId: string) => `wecom:${mediaId}`;

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
    EventKey: z.string().optional(),
    TaskId: z.string().optional(),
    ResponseCode: z.string().optional(),
    CardType: z.string().optional(),
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

/**
 * The owed message(s) for the replies: one text. When the buttons come from one reply and fit on a
 * card, the text is kept without the numbered list and the buttons travel with it (sent as a card,
 * or as the numbered list when the card cannot be sent); otherwise the numbered list is in the text.
 */
export function shapeReplies(replies: Reply[], cards: boolean): OwedMessage[] {
  if (!replies.length) return [];
  const photos = replies.flatMap((r) => r.photos ?? []);
  const withChoices = replies.filter((r) => (r.choices ?? []).flat().length > 0);
  const one = withChoices.length === 1 ? (withChoices[0] as Reply) : null;
  const flat = one ? (one.choices ?? []).flat() : [];
  if (cards && one && fitsCard(flat)) {
    return [
      {
        text: replies.map((r) => r.text).join('\n\n'),
        choices: [flat],
        ...(one.requestLocation ? { requestLocation: true } : {}),
        ...(photos.length ? { photos } : {}),
      },
    ];
  }
  return [{ text: renderReplies(replies).text, ...(photos.length ? { photos } : {}) }];
}

/** Creates the WeCom channel. */
export function createWeComChannel(o: WeComChannelOptions) {
  const clock = o.clock;
  const log = o.log ?? (() => {});
  const maxSkew = o.maxSkewSeconds ?? WECOM_MAX_SKEW_SECONDS;
  const pending = new Set<Promise<void>>();
  // Outbox ids being sent by this process: a redelivery meanwhile does not send them twice.
  const inFlight = new Set<number>();

  async function toInbound(m: WeComMessage): Promise<Inbound | null> {
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
        const choices = await o.choices.get('wecom', m.FromUserName);
        if (choices && Number.isInteger(n) && n >= 1 && n <= choices.length) return { ...base, choice: (choices[n - 1] as Choice).value };
        const byLabel = choices?.find((c) => c.label === text.trim());
        return byLabel ? { ...base, choice: byLabel.value } : { ...base, text };
      }
      case 'image':
        return m.MediaId ? { ...base, photos: [wecomPhotoRef(m.MediaId)] } : null;
      case 'location':
        return { ...base, location: { lat: m.Location_X ?? Number.NaN, lon: m.Location_Y ?? Number.NaN, label: m.Label ?? null } };
      case 'event': {
        if (m.Event === 'subscribe') return { ...base, text: '/start' };
        if (m.Event !== 'template_card_event' || !m.TaskId || !m.EventKey) return null;
        // Only a button the card had, clicked by the user it was sent to; one choice per card.
        const card = await o.cards?.get(m.TaskId);
        if (!card || card.userId !== m.FromUserName || !card.choices.some((c) => c.value === m.EventKey)) return null;
        return { ...base, messageId: `card:${m.TaskId}`, choice: m.EventKey };
      }
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
        await sendMessage({ touser: user }, m, user);
        await o.outbox.markSent(m.id, now);
      } catch (e) {
        // Not lost: the dispatcher retries it with backoff.
        const error = e instanceof Error ? e.message : String(e);
        try {
          await o.outbox.markFailed(m.id, error, new Date(now.getTime() + dispatchDefaults.backoffMs(m.attempts + 1)));
        } catch {}
        log(`wecom: reply left for retry: ${error}`);
        return;
      }
    }
  }

  const say = async (user: string | undefined) => messages((user && (await o.lang?.(user))) || 'zh');

  /**
   * Sends a text with its buttons: a button_interaction card when they fit (its task id kept, so a
   * click can be checked), else — or when WeCom refuses the card with an error code — the numbered
   * list. A text longer than a card's subtitle goes first as its own message.
   */
  async function sendWithChoices(
    client: WeComClient,
    to: WeComTarget,
    text: string,
    choices: Choice[][] | null | undefined,
    requestLocation: boolean,
    user: string | undefined,
  ): Promise<void> {
    const flat = (choices ?? []).flat();
    if (o.cards && to.touser && fitsCard(flat)) {
      const m = await say(user);
      const long = text.length > CARD_LIMITS.subtitleChars;
      const taskId = `rc_${randomBytes(12).toString('hex')}`;
      await o.cards.put(taskId, to.touser, flat, clock());
      try {
        if (long) await client.sendText(to, text);
        await client.sendTemplateCard(to, {
          card_type: 'button_interaction',
          main_title: { title: m.wecom.cardTitle },
          ...(long ? {} : { sub_title_text: text }),
          task_id: taskId,
          button_list: flat.map((c) => ({ text: c.label, style: 1, key: c.value })),
        });
        if (requestLocation) await client.sendText(to, m.wecom.locationHint);
        return;
      } catch (e) {
        if (!(e instanceof WeComApiError)) throw e;
        log(`wecom: card refused (errcode ${e.errcode}), sent as a numbered list`);
        if (long) {
          // The text went out already: only the list follows.
          await client.sendText(to, renderReplies([{ text: m.wecom.cardTitle, choices: [flat], requestLocation }]).text);
          return;
        }
      }
    }
    const body = flat.length ? renderReplies([{ text, choices: [flat], requestLocation }]).text : text;
    await client.sendText(to, body);
  }

  /** A case's photos for an official: the stored file uploaded again, else the WeCom media while valid. */
  async function sendPhotos(client: WeComClient, to: WeComTarget, photos: string[], user: string | undefined): Promise<void> {
    let missing = 0;
    for (const p of photos) {
      const ref = p.slice(p.indexOf('#') + 1);
      const stored = (await o.photos?.read(ref)) ?? null;
      try {
        if (stored) {
          const ext = stored.mime.split('/')[1] ?? 'jpg';
          await client.sendImage(to, await client.uploadImage(stored.bytes, stored.mime, `photo.${ext}`));
        } else if (ref.startsWith('wecom:')) await client.sendImage(to, ref.slice(6));
        else missing++;
      } catch (e) {
        if (!(e instanceof WeComApiError)) throw e;
        log(`wecom: a case photo could not be sent: ${e.message}`);
        missing++;
      }
    }
    if (missing) await client.sendText(to, (await say(user)).photos.expired);
  }

  async function sendMessage(
    to: WeComTarget,
    m: Pick<OutboxMessage, 'text' | 'choices' | 'requestLocation' | 'photos'>,
    user: string | undefined,
  ): Promise<void> {
    const client = o.client as WeComClient;
    await sendWithChoices(client, to, m.text, m.choices, m.requestLocation, user);
    if (m.photos?.length) await sendPhotos(client, to, m.photos, user);
  }

  /**
   * A received image is downloaded into the store at once (WeCom keeps media three days): "stored",
   * or "kept" by its media id when WeCom cannot be reached, or "refused" when the bytes are not a
   * JPEG/PNG/WebP image or too large — then nothing is stored and the photo is not attached.
   */
  async function download(mediaId: string, now: Date): Promise<'stored' | 'kept' | 'refused'> {
    const ref = wecomPhotoRef(mediaId);
    if (!o.photos || !o.client) return 'kept';
    if (await o.photos.has(ref)) return 'stored';
    try {
      const { bytes } = await o.client.getMedia(mediaId, o.maxPhotoBytes ?? 5 * 1048576);
      const r = await o.photos.save(ref, bytes, now);
      if (!r.ok) log(`wecom: a received image was refused (${r.reason})`);
      return r.ok ? 'stored' : 'refused';
    } catch (e) {
      if (e instanceof WeComMediaTooLarge) return 'refused';
      log(`wecom: a received image stays with WeCom (media_id): ${e instanceof Error ? e.message : String(e)}`);
      return 'kept';
    }
  }

  function schedule(work: () => Promise<void>): void {
    const p = work()
      .catch((e) => log(`wecom: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => pending.delete(p));
    pending.add(p);
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
    const inbound = await toInbound(message);
    if (!inbound) return { status: 200, body: 'success' };
    const user = message.FromUserName;
    if (message.MsgType === 'image' && message.MediaId && (await download(message.MediaId, now)) === 'refused') {
      // Not a photo: nothing stored or attached; the sender is told (owed like any reply).
      const prefix = replyKeyPrefix(inbound) ?? `reply:${randomBytes(16).toString('hex')}:`;
      await o.outbox.enqueue(
        {
          dedupeKey: `${prefix}000`,
          channel: 'wecom',
          chatId: user,
          kind: 'reply',
          text: (await say(user)).wecom.photoRefused(Math.round((o.maxPhotoBytes ?? 5 * 1048576) / 1048576)),
          notBefore: new Date(now.getTime() + 60_000),
        },
        now,
      );
      const toSend = (await o.outbox.byKeyPrefix(prefix)).filter((m) => m.status === 'pending' && !inFlight.has(m.id));
      if (toSend.length) schedule(() => sendOwed(user, toSend));
      return { status: 200, body: 'success' };
    }
    // Committed before WeCom hears "success"; a failure here makes WeCom deliver it again.
    const owed = await o.delivery.handle(inbound, now, {
      shape: (replies) => shapeReplies(replies, !!o.cards && !!o.client),
      withinCommit: async (replies, at) => {
        if (replies.length) await o.choices.put('wecom', user, renderReplies(replies).choices, at);
        if (message.Event === 'template_card_event' && message.TaskId) await o.cards?.choose(message.TaskId, inbound.choice ?? '', at);
      },
    });
    const toSend = owed.messages.filter((m) => !inFlight.has(m.id));
    const chosen = message.Event === 'template_card_event' && !owed.duplicate && !owed.failed && message.ResponseCode ? message : null;
    if (toSend.length || chosen) {
      schedule(async () => {
        // The clicked card shows what was chosen (its response code is good once, for 72 hours).
        if (chosen && o.client) {
          const label = (await o.cards?.get(chosen.TaskId as string))?.choices.find((c) => c.value === chosen.EventKey)?.label ?? '';
          const name = (await say(user)).wecom.chosen(label);
          try {
            await o.client.updateTemplateCardButton([user], chosen.ResponseCode as string, name.slice(0, CARD_LIMITS.replaceNameChars));
          } catch (e) {
            log(`wecom: the chosen card was not updated: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        if (toSend.length) await sendOwed(user, toSend);
      });
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
      const { choices } = renderReplies([{ text: m.text, ...(m.choices ? { choices: m.choices } : {}) }]);
      // A notification with buttons (rate the handling): "1" now picks from these.
      if (choices.length && to.touser) await o.choices.put('wecom', to.touser, choices, clock());
      const full = m as Pick<OutboxMessage, 'text' | 'choices' | 'kind'> & Partial<Pick<OutboxMessage, 'requestLocation' | 'photos'>>;
      await sendMessage(
        to,
        { text: m.text, choices: m.choices, requestLocation: full.requestLocation ?? false, photos: full.photos ?? null },
        to.touser,
      );
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
