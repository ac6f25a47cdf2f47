/**
 * The living ledger as the answerer sees it: dated progress updates that officials post on
 * milestones, and how many citizens' cases bear on them. The store implements it
 * (`store/ledger.ts`); milestone ids are the `key`s of `Milestone` (see `parse/milestones.ts`).
 */

/** A dated progress update that an official posted on a milestone. */
export interface ProgressUpdate {
  id: number;
  milestoneId: string;
  date: string;
  unit: string | null;
  author: string | null;
  text: string;
}

/** What the answerer may ask of the living ledger (the store implements it). */
export interface LedgerView {
  /** Updates on these milestones, newest first. */
  updatesFor(milestoneIds: string[]): ProgressUpdate[];
  /** How many citizens' cases are linked to these milestones (counts only, no personal data). */
  linkedCaseCount(milestoneIds: string[]): number;
  /**
   * Whether the ledger holds no update and no linked case at all; lets the answerer skip locating a
   * statement's milestones (a cold start's first answer paid ~13 ms for them). Absent: not known.
   */
  isEmpty?(): boolean;
}
