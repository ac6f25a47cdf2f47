/**
 * Where the corpus in use lives. A module of its own, so that the command line can find it without
 * loading the whole program.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectPath } from '../core/paths.js';
import type { SearchSettings } from '../knowledge/search/port.js';
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

/** The passage search settings (the backend itself is loaded only when search is first used). */
export function searchSettingsOf(
  config: Pick<Config, 'SEARCH_BACKEND' | 'SEARCH_FULLTEXT_MIN_MB' | 'SEARCH_SQLITE_PATH' | 'SEARCH_POSTGRES_URL' | 'INDEX_SNAPSHOT_PATH'>,
): SearchSettings {
  return {
    backend: config.SEARCH_BACKEND,
    fullTextMinMb: config.SEARCH_FULLTEXT_MIN_MB,
    sqlitePath: config.SEARCH_SQLITE_PATH,
    snapshotPath: config.INDEX_SNAPSHOT_PATH,
    ...(config.SEARCH_POSTGRES_URL ? { postgres: { connectionString: config.SEARCH_POSTGRES_URL } } : {}),
  };
}
