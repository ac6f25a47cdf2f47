/**
 * The log: one line per event on stderr, with every phone-like number masked, so that citizens'
 * numbers never reach a log file.
 */
import { maskPhonesIn } from './mask.js';

/** Log levels, least to most severe. */
export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** A log level. */
export type Level = (typeof LEVELS)[number];

/** A logger. */
export type Logger = (line: string, level?: Level) => void;

/** Creates a logger that writes lines at or above `min` to `write` (stderr by default). */
export function createLogger(min: Level, write: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  const floor = LEVELS.indexOf(min);
  return (line, level = 'info') => {
    if (LEVELS.indexOf(level) < floor) return;
    // A line's own time of writing, read here: it says when something happened to the process,
    // whatever clock the program was handed (a test's fixed clock would stamp every line alike).
    write(`${new Date().toISOString()} ${level.toUpperCase()} ${maskPhonesIn(line)}\n`);
  };
}
