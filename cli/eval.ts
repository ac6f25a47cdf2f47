/**
 * `npm run eval`: runs the project's question sets and prints pass rates by part and intent.
 * Parts: tuning (questions written from the documents by someone who had not seen the code, used
 * while developing), own (the first build's questions), held-out (written at the same time as the
 * tuning part, never looked at while tuning: only its rate is printed), and multi-turn
 * conversations (tuning and held-out halves).
 * `--set FILE` one other question set; `--min 0.9` exit 1 when a part is below that rate;
 * `--verbose` lists the failures of the tuning parts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openKnowledgeWithStore } from '../app/compose.js';
import { systemClock } from '../core/clock.js';
import { type EvalReport, evaluate, evaluateConversations, parseConversations, parseQuestionSet } from '../knowledge/evaluate.js';
import { configOrExit, fail, parseArgs } from './common.js';

interface Part {
  name: string;
  file: string;
  kind: 'questions' | 'conversations';
  heldOut: boolean;
}

const PARTS: Part[] = [
  { name: 'tuning', file: 'tuning.jsonl', kind: 'questions', heldOut: false },
  { name: 'tuning-2', file: 'tuning-2.jsonl', kind: 'questions', heldOut: false },
  { name: 'tuning-3', file: 'tuning-3.jsonl', kind: 'questions', heldOut: false },
  { name: 'own', file: 'questions-own.jsonl', kind: 'questions', heldOut: false },
  { name: 'tuning-4', file: 'tuning-4.jsonl', kind: 'questions', heldOut: false },
  { name: 'tuning-5', file: 'tuning-5.jsonl', kind: 'questions', heldOut: false },
  { name: 'held-out', file: 'heldout.jsonl', kind: 'questions', heldOut: true },
  { name: 'held-out-2', file: 'heldout-2.jsonl', kind: 'questions', heldOut: true },
  { name: 'held-out-3', file: 'heldout-3.jsonl', kind: 'questions', heldOut: true },
  { name: 'conv-tuning', file: 'conversations-tuning.jsonl', kind: 'conversations', heldOut: false },
  { name: 'conv-tuning-2', file: 'conversations-tuning-2.jsonl', kind: 'conversations', heldOut: false },
  { name: 'conv-tuning-3', file: 'conversations-tuning-3.jsonl', kind: 'conversations', heldOut: false },
  { name: 'conv-tuning-4', file: 'conversations-tuning-4.jsonl', kind: 'conversations', heldOut: false },
  { name: 'conv-tuning-5', file: 'conversations-tuning-5.jsonl', kind: 'conversations', heldOut: false },
  { name: 'conv-held-out', file: 'conversations-heldout.jsonl', kind: 'conversations', heldOut: true },
  { name: 'conv-held-out-2', file: 'conversations-heldout-2.jsonl', kind: 'conversations', heldOut: true },
  { name: 'conv-held-out-3', file: 'conversations-heldout-3.jsonl', kind: 'conversations', heldOut: true },
];

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2), ['set', 'min', 'now']);
  const config = configOrExit();
  const { store, knowledge } = await openKnowledgeWithStore(config, systemClock());
  const now = typeof flags.now === 'string' ? new Date(flags.now) : new Date('2026-11-23T09:00:00+08:00');
  const dir = join(process.cwd(), 'tests', 'eval');
  const parts: Part[] =
    typeof flags.set === 'string'
      ? [
          {
            name: flags.set,
            file: flags.set,
            // A file of conversations holds turns; any other is a question set.
            kind:
              existsSync(flags.set) && readFileSync(flags.set, 'utf8').trimStart().startsWith('{"turns"') ? 'conversations' : 'questions',
            heldOut: false,
          },
        ]
      : PARTS.map((p) => ({ ...p, file: join(dir, p.file) }));
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const min = typeof flags.min === 'string' ? Number(flags.min) : 0;
  const reports: Array<[Part, EvalReport]> = [];
  for (const part of parts) {
    if (!existsSync(part.file)) continue;
    const text = readFileSync(part.file, 'utf8');
    const r =
      part.kind === 'conversations'
        ? evaluateConversations(knowledge.answerer, parseConversations(text), now)
        : evaluate(knowledge.answerer, parseQuestionSet(text), now);
    reports.push([part, r]);
  }
  await store.close();
  for (const [part, r] of reports) {
    process.stdout.write(`${part.name.padEnd(14)} ${String(r.passed).padStart(3)}/${String(r.total).padEnd(3)} ${pct(r.rate)}   `);
    process.stdout.write(
      `${Object.entries(r.byIntent)
        .sort()
        .map(([k, b]) => `${k} ${b.passed}/${b.total}`)
        .join(' · ')}\n`,
    );
  }
  if (flags.verbose) {
    for (const [part, r] of reports) {
      if (part.heldOut) continue;
      for (const o of r.outcomes.filter((x) => !x.pass)) {
        process.stdout.write(
          `\n✗ [${part.name}] ${o.case.q}\n  ${o.why.join('; ')}\n  → [${o.answer.intent}/${o.answer.found}] ${o.answer.answer}\n`,
        );
      }
    }
  }
  if (reports.some(([, r]) => r.rate < min)) process.exitCode = 1;
}

main().catch(fail);
