/**
 * Evaluation of the answerer against question sets (JSON lines) and multi-turn conversations. Each
 * case names the expected intent, whether the records hold the answer, and strings the answer must
 * (or must not) contain. Question kinds (unit, deadline …) are one class here: what a set can
 * check is whether a message is a question, a report, off-topic or small talk.
 */
import type { Answer, Answerer, Topic } from './answer/types.js';
import { CONVERSATIONAL_INTENTS } from './answer/types.js';

/** One question of a question set. */
export interface EvalCase {
  q: string;
  intent?: string;
  found: boolean;
  /** Every entry must appear in the answer; an array entry means "any of these". */
  expect: Array<string | string[]>;
  /** Strings the answer must not contain ("not" in older sets). */
  forbid?: string[];
  not?: string[];
  lang?: 'zh' | 'en';
}

/** A conversation: turns asked in order, each read against the previous answer's topic. */
export interface EvalConversation {
  turns: EvalCase[];
  note?: string;
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

/** Parses JSON lines. */
function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Parses a JSON-lines question set. */
export function parseQuestionSet(text: string): EvalCase[] {
  return jsonLines<EvalCase>(text);
}

/** Parses a JSON-lines conversation set. */
export function parseConversations(text: string): EvalConversation[] {
  return jsonLines<EvalConversation>(text);
}

/** The class of an intent: a question about the records, or one of the conversational intents. */
export function intentClass(intent: string): string {
  // A set may label greetings and thanks alike as "social".
  if (intent === 'social' || intent === 'greeting' || intent === 'thanks') return 'social';
  return (CONVERSATIONAL_INTENTS as string[]).includes(intent) ? intent : 'question';
}

/** Judges one answer against its case. */
export function judge(c: EvalCase, a: Answer): string[] {
  const why: string[] = [];
  if (c.intent && intentClass(a.intent) !== intentClass(c.intent)) why.push(`intent ${a.intent} ≠ ${c.intent}`);
  const conversational = c.intent !== undefined && intentClass(c.intent) !== 'question';
  if (!conversational && a.found !== c.found) why.push(`found ${a.found} ≠ ${c.found}`);
  const text = `${a.answer}`;
  for (const e of c.expect) {
    const any = Array.isArray(e) ? e : [e];
    if (!any.some((s) => text.includes(s))) why.push(`missing ${any.join(' | ')}`);
  }
  for (const n of [...(c.forbid ?? []), ...(c.not ?? [])]) if (text.includes(n)) why.push(`contains ${n}`);
  if (c.found && !conversational && a.sources.length === 0) why.push('no source');
  if (c.lang && a.lang !== c.lang) why.push(`lang ${a.lang} ≠ ${c.lang}`);
  return why;
}

function report(outcomes: EvalOutcome[]): EvalReport {
  const byIntent: EvalReport['byIntent'] = {};
  for (const o of outcomes) {
    const k = o.case.intent ? intentClass(o.case.intent) : o.case.found ? 'answerable' : 'unanswerable';
    const key = k === 'question' ? (o.case.found ? 'answerable' : 'unanswerable') : k;
    const b = byIntent[key] ?? { total: 0, passed: 0, rate: 0 };
    byIntent[key] = b;
    b.total++;
    if (o.pass) b.passed++;
  }
  for (const b of Object.values(byIntent)) b.rate = b.passed / b.total;
  const passed = outcomes.filter((o) => o.pass).length;
  return { total: outcomes.length, passed, rate: outcomes.length ? passed / outcomes.length : 0, byIntent, outcomes };
}

/** Runs a question set. */
export function evaluate(answerer: Answerer, cases: EvalCase[], now: Date): EvalReport {
  return report(
    cases.map((c) => {
      const answer = answerer.answer(c.q, { now });
      const why = judge(c, answer);
      return { case: c, answer, pass: why.length === 0, why };
    }),
  );
}

/** Runs conversations turn by turn, each turn with the topic the previous answer left (as the dialog keeps it). */
export function evaluateConversations(answerer: Answerer, conversations: EvalConversation[], now: Date): EvalReport {
  const outcomes: EvalOutcome[] = [];
  for (const conv of conversations) {
    let topic: Topic | null = null;
    for (const turn of conv.turns) {
      const answer = answerer.answer(turn.q, { now, context: topic });
      if (answer.topic) topic = answer.topic;
      const why = judge(turn, answer);
      outcomes.push({ case: turn, answer, pass: why.length === 0, why });
    }
  }
  return report(outcomes);
}
