/**
 * Guards against using the dialog as an oracle: a ticket that is not the user's own answers
 * exactly as one that does not exist, and ticket lookups and ratings are rate-limited per person
 * (and per client address where the channel knows it), so ticket numbers cannot be enumerated.
 */
import type { CaseRecord, CaseStore } from '../../store/cases.js';
import type { LimitStore } from '../../store/limits.js';
import type { Reply, ValidInbound } from './types.js';

/** The one answer for "not yours" and "does not exist". */
export function notFoundForYou(ticket: string): Reply {
  return { text: `没有找到您提交的编号为 ${ticket} 的举报。请核对编号（如 JJ-20261122-7KQ4M）。` };
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
    refusal(): Reply {
      return { text: '查询太频繁了，请一小时后再试。如需帮助，请拨打12369环保举报热线。' };
    },
  };
}
