/**
 * The unanswered-questions side of the desk: every answer given is logged (so its asker can rate it
 * 👍/👎 by id), questions answered "not in the records" and answers rated 👎 are queued with a count
 * per normalised question, and curated answers written at the desk are kept here.
 */
import type { Db } from './db.js';

/** A queued question. */
export interface QueuedQuestion {
  id: number;
  norm: string;
  question: string;
  lang: string;
  notFound: number;
  ratedDown: number;
  firstAt: string;
  lastAt: string;
  state: 'open' | 'answered' | 'out_of_scope' | 'dismissed';
  handledBy: string | null;
  handledAt: string | null;
}

/** A curated answer. */
export interface CuratedAnswer {
  id: number;
  question: string;
  norm: string;
  answer: string;
  unit: string;
  author: string;
  createdAt: string;
}

/** A logged answer. */
export interface LoggedAnswer {
  id: number;
  channel: string | null;
  userId: string | null;
  question: string;
  norm: string;
  found: boolean;
  curatedId: number | null;
  at: string;
}

/** The question store. */
export interface QuestionStore {
  logAnswer(
    a: { channel: string | null; userId: string | null; question: string; norm: string; found: boolean; curatedId: number | null },
    now: Date,
  ): number;
  answer(id: number): LoggedAnswer | null;
  /** Records a rating once per asker; returns false when this asker had already rated it the same way. */
  rate(answerId: number, channel: string, userId: string, rating: 'up' | 'down', now: Date): boolean;
  ratings(): { up: number; down: number };
  /** Adds one to a question's count in the queue (a handled question that comes again opens again unless it is answered). */
  enqueue(q: { norm: string; question: string; lang: string; reason: 'not_found' | 'down' }, now: Date): void;
  queue(state?: QueuedQuestion['state'] | 'all'): QueuedQuestion[];
  get(id: number): QueuedQuestion | null;
  counts(): Record<QueuedQuestion['state'], number>;
  setState(id: number, state: QueuedQuestion['state'], by: string, now: Date): void;
  addCurated(c: { question: string; norm: string; answer: string; unit: string; author: string }, now: Date): CuratedAnswer;
  curated(): CuratedAnswer[];
}

/** A queued-question row as both adapters read it. */
export interface QRow {
  id: number;
  norm: string;
  question: string;
  lang: string;
  not_found: number;
  rated_down: number;
  first_at: string;
  last_at: string;
  state: QueuedQuestion['state'];
  handled_by: string | null;
  handled_at: string | null;
}

/** The queued question a row holds: one mapper for both adapters. */
export const toQ = (r: QRow): QueuedQuestion => ({
  id: r.id,
  norm: r.norm,
  question: r.question,
  lang: r.lang,
  notFound: r.not_found,
  ratedDown: r.rated_down,
  firstAt: r.first_at,
  lastAt: r.last_at,
  state: r.state,
  handledBy: r.handled_by,
  handledAt: r.handled_at,
});

