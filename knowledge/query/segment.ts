/**
 * Word segmentation with part-of-speech tags, for query analysis only (search itself stays on
 * character bigrams, which need no dictionary). The default is jieba (`@node-rs/jieba`, a prebuilt
 * native addon) over a trimmed dictionary shipped in the lexicon plus the lexicon's own words; where
 * the addon cannot load, a dictionary-free fallback splits at function words.
 */
import { createRequire } from 'node:module';

/** A word and its part-of-speech tag (jieba's tag set: n noun, v verb, r pronoun, y particle …). */
export interface TaggedWord {
  word: string;
  tag: string;
}

/** Splits a question into tagged words. */
export interface Segmenter {
  readonly kind: 'jieba' | 'fallback';
  tag(text: string): TaggedWord[];
  /** Whether a word is in the dictionary (a word jieba only guessed by its HMM is not). */
  has(word: string): boolean;
}

/** Words to add to the segmenter's dictionary, with a tag ("n", "ns", "nt" …). */
export type ExtraWords = Array<[word: string, tag: string]>;

interface JiebaModule {
  Jieba: { withDict(dict: Uint8Array): { tag(s: string, hmm?: boolean): TaggedWord[] } };
}

/**
 * Whether a dictionary in jieba's text form ("词 频率 词性" a line, lines sorted by code unit, as
 * the shipped one is) holds a word: a binary search over the lines where they stand, so that
 * opening it splits nothing (splitting 40,000 lines into a set cost ~70 ms of a cold start).
 */
export function sortedDictHas(dict: string, word: string): boolean {
  if (!word) return false;
  let lo = 0;
  let hi = dict.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // The line that holds `mid`: from after the newline before it to its first space.
    const start = dict.lastIndexOf('\n', mid - 1) + 1;
    const space = dict.indexOf(' ', start);
    const eol = dict.indexOf('\n', start);
    const end = eol < 0 ? dict.length : eol;
    const w = dict.slice(start, space < 0 || space > end ? end : space);
    if (w === word) return true;
    if (w < word) lo = end + 1;
    else hi = start;
  }
  return false;
}

/**
 * jieba over the given dictionary (its text form, lines sorted by code unit) and the extra words;
 * null when the native addon is not available here.
 */
export function createJiebaSegmenter(dict: Uint8Array | null, extra: ExtraWords): Segmenter | null {
  let jieba: ReturnType<JiebaModule['Jieba']['withDict']>;
  // A high frequency makes the lexicon's words win over the dictionary's own splits.
  const added = Buffer.from(`\n${extra.map(([w, t]) => `${w} 50000 ${t}`).join('\n')}\n`, 'utf8');
  try {
    // Loaded on demand so that a process that never analyses a question never loads the addon.
    const mod = createRequire(import.meta.url)('@node-rs/jieba') as JiebaModule;
    jieba = mod.Jieba.withDict(dict ? Buffer.concat([dict, added]) : added);
  } catch {
    return null;
  }
  const text = dict ? Buffer.from(dict.buffer, dict.byteOffset, dict.byteLength).toString('utf8') : '';
  const own = new Set(extra.map(([w]) => w));
  return { kind: 'jieba', tag: (t) => jieba.tag(t, true), has: (w) => own.has(w) || sortedDictHas(text, w) };
}

/**
 * A segmenter that needs no dictionary: known words (longest first) are cut out, Latin and number
 * runs stay whole, and what is left of a Han run is one word tagged "x" (unknown).
 */
export function createFallbackSegmenter(extra: ExtraWords): Segmenter {
  const tags = new Map(extra);
  const known = [...tags.keys()].sort((a, b) => b.length - a.length);
  const maxLen = known[0]?.length ?? 1;
  return {
    kind: 'fallback',
    has: (w) => tags.has(w),
    tag(text) {
      const out: TaggedWord[] = [];
      let pending = '';
      const flush = () => {
        if (pending) out.push({ word: pending, tag: 'x' });
        pending = '';
      };
      for (let i = 0; i < text.length; ) {
        const rest = text.slice(i);
        const latin = /^[a-z0-9.%]+/i.exec(rest);
        if (latin) {
          flush();
          out.push({ word: latin[0], tag: /^\d/.test(latin[0]) ? 'm' : 'eng' });
          i += latin[0].length;
          continue;
        }
        let hit: string | null = null;
        for (let n = Math.min(maxLen, rest.length); n >= 1 && !hit; n--) if (tags.has(rest.slice(0, n))) hit = rest.slice(0, n);
        if (hit) {
          flush();
          out.push({ word: hit, tag: tags.get(hit) ?? 'x' });
          i += hit.length;
          continue;
        }
        const c = text[i] as string;
        if (/\p{Script=Han}/u.test(c)) pending += c;
        else {
          flush();
          if (c.trim()) out.push({ word: c, tag: 'x' });
        }
        i++;
      }
      flush();
      return out;
    },
  };
}

/** The segmenter: jieba where it loads, else the fallback. */
export function createSegmenter(dict: Uint8Array | null, extra: ExtraWords): Segmenter {
  return createJiebaSegmenter(dict, extra) ?? createFallbackSegmenter(extra);
}
