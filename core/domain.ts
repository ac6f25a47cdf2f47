/**
 * The domain's closed sets of words, as types: case statuses, the channels messages travel on,
 * the kinds and states of owed messages, and the button values of the dialog. Every layer names
 * them from here, so a typo is a type error rather than a silent mismatch.
 */

/** Statuses of a case (stored as these words). */
export const STATUS = {
  submitted: '待受理',
  accepted: '已受理',
  dispatched: '已派单',
  inProgress: '办理中',
  done: '已办结',
  rated: '已评价',
  closed: '已关闭',
  refused: '不予受理',
  duplicate: '重复',
  reopened: '重新办理',
} as const;

/** A status of a case. */
export type CaseStatus = (typeof STATUS)[keyof typeof STATUS];

/** Every case status. */
export const CASE_STATUSES: CaseStatus[] = Object.values(STATUS);

/** Whether a word is a case status. */
export const isCaseStatus = (s: string): s is CaseStatus => (CASE_STATUSES as string[]).includes(s);

/** The channels the program speaks on (a unit's robot webhook is one too). */
export const CHANNELS = ['telegram', 'wecom', 'wecom-robot', 'web', 'terminal'] as const;

/** A channel. */
export type Channel = (typeof CHANNELS)[number];

/** Whether a word names a channel. */
export const isChannel = (s: string): s is Channel => (CHANNELS as readonly string[]).includes(s);

/** Kinds of owed messages: a reply to an inbound message, a notice to a unit, a citizen or the administrators, a reminder, a digest. */
export const OUTBOX_KINDS = ['reply', 'unit', 'citizen', 'admin', 'reminder', 'digest'] as const;

/** A kind of owed message. */
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** States of an owed message. */
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'unroutable';

/** Button values the dialog understands (a word, or a prefix and its arguments joined by ":"). */
export type ButtonValue =
  | 'report'
  | 'cancel'
  | 'skip'
  | 'done'
  | 'anon'
  | 'contact'
  | 'confirm'
  | 'edit'
  | `edit:${string}`
  | `loc:${'ok' | 'retry'}`
  | `cat:${string}`
  | `town:${string}`
  | `status:${string}`
  | `rate:${string}:${'yes' | 'no'}`
  | `rate-answer:${'up' | 'down'}:${number}`
  | `case:${string}`
  | `history:${string}`
  | `photos:${string}`
  | `act:${string}:${string}`;

/** A button: its label and one of the values the dialog understands. */
export function button(label: string, value: ButtonValue): { label: string; value: ButtonValue } {
  return { label, value };
}
