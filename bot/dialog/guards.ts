/**
 * Guards against using the dialog as an oracle: a ticket that is not the user's own answers
 * exactly as one that does not exist, and ticket lookups and ratings are rate-limited per person
 * (and per client address where the channel knows it), so ticket numbers cannot be enumerated.
 */
import { type Lang, messages } from '../../core/messages/index.js';
import type { CaseRecord, CaseStore } from '../../store/cases.js';
import type { LimitStore } from '../../store/limits.js';
import type { Reply, ValidInbound } from './types.js';

/** The one answer for "not yours" and "does not exist". */
export function notFoundForYou(ticket: string, lang: Lang = 'zh'): Reply {
  return { text: messages(lang).notFoundForYou(ticket) };
}

/** The case if it is the user's own (filed from this channel identity). */
export function ownCase(cases: CaseStore, m: Pick<ValidInbound, 'channel' | 'userId'>, ticket: string): CaseRecord | null {
  const c = cases.byTicket(ticket);
  return c && c.channel === m.channel && c.userId === m.userId ? c : null;
}

const HOUR = 3600_000;

/** Counts lookups of a ticket; refuses past the hourly limit. Without a store, allows all. */
export function createLookupGuard(limits: LimitStore | null, perHour: number) {
  return {
    allowed(m: Pick<ValidInbound, 'channel' | 'userId' | 'origin'>, now: Date): boolean {
      if (!limits) return true;
      if (!limits.take('lookup', `${m.channel}:${m.userId}`, now, HOUR, perHour)) return false;
      // Behind one address may be many people (a village office): a wider limit.
      return !m.origin || limits.take('lookup-addr', m.origin, now, HOUR, perHour * 5);
    },
    refusal(lang: Lang = 'zh'): Reply {
      return { text: messages(lang).lookupsTooMany };
    },
  };
}
