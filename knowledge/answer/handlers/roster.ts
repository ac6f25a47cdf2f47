/**
 * "是哪40个村？", "哪8家企业，名字列一下": a question for the members of a counted set. The records
 * often give only the count; then the honest answer is the count and a plain statement that they
 * list no names — never a list made up, and never the count passed off as the list.
 */
import type { Statement } from '../../evidence/statements.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { cite, excerpt, say, sourceOf } from '../render.js';
import type { Answer } from '../types.js';

const DIGITS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 8, "八", "十二", "四十" → the number; NaN when it is none. */
export function numberOf(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^([一二两三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(text);
  if (!m || text === '') return Number.NaN;
  if (!m[2]) return DIGITS[m[1] ?? ''] ?? Number.NaN;
  return (m[1] ? (DIGITS[m[1]] ?? 0) : 1) * 10 + (m[3] ? (DIGITS[m[3]] ?? 0) : 0);
}

/** The count a question asks the members of ("哪40个" → 40, 个); null when it asks none. */
export function rosterAsked(normalized: string): { n: number; measure: string } | null {
  const m = /哪\s*(\d+|[一二两三四五六七八九十]+)\s*(个|家|座|条|处|块|所|户|名|种|项|批|类)/.exec(normalized);
  if (!m) return null;
  const n = numberOf(m[1] as string);
  return Number.isFinite(n) && n > 1 ? { n, measure: m[2] as string } : null;
}

/**
 * Whether a statement names the members next to their count: "A、B等2个镇", "8家企业：A、B、…".
 * Chinese lists are joined with 、; commas join clauses, not members.
 */
function enumerates(c: AnswerContext, s: Statement, figure: RegExp, n: number): boolean {
  const next = c.deps.statements.statements[s.id + 1];
  const text = `${s.norm}${next && next.passage.id === s.passage.id ? next.norm : ''}`;
  const at = text.search(figure);
  const around = text.slice(Math.max(0, at - c.options.rosterWindow), at + c.options.rosterWindow);
  return around.split('、').length - 1 >= Math.min(n - 1, 2);
}

/** The roster handler. */
export function roster(c: AnswerContext): Answer | null {
  const asked = rosterAsked(c.query.normalized);
  if (!asked) return null;
  // The measure word may be left out in the records ("选了3农膜企业").
  const figure = new RegExp(`(?<![\\d.])${asked.n}(?![\\d.%])\\s*(${asked.measure})?`);
  const hit = c
    .hits()
    .filter((h) => h.coverage >= c.options.minCoverage)
    .slice(0, 5)
    .find((h) => figure.test(h.statement.norm));
  // The count is not where the question's words are: let the other handlers say what they find.
  if (!hit) return null;
  const s = hit.statement;
  if (enumerates(c, s, figure, asked.n)) return null;
  const doc = c.doc(s.passage.document);
  const what = `${asked.n}${asked.measure}`;
  return answerOf(
    c,
    'general',
    false,
    `${say(
      c.lang,
      `记录只写了数量（${what}），没有列出具体是哪${what}。相关的记载是：${excerpt(s, c.terms, ['count'])}`,
      `The records give only the number (${what}) and do not list them. What they say: 「${excerpt(s, c.terms, ['count'])}」`,
    )}${cite(s, doc, c.lang)}`,
    [sourceOf(s, doc)],
    [s],
  );
}
