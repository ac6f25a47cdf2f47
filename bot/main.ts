/**
 * `npm start`: reads the settings and starts the assistant through the composition root
 * (`app/compose.ts`) with the embedded defaults and no accounts; stops cleanly on SIGINT/SIGTERM.
 */
import { pathToFileURL } from 'node:url';
import { readSettings, startAssistant } from '../app/compose.js';
import { createLogger } from '../core/log.js';
import { type Config, channelsOf } from './config.js';

export { type Running, type StartOptions, startAssistant } from '../app/compose.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    // `.env` is read when present; the environment wins; both go through the same validation.
    config = readSettings();
  } catch (e) {
    process.stderr.write(`整改助手无法启动 / cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL);
  const running = await startAssistant(config, { log });
  const on = channelsOf(config);
  log(`整改助手已启动：本地聊天 ${running.url}/ （Telegram ${on.telegram ? '开' : '关'}，企业微信 ${on.wecomCallback ? '开' : '关'}）`);
  process.stdout.write(`\n整改助手已启动。在浏览器打开 ${running.url}/ 即可提问或举报；终端聊天：npm run chat\n按 Ctrl+C 停止。\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`收到 ${signal}，正在停止…`);
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    process.stderr.write(`整改助手出错退出 / fatal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
