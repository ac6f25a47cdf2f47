/**
 * The dispatcher: sends what the outbox holds, through whichever channel each message is for, with
 * retries and backoff. One failing message (or channel) never holds up the others.
 */
import { CHANNELS, type Channel, isChannel } from '../core/domain.js';
import type { OutboxMessage, OutboxPort } from '../store/ports.js';

/** Something that can deliver a message to a chat of one channel. */
export interface Sender {
  send(chatId: string, message: Pick<OutboxMessage, 'text' | 'choices' | 'kind'>): Promise<void>;
}

/** Senders by channel. */
export type Senders = Partial<Record<Channel, Sender>>;

/** The defaults of dispatching. */
export const dispatchDefaults = {
  batch: 50,
  maxAttempts: 8,
  /** Delay before retry n (1-based): 1, 2, 4 … minutes, at most 6 hours. */
  backoffMs: (attempt: number) => Math.min(6 * 3600_000, 60_000 * 2 ** (attempt - 1)),
};

/** What one dispatch round did. */
export interface DispatchReport {
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

/** Sends the messages due at `now`. */
export async function dispatchDue(outbox: OutboxPort, senders: Senders, now: Date): Promise<DispatchReport> {
  const report: DispatchReport = { sent: 0, retried: 0, failed: 0, skipped: 0 };
  // Only channels this process can send through: messages for the others (the web and terminal
  // chats fetch their own) must not fill the batch and starve the rest.
  const channels = CHANNELS.filter((c) => senders[c]);
  for (const m of await outbox.due(now, dispatchDefaults.batch, [...channels])) {
    const sender = m.channel && isChannel(m.channel) ? senders[m.channel] : undefined;
    if (!sender || !m.chatId) {
      report.skipped++;
      continue;
    }
    try {
      await sender.send(m.chatId, m);
      await outbox.markSent(m.id, now);
      report.sent++;
    } catch (e) {
      const attempt = m.attempts + 1;
      const error = e instanceof Error ? e.message : String(e);
      if (attempt >= dispatchDefaults.maxAttempts) {
        await outbox.markFailed(m.id, error, null);
        report.failed++;
      } else {
        await outbox.markFailed(m.id, error, new Date(now.getTime() + dispatchDefaults.backoffMs(attempt)));
        report.retried++;
      }
    }
  }
  return report;
}
