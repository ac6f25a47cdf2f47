/**
 * The lifecycle of a case: statuses, the actions that move between them, and who may take each.
 * Pure: it decides; the store records.
 */
import { type CaseStatus, STATUS } from '../core/domain.js';
import { type Lang, messages } from '../core/messages/index.js';

export { STATUS } from '../core/domain.js';

/** A status of a case. */
export type Status = CaseStatus;

/** Actions on a case. */
export type Action =
  | 'accept'
  | 'dispatch'
  | 'progress'
  | 'close'
  | 'refuse'
  | 'duplicate'
  | 'satisfied'
  | 'unsatisfied'
  | 'expire'
  | 'recategorize';

/** Who takes an action. */
export type Role = 'citizen' | 'official' | 'admin' | 'system';

interface Rule {
  from: Status[];
  to: Status | null;
  by: Role[];
  /** Whether the action needs a note (what it must say is in the catalog: caseErrors.needsWhat). */
  needs?: boolean;
}

const OPEN: Status[] = [STATUS.accepted, STATUS.dispatched, STATUS.inProgress, STATUS.reopened];

/** The transition table. */
export const RULES: Record<Action, Rule> = {
  accept: { from: [STATUS.submitted], to: STATUS.accepted, by: ['official', 'admin'] },
  dispatch: { from: [STATUS.accepted, STATUS.reopened], to: STATUS.dispatched, by: ['official', 'admin'], needs: true },
  progress: { from: OPEN, to: STATUS.inProgress, by: ['official', 'admin'], needs: true },
  close: { from: OPEN, to: STATUS.done, by: ['official', 'admin'], needs: true },
  refuse: { from: [STATUS.submitted], to: STATUS.refused, by: ['official', 'admin'], needs: true },
  duplicate: { from: [STATUS.submitted, STATUS.accepted], to: STATUS.duplicate, by: ['official', 'admin'], needs: true },
  satisfied: { from: [STATUS.done], to: STATUS.rated, by: ['citizen'] },
  unsatisfied: { from: [STATUS.done], to: STATUS.reopened, by: ['citizen'] },
  expire: { from: [STATUS.done], to: STATUS.closed, by: ['system'] },
  recategorize: { from: [STATUS.submitted, STATUS.accepted], to: null, by: ['official', 'admin'], needs: true },
};

/** Statuses in which a case still waits for its unit. */
export const OPEN_STATUSES: Status[] = [STATUS.submitted, ...OPEN];

/** Why an action is not allowed, or null when it is. */
export function checkAction(action: Action, status: Status, role: Role, note: string | null, lang: Lang = 'zh'): string | null {
  const say = messages(lang);
  const e = say.caseErrors;
  const rule = RULES[action];
  if (!rule.by.includes(role)) return e.noRight;
  if (!rule.from.includes(status)) return e.wrongStatus(say.status[status] ?? status);
  if (rule.needs && !note?.trim()) return e.needs(e.needsWhat[action] ?? '');
  return null;
}

/** The status after an action (unchanged for re-categorisation). */
export function nextStatus(action: Action, status: Status): Status {
  return RULES[action].to ?? status;
}

/** Whether a case is past its time limit at `now` (ISO timestamps compare as strings). */
export function isOverdue(c: { status: string; acceptDue: string; completeDue: string | null }, now: Date): boolean {
  const t = now.toISOString();
  if (c.status === STATUS.submitted) return t > c.acceptDue;
  if ((OPEN as string[]).includes(c.status)) return c.completeDue !== null && t > c.completeDue;
  return false;
}
