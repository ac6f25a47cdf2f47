/**
 * The buttons a user of a text-only channel (WeCom app messages) last saw, as a numbered list, so
 * that "3" picks the third: kept in the store — they survive a restart and are the same in every
 * process — and validated when read back.
 */
import { z } from 'zod';
import type { Db } from './db.js';

/** A button. */
export interface StoredChoice {
  label: string;
  value: string;
}

const schema = z.array(z.object({ label: z.string().max(200), value: z.string().max(512) }).loose()).max(200);

/** The choices store. */
export interface ChoiceStore {
  put(channel: string, userId: string, choices: StoredChoice[], now: Date): void;
  get(channel: string, userId: string): StoredChoice[] | null;
}

/** Creates the choices store. */
export function createChoiceStore(db: Db): ChoiceStore {
  const putQ = db.prepare(
    `INSERT INTO chat_choices (channel, user_id, choices, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (channel, user_id) DO UPDATE SET choices = excluded.choices, updated_at = excluded.updated_at`,
  );
  const getQ = db.prepare('SELECT choices FROM chat_choices WHERE channel = ? AND user_id = ?').pluck();
  return {
    put: (channel, userId, choices, now) => {
      putQ.run(channel, userId, JSON.stringify(choices.map((c) => ({ label: c.label, value: c.value }))), now.toISOString());
    },
    get(channel, userId) {
      const raw = getQ.get(channel, userId) as string | undefined;
      if (raw === undefined) return null;
      try {
        const r = schema.safeParse(JSON.parse(raw));
        return r.success ? r.data.map((c) => ({ label: c.label, value: c.value })) : null;
      } catch {
        return null;
      }
    },
  };
}
