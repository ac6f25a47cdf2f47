/**
 * The knowledge base: every document of the corpus parsed by its kind (rectification tables, plans)
 * into records, sections, indicators, milestones and the passages that search works on. Pure: it takes the documents' texts and returns data.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RectifyError } from '../core/errors.js';
import { buildMilestones, type Milestone, paragraphLocator } from './parse/milestones.js';
import { type Indicator, type Plan, parsePlan } from './parse/plan.js';
import { parseRecords, type RecordsTable } from './parse/records.js';

/** A document of the corpus, as its manifest describes it. */
export interface DocumentInfo {
  id: string;
  kind: 'records' | 'plan';
  file: string;
  title: string;
  shortTitle: string;
  titleEn: string;
  /** How current the document's facts are ("2022", "2021-10"), from the manifest; null when unknown. */
  asOf: string | null;
  /** The places the document covers ("江津区", "江津"): from the manifest, else read off its title. */
  scope: string[];
}

/** What a passage is: a part of a table row, an indicator row or a plan paragraph. */
export type PassageKind = 'overview' | 'target' | 'measure' | 'effect' | 'indicator' | 'paragraph';

/** The unit that search finds and answers cite. */
export interface Passage {
  id: number;
  document: string;
  kind: PassageKind;
  /** Where it stands, in words a reader can follow: "第2行·整改目标（1）". */
  locator: string;
  /** Context that search weighs higher: the record's overview, the section's title, the indicator's name. */
  title: string;
  text: string;
  /** The table row for record passages. */
  row?: number;
  /** The index in `indicators` for indicator passages. */
  indicator?: number;
}

/** An indicator row with the document it stands in. */
export interface DocIndicator extends Indicator {
  document: string;
}

/** One parsed document: a rectification table or a plan. */
export interface ParsedDocument {
  info: DocumentInfo;
  table: RecordsTable | null;
  plan: Plan | null;
}

/** Everything the answerer knows: any number of documents, each parsed by its kind. */
export interface KnowledgeBase {
  documents: DocumentInfo[];
  parsed: ParsedDocument[];
  indicators: DocIndicator[];
  /** The dated targets of every document (built on first use). */
  readonly milestones: Milestone[];
  passages: Passage[];
  /** The raw texts, by document id: the search snapshot's version depends on them. */
  texts: Record<string, string>;
}

const manifestSchema = z.object({
  documents: z
    .array(
      z.object({
        id: z.string().min(1),
        kind: z.enum(['records', 'plan']),
        file: z.string().min(1),
        title: z.string().min(1),
        shortTitle: z.string().min(1),
        titleEn: z.string().min(1),
        asOf: z.string().min(4).max(20).optional(),
        scope: z.array(z.string().min(1)).optional(),
      }),
    )
    .min(1),
});

/** The places a title names: districts, counties and cities ("江津区" and its short form "江津"). */
export function placesInTitle(title: string): string[] {
  const out: string[] = [];
  for (const m of title.matchAll(/([\u4e00-\u9fa5]{2,3}?)(区|县|市)(?![\u4e00-\u9fa5]{0,1}(?:域|级))/g)) {
    const name = `${m[1]}${m[2]}`;
    if (out.includes(name)) continue;
    out.push(name, m[1] as string);
    break;
  }
  return out;
}

/** Reads a corpus folder: its manifest.json and the files it names. */
export function loadCorpus(dir: string): { documents: DocumentInfo[]; texts: Record<string, string> } {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch (cause) {
    throw new RectifyError('knowledge', 'corpus_manifest', `cannot read ${join(dir, 'manifest.json')}`, { cause });
  }
  const parsed = manifestSchema.safeParse(manifest);
  if (!parsed.success) {
    throw new RectifyError('knowledge', 'corpus_manifest', `bad manifest in ${dir}: ${z.prettifyError(parsed.error)}`);
  }
  const texts: Record<string, string> = {};
  const documents = parsed.data.documents.map(
    (d): DocumentInfo => ({ ...d, asOf: d.asOf ?? null, scope: d.scope ?? placesInTitle(d.title) }),
  );
  for (const d of documents) texts[d.id] = readFileSync(join(dir, d.file), 'utf8');
  return { documents, texts };
}

