/**
 * The knowledge module's public face: open a corpus and get an answerer. Everything else in
 * knowledge/ is reached through here by the other layers.
 */
import { projectPath } from '../core/paths.js';
import { type AnswererDeps, createAnswerer } from './answer/answer.js';
import { type KnowledgeBase, loadKnowledgeBase } from './base.js';
import type { LedgerView } from './ledger.js';
import { type Lexicon, loadLexicon } from './lexicon.js';
import { openIndex, type SearchIndex } from './search/index.js';

export type { Answer, Answerer, Contact, ContactDirectory, Source } from './answer/answer.js';
export { createAnswerer, defaultAnswerOptions } from './answer/answer.js';
export { classify, INTENTS, type Intent } from './answer/intent.js';
export type { DocumentInfo, KnowledgeBase, Passage } from './base.js';
export { buildKnowledgeBase, loadCorpus, loadKnowledgeBase } from './base.js';
export type { LedgerView, ProgressUpdate } from './ledger.js';
export type { Lexicon } from './lexicon.js';
export { loadLexicon, parseLexicon } from './lexicon.js';
export type { Milestone, MilestoneEvidence, MilestoneSource, TargetSpec, UnitSeed } from './parse/milestones.js';
export { bodyParts, isJurisdiction, isUnitName } from './parse/milestones.js';
export type { Indicator, Plan } from './parse/plan.js';
export type { RecordsTable, RectificationRecord } from './parse/records.js';
export { buildIndex, defaultIndexOptions, indexVersion, loadIndex, openIndex, type SearchIndex } from './search/index.js';
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
  index: SearchIndex;
  indexSource: 'snapshot' | 'built';
  answerer: ReturnType<typeof createAnswerer>;
  /** The living ledger (progress updates, linked cases) when the store supplies one, for the answerer. */
  ledger: LedgerView | null;
}

/** Opens the corpus, its lexicon and its search index (from the snapshot when it matches). */
export function openKnowledge(options: {
  corpusDir?: string;
  lexiconDir?: string;
  snapshotPath?: string | null;
  contacts?: AnswererDeps['contacts'];
  /** The store's ledger: dated progress updates and linked-case counts by milestone key. */
  ledger?: LedgerView;
}): Knowledge {
  const kb = loadKnowledgeBase(options.corpusDir ?? DEFAULT_CORPUS_DIR);
  const lexicon = loadLexicon(options.lexiconDir ?? DEFAULT_LEXICON_DIR);
  const { index, source } = openIndex(kb, lexicon, options.snapshotPath ?? null);
  const answerer = createAnswerer({ kb, index, lexicon, ...(options.contacts ? { contacts: options.contacts } : {}) });
  return { kb, lexicon, index, indexSource: source, answerer, ledger: options.ledger ?? null };
}
