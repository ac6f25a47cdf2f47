/**
 * Ticket numbers: short, readable and not guessable — JJ-YYYYMMDD-XXXXX with five random
 * characters from an alphabet without look-alikes (no 0/O, 1/I/L, U).
 */
import { randomInt } from 'node:crypto';
import { shanghaiDate } from '../core/clock.js';

const ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new ticket number for a report made at `now`. */
export function newTicket(now: Date, random: (n: number) => number = randomInt): string {
  let tail = '';
  for (let i = 0; i < 5; i++) tail += ALPHABET[random(ALPHABET.length)];
  return `JJ-${shanghaiDate(now).replaceAll('-', '')}-${tail}`;
}

/** Finds a ticket number in text, case-insensitively; returns it upper-cased. */
export function ticketIn(text: string): string | null {
  const m = /jj-?\d{8}-?[2-9a-hj-km-np-tv-z]{5}/i.exec(text.normalize('NFKC'));
  if (!m) return null;
  const raw = m[0].toUpperCase().replace(/-/g, '');
  return `${raw.slice(0, 2)}-${raw.slice(2, 10)}-${raw.slice(10)}`;
}
