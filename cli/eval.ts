/**
 * `npm run eval`: runs the question set and prints the pass rate by intent.
 * `--set FILE` another question set; `--min 0.9` exit 1 below that rate; `--verbose` list failures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, parseQuestionSet } from '../knowledge/evaluate.js';
import { configOrExit, fail, openAll, parseArgs } from './common.js';

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2), ['set', 'min', 'now']);
  const config = configOrExit();
  const { db, knowledge } = openAll(config);
  const file = typeof flags.set === 'string' ? flags.set : join(process.cwd(), 'tests', 'eval', 'questions.jsonl');
  const now = typeof flags.now === 'string' ? new Date(flags.now) : new Date('2026-11-22T09:00:00+08:00');
  const report = evaluate(knowledge.answerer, parseQuestionSet(readFileSync(file, 'utf8')), now);
  db.close();
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  process.stdout.write(`问题集 ${file}\n`);
  for (const [intent, b] of Object.entries(report.byIntent).sort()) {
    process.stdout.write(`  ${intent.padEnd(13)} ${String(b.passed).padStart(3)}/${String(b.total).padEnd(3)} ${pct(b.rate)}\n`);
  }
  process.stdout.write(
    `  ${'total'.padEnd(13)} ${String(report.passed).padStart(3)}/${String(report.total).padEnd(3)} ${pct(report.rate)}\n`,
  );
  if (flags.verbose) {
    for (const o of report.outcomes.filter((x) => !x.pass)) {
      process.stdout.write(`\n✗ ${o.case.q}\n  ${o.why.join('; ')}\n  → [${o.answer.intent}/${o.answer.found}] ${o.answer.answer}\n`);
    }
  }
  const min = typeof flags.min === 'string' ? Number(flags.min) : 0;
  if (report.rate < min) process.exitCode = 1;
}

main().catch(fail);
