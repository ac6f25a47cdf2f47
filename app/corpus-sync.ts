/**
 * Issue 13: documents imported by officials reach every replica. Replicas may not share a disk, so
 * an accepted import is written into the store too — the corpus folder's files (the manifest and
 * the documents it lists) and a version bumped in the same transaction (`CorpusPort`). Every
 * replica polls the version (`CORPUS_POLL_SECONDS`; the composition root starts the timer) and,
 * when it moved, writes the stored files into its own corpus folder and reloads its knowledge.
 *
 * Two replicas that import at nearly the same time do not lose each other's document: publishing
 * merges the stored corpus into the local one (documents by id) before it replaces the stored files.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Store, StoredCorpus } from '../store/ports.js';

const MANIFEST = 'manifest.json';

type Manifest = { documents: Array<Record<string, unknown> & { id: string; file: string }> };

/** The hash of a corpus's files: names and contents, in name order. */
export function corpusHash(files: Record<string, string>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(`${name}\0${files[name]}\0`);
  return h.digest('hex');
}

/** A corpus folder's files (the manifest and the documents it lists), or null without a manifest. */
export function readCorpusFiles(dir: string): Record<string, string> | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const files: Record<string, string> = { [MANIFEST]: text };
  for (const d of (JSON.parse(text) as Manifest).documents) {
    const p = join(dir, d.file);
    if (existsSync(p)) files[d.file] = readFileSync(p, 'utf8');
  }
  return files;
}

/** Writes files into a corpus folder: each through a temporary file and a rename, the manifest last. */
export function writeCorpusFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const names = Object.keys(files).sort((a, b) => Number(a === MANIFEST) - Number(b === MANIFEST) || a.localeCompare(b));
  for (const name of names) {
    // Names come from the store: only plain file names inside the folder.
    if (basename(name) !== name || name.startsWith('.')) throw new Error(`corpus file name refused: ${name}`);
    const p = join(dir, name);
    writeFileSync(`${p}.tmp`, files[name] as string, { mode: 0o644 });
    renameSync(`${p}.tmp`, p);
  }
}

/** The local corpus with the stored one's documents that it lacks (by id), so no import is lost. */
export function mergeCorpus(local: Record<string, string>, stored: Record<string, string> | null): Record<string, string> {
  const storedManifest = stored?.[MANIFEST];
  if (!stored || !storedManifest) return local;
  const mine = JSON.parse(local[MANIFEST] as string) as Manifest;
  const theirs = JSON.parse(storedManifest) as Manifest;
  const have = new Set(mine.documents.map((d) => d.id));
  const extra = theirs.documents.filter((d) => !have.has(d.id) && stored[d.file] !== undefined);
  if (extra.length === 0) return local;
  const out = { ...local };
  for (const d of extra) out[d.file] = stored[d.file] as string;
  out[MANIFEST] = `${JSON.stringify({ documents: [...mine.documents, ...extra] }, null, 2)}\n`;
  return out;
}

/** What the watch needs of the program. */
export interface CorpusWatchDeps {
  store: Pick<Store, 'corpus' | 'transaction'>;
  /** The corpus folder imports write to and replicas materialise into. */
  dir: () => string;
  /** Rebuilds the knowledge from the corpus folder. */
  reload: (now: Date) => Promise<unknown>;
}

/** The watch of the stored corpus version. */
export interface CorpusWatch {
  /**
   * Reads the stored version; when it moved since the last look, writes the stored corpus into the
   * folder (unless the folder already holds it) and reloads. True when it reloaded.
   */
  poll(now: Date): Promise<boolean>;
  /**
   * After an import into the folder: stores the folder's corpus (merged with the stored one) and
   * bumps the version in one transaction, then reloads. The new version.
   */
  publish(now: Date): Promise<number>;
  /** The version this replica holds (null before the first look). */
  seen(): number | null;
}

export function createCorpusWatch(deps: CorpusWatchDeps): CorpusWatch {
  let seen: number | null = null;
  let busy: Promise<unknown> = Promise.resolve();
  // Polls and publishes one at a time: a poll never writes the folder under a publish.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const r = busy.then(fn);
    busy = r.catch(() => {});
    return r;
  };
  return {
    seen: () => seen,
    poll: (now) =>
      serial(async () => {
        const version = await deps.store.corpus.version();
        if (version === seen || version === 0) {
          seen = version;
          return false;
        }
        const stored: StoredCorpus | null = await deps.store.corpus.read();
        if (!stored) return false;
        const dir = deps.dir();
        const local = readCorpusFiles(dir);
        const first = seen === null;
        const same = local !== null && corpusHash(local) === stored.hash;
        if (!same) writeCorpusFiles(dir, stored.files);
        seen = stored.version;
        // At start the knowledge was built from the folder: a folder that already matches needs no reload.
        if (first && same) return false;
        await deps.reload(now);
        return true;
      }),
    publish: (now) =>
      serial(async () => {
        const dir = deps.dir();
        const local = readCorpusFiles(dir);
        if (!local) throw new Error(`no corpus manifest in ${dir}`);
        const { version, files } = await deps.store.transaction(async (tx) => {
          const stored = await tx.corpus.read();
          const files = mergeCorpus(local, stored?.files ?? null);
          return { version: await tx.corpus.publish(files, corpusHash(files), now), files };
        });
        if (files !== local) writeCorpusFiles(dir, files);
        seen = version;
        await deps.reload(now);
        return version;
      }),
  };
}
