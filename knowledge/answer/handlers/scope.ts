/**
 * Scope: a question about a district no document covers is told so (never answered from another
 * place's records); a message with nothing of the documents' field in it is off-topic and gets the
 * scope message, never a passage.
 */
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { say } from '../render.js';
import type { Answer } from '../types.js';
import { intentOf } from './facts.js';
import { notFound } from './refuse.js';
import { holdings } from './social.js';

/** The districts the documents cover, by their full names. */
function covered(c: AnswerContext): string[] {
  return [...new Set(c.deps.kb.documents.flatMap((d) => d.scope).filter((s) => /[区县市]$/.test(s)))];
}

/** The scope handler: districts no document covers. */
export function scope(c: AnswerContext): Answer | null {
  const all = c.deps.kb.documents.flatMap((d) => d.scope);
  const foreign = c.query.districts.filter((d) => !all.includes(d) && !all.includes(d.replace(/(区|县)$/, '')));
  if (foreign.length === 0 || foreign.length < c.query.districts.length) return null;
  const have = covered(c).join('、') || holdings(c);
  return answerOf(
    c,
    'general',
    false,
    say(
      c.lang,
      `记录中没有${foreign.join('、')}的资料：我这里的文件只涉及${have}（${holdings(c)}）。`,
      `The records hold nothing on ${foreign.join(', ')}: the documents here cover ${have} only (${holdings(c)}).`,
    ),
  );
}

/** The off-topic handler: nothing of the field, and nothing the documents cover well. */
export function offtopic(c: AnswerContext): Answer | null {
  // Food, sights, weather… with nothing of the field is off-topic, also in the middle of a conversation.
  if (c.query.cues.has('leisure') && !c.query.cues.has('domain')) return outside(c);
  if (c.followed || c.query.cues.has('domain') || c.docNumbers.length || c.query.titles.length) return null;
  // Questions about the records' own columns (a contact, a responsible unit, a document) are on topic.
  if (c.types.some((t) => t === 'contact' || t === 'unit' || t === 'document')) return null;
  if (c.query.terms.some((t) => t.tag === 'm' && t.known)) return null;
  const best = [...c.hits()].sort((a, b) => b.coverage - a.coverage)[0];
  const known = c.query.terms.filter((t) => t.known).reduce((s, t) => s + t.weight, 0);
  const unknown = c.query.terms.filter((t) => t.salient).reduce((s, t) => s + t.weight, 0);
  // Off-topic only when the documents cover nothing of it, or what they lack outweighs what they have.
  if (best && best.coverage >= c.options.minCoverage && unknown < known) return null;
  // Words of substance the documents know, more than what they lack: on topic, even if covered apart.
  if (c.query.terms.some((t) => t.known && t.weight > 3 && !t.compound) && unknown < known) return null;
  if (c.query.terms.filter((t) => t.known && t.weight > 2).length >= 2 && unknown < known) return null;
  return outside(c);
}

/** The answer to a message outside the documents' field. */
function outside(c: AnswerContext): Answer {
  return answerOf(
    c,
    'offtopic',
    false,
    say(
      c.lang,
      `这个问题不在我的范围内。我能回答${holdings(c)}里的目标、期限、责任单位、进展、指标和措施，也能帮您举报污染问题。`,
      `That is outside what I can help with. I answer questions about ${holdings(c)} (targets, deadlines, units, progress, indicators, measures) and file pollution reports.`,
    ),
  );
}

/**
 * A follow-up that asks of a thing the documents never name ("那里头空气质量咋样" after an answer on
 * collection points): the records are silent on it. Without this, the carried topic alone would be
 * answered again as if it were the question.
 */
export function unnamed(c: AnswerContext): Answer | null {
  if (!c.followed || c.query.unknown.length === 0) return null;
  if (c.query.terms.some((t) => t.known && t.text.length > 1)) return null;
  return notFound(c, intentOf(c.types), c.query.unknown.slice(0, 2).join('、'), null);
}
