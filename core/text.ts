/**
 * Text normalisation shared by the parsers, the tokenizer and the dialog: one place decides what
 * "the same text" means, so the index and the questions always agree.
 */

const BRACKETS: Record<string, string> = {
  '〔': '[',
  '〕': ']',
  '【': '[',
  '】': ']',
  '［': '[',
  '］': ']',
  '﹝': '[',
  '﹞': ']',
};

const HAN_DIGITS: Record<string, string> = {
  〇: '0',
  零: '0',
  一: '1',
  二: '2',
  三: '3',
  四: '4',
  五: '5',
  六: '6',
  七: '7',
  八: '8',
  九: '9',
};

/** Removes Word bookmark markers such as `[bookmark: _Toc85018496]` that the export left in the text. */
export function stripBookmarks(text: string): string {
  return text.replace(/\[bookmark:[^\]]*\]/g, '');
}

/**
 * Normalises text for matching: NFKC (full-width digits, letters and punctuation become
 * half-width), lower case, one bracket style for document numbers, and years written as 二〇二五年,
 * 25年 or 20年底 become 2025年 / 2020年底.
 */
export function normalize(text: string): string {
  // Answering normalises the same names, headers and sections for every question: short texts are
  // remembered (a bounded table, emptied when full).
  if (text.length > NORMALIZE_MEMO_LENGTH) return normalizeNow(text);
  let s = normalized.get(text);
  if (s === undefined) {
    s = normalizeNow(text);
    if (normalized.size >= NORMALIZE_MEMO_SIZE) normalized.clear();
    normalized.set(text, s);
  }
  return s;
}

const NORMALIZE_MEMO_LENGTH = 1024;
const NORMALIZE_MEMO_SIZE = 10_000;
const normalized = new Map<string, string>();

function normalizeNow(text: string): string {
  let s = stripBookmarks(text).normalize('NFKC').toLowerCase();
  s = s.replace(/[〔〕【】［］﹝﹞]/g, (c) => BRACKETS[c] ?? c);
  // The year of a document number in any brackets, even mismatched ones: "(2020]" → "[2020]".
  s = s.replace(/[[(]\s*((?:19|20)\d{2})\s*[\])]/g, '[$1]');
  s = s.replace(/[〇零一二三四五六七八九]{4}(?=年)/g, (m) => [...m].map((c) => HAN_DIGITS[c] ?? c).join(''));
  // A two-digit year only when nothing numeric precedes it: "25年" yes, "2025年" and "3.25年" no.
  s = s.replace(/(^|[^\d.])(1[5-9]|[2-4]\d)(?=年)/g, (_m, pre: string, yy: string) => `${pre}20${yy}`);
  return s;
}

/** Collapses runs of white space (including the ideographic space) to one ASCII space and trims. */
export function squash(text: string): string {
  return text.replace(/[\s\u3000]+/g, ' ').trim();
}

/** True when the text is mostly Latin letters: the user is writing in English. */
export function isMostlyLatin(text: string): boolean {
  const latin = (text.match(/[a-zA-Z]/g) ?? []).length;
  const han = (text.match(/\p{Script=Han}/gu) ?? []).length;
  return latin >= 3 && latin > han * 2;
}

/** Counts Han characters, the unit in which Chinese length rules are stated. */
export function hanLength(text: string): number {
  return (text.match(/\p{Script=Han}/gu) ?? []).length;
}

/** Splits text into sentences at Chinese and Western sentence ends, keeping the end mark. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[^。！？!?；;\n]+[。！？!?；;]?/g)) {
    const t = m[0].trim();
    if (t) out.push(t);
  }
  return out;
}

/** Cuts text to at most `max` characters at a sentence or clause end where possible, adding "…". */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const cut = Math.max(head.lastIndexOf('。'), head.lastIndexOf('；'), head.lastIndexOf('，'));
  return `${cut > max * 0.5 ? head.slice(0, cut + 1) : head}…`;
}

/** The Han-character bigrams of a text, taken inside runs of Han characters only. */
export function hanBigrams(text: string): Set<string> {
  const out = new Set<string>();
  for (const run of text.match(/\p{Script=Han}+/gu) ?? []) {
    if (run.length === 1) out.add(run);
    for (let i = 0; i + 1 < run.length; i++) out.add(run.slice(i, i + 2));
  }
  return out;
}

/** How much two texts share: common Han bigrams over the bigrams of the shorter one (0–1). */
export function bigramOverlap(a: string | Set<string>, b: string | Set<string>): number {
  const x = typeof a === 'string' ? hanBigrams(a) : a;
  const y = typeof b === 'string' ? hanBigrams(b) : b;
  if (x.size === 0 || y.size === 0) return 0;
  let n = 0;
  for (const t of x) if (y.has(t)) n++;
  return n / Math.min(x.size, y.size);
}
