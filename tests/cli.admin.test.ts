/**
 * Issue 12 on the command line: `--help` in Chinese with examples, an unknown command or
 * subcommand is an error with that help, invites and routes name known units only (and `unit add`
 * adds one), and the CSV export has Shanghai times and 逾期 as 是/否.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function cli() {
  const dir = mkdtempSync(join(tmpdir(), 'rectify-admin-'));
  const env = { ...process.env, DATABASE_PATH: join(dir, 'db.sqlite'), INDEX_SNAPSHOT_PATH: join(dir, 'index.json') };
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'admin.js'), ...args], { env, encoding: 'utf8', cwd: dir });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return { dir, run };
}

describe('npm run admin', () => {
  it('answers --help and <command> --help in Chinese with examples', () => {
    const { run } = cli();
    const all = run('--help');
    expect(all.code).toBe(0);
    expect(all.out).toContain('整改助手管理命令');
    expect(all.out).toContain('示例');
    expect(all.out).not.toContain('见 cli/admin.ts');
    const one = run('milestone', '--help');
    expect(one.code).toBe(0);
    expect(one.out).toContain('npm run admin -- milestone update 5');
  });

  it('refuses an unknown command or subcommand with the help', () => {
    const { run } = cli();
    const cmd = run('frobnicate');
    expect(cmd.code).toBe(2);
    expect(cmd.err).toContain('未知命令：frobnicate');
    expect(cmd.err).toContain('整改助手管理命令');
    const sub = run('milestone', 'updat');
    expect(sub.code).toBe(2);
    expect(sub.err).toContain('未知子命令：milestone updat');
    expect(sub.err).toContain('milestone update');
    expect(run().code).toBe(2);
  });

  it('invites and routes only known units; unit add adds one', () => {
    const { run } = cli();
    const bad = run('invite', '--unit', '区农业农村卫', '--role', 'official');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('没有“区农业农村卫”这个单位');
    expect(bad.err).toContain('区农业农村委');
    expect(run('invite', '--unit', '区农业农村委', '--role', 'official').code).toBe(0);
    expect(run('routing', 'set', '--category', 'garbage', '--unit', '区水务局').code).toBe(2);
    expect(run('unit', 'add', '区水务局').out).toContain('已添加单位');
    expect(run('unit', 'known').out).toContain('区水务局');
    expect(run('routing', 'set', '--category', 'garbage', '--unit', '区水务局').code).toBe(0);
  });

  it('exports Shanghai times and 逾期 as 是/否', async () => {
    const { dir, run } = cli();
    const { composeApp } = await import('../app/compose.js');
    const { parseConfig } = await import('../bot/config.js');
    const at = new Date('2026-01-05T20:30:00Z');
    const app = await composeApp(parseConfig({ DATABASE_PATH: join(dir, 'db.sqlite'), INDEX_SNAPSHOT_PATH: join(dir, 'index.json') }), {
      now: at,
    });
    await app.service.file(
      {
        category: 'garbage',
        town: '先锋镇',
        address: null,
        lat: null,
        lon: null,
        description: '河边有人乱倒生活垃圾，已经堆成小山了',
        since: null,
        anonymous: true,
        phone: null,
        photos: [],
      },
      { channel: 'test', userId: 'u', chatId: 'u' },
      null,
      at,
    );
    await app.close();
    const file = join(dir, 'cases.csv');
    expect(run('export', file).code).toBe(0);
    const csv = readFileSync(file, 'utf8');
    expect(csv).toContain('2026-01-06 04:30');
    expect(csv).not.toMatch(/2026-01-05T20:30/);
    const row = csv.split('\r\n')[1] ?? '';
    expect(row).toMatch(/,是,|,否,/);
    expect(row).not.toMatch(/,(true|false),/);
  });
});
