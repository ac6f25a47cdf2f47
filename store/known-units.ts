/**
 * The units the assistant knows: the categories' default units, the routing table, the
 * body → unit mapping, contacts, bound identities, and any an administrator added
 * (`npm run admin -- unit add`). Invites, sign-in codes and routes must name one of them, so a
 * typo never creates a unit nobody reads.
 */
import type { Db } from './db.js';

/** The known units. */
export interface KnownUnits {
  known(): string[];
  /** The units the store names (without the seeds). */
  names(): string[];
  add(name: string, by: string, now: Date): void;
}

/** Creates the known units over the store; `seeds` are the units the data files name. */
export function createKnownUnits(db: Db, seeds: () => string[] = () => []): KnownUnits {
  const q = db
    .prepare(
      `SELECT name FROM known_units
       UNION SELECT unit FROM routing
       UNION SELECT unit FROM unit_map WHERE state != 'removed'
       UNION SELECT unit FROM contacts
       UNION SELECT unit FROM identities WHERE unit IS NOT NULL`,
    )
    .pluck();
  const addQ = db.prepare('INSERT OR IGNORE INTO known_units (name, added_by, added_at) VALUES (?, ?, ?)');
  return {
    known: () => [...new Set([...seeds(), ...(q.all() as string[])])].filter(Boolean).sort((a, b) => a.localeCompare(b, 'zh')),
    names: () => q.all() as string[],
    add: (name, by, now) => {
      addQ.run(name.trim(), by, now.toISOString());
    },
  };
}