/** The passages of one rectification table. */
function recordPassages(table: RecordsTable, document: string): Array<Omit<Passage, 'id'>> {
  const out: Array<Omit<Passage, 'id'>> = [];
  for (const r of table.records) {
    const base = { document, title: r.overview ?? '', row: r.row };
    if (r.overview) out.push({ ...base, kind: 'overview', locator: `第${r.row}行·整改任务概述`, text: r.overview });
    for (const t of r.targets) out.push({ ...base, kind: 'target', locator: `第${r.row}行·整改目标（${t.label}）`, text: t.text });
    for (const m of r.measures) out.push({ ...base, kind: 'measure', locator: `第${r.row}行·整改措施（${m.label}）`, text: m.text });
    for (const e of r.effects) out.push({ ...base, kind: 'effect', locator: `第${r.row}行·成效（${e.label}）`, text: e.text });
  }
  return out;
}

/** Builds the knowledge base from the documents' texts: every document, each by its kind. */
export function buildKnowledgeBase(documents: DocumentInfo[], texts: Record<string, string>): KnowledgeBase {
  const parsed: ParsedDocument[] = documents.map((info) =>
    info.kind === 'records'
      ? { info, table: parseRecords(texts[info.id] ?? ''), plan: null }
      : { info, table: null, plan: parsePlan(texts[info.id] ?? '') },
  );
  const passages: Passage[] = [];
  const indicators: DocIndicator[] = [];
  const add = (p: Omit<Passage, 'id'>) => passages.push({ ...p, id: passages.length });
  for (const d of parsed) {
    if (d.table) for (const p of recordPassages(d.table, d.info.id)) add(p);
    if (!d.plan) continue;
    for (const ind of d.plan.indicators) {
      indicators.push({ ...ind, document: d.info.id });
      add({
        document: d.info.id,
        kind: 'indicator',
        locator: `${ind.table}第${ind.number}项`,
        title: `${ind.name} ${ind.area ?? ''} ${ind.table} ${ind.caption} ${ind.type ?? ''}`,
        text: describeIndicator(ind),
        indicator: indicators.length - 1,
      });
    }
    for (const s of d.plan.sections) {
      s.paragraphs.forEach((p, i) => {
        add({ document: d.info.id, kind: 'paragraph', locator: paragraphLocator(s, i, p), title: s.title, text: p });
      });
    }
  }
  // Milestones are read by the ledger and the jobs, not to answer a question: built on first use,
  // so that a process that only answers never pays for them.
  let milestones: Milestone[] | null = null;
  return {
    documents,
    parsed,
    indicators,
    passages,
    texts,
    get milestones() {
      milestones ??= buildMilestones(
        parsed.map((d) => ({ doc: d.info, ...(d.table ? { table: d.table } : {}), ...(d.plan ? { plan: d.plan } : {}) })),
      );
      return milestones;
    },
  };
}

/** Reads and builds the knowledge base of a corpus folder. */
export function loadKnowledgeBase(dir: string): KnowledgeBase {
  const { documents, texts } = loadCorpus(dir);
  return buildKnowledgeBase(documents, texts);
}

/** An indicator's name without the "（%）" unit mark. */
export function indicatorName(ind: Indicator): string {
  return ind.name.replace(/[（(]%[）)]$/, '');
}

/** An indicator value as a reader expects it: "95" in a "（%）" row becomes "95%", "*" is explained. */
export function indicatorValue(ind: Indicator, value: string): string {
  if (value === '*') return '*（表中未列具体数值）';
  if (/[（(]%[）)]$/.test(ind.name) && /^[\d.]+$/.test(value)) return `${value}%`;
  return value;
}

/** One line describing an indicator row, used as its passage text. */
export function describeIndicator(ind: Indicator): string {
  const parts = [`${ind.caption} 第${ind.number}项：${indicatorName(ind)}`];
  if (ind.area) parts.push(`领域：${ind.area}`);
  if (ind.type) parts.push(`类型：${ind.type}`);
  if (ind.current) parts.push(`${ind.current.year}年现状值：${indicatorValue(ind, ind.current.value)}`);
  for (const [y, v] of Object.entries(ind.targets)) parts.push(`${y}年目标值：${indicatorValue(ind, v)}`);
  if (ind.departments.length) parts.push(`责任部门：${ind.departments.join('、')}`);
  if (ind.completion) parts.push(`完成情况：${ind.completion}`);
  return parts.join('；');
}
