/**
 * Rendering of notification texts for each channel: Telegram HTML (4,096 characters a message)
 * and WeCom markdown (4,096 bytes a message), split at line ends when longer.
 */

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

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Telegram HTML: the first line (the title) in bold, everything escaped; split at 4,096 characters. */
export function toTelegramHtml(text: string): string[] {
  const [first = '', ...rest] = text.split('\n');
  const html = [`<b>${escapeHtml(first)}</b>`, ...rest.map(escapeHtml)].join('\n');
  return splitText(html, 4096);
}

/** WeCom markdown: the title in bold, what is due or unanswered highlighted; split at 4,096 bytes. */
export function toWeComMarkdown(text: string): string[] {
  const [first = '', ...rest] = text.split('\n');
  const md = [
    `**${first}**`,
    ...rest.map((l) => l.replace(/(已逾期 ?\d+ ?天|已到期|未达到目标|仍未报告)/g, '<font color="warning">$1</font>')),
  ].join('\n');
  return splitText(md, 4096, utf8Bytes);
}
