/**
 * The in-memory backend of the search port: the MiniSearch index of `index.ts` (snapshot on disk
 * when a path is given), answered synchronously under a promise.
 */
import type { Passage } from '../base.js';
import { buildIndex, loadIndex, readSnapshotFile, type SearchIndex, writeSnapshotFile } from './index.js';
import type { SearchPort } from './port.js';

export function createMiniSearchPort(snapshotPath: string | null): SearchPort {
  let index: SearchIndex | null = null;
  const open = (): SearchIndex => {
    if (!index) throw new Error('search: nothing indexed yet');
    return index;
  };
  return {
    backend: 'minisearch',
    get size() {
      return index?.size ?? 0;
    },
    get version() {
      return index?.version ?? '';
    },
    async index(passages, version) {
      if (index?.version === version) return;
      const list = passages as Passage[];
      const loaded = snapshotPath ? loadIndex(readSnapshotFile(snapshotPath), list, version) : null;
      index = loaded ?? buildIndex(list, version);
      if (!loaded && snapshotPath) writeSnapshotFile(snapshotPath, index.toJSON());
    },
    async search(query, options) {
      return open().search(query, options);
    },
    has: (t) => index?.has(t) ?? false,
    df: (t) => index?.df(t) ?? 0,
    async close() {
      index = null;
    },
  };
}
