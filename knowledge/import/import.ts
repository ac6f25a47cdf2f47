/**
 * Document import: a rectification table as DOCX (mammoth), XLSX (exceljs), CSV (csv-parse) or the
 * Word TXT export of today becomes a document of the corpus. The table's cells are written in the
 * Word-export TXT shape that `parse/records.ts` reads (a row starts with a blank row-number cell,
 * each cell on a line that starts with a tab), so an imported table is parsed exactly as the
 * shipped one. `prepareImport` parses and previews without writing anything; `commitImport` writes
 * the file and its manifest entry (temporary file and rename, so a crash leaves the old manifest).
 *
 * A broken or unrecognised file throws an ImportError with a message for people, and changes nothing.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import mammoth from 'mammoth';
import { squash } from '../../core/text.js';
import { buildKnowledgeBase, type DocumentInfo, loadCorpus } from '../base.js';
import type { Milestone } from '../parse/milestones.js';
import { parseRecords, type RecordsTable } from '../parse/records.js';

/** A file that cannot be imported: the message says why, in Chinese and English. */
export class ImportError extends Error {
  constructor(
    readonly code: 'empty' | 'too_large' | 'format' | 'broken' | 'no_table' | 'no_rows',
    message: string,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}

/** Limits of an import. */
export const importLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxRows: 5000,
  /** A header must name at least this many of the table's columns (概述, 责任单位, 目标, 措施, 时间, 联系), 目标 among them. */
  minHeaderColumns: 2,
};

const HEADER_KEYS = ['概述', '责任单位', '目标', '措施', '时间', '联系'];

/** The formats read. */
export type ImportFormat = 'docx' | 'xlsx' | 'csv' | 'txt';

/** A parsed file, ready to be committed. */
export interface PreparedImport {
  format: ImportFormat;
  /** The document as the manifest will list it. */
  info: DocumentInfo;
  /** The Word-export TXT written to the corpus. */
  text: string;
  table: RecordsTable;
  /** The milestones this document brings (after merging with the corpus). */
  milestones: Milestone[];
}

/** What kind of file the bytes are: by their first bytes, then by the name. */
export function formatOf(bytes: Buffer, name: string): ImportFormat {
  const ext = extname(name).toLowerCase();
  const zip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (zip) {
    // Both are zip files: the entries tell them apart.
    const head = bytes.subarray(0, Math.min(bytes.length, 64 * 1024)).toString('latin1');
    if (head.includes('word/') || ext === '.docx') return 'docx';
    if (head.includes('xl/') || ext === '.xlsx') return 'xlsx';
    throw new ImportError(
      'format',
      '无法识别的文件：只支持 DOCX、XLSX、CSV 或 TXT 表格。 / Unrecognised file: only DOCX, XLSX, CSV or TXT tables.',
    );
  }
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xd0cf11e0) {
    throw new ImportError(
      'format',
      '这是旧版 Word/Excel 文件（.doc/.xls），请另存为 .docx 或 .xlsx 后再导入。 / Old .doc/.xls files: save as .docx or .xlsx first.',
    );
  }
  if (ext === '.docx' || ext === '.xlsx') {
    throw new ImportError('broken', '文件已损坏或不是有效的 DOCX/XLSX 文件。 / The file is broken or not a valid DOCX/XLSX file.');
  }
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') || /[\x00-\x08\x0e-\x1f]/.test(text.slice(0, 4096))) {
    throw new ImportError(
      'format',
      '无法识别的文件（不是 UTF-8 文本，也不是 DOCX/XLSX）。 / Unrecognised file (not UTF-8 text, DOCX or XLSX).',
    );
  }
  if (ext === '.csv') return 'csv';
  if (ext === '.txt') return 'txt';
  // No telling extension: a text with tab-led lines is the Word export, else CSV.
  return /^\t/m.test(text) ? 'txt' : 'csv';
}

const decodeEntities = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');

