/**
 * One contract for every backend of the search port (the way hono runs one suite against each of
 * its routers): the same made-up passages and questions, the same expectations, and on the shipped
 * corpus the same top hits as the MiniSearch index for every question of the project's own sets.
 * PostgreSQL runs on the throwaway cluster of tests/support/postgres.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../bot/config.js';
import { searchSettingsOf } from '../bot/corpus.js';
import { parseQuestionSet } from '../knowledge/evaluate.js';
import { chooseBackend, createSearch, indexVersion, type Passage, prepareQuery, type SearchPort } from '../knowledge/mod.js';
import { knowledge } from './helpers.js';
import { pgSkipReason, usePostgres } from './support/postgres.js';

const passage = (id: number, title: string, text: string): Passage => ({
  id,
  document: 'made-up',
  kind: 'paragraph',
  locator: `第${id + 1}段`,
  title,
  text,
});

/** A made-up county's passages. */
const PASSAGES: Passage[] = [
  passage(0, '河道保洁', '镇村两级每月巡查河道保洁情况，发现漂浮垃圾及时打捞清理。'),
  passage(1, '路灯维修', '路灯损坏后由街道在七日内完成维修，所需费用由财政保障。'),
  passage(2, '垃圾分类', '小区垃圾分类投放点每日清运两次，分类准确率达到85.5%。'),
  passage(3, '', '执行标准gb12345，工地噪声限值昼间六十分贝。'),
  passage(4, '河道巡查', '河道巡查记录每季度汇总一次，报区河长办备案。'),
];
const OTHER: Passage[] = [passage(0, '桥梁检测', '桥梁每年检测一次，检测报告向社会公开。')];

const questionSets = ['tuning.jsonl', 'tuning-2.jsonl', 'questions-own.jsonl'].flatMap((f) =>
  parseQuestionSet(readFileSync(join(import.meta.dirname, 'eval', f), 'utf8')),
);

/** Opens a port of the backend over the storage named `store` (the same name: the same storage). */
type Opener = (store: string) => Promise<SearchPort>;

function searchContract(name: string, open: () => Opener, persistent: boolean): void {
  describe(`search port contract: ${name}`, () => {
    const k = knowledge();
    const search = (port: SearchPort, q: string, limit = 5) => port.search(prepareQuery(q, k.lexicon, port.has), { limit });
    let n = 0;
    const fresh = async (passages: Passage[] = PASSAGES, version = 'v1') => {
      const port = await open()(`s${++n}`);
      await port.index(passages, version);
      return port;
    };

    it('knows the vocabulary it indexed', async () => {
      const port = await fresh();
      expect(port.backend).toBe(name);
      expect(port.size).toBe(PASSAGES.length);
      expect(port.version).toBe('v1');
      expect(port.has('河道')).toBe(true);
      expect(port.df('河道')).toBe(2);
      expect(port.df('垃圾')).toBe(2);
      expect(port.has('火锅')).toBe(false);
      expect(port.df('火锅')).toBe(0);
      await port.close();
    });

    it('finds the passage that holds the question’s words, title words weighing more', async () => {
      const port = await fresh();
      expect((await search(port, '路灯坏了多久修好'))[0]?.passage.id).toBe(1);
      const river = await search(port, '河道巡查');
      expect(river[0]?.passage.id).toBe(4);
      expect(river.map((h) => h.passage.id)).toContain(0);
      const terms = prepareQuery('河道巡查', k.lexicon, port.has).terms;
      expect(river[0]?.matched.length).toBeGreaterThan(0);
      for (const t of river[0]?.matched ?? []) expect(terms).toContain(t);
      await port.close();
    });

    it('keeps a decimal figure whole and matches a code one edit away', async () => {
      const port = await fresh();
      expect((await search(port, '准确率85.5%'))[0]?.passage.id).toBe(2);
      const code = await search(port, '标准gb12346');
      expect(code[0]?.passage.id).toBe(3);
      expect(code[0]?.matched).toContain('gb12346');
      await port.close();
    });

    it('returns nothing for words no passage holds', async () => {
      const port = await fresh();
      expect(await search(port, '火锅')).toEqual([]);
      await port.close();
    });

    it('ranks best first, keeps to the limit and applies a passage weight', async () => {
      const port = await fresh();
      const hits = await search(port, '河道垃圾清理巡查', 2);
      expect(hits.length).toBe(2);
      expect(hits[0]?.score).toBeGreaterThanOrEqual(hits[1]?.score ?? 0);
      const q = prepareQuery('河道垃圾清理巡查', k.lexicon, port.has);
      const last = (await port.search(q, { limit: 10 })).at(-1)?.passage.id as number;
      const weighted = await port.search(q, { limit: 10, weight: (p) => (p.id === last ? 1000 : 1) });
      expect(weighted[0]?.passage.id).toBe(last);
      await port.close();
    });

    it('replaces what it indexed when given a new version, and keeps it for the same one', async () => {
      const port = await fresh();
      await port.index(PASSAGES, 'v1');
      expect((await search(port, '路灯维修'))[0]?.passage.id).toBe(1);
      await port.index(OTHER, 'v2');
      expect(port.version).toBe('v2');
      expect(port.size).toBe(1);
      expect(port.has('路灯')).toBe(false);
      expect(await search(port, '路灯维修')).toEqual([]);
      expect((await search(port, '桥梁检测报告'))[0]?.passage.id).toBe(0);
      await port.close();
    });

    if (persistent) {
      it('keeps its index in its storage: reopened, it answers without being rebuilt', async () => {
        const first = await open()('kept');
        await first.index(PASSAGES, 'v1');
        const before = await search(first, '河道巡查');
        await first.close();
        const again = await open()('kept');
        await again.index(PASSAGES, 'v1');
        expect((await search(again, '河道巡查')).map((h) => h.passage.id)).toEqual(before.map((h) => h.passage.id));
        await again.close();
      });
    }

    it('gives the MiniSearch index’s top 5 for every question of the project’s sets on the shipped corpus', async () => {
      const port = await open()('shipped');
      await port.index(k.kb.passages, indexVersion(k.kb, k.lexicon));
      let differ = 0;
      for (const c of questionSets) {
        const want = k.index.search(prepareQuery(c.q, k.lexicon, k.index.has), { limit: 5 });
        const got = await port.search(prepareQuery(c.q, k.lexicon, port.has), { limit: 5 });
        const same =
          got.length === want.length &&
          got.every((h, i) => h.passage.id === want[i]?.passage.id && Math.abs(h.score - (want[i]?.score ?? 0)) < 1e-9);
        if (!same) differ++;
      }
      expect(questionSets.length).toBeGreaterThan(300);
      expect(differ).toBe(0);
      await port.close();
    }, 60_000);
  });
}