/** Creates the question store. */
export function createQuestionStore(db: Db): QuestionStore {
  const logQ = db.prepare('INSERT INTO answer_log (channel, user_id, question, norm, found, curated_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const getAnswer = db.prepare(
    'SELECT id, channel, user_id AS userId, question, norm, found, curated_id AS curatedId, at FROM answer_log WHERE id = ?',
  );
  const rateQ = db.prepare(
    `INSERT INTO answer_ratings (answer_id, channel, user_id, rating, at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (answer_id, channel, user_id) DO UPDATE SET rating = excluded.rating, at = excluded.at
     WHERE answer_ratings.rating <> excluded.rating`,
  );
  const ratingsQ = db.prepare("SELECT sum(rating = 'up') AS up, sum(rating = 'down') AS down FROM answer_ratings");
  const enqueueQ = db.prepare(
    `INSERT INTO question_queue (norm, question, lang, not_found, rated_down, first_at, last_at)
     VALUES (@norm, @question, @lang, @nf, @down, @now, @now)
     ON CONFLICT (norm) DO UPDATE SET not_found = not_found + @nf, rated_down = rated_down + @down, last_at = @now,
       question = @question,
       state = CASE WHEN state = 'answered' THEN 'answered' ELSE 'open' END`,
  );
  const queueAll = db.prepare('SELECT * FROM question_queue ORDER BY (not_found + rated_down) DESC, last_at DESC LIMIT 1000');
  const queueBy = db.prepare(
    'SELECT * FROM question_queue WHERE state = ? ORDER BY (not_found + rated_down) DESC, last_at DESC LIMIT 1000',
  );
  const getQ = db.prepare('SELECT * FROM question_queue WHERE id = ?');
  const countsQ = db.prepare('SELECT state, count(*) AS n FROM question_queue GROUP BY state');
  const setStateQ = db.prepare('UPDATE question_queue SET state = ?, handled_by = ?, handled_at = ? WHERE id = ?');
  const insCurated = db.prepare('INSERT INTO curated_answers (question, norm, answer, unit, author, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const curatedQ = db.prepare(
    'SELECT id, question, norm, answer, unit, author, created_at AS createdAt FROM curated_answers WHERE active = 1 ORDER BY id DESC',
  );
  return {
    logAnswer: (a, now) =>
      Number(
        logQ.run(a.channel, a.userId, a.question.slice(0, 2000), a.norm.slice(0, 2000), a.found ? 1 : 0, a.curatedId, now.toISOString())
          .lastInsertRowid,
      ),
    answer(id) {
      const r = getAnswer.get(id) as (Omit<LoggedAnswer, 'found'> & { found: number }) | undefined;
      return r ? { ...r, found: r.found === 1 } : null;
    },
    rate: (answerId, channel, userId, rating, now) => rateQ.run(answerId, channel, userId, rating, now.toISOString()).changes > 0,
    ratings() {
      const r = ratingsQ.get() as { up: number | null; down: number | null };
      return { up: r.up ?? 0, down: r.down ?? 0 };
    },
    enqueue(q, now) {
      enqueueQ.run({
        norm: q.norm.slice(0, 2000),
        question: q.question.slice(0, 2000),
        lang: q.lang,
        nf: q.reason === 'not_found' ? 1 : 0,
        down: q.reason === 'down' ? 1 : 0,
        now: now.toISOString(),
      });
    },
    queue: (state = 'open') => ((state === 'all' ? queueAll.all() : queueBy.all(state)) as QRow[]).map(toQ),
    get: (id) => {
      const r = getQ.get(id) as QRow | undefined;
      return r ? toQ(r) : null;
    },
    counts() {
      const out = { open: 0, answered: 0, out_of_scope: 0, dismissed: 0 };
      for (const r of countsQ.all() as Array<{ state: QueuedQuestion['state']; n: number }>) out[r.state] = r.n;
      return out;
    },
    setState: (id, state, by, now) => {
      setStateQ.run(state, by, now.toISOString(), id);
    },
    addCurated(c, now) {
      const id = Number(insCurated.run(c.question, c.norm, c.answer, c.unit, c.author, now.toISOString()).lastInsertRowid);
      return { id, ...c, createdAt: now.toISOString() };
    },
    curated: () => curatedQ.all() as CuratedAnswer[],
  };
}

/** Open311 API keys: issued by the command line, only their hash stored. */
export interface ApiKeyStore {
  insert(keyHash: string, name: string, now: Date): number;
  byHash(keyHash: string): { id: number; name: string } | null;
  revoke(id: number, now: Date): boolean;
  list(): Array<{ id: number; name: string; createdAt: string; revokedAt: string | null }>;
}

/** Creates the API key store. */
export function createApiKeyStore(db: Db): ApiKeyStore {
  const ins = db.prepare('INSERT INTO open311_keys (key_hash, name, created_at) VALUES (?, ?, ?)');
  const get = db.prepare('SELECT id, name FROM open311_keys WHERE key_hash = ? AND revoked_at IS NULL');
  const rev = db.prepare('UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const list = db.prepare('SELECT id, name, created_at AS createdAt, revoked_at AS revokedAt FROM open311_keys ORDER BY id');
  return {
    insert: (h, name, now) => Number(ins.run(h, name, now.toISOString()).lastInsertRowid),
    byHash: (h) => (get.get(h) as { id: number; name: string } | undefined) ?? null,
    revoke: (id, now) => rev.run(now.toISOString(), id).changes > 0,
    list: () => list.all() as ReturnType<ApiKeyStore['list']>,
  };
}