/** The rows of the first table in mammoth's HTML whose header names the columns, cells as text (paragraphs → lines). */
function tablesOfHtml(html: string): string[][][] {
  const tables: string[][][] = [];
  for (const t of html.match(/<table>[\s\S]*?<\/table>/g) ?? []) {
    const rows: string[][] = [];
    for (const tr of t.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) {
      const cells: string[] = [];
      for (const td of tr.match(/<t[dh][^>]*>[\s\S]*?<\/t[dh]>/g) ?? []) {
        const inner = td
          .replace(/^<t[dh][^>]*>|<\/t[dh]>$/g, '')
          .replace(/<\/p>\s*<p>/g, '\n')
          .replace(/<br\s*\/?>/g, '\n')
          .replace(/<[^>]+>/g, '');
        cells.push(decodeEntities(inner).trim());
      }
      rows.push(cells);
    }
    tables.push(rows);
  }
  return tables;
}

async function rowsOfDocx(bytes: Buffer): Promise<string[][][]> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes })).value;
  } catch {
    throw new ImportError('broken', 'DOCX 文件已损坏，无法读取。 / The DOCX file is broken and cannot be read.');
  }
  return tablesOfHtml(html);
}

async function rowsOfXlsx(bytes: Buffer): Promise<string[][][]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw new ImportError('broken', 'XLSX 文件已损坏，无法读取。 / The XLSX file is broken and cannot be read.');
  }
  const out: string[][][] = [];
  wb.eachSheet((sheet) => {
    const rows: string[][] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      for (let c = 1; c <= Math.min(row.cellCount, 50); c++) cells.push(String(row.getCell(c).text ?? '').trim());
      rows.push(cells);
    });
    out.push(rows);
  });
  return out;
}

function rowsOfCsv(text: string): string[][][] {
  try {
    return [parseCsv(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][]];
  } catch (e) {
    throw new ImportError('broken', `CSV 文件格式有误：${e instanceof Error ? e.message : String(e)} / Malformed CSV.`);
  }
}

/** Where a header row names enough of the table's columns; -1 when none does. */
function headerAt(rows: string[][]): number {
  for (let i = 0; i < Math.min(rows.length, 10); i++) {
    const cells = (rows[i] ?? []).map((c) => squash(c));
    const hits = HEADER_KEYS.filter((k) => cells.some((c) => c.includes(k)));
    if (hits.includes('目标') && hits.length >= importLimits.minHeaderColumns) return i;
  }
  return -1;
}

/** Writes rows of cells in the Word-export TXT shape the records parser reads. */
export function toWordExport(header: string[], rows: string[][]): string {
  // Inside a cell: no tabs, no blank lines (a blank line before a tab line starts a row), no leading blanks.
  const clean = (c: string) =>
    c
      .replace(/\t/g, ' ')
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((l) => l.replace(/^[\s\u3000]+/u, '').replace(/\s+$/u, ''))
      .filter((l) => l !== '')
      .join('\n');
  const lines: string[] = [];
  const row = (cells: string[]) => {
    lines.push(` \t${clean(cells[0] ?? '')}`);
    for (const c of cells.slice(1)) lines.push(`\t${clean(c)}`);
  };
  row(header);
  for (const r of rows) row(header.map((_h, i) => r[i] ?? ''));
  return `${lines.join('\n')}\n`;
}

/** The table of a file as rows in Word-export TXT: the first table whose header names the columns. */
export async function readTableText(bytes: Buffer, name: string): Promise<{ format: ImportFormat; text: string }> {
  if (bytes.length === 0) throw new ImportError('empty', '文件是空的。 / The file is empty.');
  if (bytes.length > importLimits.maxBytes) {
    throw new ImportError(
      'too_large',
      `文件超过 ${importLimits.maxBytes / 1048576} MB。 / The file is larger than ${importLimits.maxBytes / 1048576} MB.`,
    );
  }
  const format = formatOf(bytes, name);
  if (format === 'txt') return { format, text: bytes.toString('utf8').replace(/^\uFEFF/, '') };
  const tables =
    format === 'docx' ? await rowsOfDocx(bytes) : format === 'xlsx' ? await rowsOfXlsx(bytes) : rowsOfCsv(bytes.toString('utf8'));
  for (const rows of tables) {
    const at = headerAt(rows);
    if (at < 0) continue;
    const header = rows[at] as string[];
    // A leading row-number column ("序号") is the exported table's first cell; without one, add a blank one.
    const numbered = /^(序号|编号|No\.?)?$/i.test(squash(header[0] ?? ''));
    const body = rows.slice(at + 1, at + 1 + importLimits.maxRows).filter((r) => r.some((c) => squash(c) !== ''));
    const text = numbered
      ? toWordExport(header, body)
      : toWordExport(
          ['', ...header],
          body.map((r) => ['', ...r]),
        );
    return { format, text };
  }
  throw new ImportError(
    'no_table',
    '文件中没有找到整改表格：表头需包含“整改目标”，以及“整改任务概述”“整改责任单位”“整改措施及成效”“整改时间”中的至少一列。 / No rectification table found: the header must name 整改目标 and at least one of 整改任务概述, 整改责任单位, 整改措施及成效, 整改时间.',
  );
}