searchContract('minisearch', () => () => createSearch('minisearch'), false);

const sqliteDir = mkdtempSync(join(tmpdir(), 'rectify-search-'));
searchContract('sqlite', () => (store) => createSearch('sqlite', { sqlitePath: join(sqliteDir, `${store}.db`) }), true);

(pgSkipReason ? describe.skip : describe)('on PostgreSQL', () => {
  const pg = usePostgres();
  let url: Promise<string> | null = null;
  searchContract(
    'postgres',
    () => async (store) => {
      url ??= pg.freshDatabase();
      return createSearch('postgres', { postgres: { connectionString: await url, table: `search_${store}` } });
    },
    true,
  );
});

describe('choosing a backend', () => {
  const big = [passage(0, '', '河'.repeat(3 * 1024 * 1024))];
  it('uses MiniSearch below the full-text size, then SQLite, or PostgreSQL when it is given', () => {
    const settings = searchSettingsOf(parseConfig({ SEARCH_FULLTEXT_MIN_MB: '5' }));
    expect(settings.backend).toBe('auto');
    expect(chooseBackend(settings, PASSAGES)).toBe('minisearch');
    expect(chooseBackend(settings, big)).toBe('sqlite');
    expect(chooseBackend(searchSettingsOf(parseConfig({ SEARCH_FULLTEXT_MIN_MB: '1' })), big)).toBe('sqlite');
    const pg = searchSettingsOf(parseConfig({ SEARCH_FULLTEXT_MIN_MB: '1', SEARCH_POSTGRES_URL: 'postgres://u@h/db' }));
    expect(chooseBackend(pg, big)).toBe('postgres');
    expect(chooseBackend(pg, PASSAGES)).toBe('minisearch');
    expect(chooseBackend(searchSettingsOf(parseConfig({ SEARCH_BACKEND: 'sqlite' })), PASSAGES)).toBe('sqlite');
  });
  it('refuses a postgres backend without a connection, and a URL that is not PostgreSQL’s', () => {
    expect(() => parseConfig({ SEARCH_BACKEND: 'postgres' })).toThrow(/SEARCH_POSTGRES_URL/);
    expect(() => parseConfig({ SEARCH_POSTGRES_URL: 'mysql://x' })).toThrow(/SEARCH_POSTGRES_URL/);
    expect(() => parseConfig({ SEARCH_BACKEND: 'elastic' })).toThrow(/SEARCH_BACKEND/);
  });
  it('opens the chosen backend lazily from the knowledge module', async () => {
    const k = knowledge();
    const port = await k.search();
    expect(port.backend).toBe('minisearch');
    expect(port.size).toBe(k.kb.passages.length);
    await k.closeSearch();
  });
});
