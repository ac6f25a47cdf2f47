/**
 * Every reply the assistant owes goes through the outbox, on every channel: one transaction
 * handles the inbound message (its effects and the record that it was seen, in the dialog core)
 * and writes its replies to the outbox. Only after that commit does a channel acknowledge the
 * message to its platform and send the replies; a send that fails stays pending for the dispatcher.
 * A redelivered message is not handled again: its replies still pending are sent again instead of
 * nothing. The web and terminal chats answer in the response itself: their replies are recorded as
 * delivered, and a repeated request gets the same replies back.
 *
 * The unit of work waits for another process's write lock asynchronously (the adapter retries it):
 * a locked store never holds the event loop for more than the short busy timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { OutboxMessage, OutboxPort, Store } from '../store/ports.js';
import type { Dialog } from './dialog/dialog.js';
import type { Choice, Inbound, Reply } from './dialog/types.js';

/** A message owed for one reply or more. */
export interface OwedMessage {
  text: string;
  choices?: Choice[][] | null;
  requestLocation?: boolean;
  photos?: string[];
}

/** What handling one inbound message leaves to do. */
export interface Owed {
  /** The messages to send now: for a push channel the pending ones, for a response channel all. */
  messages: OutboxMessage[];
  duplicate: boolean;
  /** The message could not be handled (nothing was recorded). */
  failed: boolean;
}

/** How a channel delivers. */
export interface DeliverOptions {
  /** The replies go back in the response itself (web, terminal): recorded as delivered. */
  inResponse?: boolean;
  /** Turns the replies into the messages to owe (WeCom joins them into one numbered text). */
  shape?: (replies: Reply[]) => OwedMessage[];
  /** Runs inside the transaction after the replies are owed (WeCom keeps the numbered choices). */
  withinCommit?: (replies: Reply[], now: Date) => Promise<void>;
  /** How long the dispatcher leaves a reply to the channel that sends it at once. */
  holdMs?: number;
}

/** The key prefix of the replies owed for one inbound message (per channel, user, chat and id). */
export function replyKeyPrefix(m: Pick<Inbound, 'channel' | 'userId' | 'chatId' | 'messageId'>): string | null {
  if (!m.messageId) return null;
  const h = createHash('sha256')
    .update(JSON.stringify([m.channel, m.userId, m.chatId, m.messageId]))
    .digest('hex')
    .slice(0, 32);
  return `reply:${h}:`;
}

/** The delivery of inbound messages through the outbox. */
export interface Delivery {
  handle(inbound: Inbound, now: Date, options?: DeliverOptions): Promise<Owed>;
}

/** Creates the delivery. */
export function createDelivery(deps: { store: Pick<Store, 'transaction'>; dialog: Dialog; outbox: OutboxPort }): Delivery {
  const { store, dialog, outbox } = deps;
  const tx = async (inbound: Inbound, now: Date, o: DeliverOptions): Promise<Owed> => {
    const prefix = replyKeyPrefix(inbound);
    const r = await dialog.handle(inbound, now);
    const keep = (ms: OutboxMessage[]) => (o.inResponse ? ms : ms.filter((x) => x.status === 'pending'));
    if (r.duplicate) return { messages: keep(prefix ? await outbox.byKeyPrefix(prefix) : []), duplicate: true, failed: false };
    // A message that was not handled (and so not recorded) may come again: its replies get keys of their own.
    const base = prefix && !r.failed ? prefix : `reply:${randomBytes(16).toString('hex')}:`;
    const owed: OwedMessage[] = o.shape ? o.shape(r.replies) : r.replies;
    const notBefore = new Date(now.getTime() + (o.holdMs ?? 60_000));
    for (const [i, x] of owed.entries()) {
      await outbox.enqueue(
        {
          dedupeKey: `${base}${String(i).padStart(3, '0')}`,
          channel: String(inbound.channel),
          chatId: String(inbound.chatId),
          kind: 'reply',
          text: x.text,
          choices: x.choices ?? null,
          requestLocation: x.requestLocation === true,
          photos: x.photos ?? null,
          notBefore,
          delivered: o.inResponse === true,
        },
        now,
      );
    }
    await o.withinCommit?.(r.replies, now);
    return { messages: keep(await outbox.byKeyPrefix(base)), duplicate: false, failed: r.failed === true };
  };
  return {
    handle: (inbound, now, options = {}) => store.transaction(() => tx(inbound, now, options)),
  };
}

/** Owed messages as replies (for the channels that answer in the response). */
export function asReplies(messages: OutboxMessage[]): Reply[] {
  return messages.map((m) => ({
    text: m.text,
    ...(m.choices ? { choices: m.choices } : {}),
    ...(m.requestLocation ? { requestLocation: true } : {}),
    ...(m.photos?.length ? { photos: m.photos } : {}),
  }));
}
