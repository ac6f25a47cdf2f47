/**
 * The desk's words come from the message catalog (`core/messages`, section `desk`), Chinese first
 * and English complete; here are the lookup and the HTML helpers of its pages.
 */
import { type Lang, messages } from '../../core/messages/index.js';

export type { Lang };

/** A key of the desk's words. */
export type TextKey = keyof ReturnType<typeof messages>['desk'];

/** The desk's word for a key. */
export function t(lang: Lang, key: TextKey): string {
  return messages(lang).desk[key];
}

/** Escapes text for HTML (content and attribute values). */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
