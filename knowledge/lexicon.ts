/**
 * The lexicon: the data files under knowledge/lexicon that tune question handling — synonyms,
 * stop words, an English glossary, confusable characters and the list of 镇街. Parsed here, used by
 * the tokenizer, the answerer and the complaint intake.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalize } from '../core/text.js';

/** The parsed lexicon. */
export interface Lexicon {
  /** Groups of synonyms; the first term of each is the documents' own word. */
  synonyms: string[][];
  /** Question filler words, longest first. */
  stopwords: string[];
  /** English phrase → Chinese term, longest phrase first. */
  glossary: Array<[string, string]>;
  /** wrong character → right character */
  confusables: Map<string, string>;
  /** The 镇街 of the district. */
  towns: string[];
  /** A hash of all the files: part of the search snapshot's version. */
  version: string;
}

/** The file names of a lexicon folder. */
export const LEXICON_FILES = ['synonyms.txt', 'stopwords.txt', 'glossary-en.txt', 'confusables.txt', 'towns.txt'] as const;

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Parses lexicon file contents (keyed by file name). */
export function parseLexicon(files: Record<(typeof LEXICON_FILES)[number], string>): Lexicon {
  const hash = createHash('sha256');
  for (const f of LEXICON_FILES) hash.update(f).update(files[f]);
  const pairs = (t: string) =>
    lines(t).map((l) => {
      const [a, b] = l.split('|');
      return [normalize(a ?? ''), normalize(b ?? '')] as [string, string];
    });
  return {
    synonyms: lines(files['synonyms.txt']).map((l) =>
      l
        .split('|')
        .map((t) => normalize(t.trim()))
        .filter(Boolean),
    ),
    stopwords: lines(files['stopwords.txt'])
      .map((w) => normalize(w))
      .sort((a, b) => b.length - a.length),
    glossary: pairs(files['glossary-en.txt']).sort((a, b) => b[0].length - a[0].length),
    confusables: new Map(pairs(files['confusables.txt'])),
    towns: lines(files['towns.txt']),
    version: hash.digest('hex').slice(0, 12),
  };
}

/** Reads and parses the lexicon folder. */
export function loadLexicon(dir: string): Lexicon {
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return parseLexicon(Object.fromEntries(LEXICON_FILES.map((f) => [f, read(f)])) as Record<(typeof LEXICON_FILES)[number], string>);
}
