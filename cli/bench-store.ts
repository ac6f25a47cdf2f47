/**
 * `npm run bench -- --only store`: the store adapters side by side, through the ports' unit of work.
 *   durable case commits/s: one transaction per report as the case service files it (the inbound
 *     message's seen-record, a ticket checked and taken, the case with two photos, its first event,
 *     the unit's notice and the reply in the outbox), committed durably — SQLite in WAL with
 *     synchronous=NORMAL, PostgreSQL with fsync and synchronous_commit on; one writer, and for
 *     PostgreSQL also 8 at once (several replicas' worth);
 *   Telegram updates/s (store side): one transaction per update as the dialog does it (seen-record,
 *     dialog state read and written, the reply enqueued), then the reply marked sent;
 *   Telegram updates/s through the whole program: webhook POSTs from another process (64 in flight)
 *     → grammY → dialog → sendMessage to the fake Bot API, the assistant on each store.
 * PostgreSQL is a throwaway durable cluster (Debian's binaries), or `BENCH_DATABASE_URL` (a database
 * for benchmarks only: it is written to); without either it is skipped with a message.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { parseConfig } from '../bot/config.js';
import { startAssistant } from '../bot/main.js';
import { systemClock } from '../core/clock.js';
import { projectPath } from '../core/paths.js';
import { findPostgresBin, freePort, startThrowawayPostgres, type ThrowawayPostgres } from '../fakes/postgres.js';
import { BOT_INFO } from '../fakes/telegram.js';
import type { Store } from '../store/ports.js';
import { openPgStore } from '../store/postgres/store.js';
import { openSqliteStore } from '../store/sqlite.js';

/** Where the figures go: a key for `--json` and a line for people. */
export type Record = (key: string, value: unknown, line: string) => void;

const DRAFT = {
  channel: 'telegram',
  chatId: 'c',
  category: 'livestock',
  town: '石蟆镇',
  address: null,
  lat: 29.05,
  lon: 105.95,
  description: '养猪场每天往小河里排放粪水，河水发黑发臭',
  since: null,
  anonymous: false,
  phone: '13812345678',
  unit: '区农业农村委',
  status: '待受理' as const,
  sourceKey: null,
};

/** One report filed as one unit of work. */
async function fileOne(s: Store, run: string, i: number, now: Date): Promise<void> {
  await s.transaction(async (tx) => {
    const user = `u-${run}-${i}`;
    if (!(await tx.inbound.firstSeen('telegram', user, 'c', `m${i}`, now))) return;
    const ticket = `JJ-${run}-${i}`;
    if (await tx.cases.hasTicket(ticket)) return;
    const c = await tx.cases.insert({
      ...DRAFT,
      ticket,
      userId: user,
      createdAt: now.toISOString(),
      acceptDue: now.toISOString(),
      photos: ['tg:a', 'tg:b'],
    });
    await tx.cases.addEvent(c.id, {
      at: now.toISOString(),
      actorRole: 'citizen',
      actor: user,
      fromStatus: null,
      toStatus: '待受理',
      note: null,
    });
    await tx.outbox.enqueue(
      { dedupeKey: `unit:${ticket}`, channel: 'telegram', chatId: 'unit', kind: 'unit', text: `新举报 ${ticket}` },
      now,
    );
    await tx.outbox.enqueue(
      { dedupeKey: `reply:${user}:m${i}:0`, channel: 'telegram', chatId: user, kind: 'reply', text: `已受理 ${ticket}` },
      now,
    );
  });
}

/** One Telegram update's store work as one unit of work, then its reply marked sent. */
async function updateOne(s: Store, run: string, i: number, now: Date): Promise<void> {
  const user = `t-${run}-${i % 500}`;
  const id = await s.transaction(async (tx) => {
    if (!(await tx.inbound.firstSeen('telegram', user, user, `${run}:${i}`, now))) return null;
    const state = (await tx.dialogs.get<{ turns: number }>('telegram', user)) as { v?: number; state?: { turns: number } } | null;
    await tx.dialogs.put('telegram', user, user, { turns: (state?.state?.turns ?? 0) + 1 }, now);
    await tx.outbox.enqueue({ dedupeKey: `reply:${run}:${i}:0`, channel: 'telegram', chatId: user, kind: 'reply', text: '收到' }, now);
    return (await tx.outbox.byKeyPrefix(`reply:${run}:${i}:`))[0]?.id ?? null;
  });
  if (id !== null) await s.outbox.markSent(id, now);
}

