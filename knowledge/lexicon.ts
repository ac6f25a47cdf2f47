/**
 * The lexicon: the data files under knowledge/lexicon that tune question handling — synonyms,
 * function words (dialect, particles, question words), answer-type cues, intent cues, an English
 * glossary, confusable characters, the list of 镇街 and the segmenter's dictionary. Parsed here, used
 * by query analysis, the answerer and the complaint intake. Nothing here is about one document.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalize } from '../core/text.js';

/** The kinds of fact a question can ask for. */
export const ANSWER_TYPES = [
  'value',
  'count',
  'date',
  'unit',
  'contact',
  'document',
  'measure',
  'place',
  'progress',
  'target',
  'person',
  'list',
  'yesno',
] as const;
/** A kind of fact a question can ask for. */
export type AnswerType = (typeof ANSWER_TYPES)[number];

/** The sections of intents.txt. */
export const INTENT_CUE_SECTIONS = [
  'greeting',
  'thanks',
  'help',
  'report',
  'act',
  'verb',
  'polluted',
  'state',
  'grievance',
  'witness',
  'domain',
  'leisure',
] as const;
/** A section of intents.txt. */
export type IntentCueSection = (typeof INTENT_CUE_SECTIONS)[number];

/** The parsed lexicon. */
export interface Lexicon {
  /** Groups of synonyms; the first term of each is the documents' own word. */
  synonyms: string[][];
  /** Words that are never a question's topic, with their part-of-speech tag. */
  functionWords: Map<string, string>;
  /** Answer type → cue words (normalised), longest first. */
  answerTypes: Map<AnswerType, string[]>;
  /** Intent cue section → words (normalised). */
  intentCues: Map<IntentCueSection, string[]>;
  /** English phrase → Chinese term, longest phrase first. */
  glossary: Array<[string, string]>;
  /** wrong character → right character */
  confusables: Map<string, string>;
  /** The 镇街 of the district. */
  towns: string[];
  /** Districts and counties a question may name (full names). */
  districts: string[];
  /** Unit of a figure → question words that ask for a figure in it (钱 → 元). */
  valueUnits: Map<string, string[]>;
  /** A manifest's document kind → words that name documents of that kind ("规划" → plan). */
  documentKinds: Map<string, string[]>;
  /** The segmenter's dictionary ("word freq tag" lines), as bytes. */
  segmenterDict: Uint8Array | null;
  /** A hash of all the files: part of the search snapshot's version. */
  version: string;
}

/** The text files of a lexicon folder. */
export const LEXICON_FILES = [
  'synonyms.txt',
  'function-words.txt',
  'answer-types.txt',
  'intents.txt',
  'glossary-en.txt',
  'confusables.txt',
  'towns.txt',
  'districts.txt',
  'value-units.txt',
  'document-kinds.txt',
] as const;
/** Files a lexicon folder may lack (added after the others). */
const OPTIONAL_FILES = new Set<string>(['document-kinds.txt']);
/** The segmenter's dictionary file (optional: without it, a character-level fallback segments). */
export const SEGMENTER_DICT = 'segmenter-dict.txt';

type LexiconFiles = Record<(typeof LEXICON_FILES)[number], string>;

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Space-separated cue words; "_" joins the words of an English phrase ("how_many"). */
function words(text: string): string[] {
  return text
    .split(/\s+/)
    .map((w) => normalize(w).replace(/_/g, ' '))
    .filter(Boolean);
}

const byLength = (a: string, b: string) => b.length - a.length;

/** Parses answer-types.txt: "type: cue cue …" lines; multi-word English cues keep their spaces. */
function parseAnswerTypes(text: string): Map<AnswerType, string[]> {
  const out = new Map<AnswerType, string[]>();
  for (const l of lines(text)) {
    const m = /^([a-z]+)\s*:\s*(.*)$/.exec(l);
    if (!m || !(ANSWER_TYPES as readonly string[]).includes(m[1] as string)) continue;
    out.set(m[1] as AnswerType, words(m[2] as string).sort(byLength));
  }
  return out;
}

function parseSections(text: string): Map<IntentCueSection, string[]> {
  const out = new Map<IntentCueSection, string[]>();
  let current: IntentCueSection | null = null;
  for (const l of lines(text)) {
    const h = /^\[([a-z]+)\]$/.exec(l);
    if (h) {
      current = (INTENT_CUE_SECTIONS as readonly string[]).includes(h[1] as string) ? (h[1] as IntentCueSection) : null;
      continue;
    }
    if (current) out.set(current, [...(out.get(current) ?? []), ...words(l)].sort(byLength));
  }
  return out;
}

/** Parses lexicon file contents (keyed by file name). */
export function parseLexicon(files: LexiconFiles, segmenterDict: Uint8Array | null = null): Lexicon {
  const hash = createHash('sha256');
  for (const f of LEXICON_FILES) hash.update(f).update(files[f]);
  const pairs = (t: string) =>
    lines(t).map((l) => {
      const [a, b] = l.split('|');
      return [normalize(a ?? ''), normalize(b ?? '')] as [string, string];
    });
  const functionWords = new Map<string, string>();
  for (const l of lines(files['function-words.txt'])) {
    const [w, tag] = l.split(/\s+/);
    if (w) functionWords.set(normalize(w), tag ?? 'x');
  }
  return {
    synonyms: lines(files['synonyms.txt']).map((l) =>
      l
        .split('|')
        .map((t) => normalize(t.trim()))
        .filter(Boolean),
    ),
    functionWords,
    answerTypes: parseAnswerTypes(files['answer-types.txt']),
    intentCues: parseSections(files['intents.txt']),
    glossary: pairs(files['glossary-en.txt']).sort((a, b) => b[0].length - a[0].length),
    confusables: new Map(pairs(files['confusables.txt'])),
    towns: lines(files['towns.txt']),
    districts: lines(files['districts.txt']),
    valueUnits: new Map(
      lines(files['value-units.txt']).map((l) => {
        const [unit, cues] = l.split(/[:：]/);
        return [(unit ?? '').trim(), words(cues ?? '')] as [string, string[]];
      }),
    ),
    documentKinds: new Map(
      lines(files['document-kinds.txt']).map((l) => {
        const [kind, cues] = l.split(/[:：]/);
        return [(kind ?? '').trim(), words(cues ?? '').sort(byLength)] as [string, string[]];
      }),
    ),
    segmenterDict,
    version: hash.digest('hex').slice(0, 12),
  };
}

/** Reads and parses the lexicon folder. */
export function loadLexicon(dir: string): Lexicon {
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch (e) {
      // A lexicon folder made before a file was added still loads; that file is then empty.
      if (OPTIONAL_FILES.has(f)) return '';
      throw e;
    }
  };
  let dict: Uint8Array | null = null;
  try {
    dict = readFileSync(join(dir, SEGMENTER_DICT));
  } catch {
    // No dictionary: the fallback segmenter is used.
  }
  return parseLexicon(Object.fromEntries(LEXICON_FILES.map((f) => [f, read(f)])) as LexiconFiles, dict);
}
