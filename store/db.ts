/**
 * The one SQLite store of the program: opened with WAL, foreign keys and a short busy timeout,
 * checked (`PRAGMA quick_check`) and brought to the newest schema by numbered migrations recorded
 * in `schema_version`. Every way it can fail to open names the file and says what to do.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { RectifyError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';

/** A database connection. */
export type Db = Database.Database;

/**
 * How long one statement waits for another process's write lock before SQLITE_BUSY. better-sqlite3
 * waits synchronously, holding the event loop, so this is short; the unit of work of
 * `store/sqlite.ts` waits for a lock asynchronously instead and runs the transaction again.
 */
export const BUSY_TIMEOUT_MS = 100;

/** Whether an error is SQLite's "database is locked / busy". */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * PostgreSQL's SQLSTATEs for the same: insufficient resources (53…, 53100 disk full), system errors
 * (58…, 58030 I/O), a read-only transaction (25006, a standby or default_transaction_read_only),
 * corrupt data or index (XX001, XX002).
 */
const PG_WRITE_FAILURE = /^(53[0-9A-Z]{3}|58[0-9A-Z]{3}|25006|XX00[12])$/;

/** Whether an error means the store cannot write (disk full, I/O error, read-only), on either adapter. */
export function isWriteFailure(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  // /healthz counts these as degraded; before PostgreSQL's codes were listed, a full database disk
  // there failed every message and /healthz still said ok.
  return typeof code === 'string' && (/^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB)/.test(code) || PG_WRITE_FAILURE.test(code));
}

const WHAT_TO_DO =
  '请从备份恢复该文件（npm run admin -- backup 生成的副本），或把它移走后重新启动以新建空库 / restore it from a backup, or move it away and restart to create an empty store';

function openError(path: string, what: string, cause?: unknown): RectifyError {
  return new RectifyError('store', 'open', `数据库文件 ${resolve(path)} ${what}`, cause === undefined ? {} : { cause });
}

/** Opens (creating when needed) the store at `path` (":memory:" for tests), checks and migrates it. */
export function openDb(path: string): Db {
  const memory = path === ':memory:';
  if (!memory) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (cause) {
      throw openError(
        path,
        `所在文件夹无法创建：请检查路径和权限（DATABASE_PATH）/ cannot create its folder: check DATABASE_PATH and permissions`,
        cause,
      );
    }
    // A zero-byte file is what a failed copy or restore leaves; opening it would start an empty
    // store and report healthy. Only a file this program creates now may start empty.
    if (existsSync(path) && statSync(path).size === 0 && !(existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0)) {
      throw openError(
        path,
        `是空文件（0 字节），不是有效的数据库。如果这是新部署，请删除该文件后重新启动；如果本应有数据，请从备份恢复 / is empty (0 bytes): delete it to start a new store, or restore it from a backup`,
      );
    }
  }
  let db: Db;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (cause) {
    throw openError(path, `无法打开：请检查路径和读写权限（DATABASE_PATH）/ cannot be opened: check DATABASE_PATH and permissions`, cause);
  }
  try {
    if (!memory) startupBusy(() => db.pragma('journal_mode = WAL'));
    // NORMAL keeps every commit across an application crash (the WAL is on disk); only a power
    // loss may lose the last transactions. See shared notes: ~23k inserts/s here.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const check = startupBusy(() => db.pragma('quick_check', { simple: true }));
    if (check !== 'ok') throw openError(path, `已损坏（quick_check: ${String(check).slice(0, 200)}）。${WHAT_TO_DO}`);
    startupBusy(() => migrate(db));
  } catch (e) {
    db.close();
    if (e instanceof RectifyError) throw e;
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
      throw openError(path, `不是有效的 SQLite 数据库或已损坏（${code}）。${WHAT_TO_DO}`, e);
    }
    if (isBusy(e)) {
      throw openError(path, `被另一个进程锁住（${code}）：请确认没有别的程序正在写它，稍后再启动 / is locked by another process`, e);
    }
    if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_FULL')) {
      throw openError(path, `无法写入（${code}）：请检查磁盘空间和读写权限 / cannot be written: check free disk space and permissions`, e);
    }
    throw openError(path, `无法使用：${e instanceof Error ? e.message : String(e)}`, e);
  }
  return db;
}

/** At start-up only, waiting (synchronously) a few seconds for another process's lock is fine. */
function startupBusy<T>(fn: () => T): T {
  // A deadline for a wait, never stored nor shown: read off the wall clock here, not handed in.
  const until = Date.now() + 5000;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e) || Date.now() > until) throw e;
    }
  }
}

/** Applies the migrations newer than the store's version, each in its own transaction. */
export function migrate(db: Db): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  const current = schemaVersion(db);
  const newest = MIGRATIONS.length;
  if (current > newest) {
    throw new RectifyError(
      'store',
      'version',
      `database ${db.name} is at schema ${current}, newer than this program (${newest}): run the newer program, or restore a backup made for this one`,
    );
  }
  for (let v = current + 1; v <= newest; v++) {
    const m = MIGRATIONS[v - 1];
    db.transaction(() => {
      if (typeof m === 'string') db.exec(m);
      else m?.up(db);
      // When this disk's schema changed, for operators (PostgreSQL's migrations take now() alike):
      // migrations run as the store opens, before any part is handed a clock.
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(v, new Date().toISOString());
    }).immediate();
  }
  return newest;
}

/** The schema version of a store. */
export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
}

/** `PRAGMA integrity_check` and `foreign_key_check` of a store file, opened read-only (admin doctor). */
export function doctor(path: string): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  if (!existsSync(path)) return { ok: false, lines: [`数据库文件 ${resolve(path)} 不存在 / does not exist`] };
  const size = statSync(path).size;
  lines.push(`文件 / file: ${resolve(path)} (${size} bytes)`);
  if (size === 0) return { ok: false, lines: [...lines, '空文件（0 字节）/ empty file'] };
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 2000 });
  } catch (e) {
    return { ok: false, lines: [...lines, `无法打开 / cannot open: ${e instanceof Error ? e.message : String(e)}`] };
  }
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    const fk = db.pragma('foreign_key_check') as unknown[];
    let version = 0;
    try {
      version = schemaVersion(db);
    } catch {
      version = 0;
    }
    const ok = integrity.length === 1 && integrity[0] === 'ok' && fk.length === 0;
    lines.push(`integrity_check: ${integrity.slice(0, 20).join('; ')}`);
    lines.push(`foreign_key_check: ${fk.length === 0 ? 'ok' : `${fk.length} problem(s)`}`);
    lines.push(`schema: ${version} (this program: ${MIGRATIONS.length})`);
    return { ok, lines };
  } catch (e) {
    return { ok: false, lines: [...lines, `检查失败 / check failed: ${e instanceof Error ? e.message : String(e)}`] };
  } finally {
    db.close();
  }
}
