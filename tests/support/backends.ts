/**
 * The store backends the end-to-end suites run on (issue 13): the same suite function is declared
 * once per backend — SQLite always, PostgreSQL unless `pgSkipReason` says why not — as hono runs
 * its shared router suites once per router. `eachBackend(title, suite)` wraps the suite in one
 * `describe` per backend; the PostgreSQL one starts one throwaway cluster for the whole file and
 * gives every assistant a fresh database on it, copied from one migrated once.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';
import type { App } from '../../app/compose.js';
import type { StartOptions } from '../../bot/main.js';
import { openPgStore } from '../../store/postgres/store.js';
import { startTestAssistant } from '../assistant.js';
import { pgSkipReason, usePostgres } from './postgres.js';

/** A backend's name. */
export type BackendName = 'sqlite' | 'postgres';

/** What a suite gets of its backend. */
export interface Backend {
  name: BackendName;
  /**
   * Starts the whole assistant (tests/assistant.ts) on a new, empty store of this backend, or on
   * the store of an assistant started before in `opts.dir` (a restart).
   */
  start(env?: Record<string, string>, opts?: StartOptions & { dir?: string }): ReturnType<typeof startTestAssistant>;
  /**
   * Runs one SQL statement on an assembled program's store and returns its rows, for what the
   * ports do not show. Placeholders are `?` on both; write SQL both dialects read, and compare
   * numbers through `Number(…)` (pg returns bigint columns and counts as text).
   */
  sql(app: App, text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/** The environment of a command-line run (`node dist/cli/…`) on a started assistant's store. */
export function cliEnv(r: { app: App; dir: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_PATH: join(r.dir, 'db.sqlite'),
    ...(r.app.config.DATABASE_URL ? { DATABASE_URL: r.app.config.DATABASE_URL } : {}),
    INDEX_SNAPSHOT_PATH: join(r.dir, 'index.json'),
  };
}

/** SQLite's and PostgreSQL's statements on the program's own connection or a short-lived client. */
async function sqlOf(app: App, text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  if (app.db) {
    const st = app.db.prepare(text);
    if (st.reader) return st.all(...params) as Array<Record<string, unknown>>;
    st.run(...params);
    return [];
  }
  const url = app.config.DATABASE_URL;
  if (!url) throw new Error('sql: neither an SQLite connection nor DATABASE_URL');
  let n = 0;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (
      await client.query(
        text.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

/** The backend of one `describe` (call in its body: the PostgreSQL one registers the cluster's hooks). */
function useBackend(name: BackendName): Backend {
  if (name === 'sqlite') return { name, start: (env, opts) => startTestAssistant(env, opts), sql: sqlOf };
  const server = usePostgres();
  // A restart in the same folder finds its store again, as it finds the SQLite file there.
  const databaseOf = new Map<string, string>();
  // Every assistant's database is a copy of one migrated once per file (CREATE DATABASE … TEMPLATE):
  // the same empty schema a first start makes, without running the migrations each time.
  let template: Promise<string> | null = null;
  const migrated = async (): Promise<string> => {
    template ??= (async () => {
      const url = await server.freshDatabase();
      await (await openPgStore(url, { maxConnections: 1 })).close();
      return new URL(url).pathname.slice(1);
    })();
    const from = await template;
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server.adminUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${from}`);
    } finally {
      await admin.end();
    }
    const u = new URL(server.adminUrl());
    u.pathname = `/${name}`;
    return u.toString();
  };
  return {
    name,
    async start(env = {}, opts = {}) {
      const url = (opts.dir && databaseOf.get(opts.dir)) || (await migrated());
      const running = await startTestAssistant({ ...env, DATABASE_URL: url }, opts);
      databaseOf.set(running.dir, url);
      return running;
    },
    sql: sqlOf,
  };
}

/**
 * Declares `suite` once per backend, as `title [sqlite]` and `title [postgres]`; the PostgreSQL
 * one is skipped, its title saying why, only when `pgSkipReason` is set.
 */
export function eachBackend(title: string, suite: (backend: Backend) => void): void {
  for (const [name, skip] of [
    ['sqlite', null],
    ['postgres', pgSkipReason],
  ] as const) {
    describe.skipIf(skip !== null)(`${title} [${name}]${skip ? ` (${skip})` : ''}`, () => suite(useBackend(name)));
  }
}
