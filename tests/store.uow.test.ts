/**
 * The unit of work of the SQLite adapter (issue 13): transactions that await never interleave on
 * the one connection, a failure rolls back all of it, an inner transaction is a savepoint, a port
 * called outside waits for the transaction in progress, and another process's lock is waited out.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../store/sqlite.js';

const NOW = new Date('2026-11-23T01:00:00Z');
const tick = () => new Promise((r) => setTimeout(r, 1));
let store: SqliteStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

const msg = (key: string) => ({ dedupeKey: key, channel: 'web', chatId: 'c', kind: 'reply' as const, text: key });

describe('the SQLite unit of work', () => {
  it('commits what a transaction wrote, and rolls all of it back when it throws', async () => {
    store = openSqliteStore(':memory:');
    await store.transaction(async (tx) => {
      await tx.outbox.enqueue(msg('a'), NOW);
      await tick();
      await tx.outbox.enqueue(msg('b'), NOW);
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.outbox.enqueue(msg('c'), NOW);
        await tick();
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect((await store.outbox.list()).map((m) => m.text)).toEqual(['a', 'b']);
  });

  it('never interleaves two transactions that await', async () => {
    store = openSqliteStore(':memory:');
    const s = store;
    const order: string[] = [];
    const run = (name: string, fail: boolean) =>
      s.transaction(async (tx) => {
        order.push(`${name}:begin`);
        await tx.outbox.enqueue(msg(`${name}1`), NOW);
        await tick();
        await tx.outbox.enqueue(msg(`${name}2`), NOW);
        order.push(`${name}:end`);
        if (fail) throw new Error(name);
      });
    const results = await Promise.allSettled([run('x', true), run('y', false), run('z', true)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    expect(order).toEqual(['x:begin', 'x:end', 'y:begin', 'y:end', 'z:begin', 'z:end']);
    expect((await s.outbox.list()).map((m) => m.text)).toEqual(['y1', 'y2']);
  });

  it('makes an inner transaction a savepoint: its failure, caught, undoes only its own work', async () => {
    store = openSqliteStore(':memory:');
    const s = store;
    await s.transaction(async (tx) => {
      await tx.outbox.enqueue(msg('outer'), NOW);
      await s
        .transaction(async (inner) => {
          await inner.outbox.enqueue(msg('inner'), NOW);
          throw new Error('inner');
        })
        .catch(() => {});
      // The store's own ports join the transaction in progress.
      await s.outbox.enqueue(msg('after'), NOW);
      expect(s.inTransaction()).toBe(true);
    });
    expect((await s.outbox.list()).map((m) => m.text)).toEqual(['outer', 'after']);
    expect(s.inTransaction()).toBe(false);
  });

  it('rolls back a dry run and returns what it read', async () => {
    store = openSqliteStore(':memory:');
    const n = await store.transaction(
      async (tx) => {
        await tx.outbox.enqueue(msg('dry'), NOW);
        return (await tx.outbox.list()).length;
      },
      { rollback: true },
    );
    expect(n).toBe(1);
    expect(await store.outbox.list()).toEqual([]);
  });

  it('lets a port called outside wait for the transaction in progress, never joining it', async () => {
    store = openSqliteStore(':memory:');
    const s = store;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = s.transaction(async (t) => {
      await t.outbox.enqueue(msg('in'), NOW);
      await gate;
      throw new Error('rolled back');
    });
    await tick();
    const outside = s.outbox.enqueue(msg('out'), NOW);
    release();
    await expect(tx).rejects.toThrow('rolled back');
    expect(await outside).toBe(true);
    expect((await s.outbox.list()).map((m) => m.text)).toEqual(['out']);
  });

  it("waits out another process's write lock and then commits", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rectify-uow-')), 'db.sqlite');
    store = openSqliteStore(path);
    const other = new Database(path, { timeout: 0 });
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 120);
    const started = Date.now();
    await store.transaction(async (tx) => {
      await tx.outbox.enqueue(msg('late'), NOW);
    });
    other.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect((await store.outbox.list()).map((m) => m.text)).toEqual(['late']);
  });
});
