/**
 * WeCom template cards sent for choices (issue 12): a click callback names only the card's task
 * id and the button's key, so the card's user and buttons are kept here — to accept only a click
 * on a button the card really had, by the user it was sent to, and to show the chosen label
 * afterwards. A card is answered once.
 */
import { z } from 'zod';
import type { StoredChoice } from './choices.js';
import type { Db } from './db.js';

/** A card as kept. */
export interface WeComCard {
  taskId: string;
  userId: string;
  choices: StoredChoice[];
  chosenValue: string | null;
}

/** The store of sent cards. */
export interface WeComCardStore {
  put(taskId: string, userId: string, choices: StoredChoice[], now: Date): void;
  get(taskId: string): WeComCard | null;
  /** Records the choice; false when the card was answered before. */
  choose(taskId: string, value: string, now: Date): boolean;
}

const schema = z.array(z.object({ label: z.string(), value: z.string() })).max(50);

/** Creates the store. */
export function createWeComCardStore(db: Db): WeComCardStore {
  const putQ = db.prepare('INSERT OR IGNORE INTO wecom_cards (task_id, user_id, choices, created_at) VALUES (?, ?, ?, ?)');
  const getQ = db.prepare('SELECT task_id, user_id, choices, chosen_value FROM wecom_cards WHERE task_id = ?');
  const chooseQ = db.prepare('UPDATE wecom_cards SET chosen_value = ?, chosen_at = ? WHERE task_id = ? AND chosen_at IS NULL');
  return {
    put: (taskId, userId, choices, now) => {
      putQ.run(taskId, userId, JSON.stringify(choices.map((c) => ({ label: c.label, value: c.value }))), now.toISOString());
    },
    get(taskId) {
      const r = getQ.get(taskId) as { task_id: string; user_id: string; choices: string; chosen_value: string | null } | undefined;
      if (!r) return null;
      let choices: StoredChoice[] = [];
      try {
        const p = schema.safeParse(JSON.parse(r.choices));
        if (p.success) choices = p.data;
      } catch {}
      return { taskId: r.task_id, userId: r.user_id, choices, chosenValue: r.chosen_value };
    },
    choose: (taskId, value, now) => chooseQ.run(value, now.toISOString(), taskId).changes === 1,
  };
}
