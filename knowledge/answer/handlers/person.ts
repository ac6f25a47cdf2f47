/**
 * Names of people: the documents name offices (主任, 组长), not persons, so a question for a name is
 * answered with the office the records give and a plain statement that no name is recorded.
 */
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { cite, excerpt, say, sourceOf } from '../render.js';
import type { Answer } from '../types.js';

/** The person handler. */
export function person(c: AnswerContext): Answer | null {
  if (!c.types.includes('person')) return null;
  const best = c.hits().find((h) => h.coverage >= c.options.minCoverage);
  const none = say(c.lang, '文件没有写出具体人员的姓名。', 'The records name no person.');
  if (!best) return answerOf(c, 'unit', false, none);
  const s = best.statement;
  const doc = c.doc(s.passage.document);
  return answerOf(
    c,
    'unit',
    false,
    `${none}${say(c.lang, `相关的记载是：${excerpt(s, c.terms, ['unit'])}`, ` What they say: 「${excerpt(s, c.terms, ['unit'])}」`)}${cite(s, doc, c.lang)}`,
    [sourceOf(s, doc)],
    [s],
  );
}
