/**
 * The jobs of the program, assembled: milestone reminders, weekly digests, the outbox dispatcher
 * and housekeeping. Each is a plain function of `now`; the scheduler only decides when.
 */
import type { Category } from '../cases/categories.js';
import { STATUS } from '../cases/lifecycle.js';
import type { CaseService } from '../cases/service.js';
import type { KnowledgeBase } from '../knowledge/mod.js';
import type { CaseStore } from '../store/cases.js';
import type { Db } from '../store/db.js';
import type { DialogStore } from '../store/dialogs.js';
import type { MilestoneStore } from '../store/milestones.js';
import type { OutboxStore } from '../store/outbox.js';
import type { PeopleStore } from '../store/people.js';
import { runDigest } from './digest.js';
import { type DispatchReport, dispatchDue, type Senders } from './dispatch.js';
import { createLedger, type Ledger } from './ledger.js';
import { type PlannedMessage, type ReminderOptions, runReminders } from './reminders.js';
import type { Job } from './scheduler.js';

export { createMilestoneDesk, type MilestoneDesk } from './desk.js';
export type { Sender, Senders } from './dispatch.js';
export { ADMINS, createLedger, type Handler, type Ledger } from './ledger.js';
export { checkExpression, startScheduler } from './scheduler.js';

/** What the jobs need. */
export interface JobsDeps {
  db: Db;
  kb: KnowledgeBase;
  people: PeopleStore;
  outbox: OutboxStore;
  cases: CaseStore;
  service: CaseService;
  dialogs: DialogStore;
  reminders: ReminderOptions;
  /** Days after 已办结 without a rating before a case is closed. */
  rateWithinDays: number;
  /** Complaint categories, for linking cases to milestones. */
  categories?: Category[];
}

/** The assembled jobs. */
export interface Jobs {
  milestones: MilestoneStore;
  ledger: Ledger;
  reminders(now: Date, dryRun?: boolean): PlannedMessage[];
  digest(now: Date, dryRun?: boolean): PlannedMessage[];
  dispatch(senders: Senders, now: Date): Promise<DispatchReport>;
  housekeeping(now: Date): { expired: number; pruned: number };
  schedule(expressions: { reminders: string; digest: string; dispatch: string }, senders: Senders): Job[];
}

/** Assembles the jobs, bringing the documents' milestones into the store. */
export function createJobs(deps: JobsDeps, now: Date): Jobs {
  const ledger = createLedger(deps.db, deps.categories ?? []);
  ledger.sync(deps.kb.milestones, now);
  const titles = new Map(deps.kb.documents.map((d) => [d.id, d.shortTitle]));
  const documentTitle = (id: string) => titles.get(id) ?? id;
  const reminderDeps = { db: deps.db, ledger, outbox: deps.outbox, people: deps.people, documentTitle };
  const digestDeps = { db: deps.db, service: deps.service, cases: deps.cases, ledger, outbox: deps.outbox, people: deps.people };
  const jobs: Jobs = {
    milestones: ledger.milestones,
    ledger,
    reminders: (at, dryRun = false) => runReminders(reminderDeps, at, deps.reminders, dryRun),
    digest: (at, dryRun = false) => runDigest(digestDeps, at, dryRun),
    dispatch: (senders, at) => dispatchDue(deps.outbox, senders, at),
    housekeeping(at) {
      const cutoff = new Date(at.getTime() - deps.rateWithinDays * 86_400_000).toISOString();
      let expired = 0;
      for (const c of deps.cases.list({ status: [STATUS.done] })) {
        if (c.closedAt && c.closedAt < cutoff) {
          const r = deps.service.act(
            c.ticket,
            'expire',
            { channel: 'system', userId: 'jobs', role: 'system', unit: null },
            `${deps.rateWithinDays}天内未评价，自动关闭`,
            at,
          );
          if (r.ok) expired++;
        }
      }
      const pruned = deps.dialogs.pruneSeen(new Date(at.getTime() - 30 * 86_400_000));
      // Replies owed for messages (issue 11) are kept as long as the messages' ids, then forgotten.
      deps.outbox.pruneDeliveredReplies(new Date(at.getTime() - 30 * 86_400_000));
      return { expired, pruned };
    },
    schedule: (ex, senders) => [
      { name: 'reminders', expression: ex.reminders, run: (at) => jobs.reminders(at) },
      { name: 'digest', expression: ex.digest, run: (at) => jobs.digest(at) },
      { name: 'dispatch', expression: ex.dispatch, run: (at) => jobs.dispatch(senders, at) },
      { name: 'housekeeping', expression: '37 3 * * *', run: (at) => jobs.housekeeping(at) },
    ],
  };
  return jobs;
}
