/**
 * The contact directory: contacts that administrators enter for responsible units. Answers show
 * them labelled as entered by the administrators, because the records list none.
 */
import type { Contact, ContactDirectory } from '../knowledge/mod.js';
import type { Db } from './db.js';

/** A stored contact. */
export interface ContactRow extends Contact {
  id: number;
  createdAt: string;
  updatedAt: string;
}

/** Contacts in the store. */
export interface ContactStore extends ContactDirectory {
  set(c: Contact, now: Date): ContactRow;
  list(): ContactRow[];
  forUnit(unit: string): ContactRow[];
  remove(unit: string, name?: string): number;
}

/** A contact row as both adapters read it. */
export interface ContactDbRow {
  id: number;
  unit: string;
  name: string;
  phone: string;
  hours: string | null;
  note: string | null;
  created_at: string;
  updated_at: string;
}

/** One mapper for both adapters. */
export const toContact = (r: ContactDbRow): ContactRow => ({
  id: r.id,
  unit: r.unit,
  name: r.name,
  phone: r.phone,
  hours: r.hours,
  note: r.note,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Creates the contact store over a database. */
export function createContactStore(db: Db): ContactStore {
  const upsert = db.prepare(
    `INSERT INTO contacts (unit, name, phone, hours, note, created_at, updated_at)
     VALUES (@unit, @name, @phone, @hours, @note, @now, @now)
     ON CONFLICT (unit, name) DO UPDATE SET phone = excluded.phone, hours = excluded.hours,
       note = excluded.note, updated_at = excluded.updated_at
     RETURNING *`,
  );
  const all = db.prepare('SELECT * FROM contacts ORDER BY unit, name');
  const byUnit = db.prepare('SELECT * FROM contacts WHERE unit = ? ORDER BY name');
  const delUnit = db.prepare('DELETE FROM contacts WHERE unit = ?');
  const delOne = db.prepare('DELETE FROM contacts WHERE unit = ? AND name = ?');
  return {
    set: (c, now) => toContact(upsert.get({ ...c, now: now.toISOString() }) as ContactDbRow),
    list: () => (all.all() as ContactDbRow[]).map(toContact),
    forUnit: (unit) => (byUnit.all(unit) as ContactDbRow[]).map(toContact),
    remove: (unit, name) => (name ? delOne.run(unit, name) : delUnit.run(unit)).changes,
  };
}
