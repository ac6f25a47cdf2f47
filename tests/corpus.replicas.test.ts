/**
 * Issue 13: a document imported on one replica reaches every replica through the store's corpus
 * version — two assembled programs over one store with corpus folders on different "disks":
 * import on A, B's poll writes the files into its own folder and B answers from the new document.
 * Over a shared SQLite file and over PostgreSQL.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, composeApp } from '../app/compose.js';
import { corpusHash, mergeCorpus, readCorpusFiles } from '../app/corpus-sync.js';
import { parseConfig } from '../bot/config.js';
import { readState } from '../bot/dialog/state.js';
import { projectPath } from '../core/paths.js';
import { commitImport, prepareImport } from '../knowledge/import/import.js';
import { openSqliteStore } from '../store/sqlite.js';
import { NOW } from './helpers.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

const SHIPPED = projectPath('knowledge', 'corpus');
// A made-up table (test data, not the corpus): a target no shipped document names.
const CSV = Buffer.from(
  '整改任务概述,整改责任单位,整改目标,整改时间\n"废旧农膜回收问题",区农业农村委,"到2027年底废旧农膜回收率达到91%以上",2027年\n',
);
const QUESTION = '废旧农膜回收率要达到多少？';

let apps: App[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const a of apps) await a.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  apps = [];
  dirs = [];
});

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rectify-corpus-'));
  dirs.push(d);
  return d;
};

/** Imports the table on `app` as the desk does: prepare, commit into its folder, publish. */
async function importOn(app: App, importDir: string, now: Date): Promise<void> {
  const p = await prepareImport(CSV, 'film.csv', app.corpusDir, now, { title: '农膜回收整改台账' });
  commitImport(p, app.corpusDir, importDir);
  await app.corpus.publish(now);
}

const answerOf = (app: App) => app.answerer.answer(QUESTION, { now: NOW }).answer;

describe('corpus version: imports reach every replica', () => {
  it('over one SQLite file, with corpus folders apart: B writes the files and answers after its poll', async () => {
    const dir = tmp();
    const db = join(dir, 'db.sqlite');
    const make = async (name: string) => {
      const corpus = join(dir, name, 'corpus');
      cpSync(SHIPPED, corpus, { recursive: true });
      const config = parseConfig({ DATABASE_PATH: db, CORPUS_DIR: corpus, INDEX_SNAPSHOT_PATH: join(dir, `${name}.json`) });
      const app = await composeApp(config, { store: openSqliteStore(db, { readState }), now: NOW });
      apps.push(app);
      return { app, corpus };
    };
    const a = await make('a');
    const b = await make('b');
    // Nothing stored yet: a poll changes nothing.
    expect(await b.app.corpus.poll(NOW)).toBe(false);
    const before = b.app.knowledge.kb.documents.length;
    expect(answerOf(b.app)).not.toContain('91%');

    await importOn(a.app, a.corpus, NOW);
    expect(a.app.knowledge.kb.documents.length).toBe(before + 1);
    expect(answerOf(a.app)).toContain('91%');
    // A published it: its own poll sees its version and does not reload again.
    expect(await a.app.corpus.poll(NOW)).toBe(false);

    expect(b.app.knowledge.kb.documents.length).toBe(before);
    expect(await b.app.corpus.poll(NOW)).toBe(true);
    expect(b.app.knowledge.kb.documents.length).toBe(before + 1);
    expect(answerOf(b.app)).toContain('91%');
    expect(readFileSync(join(b.corpus, 'manifest.json'), 'utf8')).toBe(readFileSync(join(a.corpus, 'manifest.json'), 'utf8'));
    expect(await b.app.corpus.poll(NOW)).toBe(false);
    // The milestones came into the store once per replica's sync, not twice.
    const rows = (b.app.db?.prepare("SELECT count(*) FROM milestones WHERE title LIKE '%农膜%'").pluck().get() ?? 0) as number;
    expect(rows).toBeGreaterThan(0);
  }, 60_000);

  it('a replica started after the import materialises the stored corpus at its first poll', async () => {
    const dir = tmp();
    const db = join(dir, 'db.sqlite');
    const corpusA = join(dir, 'a', 'corpus');
    cpSync(SHIPPED, corpusA, { recursive: true });
    const a = await composeApp(parseConfig({ DATABASE_PATH: db, CORPUS_DIR: corpusA, INDEX_SNAPSHOT_PATH: join(dir, 'a.json') }), {
      store: openSqliteStore(db, { readState }),
      now: NOW,
    });
    apps.push(a);
    await importOn(a, corpusA, NOW);
    // A new replica whose data folder has no copy yet: it starts on the shipped corpus.
    const c = await composeApp(parseConfig({ DATABASE_PATH: join(dir, 'c', 'db.sqlite') }), {
      store: openSqliteStore(db, { readState }),
      now: NOW,
    });
    apps.push(c);
    expect(existsSync(join(dir, 'c', 'corpus', 'manifest.json'))).toBe(false);
    expect(await c.corpus.poll(NOW)).toBe(true);
    expect(c.corpusDir).toBe(join(dir, 'c', 'corpus'));
    expect(answerOf(c)).toContain('91%');
  }, 60_000);

  it('merges: publishing keeps a document another replica stored meanwhile', () => {
    const mine = readCorpusFiles(SHIPPED) as Record<string, string>;
    const manifest = JSON.parse(mine['manifest.json'] as string) as { documents: Array<{ id: string; file: string }> };
    const theirs = {
      ...mine,
      'other.txt': 'x',
      'manifest.json': JSON.stringify({ documents: [...manifest.documents, { id: 'other', file: 'other.txt' }] }),
    };
    const merged = mergeCorpus(mine, theirs);
    expect(merged['other.txt']).toBe('x');
    expect((JSON.parse(merged['manifest.json'] as string) as { documents: unknown[] }).documents).toHaveLength(
      manifest.documents.length + 1,
    );
    expect(mergeCorpus(mine, null)).toBe(mine);
    expect(corpusHash(mine)).toBe(corpusHash({ ...mine }));
    expect(corpusHash(mine)).not.toBe(corpusHash(merged));
  });
});

describe.skipIf(pgSkipReason !== null)('corpus version over PostgreSQL', () => {
  const server = usePostgres();

  it('import on A, poll on B (its own data folder), B answers from the new document', async () => {
    const url = await server.freshDatabase();
    const dir = tmp();
    const make = (name: string) =>
      composeApp(
        parseConfig({
          DATABASE_URL: url,
          DATABASE_PATH: join(dir, name, 'unused.sqlite'),
          INDEX_SNAPSHOT_PATH: join(dir, `${name}.json`),
          REPLICAS: '2',
        }),
        { now: NOW },
      );
    const a = await make('a');
    apps.push(a);
    const b = await make('b');
    apps.push(b);
    expect(await b.corpus.poll(NOW)).toBe(false);
    expect(answerOf(b)).not.toContain('91%');
    await importOn(a, join(dir, 'a', 'corpus'), NOW);
    expect(answerOf(a)).toContain('91%');
    expect(await b.corpus.poll(NOW)).toBe(true);
    expect(existsSync(join(dir, 'b', 'corpus', 'manifest.json'))).toBe(true);
    expect(answerOf(b)).toContain('91%');
    expect(await b.store.corpus.version()).toBe(1);
  }, 120_000);
});
