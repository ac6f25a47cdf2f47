/**
 * A throwaway PostgreSQL cluster for tests and the benchmark: Debian's server binaries, `initdb` in a
 * temporary folder (as the unprivileged `postgres` user when we run as root, since initdb refuses
 * root), a free TCP port on 127.0.0.1 and the unix socket inside that folder, trust authentication
 * bound to loopback, fsync off unless asked for durability. `stop()` shuts it down and removes
 * the folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running throwaway cluster. */
export interface ThrowawayPostgres {
  /** Connection string of its `postgres` database (superuser `postgres`, no password). */
  url: string;
  port: number;
  /** The cluster's folder (data, socket, log). */
  dir: string;
  /** A connection string for another database of the cluster (created by the caller). */
  urlOf(database: string): string;
  /** Stops the server (immediate shutdown) and removes its folder. Safe to call twice. */
  stop(): void;
}

/** Options of `startThrowawayPostgres`. */
export interface ThrowawayOptions {
  /** Keep fsync and synchronous commit on (the benchmark's "durable" figures). Default false. */
  durable?: boolean;
  /** Folder of initdb/pg_ctl. Default: `PG_BIN`, else the newest /usr/lib/postgresql/N/bin. */
  binDir?: string;
}

/** Where Debian keeps the server binaries, newest version first; null when none is installed. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env.PG_BIN;
  if (given) return existsSync(join(given, 'initdb')) ? given : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The uid and gid of the `postgres` user, or null when there is none. */
function postgresUser(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Starts a throwaway cluster; throws with the server's log when it cannot. */
export async function startThrowawayPostgres(opts: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const bin = opts.binDir ?? findPostgresBin();
  if (!bin) {
    throw new Error(
      '找不到 PostgreSQL 服务器程序（initdb）：请安装 Debian 的 postgresql 软件包，或用 PG_BIN 指定其 bin 目录 / PostgreSQL server binaries (initdb) not found: apt-get install postgresql, or set PG_BIN',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'rectify-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  // initdb and postgres refuse to run as root: run them as the unprivileged `postgres` user, who
  // must own the folder.
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? postgresUser() : null;
  if (asRoot && !user) throw new Error('running as root but there is no `postgres` user to run initdb as');
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (file: string, args: string[]): void => {
    const [cmd, argv] = user ? ['runuser', ['-u', 'postgres', '--', join(bin, file), ...args]] : [join(bin, file), args];
    execFileSync(cmd as string, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=200',
    '-c shared_buffers=32MB',
    ...(opts.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  let started = false;
  const stop = (): void => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } catch {
        // Already gone (the test run was killed): removing the folder is what is left to do.
      }
    }
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', stop);
  };
  try {
    // --no-sync: a throwaway cluster need not reach the disk; C locale keeps sorting byte-wise
    // (the same order as SQLite's for the checksums of migrate-store).
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', log, '-o', settings]);
    started = true;
  } catch (e) {
    const out = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    stop();
    throw new Error(`throwaway PostgreSQL did not start: ${e instanceof Error ? e.message : String(e)}\n${out}\n${serverLog}`);
  }
  // A test run that ends without calling stop() still leaves no server behind.
  process.on('exit', stop);
  const urlOf = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { url: urlOf('postgres'), port, dir, urlOf, stop };
}
