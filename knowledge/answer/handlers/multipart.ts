/**
 * Two questions in one ("推进会开了几次，区政府开了几次"; "现在是好多，哪个部门管"): each part that
 * asks for its own kind of fact is answered on its own, the later parts read against the first's
 * topic, and the answers are joined.
 */
import { type AnswerContext, answerOf, createContext } from '../context.js';
import type { Answer, Topic } from '../types.js';

/** The parts of a question that each ask something (a cue of a kind of fact, or a question mark). */
export function questionParts(c: AnswerContext): string[] {
  const parts = c.query.question
    .split(/[，,；;？?。]/)
    .map((p) => p.trim())
    .filter((p) => p.length >= 2);
  if (parts.length < 2 || parts.length > 4) return [];
  // A part asks when it has a kind of fact, or is an ellipsis of the one before ("示范片呢").
  const asking = parts.filter((p, i) => {
    const q = c.deps.analyze(p);
    const asks = /啥|哪|几|多少|好多|好长|什么|吗|谁|怎么|咋|如何|呢$|没$|没得$|没有$|不$/.test(q.normalized);
    return (
      (q.types.length > 0 && q.types.some((t) => t !== 'yesno')) ||
      (asks && q.terms.some((t) => t.known)) ||
      (i > 0 && /呢$/.test(p) && q.terms.some((t) => t.known))
    );
  });
  return asking.length >= 2 ? asking : [];
}

/** Creates the multi-part handler over the handlers that answer each part. */
export function multipart(answerPart: (c: AnswerContext) => Answer) {
  return (c: AnswerContext): Answer | null => {
    const parts = questionParts(c);
    if (parts.length < 2) return null;
    const answers: Answer[] = [];
    let topic: Topic | null = c.followed;
    parts.forEach((p, i) => {
      // Each part after the first leans on the topic so far ("区政府开了几次" after "推进会开了几次").
      const a = answerPart(createContext(c.deps, p, c.now, topic, i > 0));
      answers.push(a);
      if (a.topic && i === 0) topic = a.topic;
    });
    const texts = [...new Set(answers.map((a) => a.answer))];
    const found = answers.some((a) => a.found);
    const sources = answers
      .flatMap((a) => a.sources)
      .filter((s, i, all) => all.findIndex((x) => x.locator === s.locator && x.document === s.document) === i);
    const out = answerOf(c, answers[0]?.intent ?? 'general', found, texts.join('\n'), sources);
    const last = answers.find((a) => a.topic)?.topic;
    return last ? { ...out, topic: last } : out;
  };
}
