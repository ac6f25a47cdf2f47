/**
 * The dialog state as stored, validated on every read (zod) and versioned. A state written by an
 * older program either upgrades (the unversioned drafts of before issue 11 have the same shape and
 * are accepted when they validate) or, when it cannot be used, is cleared and the user is told to
 * start again — never handed to the dialog as if it were well-formed.
 *
 * The objects are `loose()`: a field another part of the dialog adds (e.g. the last answer topic)
 * passes through; add it here to have it validated too.
 */
import { z } from 'zod';
import { RULES } from '../../cases/lifecycle.js';
import { DIALOG_STATE_VERSION } from '../../store/dialogs.js';
import type { DialogPort } from '../../store/ports.js';
import { STEPS } from './report.js';
import type { Reply } from './types.js';

const point = z.object({ lat: z.number(), lon: z.number() });
const lang = z.enum(['zh', 'en']).optional();

const reportState = z
  .object({
    flow: z.literal('report'),
    step: z.enum([...STEPS, 'location_confirm', 'edit']),
    draft: z
      .object({
        category: z.string().nullable(),
        guessed: z.string().nullable(),
        town: z.string().nullable(),
        address: z.string().nullable(),
        lat: z.number().nullable(),
        lon: z.number().nullable(),
        near: z.string().max(32).nullable().optional(),
        pending: point.extend({ label: z.string().nullable() }).nullable(),
        description: z.string().nullable(),
        since: z.string().nullable(),
        photos: z.array(z.string()).max(50),
        photosDone: z.boolean(),
        anonymous: z.boolean().nullable(),
        phone: z.string().nullable(),
      })
      .loose(),
    editing: z.boolean(),
    lang,
  })
  .loose();

const officialState = z
  .object({
    flow: z.literal('official'),
    action: z.enum(Object.keys(RULES) as [string, ...string[]]),
    ticket: z.string().max(64),
    lang,
  })
  .loose();

/** "不满意" waiting for its reason. */
const rateState = z.object({ flow: z.literal('rate'), ticket: z.string().max(64), lang }).loose();

/** The topic of the last answer, which a follow-up leans on (see knowledge's Topic). */
const topic = z.object({
  value: z.object({
    terms: z.array(z.string().max(64)).max(40),
    types: z.array(z.string().max(16)).max(12),
    years: z.array(z.number().int()).max(8),
    documents: z.array(z.string().max(64)).max(16),
    docNumbers: z.array(z.string().max(64)).max(8),
    statements: z.array(z.number().int()).max(16),
    lang: z.enum(['zh', 'en']),
  }),
  at: z.string().max(40),
});

const idleState = z.object({ flow: z.literal('idle'), topic: topic.optional(), lang }).loose();

/** Any state the dialog keeps. */
export const stateSchema = z.discriminatedUnion('flow', [reportState, officialState, idleState, rateState]);

const versioned = z.object({ v: z.number().int(), state: z.unknown() });

/** Upgrades from each older version to the next; version 0 is the unversioned JSON of before. */
const UPGRADES: Record<number, (state: unknown) => unknown> = {
  0: (state) => state,
};

/** Reads a stored state: the valid (upgraded) state, or null when it cannot be used. */
export function readState(stored: unknown): unknown | null {
  const v = versioned.safeParse(stored);
  let version = v.success ? v.data.v : 0;
  let state = v.success ? v.data.state : stored;
  if (version > DIALOG_STATE_VERSION) return null;
  while (version < DIALOG_STATE_VERSION) {
    const up = UPGRADES[version];
    if (!up) return null;
    state = up(state);
    version++;
  }
  const r = stateSchema.safeParse(state);
  return r.success ? r.data : null;
}

/**
 * When the stored state of a user cannot be used (written by another version, or damaged), clears
 * it and returns the message that tells the user; null when there is nothing to say.
 */
export async function restartIfUnreadable(dialogs: DialogPort, channel: string, userId: string, english = false): Promise<Reply | null> {
  const raw = await dialogs.raw(channel, userId);
  if (raw === undefined || readState(raw) !== null) return null;
  await dialogs.clear(channel, userId);
  const wasReport = JSON.stringify(raw ?? '').includes('"report"');
  if (english)
    return { text: 'Sorry: after an update, your unfinished conversation could not be continued and was cleared. Please start again.' };
  return {
    text: wasReport
      ? '抱歉：系统升级后，您之前没有填完的举报草稿无法继续，已清除。请发送“举报”重新开始，已提交的举报不受影响。'
      : '抱歉：系统升级后，您之前未完成的操作无法继续，已清除，请重新开始。',
  };
}
