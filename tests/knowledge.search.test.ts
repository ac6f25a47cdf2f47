import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize } from '../core/text.js';
import { buildIndex, defaultIndexOptions, indexVersion, loadIndex, openIndex, prepareQuery, tokenize } from '../knowledge/mod.js';
import { candidateTerms, termFrequencies, withinOneEdit } from '../knowledge/search/rank.js';
import { knowledge } from './helpers.js';

describe('normalize', () => {
  it('makes full-width characters half-width and lower case', () => {
    expect(normalize('ＰＭ２．５（２０２５年）')).toBe('pm2.5(2025年)');
  });
  it('writes years in digits', () => {
    expect(normalize('二〇二五年')).toBe('2025年');
    expect(normalize('25年目标')).toBe('2025年目标');
    expect(normalize('20年底')).toBe('2020年底');
    expect(normalize('3年累计')).toBe('3年累计');
    expect(normalize('2025年')).toBe('2025年');
  });
  it('unifies the brackets of document numbers', () => {
    expect(normalize('津农业农村委发〔2019〕61号')).toBe('津农业农村委发[2019]61号');
  });
});

describe('tokenize', () => {
  it('splits Han text into bigrams and keeps numbers whole', () => {
    expect(tokenize('完成670万吨')).toEqual(['完成', '670', '万吨']);
    expect(tokenize('2020年底')).toEqual(['2020', '年底']);
    expect(tokenize('利用率达90.72%')).toEqual(['利用', '用率', '率达', '90.72']);
  });
  it('keeps a lone Han character as a unigram', () => {
    expect(tokenize('水')).toEqual(['水']);
  });
});

describe('prepareQuery', () => {
  const k = knowledge();
  const prep = (q: string) => prepareQuery(q, k.lexicon, k.index.has);

  it('drops question words and particles', () => {
    expect(prep('畜禽粪污综合利用率是多少？').cleaned).toBe('畜禽粪污综合利用率');
  });
  it('adds the documents’ words for colloquial ones', () => {
    expect(prep('鱼塘排水').expansions).toContain('水产养殖尾水');
    expect(prep('臭水沟怎么治').expansions).toContain('黑臭水体');
    expect(prep('改厕').expansions).toContain('卫生厕所改造');
  });
  it('translates English questions through the glossary', () => {
    const q = prep('What is the livestock manure utilization rate?');
    expect(q.english).toBe(true);
    expect(q.expansions).toEqual(expect.arrayContaining(['畜禽粪污', '综合利用率']));
  });
  it('repairs a confusable character the corpus never uses', () => {
    expect(prep('委水整改').normalized).toBe('尾水整改');
    expect(prep('蓄禽粪污').normalized).toBe('畜禽粪污');
  });
  it('reports words the corpus has never seen, but not question grammar', () => {
    expect(prep('江津区噪声扰民').unknown).toEqual(['噪声扰民']);
    expect(prep('尾水整改什么时候完成').unknown).toEqual([]);
  });
});

describe('SearchIndex.search', () => {
  const k = knowledge();
  const search = (q: string) => k.index.search(prepareQuery(q, k.lexicon, k.index.has), { limit: 3 });

  it('finds Chinese passages that MiniSearch’s default tokenizer never finds', () => {
    expect(search('直排尾水整改')[0]?.passage.document).toBe('records');
    expect(search('化肥农药使用总量减少比例')[0]?.passage.kind).toBe('indicator');
  });
  it('finds colloquial wording through synonyms', () => {
    const top = search('臭水沟')[0];
    expect(top?.passage.text).toContain('黑臭水体');
  });
  it('returns nothing for a question of unknown words', () => {
    expect(search('火锅')).toEqual([]);
  });
});

describe('openIndex', () => {
  const k = knowledge();

  it('writes a snapshot once and loads it the next time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-idx-'));
    const path = join(dir, 'snap.json');
    expect(openIndex(k.kb, k.lexicon, path).source).toBe('built');
    const second = openIndex(k.kb, k.lexicon, path);
    expect(second.source).toBe('snapshot');
    const q = prepareQuery('尾水整改完成了多少', k.lexicon, second.index.has);
    expect(second.index.search(q)[0]?.passage.id).toBe(k.index.search(q)[0]?.passage.id);
  });

  it('rebuilds when the snapshot is of another version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-idx-'));
    const path = join(dir, 'snap.json');
    openIndex(k.kb, k.lexicon, path);
    const snap = JSON.parse(readFileSync(path, 'utf8'));
    snap.version = 'stale';
    writeFileSync(path, JSON.stringify(snap));
    expect(openIndex(k.kb, k.lexicon, path).source).toBe('built');
  });

  it('versions snapshots by corpus and lexicon', () => {
    const v = indexVersion(k.kb, k.lexicon);
    expect(indexVersion({ ...k.kb, texts: { ...k.kb.texts, plan: `${k.kb.texts.plan}x` } }, k.lexicon)).not.toBe(v);
    expect(indexVersion(k.kb, { ...k.lexicon, version: 'other' })).not.toBe(v);
    expect(loadIndex({ version: 'nope', minisearch: {} }, k.kb.passages, v)).toBeNull();
    expect(buildIndex(k.kb.passages, v).size).toBe(k.kb.passages.length);
  });
});

describe('the ranking the search backends share', () => {
  const k = knowledge();

  it('counts a passage’s terms in its normalised text as its tokens would', () => {
    for (const p of k.kb.passages) {
      const tokens = tokenize(p.text);
      const terms = [...new Set(tokens)];
      const tf = termFrequencies(p.text, terms);
      for (const t of terms) expect(tf.get(t), `${t} in passage ${p.id}`).toBe(tokens.filter((x) => x === t).length);
    }
  });

  it('takes candidates from the rarest terms within the postings budget, the rarest always', () => {
    const df = (t: string) => ({ a: 5, b: 1500, c: 900, d: 40000 })[t] ?? 0;
    const groups = ['a', 'b', 'c', 'd'].map((t) => [{ source: t, term: t, weight: 1 }]);
    expect(candidateTerms(groups, df)).toEqual(['a', 'c']);
    expect(candidateTerms([[{ source: 'd', term: 'd', weight: 1 }]], df)).toEqual(['d']);
    expect(defaultIndexOptions.candidatePostings).toBe(2000);
  });

  it('matches a code one edit away, and nothing else', () => {
    expect(withinOneEdit('gb5084', 'gb5085')).toBe(true);
    expect(withinOneEdit('gb5084', 'gb50845')).toBe(true);
    expect(withinOneEdit('gb5084', 'b5084')).toBe(true);
    expect(withinOneEdit('gb5084', 'gb5084')).toBe(false);
    expect(withinOneEdit('gb5084', 'gb5184x')).toBe(false);
  });
});
