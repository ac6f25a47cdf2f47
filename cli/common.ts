/**
 * What the command-line tools share: reading the settings through the composition root (reporting
 * bad ones in Chinese and English), failing readably, parsing arguments.
 */
import { readSettings } from '../app/compose.js';
import type { Config } from '../bot/config.js';
import { RectifyError } from '../core/errors.js';

// A reader that stops early (`| head`) is no error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

/** Reads the settings (`.env` in the working folder under the environment) or exits with a clear message. */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return readSettings(env);
  } catch (e) {
    fail(e);
  }
}

/** Prints an error the way a user can act on it, then exits 2. */
export function fail(e: unknown): never {
  const msg = e instanceof RectifyError ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`错误 / error: ${msg}\n`);
  process.exit(2);
}

/** Splits argv into flags (--name or --name value) and positional words. */
export function parseArgs(argv: string[], valued: string[] = []): { flags: Record<string, string | true>; words: string[] } {
  const flags: Record<string, string | true> = {};
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (inline !== undefined) flags[name] = inline;
      else if (valued.includes(name) && i + 1 < argv.length) flags[name] = argv[++i] as string;
      else flags[name] = true;
    } else words.push(a);
  }
  return { flags, words };
}
