/**
 * `npm run ask -- "问题"`: answers one question from the records and the plan.
 * `--json` prints one JSON object; `--stdin` answers one question per input line.
 */
import { createInterface } from 'node:readline';
import { openKnowledgeWithStore } from '../app/compose.js';
import { systemClock } from '../core/clock.js';
import type { Answer } from '../knowledge/mod.js';
import { configOrExit, fail, parseArgs } from './common.js';

function render(a: Answer, json: boolean): string {
  if (json) {
    return JSON.stringify({ question: a.question, intent: a.intent, found: a.found, answer: a.answer, sources: a.sources });
  }
  const head = a.lang === 'en' ? 'Sources:' : '来源：';
  const src = a.sources.map((s, i) => `  ${i + 1}. ${s.document} ${s.locator}：${s.excerpt}`).join('\n');
  return src ? `${a.answer}\n${head}\n${src}` : a.answer;
}

async function main(): Promise<void> {
  const { flags, words } = parseArgs(process.argv.slice(2));
  const json = flags.json === true;
  const config = configOrExit();
  const now = systemClock();
  const { store, knowledge } = await openKnowledgeWithStore(config, now);
  try {
    if (flags.stdin) {
      const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of rl) {
        if (line.trim() === '') continue;
        process.stdout.write(`${render(knowledge.answerer.answer(line, now), json)}\n`);
      }
      return;
    }
    const question = words.join(' ').trim();
    if (!question) {
      process.stderr.write('用法：npm run ask -- "尾水整改完成了多少？" [--json]；或 --stdin 逐行提问\n');
      process.exitCode = 2;
      return;
    }
    process.stdout.write(`${render(knowledge.answerer.answer(question, now), json)}\n`);
  } finally {
    await store.close();
  }
}

main().catch(fail);