/** Transactions per second of `n` calls of `fn`, `concurrency` at a time. */
async function rate(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
  return (n / Number(process.hrtime.bigint() - started)) * 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function measure(s: Store, name: string, record: Record, concurrency: number[], n: number): Promise<void> {
  const now = systemClock();
  // Ticket and message ids of this run never met before (a BENCH_DATABASE_URL may hold earlier runs').
  const run = `${name}${now.getTime().toString(36)}`;
  for (const c of concurrency) {
    const cases: number[] = [];
    const updates: number[] = [];
    for (let round = 0; round < 3; round++) {
      cases.push(await rate(n, c, (i) => fileOne(s, `${run}c${c}r${round}`, i, now)));
      updates.push(await rate(2 * n, c, (i) => updateOne(s, `${run}c${c}r${round}`, i, now)));
    }
    const key = `${name}${c > 1 ? `x${c}` : ''}`;
    record(
      `store:${key}`,
      { caseCommitsPerSec: median(cases), telegramUpdatesPerSec: median(updates), concurrency: c },
      `${name.padEnd(10)} ${c === 1 ? 'one writer ' : `${c} at once  `} durable case commits ${Math.round(median(cases))}/s, Telegram updates (store side) ${Math.round(median(updates))}/s  (median of 3)`,
    );
  }
}

/** Updates per second through the whole program on the store `env` names (DATABASE_PATH or DATABASE_URL). */
async function telegramPipeline(env: { DATABASE_PATH: string; DATABASE_URL?: string }, dir: string): Promise<number> {
  const fake = spawn(process.execPath, [projectPath('dist', 'fakes', 'serve.js'), 'telegram'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const api = await new Promise<string>((resolve) =>
    createInterface({ input: fake.stdout as NodeJS.ReadableStream }).once('line', resolve),
  );
  const sent = async () => ((await (await fetch(`${api}/__stats`)).json()) as { sendMessage?: number }).sendMessage ?? 0;
  const port = await freePort();
  const secret = 'bench-secret';
  const running = await startAssistant(
    parseConfig({
      ...env,
      INDEX_SNAPSHOT_PATH: join(dir, 's.json'),
      HTTP_PORT: String(port),
      JOBS_ENABLED: 'false',
      LOG_LEVEL: 'error',
      TELEGRAM_BOT_TOKEN: '123456:BENCH-token-abcdefghijklmnopqrstuv',
      TELEGRAM_API_ROOT: api,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
      TELEGRAM_WEBHOOK_SECRET: secret,
    }),
    { log: () => {}, telegramBotInfo: BOT_INFO, scheduler: false },
  );
  try {
    let rate = 0;
    for (const [total, base] of [
      [200, 10_000],
      [1500, 20_000],
    ] as const) {
      const before = await sent();
      const t0 = Date.now();
      await promisify(execFile)(process.execPath, [
        projectPath('dist', 'fakes', 'load.js'),
        'telegram',
        running.url,
        String(total),
        '64',
        String(base),
        secret,
      ]);
      while ((await sent()) - before < total) {
        if (Date.now() - t0 > 120_000) throw new Error('bench: Telegram replies did not all arrive');
        await new Promise((r) => setTimeout(r, 10));
      }
      rate = (total / (Date.now() - t0)) * 1000;
    }
    return rate;
  } finally {
    await running.stop();
    fake.kill('SIGTERM');
  }
}

/** Runs the store benchmark. */
export async function storeBench(record: Record, out: (line: string) => void): Promise<void> {
  out('\n存储 / store adapters (ports, one transaction per report or update)');
  const dir = mkdtempSync(join(tmpdir(), 'rectify-bench-store-'));
  const lite = openSqliteStore(join(dir, 'db.sqlite'));
  try {
    await measure(lite, 'sqlite', record, [1], 1000);
  } finally {
    await lite.close();
  }
  const liteRate = await telegramPipeline({ DATABASE_PATH: join(dir, 'pipeline.sqlite') }, dir);
  record(
    'store:sqlite:telegramWebhookPerSec',
    liteRate,
    `sqlite     Telegram webhook → grammY → dialog → sendMessage, 64 in flight: ${Math.round(liteRate)} updates/s`,
  );
  let cluster: ThrowawayPostgres | null = null;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    if (!findPostgresBin()) {
      out('  postgres   skipped: no PostgreSQL server binaries (apt-get install postgresql) and no BENCH_DATABASE_URL');
      return;
    }
    cluster = await startThrowawayPostgres({ durable: true });
    url = cluster.url;
  }
  const pgs = await openPgStore(url, { maxConnections: 10 });
  try {
    // Fewer rounds' worth: a durable commit waits for the disk.
    await measure(pgs, 'postgres', record, [1, 8], 300);
    await pgs.close();
    const pgRate = await telegramPipeline({ DATABASE_PATH: join(dir, 'unused.sqlite'), DATABASE_URL: url }, dir);
    record(
      'store:postgres:telegramWebhookPerSec',
      pgRate,
      `postgres   Telegram webhook → grammY → dialog → sendMessage, 64 in flight: ${Math.round(pgRate)} updates/s`,
    );
  } finally {
    await pgs.close().catch(() => {});
    cluster?.stop();
  }
}
