/**
 * The message catalog: one per language (`zh.ts` first, `en.ts` complete), and how a language is
 * chosen. A user who writes English gets English; Chinese (or anything with Han characters) gets
 * Chinese; a message with no words (a button, a location, a photo) keeps the language the dialog
 * already has.
 */
import { en } from './en.js';
import { type Messages, zh } from './zh.js';

/** A language of the catalog. */
export type Lang = 'zh' | 'en';

export type { Messages };

const catalogs: Record<Lang, Messages> = { zh, en };

/** The catalog of a language (Chinese when unknown). */
export function messages(lang: Lang | null | undefined): Messages {
  return catalogs[lang ?? 'zh'] ?? zh;
}

/** The language a text is written in, or null when it has no words to tell by. */
export function langOf(text: string | null | undefined): Lang | null {
  const t = (text ?? '').replace(/jj-?\d{8}-?\w{5}/gi, '').replace(/^\/\w+/, '');
  if (/\p{Script=Han}/u.test(t)) return 'zh';
  const words = t.match(/[A-Za-z]{2,}/g) ?? [];
  return words.join('').length >= 3 ? 'en' : null;
}

/** Every key path of a catalog whose value is empty (tests: nothing left untranslated). */
export function emptyEntries(m: unknown, path = ''): string[] {
  if (typeof m === 'string') return m.trim() ? [] : [path];
  if (m && typeof m === 'object') return Object.entries(m).flatMap(([k, v]) => emptyEntries(v, path ? `${path}.${k}` : k));
  return [];
}
