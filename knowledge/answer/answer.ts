/**
 * The answerer: an ordered list of small handlers over one shared context, in the spirit of
 * grammY's Composer. The first handler that returns an answer wins; the last one always answers.
 * Each handler lives in its own module under handlers/ with its own tests.
 */
import { type AnswerContext, type AnswererDeps, createContext, defaultAnswerOptions } from './context.js';
import { complaint } from './handlers/complaint.js';
import { contact } from './handlers/contact.js';
import { document } from './handlers/document.js';
import { facts } from './handlers/facts.js';
import { indicator } from './handlers/indicator.js';
import { more } from './handlers/more.js';
import { multipart } from './handlers/multipart.js';
import { person } from './handlers/person.js';
import { roster } from './handlers/roster.js';
import { offtopic, scope, unnamed } from './handlers/scope.js';
import { social } from './handlers/social.js';
import { structure } from './handlers/structure.js';
import { unit } from './handlers/unit.js';
import type { Answer, Answerer, AskOptions } from './types.js';

/** A handler: an answer, or null to let the next one try. */
export type Handler = (c: AnswerContext) => Answer | null;

/** The handlers that answer a question about the records, in the order they are tried. */
export const questionHandlers: Handler[] = [document, structure, contact, roster, person, indicator, unit, facts];

/** Runs the question handlers; the general one always answers. */
export function answerQuestion(c: AnswerContext): Answer {
  for (const h of questionHandlers) {
    const a = h(c);
    if (a) return a;
  }
  return facts(c) as Answer;
}

/** The handlers in the order they are tried. */
export const defaultHandlers: Handler[] = [
  social,
  complaint,
  more,
  scope,
  unnamed,
  offtopic,
  multipart(answerQuestion),
  ...questionHandlers,
];

/** Creates an answerer over the given parts and handlers. */
export function createAnswerer(deps: AnswererDeps, handlers: Handler[] = defaultHandlers): Answerer {
  return {
    answer(question, options: AskOptions | Date) {
      const o: AskOptions = options instanceof Date ? { now: options } : options;
      const c = createContext(deps, question.slice(0, 500), o.now, o.context ?? null);
      for (const h of handlers) {
        const a = h(c);
        if (a) return a;
      }
      return facts(c) as Answer;
    },
  };
}

export { defaultAnswerOptions };
