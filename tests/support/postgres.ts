/**
 * PostgreSQL for the test suites: `usePostgres()` in a `describe` starts a throwaway cluster
 * (fakes/postgres.ts) before the suite and removes it after, and hands out fresh databases.
 *
 * Without the server binaries the suites fail, loudly: CI installs Debian's `postgresql`. A
 * developer without it sets `RECTIFY_SKIP_PG=1` and the suites are skipped with a message. With
 * `RECTIFY_TEST_DATABASE_URL` (a superuser URL) an existing server is used instead of a cluster.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../fakes/postgres.js';

/** Why the PostgreSQL suites are skipped, or null when they run. */
export const pgSkipReason: string | null =
  process.env.RECTIFY_SKIP_PG === '1' ? 'RECTIFY_SKIP_PG=1: PostgreSQL suites skipped / PostgreSQL 测试已跳过' : null;

if (pgSkipReason) console.warn(`[postgres] ${pgSkipReason}`);

/** The server of one suite. */
export interface SuitePostgres {
  /** A new, empty database; its URL. */
  freshDatabase(): Promise<string>;
  /** The server's admin URL. */
  adminUrl(): string;
}

/** Starts a server for the surrounding suite (beforeAll) and stops it after (afterAll). */
export function usePostgres(): SuitePostgres {
  let cluster: ThrowawayPostgres | null = null;
  let admin = '';
  beforeAll(async () => {
    const existing = process.env.RECTIFY_TEST_DATABASE_URL;
    if (existing) {
      admin = existing;
      return;
    }
    cluster = await startThrowawayPostgres();
    admin = cluster.url;
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
    cluster = null;
  });
  return {
    adminUrl: () => admin,
    async freshDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      const u = new URL(admin);
      u.pathname = `/${name}`;
      return u.toString();
    },
  };
}
