/**
 * Parser of the rectification table (整改台账) as Word exports it to text: a cell starts with a tab
 * at the beginning of a line, a row starts with its (blank) row-number cell — a line of a space and
 * a tab, or an empty line before the first tab line — and lines without a tab continue the cell
 * above. Trailing blank cells are simply missing; they become null, never a guess.
 */
import { squash, stripBookmarks } from '../../core/text.js';

/** One numbered item inside a cell, e.g. target "二、" or measure "（三）". */
export interface NumberedItem {
  /** The item's label as written ("一", "（二）"), or its position when the cell is not numbered. */
  label: string;
  text: string;
}

/** A row of the rectification table. */
export interface RectificationRecord {
  /** 1-based data row number (the header is row 0). */
  row: number;
  /** 整改任务概述 */
  overview: string | null;
  /** 整改责任单位 */
  unit: string | null;
  /** 整改目标, whole */
  targetText: string | null;
  /** 整改目标, split into its numbered (or semicolon-separated) targets */
  targets: NumberedItem[];
  /** 整改措施及成效, whole as in the cell */
  measuresAndEffects: string | null;
  /** the measures part of 整改措施及成效 */
  measures: NumberedItem[];
  /** the effects (成效) part of 整改措施及成效 */
  effects: NumberedItem[];
  /** 整改时间 */
  time: string | null;
  /** 社会监督联系人及电话 */
  contact: string | null;
}

/** The parsed table: its column names and rows. */
export interface RecordsTable {
  columns: string[];
  records: RectificationRecord[];
}

const ROW_START = /^[ \u3000]+\t/;
const NUMBERED = /^(?:[（(]([一二三四五六七八九十]+)[）)]|([一二三四五六七八九十]+)、|(\d+)[.、．](?!\d))/;

/** Splits the exported text into rows of raw cells (first cell = the row-number column). */
export function splitRows(text: string): string[][] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const rows: string[][] = [];
  let row: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const next = lines[i + 1] ?? '';
    const blankBeforeCell = line.trim() === '' && next.startsWith('\t') && row !== null && row.length >= 2;
    if (ROW_START.test(line) || blankBeforeCell || (row === null && line.includes('\t'))) {
      row = line.split('\t');
      rows.push(row);
    } else if (line.startsWith('\t') && row) {
      row.push(...line.slice(1).split('\t'));
    } else if (row && row.length > 0) {
      row[row.length - 1] = `${row[row.length - 1]}\n${line}`;
    }
  }
  return rows.map((cells) => cells.map((c) => c.replace(/\s+$/u, '')));
}

/**
 * Joins lines that Word broke inside a sentence (a line that does not end a sentence, followed by a
 * line that does not start a numbered item) and returns the paragraphs.
 */
export function paragraphs(cell: string): string[] {
  const out: string[] = [];
  for (const raw of cell.split('\n')) {
    const line = squash(stripBookmarks(raw));
    if (!line) continue;
    const prev = out[out.length - 1];
    const prevIsHeading = prev !== undefined && NUMBERED.test(prev) && prev.length <= 30;
    if (prev !== undefined && !/[。！？；;：:!?]$/.test(prev) && !prevIsHeading && !NUMBERED.test(line)) {
      out[out.length - 1] = prev + line;
    } else {
      out.push(line);
    }
  }
  return out;
}

function labelOf(p: string): string | null {
  const m = NUMBERED.exec(p);
  if (!m) return null;
  return m[1] ? `（${m[1]}）` : (m[2] ?? m[3] ?? null);
}

/** Splits a target cell into targets: by its numbering, or by semicolons when it has none. */
export function splitTargets(cell: string): NumberedItem[] {
  const paras = paragraphs(cell);
  if (paras.some((p) => labelOf(p))) {
    return paras.map((p, i) => ({ label: labelOf(p) ?? String(i + 1), text: p.replace(/[;；]$/, '') }));
  }
  const clauses = paras
    .join('')
    .split(/[;；]/)
    .map((c) => c.trim())
    .filter(Boolean);
  return clauses.map((c, i) => ({ label: String(i + 1), text: c.replace(/。$/, '') }));
}

