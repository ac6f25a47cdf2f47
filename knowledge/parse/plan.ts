/**
 * Parser of the plan text: headings (第X章, （一）, 1., 2.1) make a section tree, other lines are
 * paragraphs of the current section, and a "专栏N" caption followed by tab-started cells (rows
 * separated by blank lines) is an indicator table.
 */
import { squash, stripBookmarks } from '../../core/text.js';

/** A section of the plan with its own paragraphs. */
export interface PlanSection {
  id: string;
  level: number;
  /** The numbering as written: "第二章", "（三）", "1.", "2.1". Empty for the opening text. */
  number: string;
  title: string;
  /** Titles from the chapter down to this section. */
  path: string[];
  paragraphs: string[];
  children: PlanSection[];
  /**
   * True when the export lost this section's heading: its title is then the numbering position
   * ("第2节") or the lead phrase of its first paragraph, never a neighbour's heading.
   */
  inferred?: boolean;
}

/** A table (专栏) of the plan, as rows of cells under its header. */
export interface PlanTable {
  /** "专栏2" */
  name: string;
  caption: string;
  header: string[];
  rows: string[][];
  /** Path of the section the table stands in. */
  path: string[];
}

/** One row of a 专栏 table read as an indicator. Values are as written ("95%", "*", "稳步提升"). */
export interface Indicator {
  table: string;
  caption: string;
  number: string;
  area: string | null;
  /** True when the area cell was blank and the value comes from the merged cell above. */
  areaFromAbove: boolean;
  name: string;
  type: string | null;
  /** The current value and the year it describes (2020). */
  current: { year: number; value: string } | null;
  /** Targets by year, e.g. {2020: "不低于现状值"} or {2025: "1.8%"}. */
  targets: Record<number, string>;
  departments: string[];
  completion: string | null;
}

/** The parsed plan. */
export interface Plan {
  root: PlanSection;
  sections: PlanSection[];
  tables: PlanTable[];
  indicators: Indicator[];
}

const HEADINGS: Array<{ level: number; re: RegExp }> = [
  { level: 1, re: /^(第[一二三四五六七八九十]+章)\s*(.*)$/ },
  { level: 2, re: /^([（(][一二三四五六七八九十]+[）)])\s*(.*)$/ },
  { level: 4, re: /^(\d+\.\d+)\s*(.*)$/ },
  { level: 3, re: /^(\d+[.．])(?!\d)\s*(.*)$/ },
];

function headingOf(line: string): { level: number; number: string; title: string } | null {
  if (line.length > 40) return null;
  for (const { level, re } of HEADINGS) {
    const m = re.exec(line);
    if (m?.[2]) return { level, number: m[1] as string, title: (m[2] as string).replace(/。$/, '') };
  }
  return null;
}

const HAN_ORDINALS = '一二三四五六七八九十';

/** The position a heading's number gives ("3." → 3, "（二）" → 2, "2.1" → 1); 0 when none. */
function ordinal(number: string): number {
  const d = /(\d+)[.．]?$/.exec(number);
  if (d) return Number(d[1]);
  const h = /([一二三四五六七八九十])[）)]?$/.exec(number);
  return h ? HAN_ORDINALS.indexOf(h[1] as string) + 1 : 0;
}

/** The lead phrase of a paragraph: its first sentence when that is short enough to be a title. */
export function leadPhrase(text: string): string | null {
  const m = /^([^。；：:，,]{2,24})[。；：:]/.exec(text.trim());
  return m ? (m[1] as string).trim() : null;
}

