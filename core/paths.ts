/** Where the project's own files are at run time, whether run from dist/ (built) or from source (tests). */
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The project's root folder. */
export const PROJECT_ROOT = here.split(sep).includes('dist') ? join(here, '..', '..') : join(here, '..');

/** A path inside the project. */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
