/**
 * "还有呢？", "然后呢", "Anything else?": the user asks for more of what the last answer gave. The
 * answer goes on where the last one stopped: the statements after the last one it showed, in the same
 * passage, else in the next passage of the same section (a plan's heading, a table's row). When the last answer used no
 * statement, or the document says no more there, it says so instead of searching for the word "还有".
 */
import type { Statement } from '../../evidence/statements.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { cite, say, sourceOf, withinLength } from '../render.js';
import { sectionOf } from '../retrieve.js';
import type { Answer } from '../types.js';

/** A message that only asks for more. */
const MORE_ZH = /^(那|那么)?(还有|另外|其他|其它|别的|然后|再|接着)(的|些)?(呢|吗|没有|没得|莫得|啥|什么|啥子|哪些|说|讲)*[?？!！。…\s]*$/;
const MORE_EN = /^(and )?(anything else|what else|and then|what more|anything more|more|go on|continue|and)\s*[?.!]*$/;

/** Whether the message asks only for more of the last answer. */
export function asksMore(c: AnswerContext): boolean {
  const q = c.query.normalized.trim();
  return c.query.terms.every((t) => !t.known) && c.years.length === 0 && (MORE_ZH.test(q) || MORE_EN.test(q));
}

/** The statements that follow the last answer's, in its passage or the next passage of its document. */
export function following(c: AnswerContext, used: number[]): Statement[] {
  const index = c.deps.statements;
  const last = index.statements[Math.max(...used)];
  if (!last) return [];
  const rest = index.ofPassage(last.passage.id).filter((s) => s.id > last.id && !s.heading);
  if (rest.length) return rest;
  const passages = c.deps.kb.passages;
  const at = passages.findIndex((p) => p.id === last.passage.id);
  const next = passages[at + 1];
  if (!next || next.document !== last.passage.document || sectionOf(next.locator) !== sectionOf(last.passage.locator)) return [];
  return index.ofPassage(next.id).filter((s) => !s.heading);
}

/** The continuation handler. */
export function more(c: AnswerContext): Answer | null {
  if (!c.followed || !asksMore(c)) return null;
  const next = c.followed.statements.length ? following(c, c.followed.statements) : [];
  if (next.length === 0) {
    return answerOf(
      c,
      'general',
      false,
      say(
        c.lang,
        '记录中关于这一点的内容就是上面这些了。您可以接着问它的目标、期限、责任单位或进展。',
        'That is all the records say on this. You can ask about its target, deadline, unit in charge or progress.',
      ),
    );
  }
  const take: Statement[] = [];
  let length = 0;
  for (const s of next) {
    if (take.length && length + s.text.length > c.options.maxExcerpt * 1.5) break;
    take.push(s);
    length += s.text.length;
  }
  const first = take[0] as Statement;
  const doc = c.doc(first.passage.document);
  const text = take.map((s) => s.text).join('');
  return answerOf(
    c,
    'general',
    true,
    withinLength([say(c.lang, `还有：${text}`, `Also: 「${text}」`), cite(first, doc, c.lang)]),
    [sourceOf(first, doc)],
    take,
  );
}
