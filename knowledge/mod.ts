/**
 * The knowledge module's public face: open a corpus and get an answerer. Everything else in
 * knowledge/ is reached through here by the other layers.
 */
import { projectPath } from '../core/paths.js';
import { createAnswerer, type defaultAnswerOptions } from './answer/answer.js';
import type { AnswererDeps } from './answer/context.js';
import type { Answerer, ContactDirectory } from './answer/types.js';
import { type KnowledgeBase, loadKnowledgeBase } from './base.js';
import { buildStatements, type StatementIndex } from './evidence/statements.js';
import type { LedgerView } from './ledger.js';
import { type Lexicon, loadLexicon } from './lexicon.js';
import { type Analyzer, createAnalyzer } from './query/analyze.js';
import { createSegmenter, type ExtraWords, type Segmenter } from './query/segment.js';
import { indexVersion, openIndex, type SearchIndex } from './search/index.js';
import type { SearchPort, SearchSettings } from './search/port.js';

export type { Handler } from './answer/answer.js';
export { createAnswerer, defaultAnswerOptions, defaultHandlers } from './answer/answer.js';
export type { AnswererDeps } from './answer/context.js';
export type { Answer, Answerer, AskOptions, Contact, ContactDirectory, Intent, Source, Topic } from './answer/types.js';
export { CONVERSATIONAL_INTENTS } from './answer/types.js';
export type { DocIndicator, DocumentInfo, KnowledgeBase, Passage } from './base.js';
export { buildKnowledgeBase, loadCorpus, loadKnowledgeBase } from './base.js';
export type { Statement, StatementIndex } from './evidence/statements.js';
export { buildStatements } from './evidence/statements.js';
export type { LedgerView, ProgressUpdate } from './ledger.js';
export type { AnswerType, Lexicon } from './lexicon.js';
export { loadLexicon, parseLexicon } from './lexicon.js';
export type { Milestone, MilestoneEvidence, MilestoneSource, TargetSpec, UnitSeed } from './parse/milestones.js';
export { bodyParts, isJurisdiction, isUnitName } from './parse/milestones.js';
export type { Indicator, Plan } from './parse/plan.js';
export type { RecordsTable, RectificationRecord } from './parse/records.js';
export type { Analyzer, Query, Term } from './query/analyze.js';
export { createAnalyzer } from './query/analyze.js';
export type { Segmenter } from './query/segment.js';
export { createFallbackSegmenter, createJiebaSegmenter, createSegmenter, type ExtraWords, sortedDictHas } from './query/segment.js';
export { buildIndex, defaultIndexOptions, indexVersion, loadIndex, openIndex, type SearchIndex } from './search/index.js';
export {
  chooseBackend,
  corpusBytes,
  createSearch,
  defaultSearchSettings,
  openSearch,
  type PgPool,
  SEARCH_BACKENDS,
  type SearchBackendName,
  type SearchPort,
  type SearchSettings,
} from './search/port.js';
export { prepareQuery } from './search/query.js';
export { TOKENIZER_VERSION, tokenize } from './search/tokenizer.js';

/** The corpus shipped with the project. */
export const DEFAULT_CORPUS_DIR = projectPath('knowledge', 'corpus');
/** The lexicon shipped with the project. */
export const DEFAULT_LEXICON_DIR = projectPath('knowledge', 'lexicon');

/** An opened knowledge module. */
export interface Knowledge {
  kb: KnowledgeBase;
  lexicon: Lexicon;
  statements: StatementIndex;
  segmenter: Segmenter;
  analyzer: Analyzer;
  answerer: Answerer;
  /** The passage-level search index (MiniSearch), opened on first use. */
  readonly index: SearchIndex;
  /** Passage search behind the port, on the backend the settings choose; opened (and the backend loaded) on first use. */
  search(): Promise<SearchPort>;
  /** Closes the search port if it was opened. */
  closeSearch(): Promise<void>;
  /** The living ledger (progress updates, linked cases) when the store supplies one, for the answerer. */
  ledger: LedgerView | null;
}

/** The words the segmenter must know: the lexicon's own, and the bodies and places the documents name. */
export function segmenterWords(lexicon: Lexicon, statements: StatementIndex): ExtraWords {
  const out: ExtraWords = [...lexicon.functionWords].map(([w, t]) => [w, t]);
  for (const g of lexicon.synonyms) for (const w of g) if (/^\p{Script=Han}{2,}$/u.test(w)) out.push([w, 'n']);
  // A glossary term is for English questions; it shapes how Chinese ones are cut only where the
  // documents write it ("试验报告" is no word of theirs, and would glue "土样试验报告" together).
  for (const [, zh] of lexicon.glossary) if (/^\p{Script=Han}{2,}$/u.test(zh) && statements.contains(zh)) out.push([zh, 'n']);
  for (const t of [...lexicon.towns, ...lexicon.districts]) out.push([t, 'ns']);
  const bodies = new Set(statements.statements.flatMap((s) => s.units));
  for (const b of bodies) out.push([b, 'nt']);
  return out;
}

/** Opens the corpus, its lexicon, the statement index and the answerer. */
export function openKnowledge(options: {
  corpusDir?: string;
  lexiconDir?: string;
  snapshotPath?: string | null;
  contacts?: ContactDirectory;
  ledger?: LedgerView;
  answerOptions?: Partial<typeof defaultAnswerOptions>;
  /** Another segmenter (the benchmark compares them); default: jieba over the lexicon's dictionary. */
  segmenter?: (dict: Uint8Array | null, extra: ExtraWords) => Segmenter;
  /** Passage search settings; default: MiniSearch for a small corpus, SQLite FTS5 in memory past 5 MB. */
  search?: SearchSettings;
}): Knowledge {
  const kb = loadKnowledgeBase(options.corpusDir ?? DEFAULT_CORPUS_DIR);
  const lexicon = loadLexicon(options.lexiconDir ?? DEFAULT_LEXICON_DIR);
  const statements = buildStatements(kb, lexicon.towns);
  const segmenter = (options.segmenter ?? createSegmenter)(lexicon.segmenterDict, segmenterWords(lexicon, statements));
  const analyzer = createAnalyzer(lexicon, segmenter, {
    df: statements.df,
    size: statements.statements.length,
    contains: statements.contains,
  });
  const deps: AnswererDeps = {
    kb,
    statements,
    lexicon,
    analyze: analyzer.analyze,
    termOf: analyzer.termOf,
    contains: statements.contains,
    ...(options.contacts ? { contacts: options.contacts } : {}),
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.answerOptions ? { options: options.answerOptions } : {}),
  };
  let index: SearchIndex | null = null;
  let search: Promise<SearchPort> | null = null;
  return {
    kb,
    lexicon,
    statements,
    segmenter,
    analyzer,
    answerer: createAnswerer(deps),
    ledger: options.ledger ?? null,
    get index() {
      index ??= openIndex(kb, lexicon, options.snapshotPath ?? null).index;
      return index;
    },
    search() {
      search ??= import('./search/port.js').then(({ defaultSearchSettings, openSearch }) =>
        openSearch(
          { snapshotPath: options.snapshotPath ?? null, ...(options.search ?? defaultSearchSettings) },
          kb.passages,
          indexVersion(kb, lexicon),
        ),
      );
      return search;
    },
    async closeSearch() {
      const s = search;
      search = null;
      if (s) await (await s.catch(() => null))?.close();
    },
  };
}
