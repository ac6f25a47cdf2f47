/**
 * Where the corpus in use lives. A module of its own, so that the command line can find it without
 * loading the whole program.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectPath } from '../core/paths.js';
import type { Config } from './config.js';

/**
 * The corpus folder in use: CORPUS_DIR when set; else the copy under the data folder that a
 * document import made (the shipped corpus stays as released); else the shipped corpus.
 */
export function corpusDirOf(config: Pick<Config, 'CORPUS_DIR' | 'DATABASE_PATH'>): string {
  if (config.CORPUS_DIR) return config.CORPUS_DIR;
  const copy = dataCorpusDir(config);
  return existsSync(join(copy, 'manifest.json')) ? copy : projectPath('knowledge', 'corpus');
}

/** Where a document import copies the shipped corpus to when no CORPUS_DIR is set. */
export function dataCorpusDir(config: Pick<Config, 'DATABASE_PATH'>): string {
  return join(dirname(config.DATABASE_PATH), 'corpus');
}
