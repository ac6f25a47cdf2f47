/**
 * Curated answers and the unanswered-questions queue, around the answerer (a decorator: the
 * knowledge module is not changed). A question that an official answered at the desk — the same
 * question once normalised, or a close paraphrase by character bigrams — gets that answer, labelled
 * with the unit and the date ("由区农业农村委于2026-11-23补充"); every other question goes to the
 * answerer, and each answer with found=false lands in the queue with a count. Answers given in chat
 * are logged so that their asker can rate them 👍/👎; a 👎 queues the question too.
 *
 * The inner answerer can be swapped (a document import rebuilds the knowledge module without a restart).
 */
import { shanghaiDate } from '../core/clock.js';
import { hanBigrams, isMostlyLatin, normalize } from '../core/text.js';
import { type Answer, type Answerer, type AskOptions, CONVERSATIONAL_INTENTS, type Intent } from '../knowledge/mod.js';
import type { CuratedAnswer, QuestionPort } from '../store/ports.js';

/** A paraphrase counts as the curated question when their bigram sets' Dice similarity reaches this. */
export const CURATED_MIN_SIMILARITY = 0.6;

/** Intents whose found=false is no unanswered question (small talk, a report starting). */
const NOT_QUESTIONS: Intent[] = CONVERSATIONAL_INTENTS.filter((i) => i !== 'offtopic');

/** A question as the queue and the curated answers key it: normalised, without spaces and punctuation. */
export function questionKey(q: string): string {
  return normalize(q)
    .replace(/[\s\p{P}\p{S}]+/gu, '')
    .replace(/(吗|呢|啊|呀|吧)$/u, '')
    .slice(0, 500);
}

/** Han bigrams plus Latin words: what a paraphrase shares. */
function features(key: string): Set<string> {
  const out = hanBigrams(key);
  for (const w of key.match(/[a-z0-9]{2,}/g) ?? []) out.add(w);
  return out;
}

/** Dice similarity of two keys' features (0–1). */
export function similarity(a: string, b: string): number {
  const x = features(a);
  const y = features(b);
  if (x.size === 0 || y.size === 0) return 0;
  let n = 0;
  for (const t of x) if (y.has(t)) n++;
  return (2 * n) / (x.size + y.size);
}

/** An answer with the curated answer it came from. */
export type CuratedResult = Answer & { curatedId?: number };

/** Who asked (for the log that ratings point to). */
export interface Asker {
  channel: string;
  userId: string;
}

/** The answerer with curated answers, the queue and ratings. */
export interface CuratedAnswerer extends Answerer {
  /** Answers from the curated answers held in memory, else from the answerer underneath (synchronous). */
  answer(question: string, options: AskOptions | Date): CuratedResult;
  /** The curated answer for a question, if one matches. */
  match(question: string): CuratedAnswer | null;
  /** Queues a question the records could not answer (after `answer`, in the same unit of work). */
  unanswered(a: CuratedResult, now: Date): Promise<void>;
  /** Logs an answer given to someone; its id goes into the 👍/👎 buttons. */
  log(a: CuratedResult, who: Asker, now: Date): Promise<number>;
  /** Records a rating; 'unknown' when the answer is not this asker's. */
  rate(id: number, who: Asker, rating: 'up' | 'down', now: Date): Promise<'ok' | 'again' | 'unknown'>;
  /** Marks the curated answers held in memory stale (one was added). */
  invalidate(): void;
  /** Reloads the curated answers when stale or older than `maxAgeMs`. */
  fresh(now: Date): Promise<void>;
  /** Replaces the answerer underneath (after a document import). */
  setInner(inner: Answerer): void;
}

/** Wraps an answerer. */
export async function createCuratedAnswerer(deps: {
  inner: Answerer;
  questions: QuestionPort;
  minSimilarity?: number;
  /** How long the curated answers held in memory are trusted (other processes may add some). */
  maxAgeMs?: number;
  now: Date;
}): Promise<CuratedAnswerer> {
  let inner = deps.inner;
  const q = deps.questions;
  const min = deps.minSimilarity ?? CURATED_MIN_SIMILARITY;
  const maxAge = deps.maxAgeMs ?? 30_000;
  let curated: CuratedAnswer[] = [];
  let loadedAt = 0;
  let stale = true;
  const load = async (now: Date) => {
    stale = false;
    curated = await q.curated();
    loadedAt = now.getTime();
  };
  await load(deps.now);

  function match(question: string): CuratedAnswer | null {
    const key = questionKey(question);
    if (!key) return null;
    let best: CuratedAnswer | null = null;
    let bestScore = 0;
    // Newest first: the latest curated answer of the same question wins.
    for (const c of curated) {
      if (c.norm === key) return c;
      const s = similarity(c.norm, key);
      if (s >= min && s > bestScore) {
        best = c;
        bestScore = s;
      }
    }
    return best;
  }

  function curatedAnswer(question: string, c: CuratedAnswer): CuratedResult {
    const en = isMostlyLatin(question);
    const date = shanghaiDate(new Date(c.createdAt));
    const label = en ? `(Added by ${c.unit} on ${date})` : `（由${c.unit}于${date}补充）`;
    return {
      question,
      intent: 'general',
      found: true,
      answer: `${c.answer}\n${label}`,
      sources: [],
      lang: en ? 'en' : 'zh',
      curatedId: c.id,
    };
  }

  return {
    answer(question, options) {
      const c = match(question);
      if (c) return curatedAnswer(question, c);
      return inner.answer(question, options);
    },
    match,
    async unanswered(a, now) {
      if (a.found || NOT_QUESTIONS.includes(a.intent) || a.curatedId !== undefined) return;
      const key = questionKey(a.question);
      if (key) await q.enqueue({ norm: key, question: a.question.trim(), lang: a.lang, reason: 'not_found' }, now);
    },
    invalidate() {
      stale = true;
    },
    async fresh(now) {
      if (stale || now.getTime() - loadedAt > maxAge || now.getTime() < loadedAt) await load(now);
    },
    log: (a, who, now) =>
      q.logAnswer(
        {
          channel: who.channel,
          userId: who.userId,
          question: a.question,
          norm: questionKey(a.question),
          found: a.found,
          curatedId: a.curatedId ?? null,
        },
        now,
      ),
    async rate(id, who, rating, now) {
      const a = await q.answer(id);
      if (!a || a.channel !== who.channel || a.userId !== who.userId) return 'unknown';
      if (!(await q.rate(id, who.channel, who.userId, rating, now))) return 'again';
      if (rating === 'down' && a.norm)
        await q.enqueue({ norm: a.norm, question: a.question, lang: isMostlyLatin(a.question) ? 'en' : 'zh', reason: 'down' }, now);
      return 'ok';
    },
    setInner(next) {
      inner = next;
    },
  };
}