/** Parses the plan text. */
export function parsePlan(text: string): Plan {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const root: PlanSection = { id: 's0', level: 0, number: '', title: '', path: [], paragraphs: [], children: [] };
  const sections: PlanSection[] = [root];
  const stack: PlanSection[] = [root];
  const tables: PlanTable[] = [];
  let table: PlanTable | null = null;
  let row: string[] | null = null;

  const open = (parent: PlanSection, level: number, number: string, title: string, inferred: boolean): PlanSection => {
    const section: PlanSection = {
      id: `s${sections.length}`,
      level,
      number,
      title,
      path: [...parent.path, `${number}${title}`],
      paragraphs: [],
      children: [],
      ...(inferred ? { inferred: true } : {}),
    };
    parent.children.push(section);
    sections.push(section);
    stack.push(section);
    return section;
  };

  const closeRow = () => {
    if (table && row && row.length > 0) {
      if (table.header.length === 0) table.header = row;
      else table.rows.push(row);
    }
    row = null;
  };

  for (const raw of lines) {
    if (table && raw.startsWith('\t')) {
      row ??= [];
      row.push(
        ...raw
          .slice(1)
          .split('\t')
          .map((c) => squash(c)),
      );
      continue;
    }
    if (table && raw.trim() === '') {
      closeRow();
      continue;
    }
    closeRow();
    table = null;
    const line = squash(stripBookmarks(raw));
    if (!line) continue;
    const cap = /^(专栏\s*\d+)\s*(.*)$/.exec(line);
    if (cap) {
      const current = stack[stack.length - 1] as PlanSection;
      table = { name: (cap[1] as string).replace(/\s+/g, ''), caption: squash(cap[2] ?? ''), header: [], rows: [], path: current.path };
      tables.push(table);
      continue;
    }
    const h = headingOf(line);
    if (h) {
      while (stack.length > 1 && (stack[stack.length - 1] as PlanSection).level >= h.level) stack.pop();
      let parent = stack[stack.length - 1] as PlanSection;
      // Numbering that starts again ("4." then "1." under the same parent) means the export lost
      // the heading between them: an untitled parent one level up, named by its position.
      const last = parent.children[parent.children.length - 1];
      if (last && last.level === h.level && ordinal(h.number) === 1 && ordinal(last.number) > 1 && parent.level > 0) {
        const grand = stack[stack.length - 2] as PlanSection;
        stack.pop();
        parent = open(grand, parent.level, '', `第${grand.children.length + 1}节（原标题缺失）`, true);
      }
      open(parent, h.level, h.number, h.title, false);
      continue;
    }
    // A line that the export indented by one space where a list number stood: its own numbered
    // heading was lost. The paragraph opens an untitled section named by its lead phrase.
    const current = stack[stack.length - 1] as PlanSection;
    if (/^[ \u3000]+\S/.test(stripBookmarks(raw)) && current.paragraphs.length > 0 && current.level >= 2) {
      const lead = leadPhrase(line);
      if (lead) {
        const level = current.level >= 3 ? current.level : current.level + 1;
        while (stack.length > 1 && (stack[stack.length - 1] as PlanSection).level >= level) stack.pop();
        open(stack[stack.length - 1] as PlanSection, level, '', lead, true).paragraphs.push(line);
        continue;
      }
    }
    current.paragraphs.push(line);
  }
  closeRow();
  return { root, sections, tables, indicators: tables.flatMap(indicatorsOf) };
}

function splitDepartments(cell: string | undefined): string[] {
  if (!cell || cell === '*') return [];
  return cell
    .split(/[、,，;；/]/)
    .map((d) => d.trim())
    .filter(Boolean);
}

/** Reads a 专栏 table's rows as indicators, finding each column by its header's words. */
export function indicatorsOf(table: PlanTable): Indicator[] {
  const col = (test: (h: string) => boolean) => table.header.findIndex(test);
  const cNo = col((h) => h.includes('序号'));
  const cArea = col((h) => h.includes('领域') || h === '任务');
  const cName = col((h) => h.includes('指标'));
  const cType = col((h) => h.includes('类型'));
  const cCurrent = col((h) => h.includes('现状'));
  const cDept = col((h) => h.includes('责任'));
  const cDone = col((h) => h.includes('完成'));
  const targetCols = table.header
    .map((h, i) => ({ i, m: /(\d{4})年?目标/.exec(h) }))
    .filter((t) => t.m !== null)
    .map((t) => ({ i: t.i, year: Number(t.m?.[1]) }));
  const currentYear = Number(/(\d{4})/.exec(table.header[cCurrent] ?? '')?.[1] ?? Number.NaN);
  let area: string | null = null;
  return table.rows
    .filter((r) => (r[cName] ?? '') !== '')
    .map((r): Indicator => {
      const cell = (i: number) => (i >= 0 && r[i] !== undefined && r[i] !== '' ? (r[i] as string) : null);
      const ownArea = cell(cArea);
      if (ownArea) area = ownArea;
      const targets: Record<number, string> = {};
      for (const t of targetCols) {
        const v = cell(t.i);
        if (v) targets[t.year] = v;
      }
      const currentValue = cell(cCurrent);
      return {
        table: table.name,
        caption: table.caption,
        number: cell(cNo) ?? '',
        area: ownArea ?? area,
        areaFromAbove: ownArea === null && area !== null,
        name: cell(cName) as string,
        type: cell(cType),
        current: currentValue && Number.isFinite(currentYear) ? { year: currentYear, value: currentValue } : null,
        targets,
        departments: splitDepartments(cell(cDept) ?? undefined),
        completion: cell(cDone),
      };
    });
}
