import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createJiebaSegmenter, DEFAULT_LEXICON_DIR, type Lexicon, sortedDictHas } from '../knowledge/mod.js';
import { repairTypos } from '../knowledge/search/query.js';

const DICT = ['苹果 10 n', '苹果树 5 n', '香蕉 8 n', '橙 3 n', '柚子 2 n'].sort().join('\n');

describe('segmenter dictionary', () => {
  it('finds every word of a sorted dictionary by binary search, and nothing else', () => {
    for (const text of [DICT, `${DICT}\n`, `${DICT}\n\n`]) {
      for (const line of DICT.split('\n')) expect(sortedDictHas(text, line.split(' ')[0] as string)).toBe(true);
      for (const w of ['苹', '苹果树林', '果', '橙子', '', '10', 'n', 'zz', '一']) expect(sortedDictHas(text, w)).toBe(false);
    }
    expect(sortedDictHas('', '苹果')).toBe(false);
  });

  it('the shipped dictionary is sorted by code unit, as the search needs', () => {
    const words = readFileSync(`${DEFAULT_LEXICON_DIR}/segmenter-dict.txt`, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => l.slice(0, l.indexOf(' ')));
    const unsorted = words.filter((w, i) => i > 0 && !((words[i - 1] as string) < w));
    expect(unsorted).toEqual([]);
    // Every word is found where it stands.
    const text = readFileSync(`${DEFAULT_LEXICON_DIR}/segmenter-dict.txt`, 'utf8');
    for (const w of words.filter((_, i) => i % 97 === 0)) expect(sortedDictHas(text, w)).toBe(true);
  });

  it('jieba knows the dictionary words and the extra ones, and tags the extra ones as given', () => {
    const seg = createJiebaSegmenter(Buffer.from(DICT), [['火龙果园', 'nz']]);
    expect(seg).not.toBeNull();
    expect(seg?.has('香蕉')).toBe(true);
    expect(seg?.has('火龙果园')).toBe(true);
    expect(seg?.has('榴莲')).toBe(false);
    expect(seg?.tag('我的火龙果园').find((w) => w.word === '火龙果园')?.tag).toBe('nz');
  });
});

describe('typo repair', () => {
  const docs = '加强管理全面推进。任务按时完成。全市统一推进。秸秆综合利用率达到95%。完成年度目标。';
  const grams = new Set<string>();
  for (let i = 0; i + 1 < docs.length; i++) grams.add(docs.slice(i, i + 2));
  const lexicon = {
    confusables: new Map([
      ['里', '理'],
      ['绿', '率'],
    ]),
  } as unknown as Lexicon;
  const known = (g: string) => grams.has(g);
  const contains = (t: string) => docs.includes(t);

  it('repairs a character when the repair makes a run of three the documents hold', () => {
    expect(repairTypos('利用绿目标', lexicon, known, contains)).toBe('利用率目标');
  });

  it('does not repair on one bigram found across a word edge', () => {
    // "理全" stands in "管理全面", but nothing in the documents reads "任务理" or "理全市".
    expect(repairTypos('任务里全市', lexicon, known, contains)).toBe('任务里全市');
    // Without the documents' texts to ask, the bigram alone decides, as search's query preparation does.
    expect(repairTypos('任务里全市', lexicon, known)).toBe('任务理全市');
  });
});
