/**
 * `npm run admin -- migrate-store --to postgres://…` against a throwaway cluster: every table of a
 * filled SQLite store copied and verified (row counts and checksums), the PostgreSQL adapter then
 * reading the same records the SQLite adapter reads, new ids after the copied ones, and a target
 * that is not empty refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../store/db.js';
import type { Store } from '../store/ports.js';
import { verifyCopy } from '../store/postgres/copy.js';
import { openPg } from '../store/postgres/db.js';
import { PG_TABLES } from '../store/postgres/migrations.js';
import { openPgStore } from '../store/postgres/store.js';
import { openSqliteStore } from '../store/sqlite.js';
import { milestone, newCase } from './store.contract.ports.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

const ROOT = join(import.meta.dirname, '..');
// Each test runs the admin command line several times, seconds per start on a loaded machine: 2 minutes each.
const T0 = new Date('2026-11-22T01:00:00.000Z');
const at = (m: number) => new Date(T0.getTime() + m * 60_000);

/** Fills every table of a store, with awkward values: Chinese, emoji, NULLs, floats, forward references. */
async function fill(s: Store): Promise<void> {
  await s.contacts.set({ unit: '区农业农村委', name: '张三', phone: '023-47520000', hours: null, note: '含"引号"和\n换行' }, T0);
  await s.people.bind('telegram', 'o1', 'official', '区农业农村委', '王五 🌾', T0);
  await s.people.invite('official', '区林业局', T0);
  await s.people.bindChat('区农业农村委', 'wecom-robot', 'default', 'admin', T0);
  await s.dialogs.put('telegram', 'u1', 'c1', { step: 'desc', draft: { town: '先锋镇', lat: 0.1 + 0.2 } }, T0);
  await s.inbound.firstSeen('telegram', 'u1', 'c1', '1', T0);
  const a = await s.cases.insert(newCase('JJ-A', { photos: ['tg:1', 'tg:2'], lat: 29.123456789, lon: 106.1 + 0.2 }));
  const b = await s.cases.insert(newCase('JJ-B', { anonymous: true, phone: null, town: null, lat: null, lon: null, since: null }));
  // A points forward to B: the copy must defer the foreign key.
  await s.cases.update(a.id, { status: '重复', duplicateOf: b.ticket }, at(1));
  await s.cases.addEvent(a.id, {
    at: at(1).toISOString(),
    actorRole: 'official',
    actor: 'o1',
    fromStatus: '待受理',
    toStatus: '重复',
    note: null,
  });
  await s.cases.setRoute('秸秆焚烧', '先锋镇', '先锋镇人民政府');
  // More than one insert batch (1,000 rows).
  for (let i = 0; i < 1200; i++)
    await s.outbox.enqueue({ dedupeKey: `k${i}`, channel: 'telegram', chatId: `c${i % 9}`, kind: 'unit', text: `第${i}条` }, at(i % 60));
  await s.outbox.enqueue(
    { channel: null, chatId: null, unit: '区林业局', kind: 'unit', text: '保留', choices: [[{ label: '是', value: 'y' }]] },
    T0,
  );
  await s.milestones.sync([milestone('1'), milestone('2')], T0);
  const m1 = (await s.milestones.byKey('1')) as { id: number };
  await s.milestones.snooze(m1.id, '2026-12-01', 'admin', at(2));
  await s.milestones.sync([milestone('3', { aliases: ['2'] })], at(3));
  await s.reminders.record(m1.id, '区农业农村委', 'lead', '2026-11-22', T0);
  await s.leases.claim('reminders:x', 'host-1', at(5), T0);
  await s.sessions.insert({
    idHash: 'h',
    userId: 'w-1',
    role: 'citizen',
    unit: null,
    csrf: 'c',
    client: null,
    createdAt: T0.toISOString(),
    seenAt: T0.toISOString(),
    expiresAt: at(60).toISOString(),
  });
  await s.sessions.insertCode({ codeHash: 'code', role: 'admin', unit: null, createdAt: T0, expiresAt: at(15) });
  await s.limits.record('reports', 'u1', T0);
  await s.limits.record('reports', 'u1', T0);
  await s.uploads.record({ ref: 'web:a.jpg', channel: 'web', userId: 'w-1', bytes: 12345, mime: 'image/jpeg' }, T0);
  await s.choices.put('wecom', 'u2', [{ label: '是', value: 'yes' }], T0);
  await s.health.probe(T0);
  await s.ledger.addUpdate({ milestoneId: m1.id, date: '2026-11-20', unit: null, author: null, text: '已开工', via: 'cli' }, T0);
  await s.units.seed([{ document: '*', scope: '*', body: '江津区', unit: '区生态环境局', state: 'stated', reason: '文件' }], T0);
  await s.ledger.setLink(b.id, m1.id, 0.37, 'auto', T0);
  await s.chats.setLang('web', 'w-1', 'en', T0);
  await s.chats.log('web', 'w-1', [{ who: 'me', text: 'hello', choices: null }], T0);
  await s.photos.record('wecom:m1', 'wecom-1.jpg', 'image/jpeg', 99, T0);
  await s.knownUnits.add('区水利局', 'admin', T0);
  const ans = await s.questions.logAnswer({ channel: null, userId: null, question: '问？', norm: '问', found: true, curatedId: null }, T0);
  await s.questions.rate(ans, 'web', 'w-1', 'down', T0);
  await s.questions.enqueue({ norm: '问', question: '问？', lang: 'zh', reason: 'down' }, T0);
  await s.questions.addCurated({ question: '问？', norm: '问', answer: '答', unit: '区农业农村委', author: 'admin' }, T0);
  await s.apiKeys.insert('keyhash', '平台', T0);
  await s.wecomCards.put('task', 'u2', [{ label: '否', value: 'no' }], T0);
  await s.transaction((tx) => tx.corpus.publish({ 'manifest.json': '{"documents":[]}', 'a.txt': '甲' }, 'hash', T0));
}

