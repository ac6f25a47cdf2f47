/** Free space on the file system of a path, for the upload quota and /healthz. */
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** Bytes available to this process on the file system holding `path` (or its nearest existing parent); null when unknown. */
export function freeBytes(path: string): number | null {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    const s = statfsSync(p);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}
