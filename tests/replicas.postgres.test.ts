/**
 * Three server processes on one PostgreSQL (issue 13), each the real entry point (`node
 * dist/bot/main.js`) with its scheduler on, as in production. 3,000 Telegram webhook updates and
 * 1,000 WeCom callbacks (questions, from load generators in their own processes) spread over them,
 * then every one delivered again to another process; meanwhile a few hundred citizens file a
 * pollution report each, step by step, over Telegram and WeCom, every step to another process and
 * some steps to two processes at once. Each message is handled once, each confirmed report is one
 * case with its own ticket, each citizen is sent their ticket, and no outbox row is sent twice (the
 * fakes, in their own processes, list what they were sent). Then the reminder job is run by three
 * command-line processes at the same moment: one set of reminder rows, each sent once.
 *
 * Sizes: `REPLICA_TELEGRAM`, `REPLICA_WECOM` (questions), `REPLICA_REPORTS_TELEGRAM`,
 * `REPLICA_REPORTS_WECOM` (citizens) override the defaults.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../fakes/postgres.js';
import { callbackRequest, cardEventXml, messageXml, SAMPLE } from '../fakes/wecom.js';
import { openPgStore } from '../store/postgres/store.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

const ROOT = join(import.meta.dirname, '..');
const TELEGRAM = Number(process.env.REPLICA_TELEGRAM ?? 3000);
const WECOM = Number(process.env.REPLICA_WECOM ?? 1000);
const REPORTS_TELEGRAM = Number(process.env.REPLICA_REPORTS_TELEGRAM ?? 150);
const REPORTS_WECOM = Number(process.env.REPLICA_REPORTS_WECOM ?? 60);
/** Messages a report takes: 举报, category, town, description, since, photos, contact, confirm. */
const STEPS = 8;
const SECRET = 'replica-secret';
/** Each replica's share of a total (the first ones take the remainder). */
const share = (total: number, i: number) => Math.floor(total / 3) + (i < total % 3 ? 1 : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process of the test, with the last lines it wrote (shown when something goes wrong). */
interface Child {
  proc: ChildProcess;
  lines: string[];
}

describe.skipIf(pgSkipReason !== null)('three server processes on one PostgreSQL', () => {
  const server = usePostgres();
  const children: Child[] = [];
  // Registered after the cluster's hook, so it runs before the cluster stops; waits for each exit.
  afterAll(async () => {
    await Promise.all(
      children.map(
        ({ proc }) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            const hard = setTimeout(() => proc.kill('SIGKILL'), 10_000);
            proc.once('exit', () => {
              clearTimeout(hard);
              resolve();
            });
            proc.kill('SIGTERM');
          }),
      ),
    );
  }, 30_000);

  /** Starts `node dist/<script> args`; its output lines are kept (the last 200). */
  const child = (script: string, args: string[], env: Record<string, string>, cwd = ROOT): Child => {
    const proc = spawn(process.execPath, [join(ROOT, 'dist', script), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c = { proc, lines: [] as string[] };
    for (const s of [proc.stdout, proc.stderr]) {
      createInterface({ input: s as NodeJS.ReadableStream }).on('line', (l) => {
        c.lines.push(l);
        if (c.lines.length > 200) c.lines.shift();
      });
    }
    children.push(c);
    return c;
  };
  /** Waits for a line of a child's output that matches; fails when the child exits first. */
  const lineOf = (c: Child, re: RegExp, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const found = c.lines.find((l) => re.test(l));
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms:\n${c.lines.slice(-20).join('\n')}`)), ms);
      const rl = createInterface({ input: c.proc.stdout as NodeJS.ReadableStream });
      rl.on('line', (l) => {
        if (!re.test(l)) return;
        clearTimeout(timer);
        rl.close();
        resolve(l);
      });
      c.proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code}) before ${re}:\n${c.lines.slice(-20).join('\n')}`));
      });
    });
  const fake = async (which: 'telegram' | 'wecom') => lineOf(child('fakes/serve.js', [which], {}), /^http:/, 60_000);
  const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

  it('handles every message once, files each report once, fires one set of reminders and sends no outbox row twice', async () => {
    const url = await server.freshDatabase();
    const [tgApi, wecomApi] = await Promise.all([fake('telegram'), fake('wecom')]);
    const dir = mkdtempSync(join(tmpdir(), 'rectify-replicas-'));
    /** The settings every process of the assistant reads (each its own data folder, no shared disk). */
    const ports = [await freePort(), await freePort(), await freePort()];
    const settings = (i: number): Record<string, string> => {
      mkdirSync(join(dir, `r${i}`), { recursive: true });
      return {
        DATABASE_URL: url,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(ports[i]),
        TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${ports[i]}/telegram/webhook`,
        DATABASE_PATH: join(dir, `r${i}`, 'unused.sqlite'),
        INDEX_SNAPSHOT_PATH: join(dir, `r${i}`, 'snapshot.json'),
        REPLICAS: '3',
        LOG_LEVEL: 'error',
        // A nearly full disk on a shared CI machine is not what this test is about (/healthz).
        DISK_MIN_FREE_MB: '0',
        TELEGRAM_BOT_TOKEN: '123456:REPLICA-token-abcdefghijklmnopqrstuv',
        TELEGRAM_API_ROOT: tgApi,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        WECOM_CORP_ID: SAMPLE.corpId,
        WECOM_AGENT_ID: '1000002',
        WECOM_SECRET: 'app-secret',
        WECOM_TOKEN: SAMPLE.token,
        WECOM_ENCODING_AES_KEY: SAMPLE.encodingAesKey,
        WECOM_API_BASE: wecomApi,
      };
    };
    // The replicas, with their schedulers as in production: the dispatcher every 5 s sends what a
    // first send left owed; the reminders and the digest are left to the command line below (their
    // production times are far from any run of this test).
    const replicas: string[] = [];
    const procs: Child[] = [];
    for (let i = 0; i < 3; i++) {
      const p = child(
        'bot/main.js',
        [],
        {
          ...settings(i),
          JOBS_ENABLED: 'true',
          DISPATCH_CRON: '*/5 * * * * *',
          REMINDER_CRON: '7 9 29 2 *',
          DIGEST_CRON: '17 9 29 2 *',
        },
        join(dir, `r${i}`),
      );
      procs.push(p);
      replicas.push(`http://127.0.0.1:${ports[i]}`);
    }
    const t0 = Date.now();
    await Promise.all(procs.map((p) => lineOf(p, /整改助手已启动/, 180_000)));
    for (const r of replicas) expect((await fetch(`${r}/healthz`)).status).toBe(200);
    console.log(`replicas: 3 server processes ready in ${Date.now() - t0} ms`);
    const logs = () =>
      procs
        .map((p, i) => `replica ${i}:\n${p.lines.slice(-10).join('\n')}`)
        .join('\n')
        .slice(-6000);

    const db = new pg.Pool({ connectionString: url, max: 4 });
    const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.query(sql, params)).rows as T[];
    try {
      // ── the question load: separate processes, which deliver again what was not acknowledged ──
      const load = async (which: 'telegram' | 'wecom', target: string, n: number, base: number) => {
        if (n === 0) return { ok: 0, retried: 0, failed: 0 };
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [join(ROOT, 'dist', 'fakes', 'load.js'), which, target, String(n), '8', String(base), SECRET],
          { maxBuffer: 1 << 20 },
        );
        return JSON.parse(stdout) as { ok: number; retried: number; failed: number };
      };
      // Replica i first receives Telegram users 100000+i*10000… and WeCom users 200000+i*10000…;
      // `shift` 1 delivers every one of them again, to replica i+1.
      const round = (shift: number) =>
        Promise.all(
          replicas.flatMap((_, i) => {
            const to = replicas[(i + shift) % 3] as string;
            return [
              load('telegram', to, share(TELEGRAM, i), 100_000 + i * 10_000),
              load('wecom', to, share(WECOM, i), 200_000 + i * 10_000),
            ];
          }),
        );

      // ── the citizens: one report each, every step to the next replica ──────────────────────
      let retried = 0;
      let doubled = 0;
      /** Delivers one update to a replica until acknowledged, as the platforms do (a 503: again). */
      const deliver = async (to: string, send: () => Promise<boolean>) => {
        for (let attempt = 0; attempt < 10; attempt++) {
          if (attempt > 0) {
            retried++;
            await sleep(200 * 2 ** Math.min(attempt, 6));
          }
          try {
            if (await send()) return;
          } catch {
            // A reset connection is not an acknowledgement either.
          }
        }
        throw new Error(`never acknowledged by ${to}\n${logs()}`);
      };
      /** Delivers to replica `at`, and for every third step to the next one at the same moment too. */
      const spread = async (at: number, send: (to: string) => Promise<boolean>) => {
        const to = replicas[at % 3] as string;
        const also = at % 3 === 0 ? (replicas[(at + 1) % 3] as string) : null;
        if (also) doubled++;
        await Promise.all([deliver(to, () => send(to)), ...(also ? [deliver(also, () => send(also))] : [])]);
      };
      const town = (c: number) => ['石蟆镇', '先锋镇', '白沙镇', '吴滩镇'][c % 4] as string;
      const description = (c: number) => `村口养殖场往小河里排放粪水，河水发黑发臭，附近居民第${c}次反映`;

      /** A Telegram citizen: user 500000+c, in a private chat, choices as button presses. */
      const telegramCitizen = async (c: number) => {
        const user = 500_000 + c;
        const from = { id: user, is_bot: false, first_name: 'C' };
        const chat = { id: user, type: 'private' };
        const post = (update: unknown) => async (to: string) => {
          const r = await fetch(`${to}/telegram/webhook`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
            body: JSON.stringify(update),
          });
          await r.arrayBuffer();
          return r.status === 200;
        };
        const steps: Array<{ text: string } | { choice: string }> = [
          { text: '举报' },
          { choice: 'cat:livestock' },
          { choice: `town:${town(c)}` },
          { text: description(c) },
          { choice: 'skip' },
          { choice: 'skip' },
          { choice: 'anon' },
          { choice: 'confirm' },
        ];
        let last: unknown = null;
        for (const [k, s] of steps.entries()) {
          const update_id = user * 16 + k;
          last =
            'text' in s
              ? { update_id, message: { message_id: k + 1, date: 0, chat, from, text: s.text } }
              : {
                  update_id,
                  callback_query: {
                    id: `cq${user}-${k}`,
                    from,
                    chat_instance: 'c',
                    data: s.choice,
                    message: { message_id: 100 + k, date: 0, chat, from: { id: 42, is_bot: true, first_name: '整改助手' }, text: '…' },
                  },
                };
          await spread(c + k, post(last));
        }
        return post(last);
      };

      /** The newest choices a WeCom user was given: the card to click, or the numbered list. */
      const wecomAnswer = async (user: string, value: string): Promise<{ taskId: string } | { n: number }> => {
        const until = Date.now() + 240_000;
        for (;;) {
          const [list] = await query<{ choices: string }>("SELECT choices FROM chat_choices WHERE channel = 'wecom' AND user_id = $1", [
            user,
          ]);
          const flat = list ? (JSON.parse(list.choices) as Array<{ value: string }>) : [];
          const n = flat.findIndex((x) => x.value === value) + 1;
          // Up to six buttons come as a card, sent after the message was committed: the citizen
          // answers when it has arrived, as a person would. A longer list is answered by its number.
          if (n > 0 && flat.length > 6) return { n };
          if (n > 0) {
            const [card] = await query<{ task_id: string }>(
              'SELECT task_id FROM wecom_cards WHERE user_id = $1 AND chosen_value IS NULL AND choices LIKE $2 ORDER BY created_at DESC LIMIT 1',
              [user, `%"${value}"%`],
            );
            if (card) return { taskId: card.task_id };
          }
          if (Date.now() > until) throw new Error(`wecom ${user}: no choice ${value} offered\n${logs()}`);
          await sleep(300);
        }
      };
      /** A WeCom citizen: user citizen<c>; choices as card clicks, or numbers for a long list. */
      const wecomCitizen = async (c: number) => {
        const user = `citizen${c}`;
        const post = (xml: string) => async (to: string) => {
          const req = callbackRequest(xml);
          const r = await fetch(`${to}/wecom/callback?${req.query}`, { method: 'POST', body: req.body });
          return (await r.text()) === 'success';
        };
        const steps = ['举报', 'cat:livestock', `town:${town(c)}`, description(c), 'skip', 'skip', 'anon', 'confirm'];
        let last = '';
        for (const [k, s] of steps.entries()) {
          const msgId = String(9_000_000_000 + c * 16 + k);
          if (k === 0 || k === 3) last = messageXml(user, { MsgId: msgId, MsgType: 'text', Content: s });
          else {
            const a = await wecomAnswer(user, s);
            last =
              'taskId' in a
                ? cardEventXml(user, a.taskId, s, `RC${msgId}`)
                : messageXml(user, { MsgId: msgId, MsgType: 'text', Content: String(a.n) });
          }
          await spread(c + k, post(last));
        }
        return post(last);
      };
      /** Runs `n` citizens, `at` at a time; each returns the delivery of its confirmation. */
      const citizens = async (n: number, at: number, one: (c: number) => Promise<(to: string) => Promise<boolean>>) => {
        const confirmations: Array<(to: string) => Promise<boolean>> = [];
        let next = 0;
        await Promise.all(
          Array.from({ length: at }, async () => {
            while (next < n) {
              const c = next++;
              confirmations[c] = await one(c);
            }
          }),
        );
        return confirmations;
      };

      const t1 = Date.now();
      /** How long each part of the first round took to be acknowledged. */
      const took = async <T>(p: Promise<T>): Promise<[T, number]> => [await p, Date.now() - t1];
      const [[loads, loadMs], [tgConfirm, tgMs], [wcConfirm, wcMs]] = await Promise.all([
        took(round(0)),
        took(citizens(REPORTS_TELEGRAM, 24, telegramCitizen)),
        took(citizens(REPORTS_WECOM, 12, wecomCitizen)),
      ]);
      const acceptedMs = Date.now() - t1;
      expect(
        loads.reduce((s, l) => s + l.failed, 0),
        `unacknowledged\n${logs()}`,
      ).toBe(0);

      /** What the fakes were sent. */
      const tgCalls = () => getJson<Array<{ method: string; payload: { chat_id?: number | string; text?: string } }>>(`${tgApi}/__calls`);
      const wcCalls = () =>
        getJson<Array<{ path: string; body: { touser?: string; toparty?: string; msgtype?: string; [k: string]: unknown } }>>(
          `${wecomApi}/__calls`,
        );
      const sendCounts = async () => {
        const [t, w] = await Promise.all([
          getJson<Record<string, number>>(`${tgApi}/__stats`),
          getJson<Record<string, number>>(`${wecomApi}/__stats`),
        ]);
        return { telegram: t.sendMessage ?? 0, wecom: w.sent ?? 0 };
      };
      /**
       * Waits until nothing is owed and the fakes' counts stop moving. A reply whose first send
       * failed waits a minute for the replicas' dispatchers, so the outbox decides, not the clock.
       */
      const settled = async () => {
        const until = Date.now() + 300_000;
        let last = '';
        for (;;) {
          const n = await sendCounts();
          const [owed] = await query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE status = 'pending'");
          if (JSON.stringify(n) === last && owed?.n === 0) return n;
          if (Date.now() > until) throw new Error(`still ${owed?.n} owed after 300 s\n${logs()}`);
          last = JSON.stringify(n);
          await sleep(1500);
        }
      };
      const first = await settled();
      const firstMs = Date.now() - t1;
      const reportMessages = (REPORTS_TELEGRAM + REPORTS_WECOM) * STEPS;
      const total = TELEGRAM + WECOM + reportMessages;

      // Everything again, to other replicas: questions, and each citizen's confirmation.
      const t2 = Date.now();
      const again = await Promise.all([
        round(1),
        Promise.all(tgConfirm.map((send, c) => deliver(replicas[(c + 1) % 3] as string, () => send(replicas[(c + 1) % 3] as string)))),
        Promise.all(wcConfirm.map((send, c) => deliver(replicas[(c + 1) % 3] as string, () => send(replicas[(c + 1) % 3] as string)))),
      ]);
      expect(
        again[0].reduce((s, l) => s + l.failed, 0),
        `unacknowledged\n${logs()}`,
      ).toBe(0);
      expect(await settled()).toEqual(first);
      const againMs = Date.now() - t2;
      const loadRetried = [...loads, ...again[0]].reduce((s, l) => s + l.retried, 0);
      console.log(
        `replicas: ${total} messages (${TELEGRAM} + ${WECOM} questions, ${REPORTS_TELEGRAM} + ${REPORTS_WECOM} reports of ${STEPS} steps) acknowledged in ${acceptedMs} ms (questions ${loadMs}, Telegram reports ${tgMs}, WeCom reports ${wcMs}), replies all sent in ${firstMs} ms (${Math.round((total * 1000) / firstMs)} messages/s); ${doubled} steps delivered to two replicas at once; all delivered again in ${againMs} ms; ${loadRetried + retried} deliveries retried after a 503`,
      );

      // Each message handled once: one seen-record per message id.
      const seen = await query<{ channel: string; n: number }>(
        'SELECT channel, count(*)::int AS n FROM inbound_messages GROUP BY channel ORDER BY channel',
      );
      expect(seen).toEqual([
        { channel: 'telegram', n: TELEGRAM + REPORTS_TELEGRAM * STEPS },
        { channel: 'wecom', n: WECOM + REPORTS_WECOM * STEPS },
      ]);
      // Each confirmed report one case, each ticket its own.
      const cases = await query<{ channel: string; user_id: string; chat_id: string; ticket: string }>(
        'SELECT channel, user_id, chat_id, ticket FROM cases ORDER BY id',
      );
      expect(cases).toHaveLength(REPORTS_TELEGRAM + REPORTS_WECOM);
      expect(new Set(cases.map((c) => c.ticket)).size).toBe(cases.length);
      expect(new Set(cases.map((c) => `${c.channel}:${c.user_id}`)).size).toBe(cases.length);
      expect(cases.filter((c) => c.channel === 'telegram')).toHaveLength(REPORTS_TELEGRAM);
      // Every reply sent; none is owed or given up.
      expect(await query("SELECT id, kind, status FROM outbox WHERE status NOT IN ('sent', 'unroutable')")).toEqual([]);
      const rows = await query<{ channel: string; chat_id: string; n: number; extra: number }>(
        "SELECT channel, chat_id, count(*)::int AS n, sum(attempts - 1)::int AS extra FROM outbox WHERE status = 'sent' GROUP BY channel, chat_id",
      );
      const rowsOf = new Map(rows.map((r) => [`${r.channel}:${r.chat_id}`, r]));
      expect(rows.filter((r) => r.channel === 'telegram').reduce((s, r) => s + r.n, 0)).toBeGreaterThanOrEqual(
        TELEGRAM + REPORTS_TELEGRAM * STEPS,
      );

      // No row sent twice, as the platforms saw it. Telegram: one message per row, per chat (a send
      // whose answer was lost may have arrived before the retry: Telegram has no idempotency key).
      const tgSent = new Map<string, string[]>();
      for (const call of await tgCalls()) {
        if (call.method !== 'sendMessage') continue;
        const k = `telegram:${call.payload.chat_id}`;
        tgSent.set(k, [...(tgSent.get(k) ?? []), call.payload.text ?? '']);
      }
      for (const [k, texts] of tgSent) {
        const r = rowsOf.get(k);
        expect(texts.length, k).toBeGreaterThanOrEqual(r?.n ?? 0);
        expect(texts.length, k).toBeLessThanOrEqual((r?.n ?? 0) + (r?.extra ?? 0));
      }
      // WeCom: a row may be two sends (a long text, then its card), so per user no send repeats.
      const wcSent = new Map<string, string[]>();
      for (const call of await wcCalls()) {
        if (call.path !== '/cgi-bin/message/send') continue;
        const k = `wecom:${call.body.touser ?? `party:${call.body.toparty}`}`;
        const { touser: _u, toparty: _p, agentid: _a, ...content } = call.body;
        wcSent.set(k, [...(wcSent.get(k) ?? []), JSON.stringify(content).replace(/"task_id":"[^"]*"/, '')]);
      }
      for (const [k, sends] of wcSent) {
        expect(sends.length, k).toBeGreaterThanOrEqual(rowsOf.get(k)?.n ?? 0);
        if (!rowsOf.get(k)?.extra) expect(new Set(sends).size, `${k} sent the same twice`).toBe(sends.length);
      }
      // Each citizen was sent their ticket.
      for (const c of cases) {
        const got = c.channel === 'telegram' ? tgSent.get(`telegram:${c.chat_id}`) : wcSent.get(`wecom:${c.chat_id}`);
        expect(
          got?.some((t) => t.includes(c.ticket)),
          `${c.channel}:${c.chat_id} not sent ${c.ticket}`,
        ).toBe(true);
      }

      // ── one reminder per firing: the job run by three processes at the same moment ─────────
      const at = '2026-11-23T09:07:00+08:00';
      const store = await openPgStore(url, { maxConnections: 2 });
      try {
        await store.people.bindChat('区生态环境局', 'wecom', 'party:7', 'test', new Date());
        await store.people.bindChat('区农业农村委', 'telegram', '-100777', 'test', new Date());
      } finally {
        await store.close();
      }
      const jobs = (command: string, i: number) =>
        promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'cli', 'jobs.js'), command, '--now', at, '--json'], {
          cwd: join(dir, `r${i}`),
          env: { PATH: process.env.PATH ?? '', ...settings(i) },
          maxBuffer: 16 << 20,
        });
      const preview = (await jobs('preview', 0)).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { unit: string; channel: string | null; chatId: string | null; kind: string });
      // One row per recipient and kind; a row may be rendered as several parts (one line each).
      const planned = new Set(preview.map((m) => `${m.unit}|${m.kind}|${m.channel}|${m.chatId}`));
      const partsTo = (channel: string, chatId: string) => preview.filter((m) => m.channel === channel && m.chatId === chatId).length;
      expect(planned.size).toBeGreaterThan(0);
      expect(partsTo('telegram', '-100777') + partsTo('wecom', 'party:7')).toBeGreaterThanOrEqual(2);
      const before = await sendCounts();
      // The three processes start (each composing the program) at different speeds; so that their
      // runs meet, the test holds the reminder log against writes (reads go on) until all three are
      // waiting on a lock — on the log, on each other's outbox rows, or on the job's own lock.
      const holder = await db.connect();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE reminder_log IN EXCLUSIVE MODE');
      let failed: unknown = null;
      const firing = Promise.all([0, 1, 2].map((i) => jobs('run', i)));
      firing.catch((e) => {
        failed = e;
      });
      try {
        const until = Date.now() + 240_000;
        for (;;) {
          const [w] = await query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          if ((w?.n ?? 0) >= 3) break;
          if (failed) throw failed;
          if (Date.now() > until) throw new Error(`the three reminder runs never met (${w?.n} waiting)`);
          await sleep(200);
        }
      } finally {
        await holder.query('COMMIT');
        holder.release();
      }
      const fired = await firing;
      // One process decided them all; the others found them decided.
      const decided = fired.map((f) => f.stdout.trim().split('\n').filter(Boolean).length);
      expect(decided.sort((a, b) => a - b)).toEqual([0, 0, preview.length]);
      const reminderRows = async () =>
        query<{ status: string; n: number }>(
          "SELECT status, count(*)::int AS n FROM outbox WHERE kind = 'reminder' GROUP BY status ORDER BY status",
        );
      expect((await reminderRows()).reduce((s, r) => s + r.n, 0)).toBe(planned.size);
      // The replicas' dispatchers send them: each once.
      const after = await settled();
      const reminders = await reminderRows();
      expect(reminders.reduce((s, r) => s + r.n, 0)).toBe(planned.size);
      expect(reminders.filter((r) => r.status !== 'sent' && r.status !== 'unroutable')).toEqual([]);
      expect(after.telegram - before.telegram).toBe(partsTo('telegram', '-100777'));
      expect(after.wecom - before.wecom).toBe(partsTo('wecom', 'party:7'));
      console.log(
        `replicas: reminders fired by 3 processes at once → ${planned.size} rows (${reminders.map((r) => `${r.n} ${r.status}`).join(', ')}), ${after.telegram + after.wecom - before.telegram - before.wecom} sends; test ${Date.now() - t0} ms after start-up`,
      );
    } finally {
      await db.end();
    }
  }, 600_000);
});
