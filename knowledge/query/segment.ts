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

function dictWith(base: Uint8Array | null, extra: ExtraWords): Uint8Array {
  // A high frequency makes the lexicon's words win over the dictionary's own splits.
  const lines = extra.map(([w, t]) => `${w} 50000 ${t}`).join('\n');
  const head = base ? Buffer.from(base).toString('utf8').trimEnd() : '';
  return Buffer.from(`${head}\n${lines}\n`, 'utf8');
}

/** jieba over the given dictionary; null when the native addon is not available here. */
export function createJiebaSegmenter(dict: Uint8Array | null, extra: ExtraWords): Segmenter | null {
  let jieba: ReturnType<JiebaModule['Jieba']['withDict']>;
  const bytes = dictWith(dict, extra);
  try {
    // Loaded on demand so that a process that never analyses a question never loads the addon.
    const mod = createRequire(import.meta.url)('@node-rs/jieba') as JiebaModule;
    jieba = mod.Jieba.withDict(bytes);
  } catch {
    return null;
  }
  const words = new Set<string>();
  for (const line of Buffer.from(bytes).toString('utf8').split('\n')) {
    const w = line.slice(0, line.indexOf(' '));
    if (w) words.add(w);
  }
  return { kind: 'jieba', tag: (text) => jieba.tag(text, true), has: (w) => words.has(w) };
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
