/**
 * Honest refusals: what the records do not hold, named by the question's own content words (never
 * by a particle or a dialect word), with what is stated nearby when there is such a statement.
 */
import type { Statement } from '../../evidence/statements.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { cite, excerpt, say, sourceOf } from '../render.js';
import type { Answer, Intent } from '../types.js';

/** The words a refusal names: the unknown content words, else the uncovered ones. */
export function missingWords(c: AnswerContext, covered: Set<string> = new Set()): string[] {
  const unknown = c.query.unknown.filter((w) => !covered.has(w));
  if (unknown.length) return unknown.slice(0, 2);
  return c.query.terms
    .filter((t) => t.known && !covered.has(t.text))
    .map((t) => t.text)
    .slice(0, 2);
}

/** "The records do not say X", optionally with the nearby statement that is there. */
export function notFound(c: AnswerContext, intent: Intent, what: string | null, nearby?: Statement | null): Answer {
  const name = what ?? missingWords(c).join('、');
  const lead = say(
    c.lang,
    name ? `记录中没有关于“${name}”的内容。` : '记录中没有找到这个问题的答案。',
    name ? `The records do not say anything about "${name}".` : 'The records do not answer this question.',
  );
  if (!nearby) {
    const hint = say(
      c.lang,
      '您可以换个说法，或问问目标、期限、责任单位、进展和措施。',
      ' You can rephrase, or ask about targets, deadlines, units, progress or measures.',
    );
    return answerOf(c, intent, false, `${lead}${hint}`);
  }
  const doc = c.doc(nearby.passage.document);
  const near = say(
    c.lang,
    `相关的记载是：${excerpt(nearby, c.terms, c.types)}`,
    ` What the records do state: 「${excerpt(nearby, c.terms, c.types)}」`,
  );
  return answerOf(c, intent, false, `${lead}${near}${cite(nearby, doc, c.lang)}`, [sourceOf(nearby, doc)], [nearby]);
}
