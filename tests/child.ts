/** Runs the built programs as child processes and talks to them line by line. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '..');

/** A child process that answers one JSON line per JSON line written. */
export interface LineChild {
  proc: ChildProcessWithoutNullStreams;
  ask(message: unknown): Promise<unknown>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node dist/<script> args` with extra environment. */
export function startLineChild(script: string, args: string[], env: Record<string, string>): LineChild {
  const proc = spawn(process.execPath, [join(ROOT, 'dist', script), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += String(d);
  });
  return {
    proc,
    ask(message) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer from ${script}; stderr: ${stderr}`)), 15_000);
        waiters.push((l) => {
          clearTimeout(timer);
          resolve(JSON.parse(l));
        });
        const early = lines.shift();
        if (early !== undefined) waiters.shift()?.(early);
        proc.stdin.write(`${JSON.stringify(message)}\n`);
      });
    },
    kill(signal = 'SIGKILL') {
      return new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      });
    },
  };
}
