/**
 * Evaluation of the answerer against a question set (JSON lines): each case names the expected
 * intent, whether the records hold the answer, and strings the answer must (or must not) contain.
 */
import type { Answer, Answerer } from './answer/answer.js';

/** One question of a question set. */
export interface EvalCase {
  q: string;
  intent?: string;
  found: boolean;
  /** Every entry must appear in the answer; an array entry means "any of these". */
  expect: Array<string | string[]>;
  not?: string[];
  lang?: 'zh' | 'en';
}

/** The outcome of one case. */
export interface EvalOutcome {
  case: EvalCase;
  answer: Answer;
  pass: boolean;
  why: string[];
}

/** The outcome of a question set, with pass rates by expected intent. */
export interface EvalReport {
  total: number;
  passed: number;
  rate: number;
  byIntent: Record<string, { total: number; passed: number; rate: number }>;
  outcomes: EvalOutcome[];
}

/** Parses a JSON-lines question set. */
export function parseQuestionSet(text: string): EvalCase[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EvalCase);
}

/** Judges one answer against its case. */
export function judge(c: EvalCase, a: Answer): string[] {
  const why: string[] = [];
  if (c.intent && a.intent !== c.intent) why.push(`intent ${a.intent} ≠ ${c.intent}`);
  if (a.found !== c.found) why.push(`found ${a.found} ≠ ${c.found}`);
  const text = `${a.answer}`;
  for (const e of c.expect) {
    const any = Array.isArray(e) ? e : [e];
    if (!any.some((s) => text.includes(s))) why.push(`missing ${any.join(' | ')}`);
  }
  for (const n of c.not ?? []) if (text.includes(n)) why.push(`contains ${n}`);
  if (c.found && a.sources.length === 0 && !['greeting', 'help', 'complaint'].includes(a.intent)) why.push('no source');
  if (c.lang && a.lang !== c.lang) why.push(`lang ${a.lang} ≠ ${c.lang}`);
  return why;
}

/** Runs a question set. */
export function evaluate(answerer: Answerer, cases: EvalCase[], now: Date): EvalReport {
  const outcomes = cases.map((c) => {
    const answer = answerer.answer(c.q, now);
    const why = judge(c, answer);
    return { case: c, answer, pass: why.length === 0, why };
  });
  const byIntent: EvalReport['byIntent'] = {};
  for (const o of outcomes) {
    const k = o.case.intent ?? (o.case.found ? 'answerable' : 'unanswerable');
    const b = byIntent[k] ?? { total: 0, passed: 0, rate: 0 };
    byIntent[k] = b;
    b.total++;
    if (o.pass) b.passed++;
  }
  for (const b of Object.values(byIntent)) b.rate = b.passed / b.total;
  const passed = outcomes.filter((o) => o.pass).length;
  return { total: outcomes.length, passed, rate: passed / outcomes.length, byIntent, outcomes };
}
