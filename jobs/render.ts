/**
 * Rendering of notification texts for each channel: Telegram HTML (4,096 characters a message)
 * and WeCom markdown (4,096 bytes a message), split at line ends when longer.
 */
import { messages } from '../core/messages/index.js';

/** Splits text into pieces of at most `max` units (as `size` measures), at line ends where possible. */
export function splitText(text: string, max: number, size: (s: string) => number = (s) => s.length): string[] {
  const out: string[] = [];
  let cur = '';
  const push = () => {
    if (cur) out.push(cur);
    cur = '';
  };
  for (const line of text.split('\n')) {
    const candidate = cur ? `${cur}\n${line}` : line;
    if (size(candidate) <= max) {
      cur = candidate;
      continue;
    }
    push();
    if (size(line) <= max) {
      cur = line;
      continue;
    }
    // A single line longer than a message: cut it at character boundaries.
    let piece = '';
    for (const ch of line) {
      if (size(piece + ch) > max) {
        out.push(piece);
        piece = '';
      }
      piece += ch;
    }
    cur = piece;
  }
  push();
  return out.length ? out : [''];
}

/** UTF-8 byte length. */
export const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Escapes text for Telegram HTML. */
export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Telegram HTML: the first line (the title) in bold, everything escaped; at most 4,096 characters
 * a message. The plain text is split first, measured as it will be once escaped, and each piece is
 * escaped on its own: a cut never falls inside an entity (`&amp;`) or between a tag and its end.
 */
export function toTelegramHtml(text: string): string[] {
  const bold = '<b></b>'.length;
  const pieces = splitText(text, 4096 - bold, (s) => escapeHtml(s).length);
  return pieces.map((p, i) => {
    if (i > 0) return escapeHtml(p);
    const [first = '', ...rest] = p.split('\n');
    return [`<b>${escapeHtml(first)}</b>`, ...rest.map(escapeHtml)].join('\n');
  });
}

const WECOM_MARKUP: Record<string, string> = {
  '<': '＜',
  '>': '＞',
  '[': '［',
  ']': '］',
  '*': '＊',
  _: '＿',
  '`': '｀',
  '#': '＃',
  '~': '～',
};

/**
 * Escapes text for WeCom markdown, which has no escape character: each markup character becomes
 * its full-width form, so text a citizen typed shows as typed and never as a link, a heading,
 * bold, a quote, a `<font>` or an `<@mention>`.
 */
export function escapeWeComMarkdown(s: string): string {
  return s.replace(/[<>[\]*_`#~]/g, (c) => WECOM_MARKUP[c] ?? c).replace(/^(\s*)([-+]|\d+\.)(\s)/gm, '$1$2\u200b$3');
}

/** The words WeCom shows in the warning colour, in every language of the catalog. */
const OVERDUE = new RegExp(`(${(['zh', 'en'] as const).map((l) => messages(l).reminders.highlight).join('|')})`, 'g');
const markOverdue = (line: string) => line.replace(OVERDUE, '<font color="warning">$1</font>');

/**
 * WeCom markdown: the text escaped, then the title in bold and overdue marks highlighted; at most
 * 4,096 bytes a message. Split before the markup is added (measured with it), so no piece holds
 * half a tag.
 */
export function toWeComMarkdown(text: string): string[] {
  const escaped = text.split('\n').map(escapeWeComMarkdown).join('\n');
  const withMarks = (s: string) => utf8Bytes(s.split('\n').map(markOverdue).join('\n'));
  return splitText(escaped, 4096 - '****'.length, withMarks).map((p, i) => {
    const lines = p.split('\n').map(markOverdue);
    if (i === 0) lines[0] = `**${lines[0]}**`;
    return lines.join('\n');
  });
}

/**
 * Splits a long message on paragraph boundaries (blank lines) into pieces of at most `max`
 * characters; a paragraph longer than that is split at line ends, then at characters.
 */
export function splitParagraphs(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const para of text.split(/\n{2,}/)) {
    const candidate = cur ? `${cur}\n\n${para}` : para;
    if (candidate.length <= max) {
      cur = candidate;
      continue;
    }
    if (cur) out.push(cur);
    cur = '';
    if (para.length <= max) cur = para;
    else {
      const pieces = splitText(para, max);
      cur = pieces.pop() ?? '';
      out.push(...pieces);
    }
  }
  if (cur) out.push(cur);
  return out.length ? out : [''];
}

/** A Telegram message as text with entities (no markup to escape): the title line in bold. */
export interface TelegramFormatted {
  text: string;
  entities: Array<{ type: 'bold'; offset: number; length: number }>;
}

/**
 * A notice (reminder, digest) for Telegram as text plus a bold entity on its first line, at most
 * 4,096 characters a message; offsets and lengths are UTF-16 code units, as Telegram counts them.
 */
export function toTelegramEntities(text: string): TelegramFormatted[] {
  return splitParagraphs(text, 4096).map((p, i) => {
    const first = p.split('\n')[0] ?? '';
    return { text: p, entities: i === 0 && first.length ? [{ type: 'bold' as const, offset: 0, length: first.length }] : [] };
  });
}