/** Groups paragraphs into numbered items: a short heading line takes the paragraphs under it. */
function groupItems(paras: string[]): NumberedItem[] {
  const items: NumberedItem[] = [];
  for (const p of paras) {
    const label = labelOf(p);
    const last = items[items.length - 1];
    if (label || !last) items.push({ label: label ?? String(items.length + 1), text: p });
    else last.text += `\n${p}`;
  }
  return items;
}

/**
 * Splits 整改措施及成效 into measures and effects. A cell with "整改措施：" / "成效：" markers is
 * split at them; a cell without markers opens with its result (a paragraph that reports what was
 * completed, before the first numbered measure), and the numbered paragraphs are the measures.
 */
export function splitMeasuresAndEffects(cell: string): { measures: NumberedItem[]; effects: NumberedItem[] } {
  const paras = paragraphs(cell);
  const effectAt = paras.findIndex((p) => /^成效[：:]/.test(p));
  if (effectAt >= 0) {
    const strip = (p: string) => p.replace(/^(整改措施|成效)[：:]/, '');
    return {
      measures: groupItems(paras.slice(0, effectAt).map(strip)),
      effects: groupItems(paras.slice(effectAt).map(strip)),
    };
  }
  const firstNumbered = paras.findIndex((p) => labelOf(p) !== null);
  const lead = firstNumbered < 0 ? [] : paras.slice(0, firstNumbered);
  const isResult = (p: string) => /完成|达到|实现/.test(p) && /\d/.test(p);
  if (lead.length > 0 && lead.every(isResult)) {
    // "具体采取了以下整改措施。" introduces the measures; it is no result.
    const pointer = /[^。]*以下[^。]*措施[^。]*。?$/;
    return {
      effects: lead.map((text, i) => ({ label: String(i + 1), text: text.replace(pointer, '') })),
      measures: groupItems(paras.slice(firstNumbered)),
    };
  }
  return { measures: groupItems(paras), effects: [] };
}

const COLUMN_KEYS = {
  overview: '概述',
  unit: '责任单位',
  target: '目标',
  measures: '措施',
  time: '时间',
  contact: '联系',
} as const;

/** Parses the rectification table text into records. */
export function parseRecords(text: string): RecordsTable {
  const rows = splitRows(text);
  const header = rows[0];
  if (!header) return { columns: [], records: [] };
  const columns = header.map((c) => squash(c));
  const colOf = (key: string) => columns.findIndex((c) => c.includes(key));
  const idx = Object.fromEntries(Object.entries(COLUMN_KEYS).map(([k, v]) => [k, colOf(v)])) as Record<keyof typeof COLUMN_KEYS, number>;
  const records = rows.slice(1).map((cells, i): RectificationRecord => {
    const cell = (at: number): string | null => {
      if (at < 0) return null;
      const v = cells[at];
      return v === undefined || squash(v) === '' ? null : v.trim();
    };
    const whole = (at: number) => {
      const v = cell(at);
      return v === null ? null : paragraphs(v).join('\n');
    };
    const targetRaw = cell(idx.target);
    const measuresRaw = cell(idx.measures);
    const split = measuresRaw ? splitMeasuresAndEffects(measuresRaw) : { measures: [], effects: [] };
    return {
      row: i + 1,
      overview: whole(idx.overview),
      unit: whole(idx.unit),
      targetText: whole(idx.target),
      targets: targetRaw ? splitTargets(targetRaw) : [],
      measuresAndEffects: whole(idx.measures),
      measures: split.measures,
      effects: split.effects,
      time: whole(idx.time),
      contact: whole(idx.contact),
    };
  });
  return { columns: columns.filter((c) => c !== ''), records };
}
