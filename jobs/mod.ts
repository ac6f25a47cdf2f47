/**
 * The jobs of the program, assembled: milestone reminders, weekly digests, the outbox dispatcher
 * and housekeeping. Each is a plain function of `now`; the scheduler only decides when.
 */
import { STATUS } from '../cases/lifecycle.js';
import type { CaseService } from '../cases/service.js';
import type { KnowledgeBase } from '../knowledge/mod.js';
import type { MilestonePort, Store } from '../store/ports.js';
import { runDigest } from './digest.js';
import { type DispatchReport, dispatchDue, type Senders } from './dispatch.js';
import type { Ledger } from './ledger.js';
import { type PlannedMessage, type ReminderOptions, runReminders } from './reminders.js';
import type { Job } from './scheduler.js';

export { createMilestoneDesk, type MilestoneDesk } from './desk.js';
export type { Sender, Senders } from './dispatch.js';
export { ADMINS, createLedger, type Handler, type Ledger } from './ledger.js';
export { checkExpression, startScheduler } from './scheduler.js';

/** What the jobs need. */
export interface JobsDeps {
  store: Store;
  /** The knowledge base in use (its documents' titles). */
  kb: () => KnowledgeBase;
  ledger: Ledger;
  service: CaseService;
  reminders: ReminderOptions;
  /** Days after 已办结 without a rating before a case is closed. */
  rateWithinDays: number;
}

/** The assembled jobs. */
export interface Jobs {
  milestones: MilestonePort;
  ledger: Ledger;
  reminders(now: Date, dryRun?: boolean): Promise<PlannedMessage[]>;
  digest(now: Date, dryRun?: boolean): Promise<PlannedMessage[]>;
  dispatch(senders: Senders, now: Date): Promise<DispatchReport>;
  housekeeping(now: Date): Promise<{ expired: number; pruned: number }>;
  schedule(expressions: { reminders: string; digest: string; dispatch: string }, senders: Senders): Job[];
}

/** Assembles the jobs (the composition root has brought the documents' milestones into the store). */
export function createJobs(deps: JobsDeps): Jobs {
  const { store, ledger } = deps;
  const documentTitle = (id: string) => deps.kb().documents.find((d) => d.id === id)?.shortTitle ?? id;
  const reminderDeps = { store, log: store.reminders, ledger, outbox: store.outbox, people: store.people, documentTitle };
  const digestDeps = {
    store,
    log: store.reminders,
    service: deps.service,
    cases: store.cases,
    ledger,
    outbox: store.outbox,
    people: store.people,
  };
  const jobs: Jobs = {
    milestones: ledger.milestones,
    ledger,
    reminders: (at, dryRun = false) => runReminders(reminderDeps, at, deps.reminders, dryRun),
    digest: (at, dryRun = false) => runDigest(digestDeps, at, dryRun),
    dispatch: (senders, at) => dispatchDue(store.outbox, senders, at),
    async housekeeping(at) {
      const cutoff = new Date(at.getTime() - deps.rateWithinDays * 86_400_000).toISOString();
      let expired = 0;
      for (const c of await store.cases.list({ status: [STATUS.done] })) {
        if (c.closedAt && c.closedAt < cutoff) {
          const r = await deps.service.act(
            c.ticket,
            'expire',
            { channel: 'system', userId: 'jobs', role: 'system', unit: null },
            `${deps.rateWithinDays}天内未评价，自动关闭`,
            at,
          );
          if (r.ok) expired++;
        }
      }
      const pruned = await store.inbound.pruneSeen(new Date(at.getTime() - 30 * 86_400_000));
      // Replies owed for messages (issue 11) are kept as long as the messages' ids, then forgotten.
      await store.outbox.pruneDeliveredReplies(new Date(at.getTime() - 30 * 86_400_000));
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
