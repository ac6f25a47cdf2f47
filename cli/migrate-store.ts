/**
 * `npm run admin -- migrate-store --to postgres://…`: copies the SQLite store (DATABASE_PATH) into
 * a new, empty PostgreSQL database and verifies every table (row count and checksum); `--verify`
 * only compares the two (a copy made earlier, before switching). The SQLite file is only read. Messages are Chinese first, then English.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Db, openDb } from '../store/db.js';
import { CopyError, copySqliteToPostgres, verifyCopy } from '../store/postgres/copy.js';
import { openPg, type PgDb, redactUrl } from '../store/postgres/db.js';

/** What the command is given. */
export interface MigrateStoreArgs {
  /** The SQLite file (DATABASE_PATH). */
  sqlitePath: string;
  /** The target (`--to`, else DATABASE_URL). */
  url: string | undefined;
  /** Only compare the two stores (after a copy, before switching), copying nothing. */
  verifyOnly?: boolean;
  out: (line: string) => void;
}

/** Runs the command; the process exit code (0 when every table verified). */
export async function migrateStore(a: MigrateStoreArgs): Promise<number> {
  const { out } = a;
  if (!a.url || !/^postgres(ql)?:\/\//i.test(a.url)) {
    out(
      '请用 --to 指定目标 PostgreSQL 数据库，例如：npm run admin -- migrate-store --to postgres://rectify@db.internal:5432/rectify / give the target with --to postgres://…',
    );
    return 2;
  }
  if (!existsSync(a.sqlitePath) || statSync(a.sqlitePath).size === 0) {
    out(
      `找不到要迁移的 SQLite 数据库 ${resolve(a.sqlitePath)}（DATABASE_PATH）/ no SQLite store at ${resolve(a.sqlitePath)} (DATABASE_PATH)`,
    );
    return 1;
  }
  const where = redactUrl(a.url);
  out(`迁移 / moving: ${resolve(a.sqlitePath)} → ${where}`);
  out('请先停止助手（所有进程），迁移期间不要写入 / stop the assistant (every process) first: nothing should write meanwhile');
  let db: Db | null = null;
  let target: PgDb | null = null;
  try {
    db = openDb(a.sqlitePath);
    target = await openPg(a.url, { max: 2 });
    if (!a.verifyOnly) {
      const started = Date.now();
      const copied = await copySqliteToPostgres(db, target, (table, rows) => out(`  已复制 / copied  ${table.padEnd(18)} ${rows}`));
      const total = [...copied.values()].reduce((x, y) => x + y, 0);
      out(
        `已复制 ${copied.size} 张表、${total} 行（${((Date.now() - started) / 1000).toFixed(1)} 秒）/ copied ${copied.size} tables, ${total} rows`,
      );
    }
    out('核对行数和校验和 / verifying row counts and checksums:');
    const checks = await verifyCopy(db, target);
    for (const c of checks) {
      out(
        `  ${c.ok ? '✓' : '✗'} ${c.table.padEnd(18)} SQLite ${String(c.sqliteRows).padStart(7)}  PostgreSQL ${String(c.pgRows).padStart(7)}  sha256 ${c.sqliteSum.slice(0, 12)}${c.ok ? '' : ` ≠ ${c.pgSum.slice(0, 12)}`}`,
      );
    }
    const bad = checks.filter((c) => !c.ok);
    if (bad.length) {
      out(
        `核对不一致：${bad.map((c) => c.table).join('、')}。请勿切换到 PostgreSQL；删除目标数据库后重新迁移，仍不一致请报告 / mismatch in ${bad.map((c) => c.table).join(', ')}: do not switch; drop the target database and migrate again`,
      );
      return 1;
    }
    out(
      a.verifyOnly
        ? `两边一致：${checks.length} 张表行数和校验和全部相同 / both stores hold the same data in every table`
        : `迁移完成，${checks.length} 张表行数和校验和全部一致。现在可设置 DATABASE_URL=${where} 后启动 / done: every table verified; set DATABASE_URL and start the assistant`,
    );
    return 0;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    out(
      e instanceof CopyError
        ? why
        : `迁移失败，目标数据库未写入任何数据（整体回滚）：${why} / the move failed and was rolled back; nothing was written to the target`,
    );
    return 1;
  } finally {
    db?.close();
    await target?.close();
  }
}
