/**
 * Three assistants on one PostgreSQL behind three addresses: Telegram webhook updates spread over
 * them, then every update delivered again to another replica. Each message is handled once, no
 * reply is sent twice, and the store holds one seen-record per message.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../bot/config.js';
import { startAssistant } from '../bot/main.js';
import { freePort } from '../fakes/postgres.js';
import { BOT_INFO } from '../fakes/telegram.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

const ROOT = join(import.meta.dirname, '..');
const PER_REPLICA = 200;

describe.skipIf(pgSkipReason !== null)('three replicas on one PostgreSQL', () => {
  const server = usePostgres();
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGTERM');
  });

  it('handles every Telegram update once, whichever replica it reaches and however often', async () => {
    const url = await server.freshDatabase();
    const fake = spawn(process.execPath, [join(ROOT, 'dist', 'fakes', 'serve.js'), 'telegram'], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(fake);
    const api = await new Promise<string>((resolve) =>
      createInterface({ input: fake.stdout as NodeJS.ReadableStream }).once('line', resolve),
    );
    const sent = async () => ((await (await fetch(`${api}/__stats`)).json()) as { sendMessage?: number }).sendMessage ?? 0;
    const secret = 'replica-secret';
    const dir = mkdtempSync(join(tmpdir(), 'rectify-replicas-'));
    const replicas = [];
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
            TELEGRAM_API_ROOT: api,
            TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
            TELEGRAM_WEBHOOK_SECRET: secret,
          }),
          { log: () => {}, telegramBotInfo: BOT_INFO, scheduler: false },
        ),
      );
    }
    try {
      // The load generator runs in its own process, so the replicas keep serving meanwhile.
      const load = (target: string, base: number) =>
        promisify(execFile)(process.execPath, [
          join(ROOT, 'dist', 'fakes', 'load.js'),
          'telegram',
          target,
          String(PER_REPLICA),
          '16',
          String(base),
          secret,
        ]);
      const pending = async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          return (await c.query("SELECT count(*)::int AS n FROM outbox WHERE kind = 'reply' AND status <> 'sent'")).rows[0].n as number;
        } finally {
          await c.end();
        }
      };
      const settled = async () => {
        // Replies go out after the commit: wait until no reply is owed and the count stops moving
        // (a busy machine may pause longer than one interval, so the outbox decides, not the clock).
        const until = Date.now() + 120_000;
        let last = -1;
        for (;;) {
          const n = await sent();
          if (n === last && (await pending()) === 0) return n;
          if (Date.now() > until) return n;
          last = n;
          await new Promise((r) => setTimeout(r, 1500));
        }
      };
      await Promise.all(replicas.map((r, i) => load(r.url, 100_000 + i * 1000)));
      const first = await settled();
      expect(first).toBeGreaterThanOrEqual(3 * PER_REPLICA);
      // Every update again, each to another replica than the first time.
      await Promise.all(replicas.map((r, i) => load(r.url, 100_000 + ((i + 1) % 3) * 1000)));
      expect(await settled()).toBe(first);

      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const seen = (await c.query("SELECT count(*)::int AS n FROM inbound_messages WHERE channel = 'telegram'")).rows[0].n;
        expect(seen).toBe(3 * PER_REPLICA);
        const replies = await c.query("SELECT status, count(*)::int AS n FROM outbox WHERE kind = 'reply' GROUP BY status");
        expect(replies.rows).toEqual([{ status: 'sent', n: first }]);
      } finally {
        await c.end();
      }
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  }, 240_000);
});
