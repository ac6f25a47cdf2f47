/**
 * Guards against using the dialog as an oracle: a ticket that is not the user's own answers
 * exactly as one that does not exist, and ticket lookups and ratings are rate-limited per person
 * (and per client address where the channel knows it), so ticket numbers cannot be enumerated.
 */
import { type Lang, messages } from '../../core/messages/index.js';
import type { CasePort, CaseRecord, LimitPort } from '../../store/ports.js';
import type { Reply, ValidInbound } from './types.js';

/** The one answer for "not yours" and "does not exist". */
export function notFoundForYou(ticket: string, lang: Lang = 'zh'): Reply {
  return { text: messages(lang).notFoundForYou(ticket) };
}

/** The case if it is the user's own (filed from this channel identity). */
export async function ownCase(cases: CasePort, m: Pick<ValidInbound, 'channel' | 'userId'>, ticket: string): Promise<CaseRecord | null> {
  const c = await cases.byTicket(ticket);
  return c && c.channel === m.channel && c.userId === m.userId ? c : null;
}

const HOUR = 3600_000;

/** Counts lookups of a ticket; refuses past the hourly limit. Without a store, allows all. */
export function createLookupGuard(limits: LimitPort | null, perHour: number) {
  return {
    async allowed(m: Pick<ValidInbound, 'channel' | 'userId' | 'origin'>, now: Date): Promise<boolean> {
      if (!limits) return true;
      if (!(await limits.take('lookup', `${m.channel}:${m.userId}`, now, HOUR, perHour))) return false;
      // Behind one address may be many people (a village office): a wider limit.
      return !m.origin || limits.take('lookup-addr', m.origin, now, HOUR, perHour * 5);
    },
    refusal(lang: Lang = 'zh'): Reply {
      return { text: messages(lang).lookupsTooMany };
    },
  };
}
