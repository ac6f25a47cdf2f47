/** Starts the whole assistant (HTTP server and configured channels) on temporary files. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../bot/config.js';
import { type Running, type StartOptions, startAssistant } from '../bot/main.js';
import { BOT_INFO } from '../fakes/telegram.js';

/** A running assistant and the lines it logged. */
export async function startTestAssistant(
  env: Record<string, string> = {},
  opts: StartOptions & { dir?: string } = {},
): Promise<Running & { logs: string[]; dir: string }> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'rectify-e2e-'));
  const logs: string[] = [];
  const running = await startAssistant(
    parseConfig({
      DATABASE_PATH: join(dir, 'db.sqlite'),
      INDEX_SNAPSHOT_PATH: join(dir, 'index.json'),
      HTTP_PORT: '0',
      JOBS_ENABLED: 'false',
      ...env,
    }),
    { log: (l) => void logs.push(l), telegramBotInfo: BOT_INFO, scheduler: false, ...opts },
  );
  return Object.assign(running, { logs, dir });
}
