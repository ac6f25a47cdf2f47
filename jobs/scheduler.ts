/**
 * The scheduler: node-cron fires the jobs in Asia/Shanghai time with expressions from the
 * settings, and each job runs with the time the clock it is given (the composition root's) says; a
 * lease in the store makes sure that of several processes (or replicas) on one store only one
 * runs each firing.
 */
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../core/clock.js';
import type { LeasePort } from '../store/ports.js';
import { leaseCoordinator } from './lease.js';

/** A job: a plain function of `now`. */
export interface Job {
  name: string;
  expression: string;
  run(now: Date): unknown | Promise<unknown>;
}

/** Running jobs. */
export interface Scheduler {
  tasks: ScheduledTask[];
  stop(): Promise<void>;
}

/** Validates a cron expression, saying which setting is wrong. */
export function checkExpression(name: string, expression: string): void {
  const v = cron.validateDetailed(expression);
  if (!v.valid)
    throw new Error(`scheduler: ${name} has a bad cron expression "${expression}": ${v.errors.map((e) => e.message).join('; ')}`);
}

/** Whether a job fires on the :00 or :30 mark, when WeCom advises against scheduled pushes. */
export function onBusyMark(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  const minute = fields.length === 6 ? fields[1] : fields[0];
  return minute !== undefined && /^(0|00|30)$/.test(minute);
}

/** Starts the jobs. */
export function startScheduler(leases: LeasePort, jobs: Job[], log: (line: string) => void, clock: Clock): Scheduler {
  const coordinator = leaseCoordinator(leases, `${process.pid}-${randomUUID().slice(0, 8)}`, clock);
  const tasks = jobs.map((job) => {
    checkExpression(job.name, job.expression);
    if (onBusyMark(job.expression)) {
      log(`scheduler: ${job.name} fires on the :00/:30 mark ("${job.expression}"); pushes then are often throttled — pick another minute`);
    }
    const task = cron.schedule(
      job.expression,
      async () => {
        try {
          await job.run(clock());
        } catch (e) {
          log(`scheduler: ${job.name} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      },
      {
        name: job.name,
        timezone: 'Asia/Shanghai',
        noOverlap: true,
        distributed: true,
        runCoordinator: coordinator,
        distributedLease: 10 * 60_000,
      },
    );
    return task;
  });
  return {
    tasks,
    stop: async () => {
      for (const t of tasks) await t.destroy();
    },
  };
}