describe.skipIf(pgSkipReason !== null)('npm run admin -- migrate-store', () => {
  const server = usePostgres();

  it('copies every table of a SQLite store into PostgreSQL and verifies each by rows and checksum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-migrate-'));
    const path = join(dir, 'db.sqlite');
    const lite = openSqliteStore(path);
    await fill(lite);
    const empty = PG_TABLES.filter((t) => (lite.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number) === 0);
    expect(empty).toEqual([]);
    await lite.close();

    const url = await server.freshDatabase();
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'admin.js'), 'migrate-store', ...args], {
        env: { ...process.env, DATABASE_PATH: path, DATABASE_URL: '', INDEX_SNAPSHOT_PATH: join(dir, 'i.json') },
        encoding: 'utf8',
        cwd: dir,
      });
    const r = run('--to', url);
    expect(r.stdout).toContain('迁移完成');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/✓/g)?.length).toBe(PG_TABLES.length);
    expect(r.stdout).not.toContain('✗');
    // Compared again later (before switching): still the same, nothing copied.
    const verified = run('--to', url, '--verify');
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain('两边一致');
    expect(verified.stdout).not.toContain('已复制');

    // The PostgreSQL adapter reads what the SQLite adapter reads.
    const again = openSqliteStore(path);
    const pgs = await openPgStore(url);
    try {
      for (const t of ['JJ-A', 'JJ-B']) expect(await pgs.cases.byTicket(t)).toEqual(await again.cases.byTicket(t));
      expect(await pgs.outbox.list()).toEqual(await again.outbox.list());
      expect(await pgs.milestones.list()).toEqual(await again.milestones.list());
      const m1 = (await again.milestones.byKey('1')) as { id: number };
      expect(await pgs.milestones.events(m1.id)).toEqual(await again.milestones.events(m1.id));
      expect(await pgs.dialogs.raw('telegram', 'u1')).toEqual(await again.dialogs.raw('telegram', 'u1'));
      expect(await pgs.people.list()).toEqual(await again.people.list());
      expect(await pgs.questions.queue('all')).toEqual(await again.questions.queue('all'));
      expect(await pgs.ledger.allUpdates()).toEqual(await again.ledger.allUpdates());
      // New rows get ids after the copied ones.
      const c = await pgs.cases.insert(newCase('JJ-C'));
      expect(c.id).toBe(3);
      expect(await pgs.outbox.enqueue({ channel: 'web', chatId: 'w', kind: 'reply', text: 'x' }, T0)).toBe(true);
      expect(Math.max(...(await pgs.outbox.list()).map((m) => m.id))).toBe(1202);
    } finally {
      await again.close();
      await pgs.close();
    }

    // Written to after the copy (the new case and message below): --verify says which tables differ.
    const changed = run('--to', url, '--verify');
    expect(changed.status).toBe(1);
    expect(changed.stdout).toMatch(/核对不一致：cases、outbox/);

    // Into a database that already holds data: refused, nothing written.
    const second = run('--to', url);
    expect(second.status).toBe(1);
    expect(second.stdout).toMatch(/目标数据库不是空的（表 \w+ 已有 \d+ 行）.*not empty/s);
  }, 120_000);

  it('notices a table that differs, and says what it needs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-migrate-'));
    const path = join(dir, 'db.sqlite');
    const lite = openSqliteStore(path);
    await fill(lite);
    await lite.close();
    const url = await server.freshDatabase();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'admin.js'), 'migrate-store', '--to', url], {
      env: { ...process.env, DATABASE_PATH: path, DATABASE_URL: '' },
      encoding: 'utf8',
      cwd: dir,
    });
    expect(r.status).toBe(0);
    const db = openDb(path);
    const target = await openPg(url);
    try {
      await target.pool.query("UPDATE cases SET description = description || ' ' WHERE ticket = 'JJ-B'");
      await target.pool.query('DELETE FROM chat_log');
      const bad = (await verifyCopy(db, target)).filter((c) => !c.ok).map((c) => [c.table, c.sqliteRows, c.pgRows]);
      expect(bad).toEqual([
        ['cases', 2, 2],
        ['chat_log', 1, 0],
      ]);
    } finally {
      db.close();
      await target.close();
    }
    const none = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'admin.js'), 'migrate-store'], {
      env: { ...process.env, DATABASE_PATH: path, DATABASE_URL: '' },
      encoding: 'utf8',
      cwd: dir,
    });
    expect(none.status).toBe(2);
    expect(none.stdout).toContain('请用 --to 指定目标 PostgreSQL 数据库');
  }, 120_000);
});