/** A document id for a new import: "import-" and a slug of the date and a counter, unique in the manifest. */
function newId(taken: Set<string>, now: Date): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  for (let i = 1; ; i++) {
    const id = `import-${day}-${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Parses a file against the corpus in use and previews it (rows, targets, milestones); writes nothing. */
export async function prepareImport(
  bytes: Buffer,
  name: string,
  corpusDir: string,
  now: Date,
  meta: { title?: string | null; asOf?: string | null } = {},
): Promise<PreparedImport> {
  const { format, text } = await readTableText(bytes, name);
  const table = parseRecords(text);
  const usable = table.records.filter((r) => r.targets.length > 0 || r.overview);
  if (usable.length === 0 || !table.columns.some((c) => c.includes('目标'))) {
    throw new ImportError(
      'no_rows',
      '表格中没有可用的行（没有整改目标或任务概述）。 / The table has no usable rows (no targets or overviews).',
    );
  }
  const corpus = loadCorpus(corpusDir);
  const id = newId(new Set(corpus.documents.map((d) => d.id)), now);
  const stem = basename(name, extname(name)).slice(0, 60) || id;
  const title = squash(meta.title ?? '') || stem;
  const years = [...text.matchAll(/(20\d{2})年/g)].map((m) => Number(m[1])).filter((y) => y <= now.getUTCFullYear());
  const info: DocumentInfo = {
    id,
    kind: 'records',
    file: `${id}.txt`,
    title,
    shortTitle: title.length > 16 ? `${title.slice(0, 15)}…` : title,
    titleEn: `Imported rectification table: ${stem}`,
    asOf: meta.asOf ?? (years.length ? String(Math.max(...years)) : String(now.getUTCFullYear())),
    scope: [],
  };
  const kb = buildKnowledgeBase([...corpus.documents, info], { ...corpus.texts, [id]: text });
  const milestones = kb.milestones.filter((m) => m.sources.some((s) => s.document === id));
  return { format, info, text, table, milestones };
}

/**
 * Writes a prepared import into `targetDir` and lists it in its manifest. When `targetDir` is not
 * the corpus in use (the shipped corpus stays as released), the corpus is copied there first.
 */
export function commitImport(p: PreparedImport, corpusDir: string, targetDir: string): void {
  const corpus = JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as {
    documents: Array<Record<string, unknown> & { id: string; file: string }>;
  };
  mkdirSync(targetDir, { recursive: true });
  if (targetDir !== corpusDir) {
    for (const d of corpus.documents) {
      if (!existsSync(join(targetDir, d.file))) copyFileSync(join(corpusDir, d.file), join(targetDir, d.file));
    }
  }
  if (corpus.documents.some((d) => d.id === p.info.id)) throw new ImportError('format', `文档 ${p.info.id} 已存在。`);
  const { scope: _scope, asOf, ...rest } = p.info;
  const entry = { ...rest, ...(asOf ? { asOf } : {}) };
  const file = join(targetDir, p.info.file);
  writeFileSync(`${file}.tmp`, p.text, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
  const manifest = join(targetDir, 'manifest.json');
  writeFileSync(`${manifest}.tmp`, `${JSON.stringify({ documents: [...corpus.documents, entry] }, null, 2)}\n`);
  renameSync(`${manifest}.tmp`, manifest);
}
