/**
 * Three assistants on one PostgreSQL behind three addresses (issue 13): 3,000 Telegram webhook
 * updates and 1,000 WeCom callbacks spread over them, then every one delivered again to another
 * replica. Each message is handled once and no reply is sent twice (the fakes count what they
 * received). Then the reminder job fires on all three at the same moment and the outbox is
 * dispatched by all three at once: one set of reminders, each sent once.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Running } from '../app/compose.js';
import { parseConfig } from '../bot/config.js';
import { startAssistant } from '../bot/main.js';
import { freePort } from '../fakes/postgres.js';
import { BOT_INFO } from '../fakes/telegram.js';
import { SAMPLE } from '../fakes/wecom.js';
import { leaseCoordinator } from '../jobs/lease.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

const ROOT = join(import.meta.dirname, '..');
const TELEGRAM = Number(process.env.REPLICA_TELEGRAM ?? 3000);
const WECOM = Number(process.env.REPLICA_WECOM ?? 1000);
/** Each replica's share of a total (the first ones take the remainder). */
const share = (total: number, i: number) => Math.floor(total / 3) + (i < total % 3 ? 1 : 0);

describe.skipIf(pgSkipReason !== null)('three replicas on one PostgreSQL', () => {
  const server = usePostgres();
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGTERM');
  });

  const fakeProcess = async (which: 'telegram' | 'wecom') => {
    const p = spawn(process.execPath, [join(ROOT, 'dist', 'fakes', 'serve.js'), which], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(p);
    return new Promise<string>((resolve) => createInterface({ input: p.stdout as NodeJS.ReadableStream }).once('line', resolve));
  };
  const stats = async (url: string) => (await (await fetch(`${url}/__stats`)).json()) as Record<string, number | undefined>;

  it('handles every message once, fires one set of reminders and sends no outbox row twice', async () => {
    const url = await server.freshDatabase();
    const [tgApi, wecomApi] = await Promise.all([fakeProcess('telegram'), fakeProcess('wecom')]);
    /** What the fakes have received: Telegram messages and WeCom sends. */
    const received = async () => {
      const [t, w] = await Promise.all([stats(tgApi), stats(wecomApi)]);
      return { telegram: t.sendMessage ?? 0, wecom: w.sent ?? 0 };
    };
    const secret = 'replica-secret';
    /** What the replicas logged (errors only), shown when a delivery was never acknowledged. */
    const logged: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'rectify-replicas-'));
    const replicas: Running[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      replicas.push(
        await startAssistant(
          parseConfig({
            DATABASE_URL: url,
            DATABASE_PATH: join(dir, `unused-${i}.sqlite`),
            REPLICAS: '3',
            INDEX_SNAPSHOT_PATH: join(dir, `s${i}.json`),
            HTTP_PORT: String(port),
            JOBS_ENABLED: 'false',
            LOG_LEVEL: 'error',
            TELEGRAM_BOT_TOKEN: '123456:REPLICA-token-abcdefghijklmnopqrstuv',
            TELEGRAM_API_ROOT: tgApi,
            TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
            TELEGRAM_WEBHOOK_SECRET: secret,
            WECOM_CORP_ID: SAMPLE.corpId,
            WECOM_AGENT_ID: '1000002',
            WECOM_SECRET: 'app-secret',
            WECOM_TOKEN: SAMPLE.token,
            WECOM_ENCODING_AES_KEY: SAMPLE.encodingAesKey,
            WECOM_API_BASE: wecomApi,
          }),
          {
            log: (line, level) => void (level !== 'info' && level !== 'debug' && logged.push(line)),
            telegramBotInfo: BOT_INFO,
            scheduler: false,
          },
        ),
      );
    }
    const query = async <T>(sql: string): Promise<T[]> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(sql)).rows as T[];
      } finally {
        await c.end();
      }
    };
    try {
      // The load generators run in their own processes, so the replicas keep serving meanwhile.
      // Like the platforms, they deliver again what a replica did not acknowledge (a 503 says "not
      // committed"), so a busy moment costs a retry and loses nothing.
      const load = async (which: 'telegram' | 'wecom', target: string, n: number, base: number) => {
        const { stdout } = await promisify(execFile)(process.execPath, [
          join(ROOT, 'dist', 'fakes', 'load.js'),
          which,
          target,
          String(n),
          '8',
          String(base),
          secret,
        ]);
        return JSON.parse(stdout) as { ok: number; retried: number; failed: number };
      };
      /** Every delivery of a round acknowledged in the end; how many took more than one try. */
      const acknowledged = (loads: { ok: number; retried: number; failed: number }[]) => {
        expect(
          loads.reduce((s, l) => s + l.failed, 0),
          `unacknowledged; replica log:\n${logged.slice(-20).join('\n')}`,
        ).toBe(0);
        return loads.reduce((s, l) => s + l.retried, 0);
      };
      const pending = async () =>
        (await query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE status NOT IN ('sent', 'unroutable')"))[0]?.n ?? 0;
      /** Rows the dispatcher later sent for a reply whose first send failed (a busy machine). */
      let redispatched = 0;
      const settled = async () => {
        // Replies go out after the commit: wait until nothing is owed and the counts stop moving
        // (a busy machine may pause longer than one interval, so the outbox decides, not the clock).
        // A reply whose first send failed waits in the outbox for the dispatcher; the scheduler is
        // off here, so when the counts stall with rows owed, each replica runs the dispatcher as its
        // next firing would, past the backoff.
        const until = Date.now() + 240_000;
        let last = '';
        for (;;) {
          const n = await received();
          const owed = await pending();
          if (JSON.stringify(n) === last && owed === 0) return n;
          if (Date.now() > until) return n;
          if (JSON.stringify(n) === last && owed > 0) {
            const later = new Date(Date.now() + 3 * 3600_000);
            for (const r of await Promise.all(replicas.map((x) => x.jobs.dispatch(x.senders, later)))) redispatched += r.sent;
          }
          last = JSON.stringify(n);
          await new Promise((r) => setTimeout(r, 1500));
        }
      };
      // Replica i first receives Telegram users 100000+i*10000… and WeCom users 200000+i*10000…;
      // `shift` 1 delivers every one of them again, to replica i+1.
      const round = (shift: number) =>
        Promise.all(
          replicas.flatMap((_, i) => {
            const to = (replicas[(i + shift) % 3] as Running).url;
            return [
              load('telegram', to, share(TELEGRAM, i), 100_000 + i * 10_000),
              load('wecom', to, share(WECOM, i), 200_000 + i * 10_000),
            ];
          }),
        );
      const t0 = Date.now();
      const retriedFirst = acknowledged(await round(0));
      const first = await settled();
      const firstMs = Date.now() - t0;
      expect(first.telegram).toBeGreaterThanOrEqual(TELEGRAM);
      expect(first.wecom).toBeGreaterThanOrEqual(WECOM);
      const t1 = Date.now();
      const retriedAgain = acknowledged(await round(1));
      expect(await settled()).toEqual(first);
      const againMs = Date.now() - t1;
      console.log(
        `replicas: ${TELEGRAM + WECOM} messages in ${firstMs} ms (${Math.round(((TELEGRAM + WECOM) * 1000) / firstMs)}/s, replies sent), redelivered in ${againMs} ms; ${retriedFirst} + ${retriedAgain} deliveries retried after a 503, ${redispatched} replies sent by the dispatcher`,
      );

      const seen = await query<{ channel: string; n: number }>(
        'SELECT channel, count(*)::int AS n FROM inbound_messages GROUP BY channel ORDER BY channel',
      );
      expect(seen).toEqual([
        { channel: 'telegram', n: TELEGRAM },
        { channel: 'wecom', n: WECOM },
      ]);
      // One reply row per message; Telegram sends a row as one message, WeCom may split a long one.
      const replies = await query<{ channel: string; n: number }>(
        "SELECT channel, count(*)::int AS n FROM outbox WHERE kind = 'reply' AND status = 'sent' GROUP BY channel ORDER BY channel",
      );
      expect(replies).toEqual([
        { channel: 'telegram', n: TELEGRAM },
        { channel: 'wecom', n: WECOM },
      ]);
      // A send whose answer was lost on the way may have reached the fake before the dispatcher sent
      // it again (Telegram has no idempotency key); nothing else is sent twice.
      expect(first.telegram).toBeLessThanOrEqual(TELEGRAM + redispatched);
      expect(await query("SELECT id FROM outbox WHERE kind = 'reply' AND status <> 'sent'")).toEqual([]);

      // The reminder job fires on all three replicas at the same moment, then all three dispatch.
      const now = new Date('2026-11-23T01:07:00Z');
      const [a] = replicas;
      if (!a) throw new Error('no replica');
      await a.app.people.bindChat('区生态环境局', 'wecom', 'party:7', 'test', now);
      await a.app.people.bindChat('区农业农村委', 'telegram', '-100777', 'test', now);
      const planned = await a.jobs.reminders(now, true);
      expect(planned.length).toBeGreaterThan(0);
      const before = await received();
      // As the scheduler does: each replica asks the lease coordinator for this firing, and only the
      // one that claims it runs the job.
      const fire = async (r: Running, i: number) =>
        (await leaseCoordinator(r.app.store.leases, `replica-${i}`, () => now).shouldRun(`reminders@${now.toISOString()}`, 600_000))
          ? r.jobs.reminders(now)
          : null;
      const fired = await Promise.all(replicas.map(fire));
      expect(fired.filter((f) => f !== null)).toHaveLength(1);
      const reports = await Promise.all(replicas.map((r) => r.jobs.dispatch(r.senders, now)));
      // One set: as many rows as one firing plans; those for units with a bound chat are sent
      // (by whichever replica took them), the rest are unroutable.
      const reminders = await query<{ status: string; n: number }>(
        "SELECT status, count(*)::int AS n FROM outbox WHERE kind = 'reminder' GROUP BY status ORDER BY status",
      );
      expect(reminders.reduce((s, r) => s + r.n, 0)).toBe(planned.length);
      const sentRows = reminders.find((r) => r.status === 'sent')?.n ?? 0;
      expect(sentRows).toBeGreaterThanOrEqual(2);
      expect(reminders.filter((r) => r.status !== 'sent' && r.status !== 'unroutable')).toEqual([]);
      // Fired again at the same moment on every replica: nothing new.
      expect(await Promise.all(replicas.map(fire))).toEqual([null, null, null]);
      expect(reports.reduce((s, r) => s + r.sent, 0)).toBe(sentRows);
      const after = await received();
      expect(after.telegram + after.wecom - before.telegram - before.wecom).toBeGreaterThanOrEqual(sentRows);
      // Dispatched again on every replica: nothing is sent twice.
      await Promise.all(replicas.map((r) => r.jobs.dispatch(r.senders, now)));
      expect(await received()).toEqual(after);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  }, 600_000);
});
