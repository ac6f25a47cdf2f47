/**
 * The knowledge base: both documents parsed into records, sections, indicators, milestones and the
 * passages that search works on. Pure: it takes the documents' texts and returns data.
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

/** Everything the answerer knows. */
export interface KnowledgeBase {
  documents: DocumentInfo[];
  records: RecordsTable;
  recordsDoc: DocumentInfo | null;
  plan: Plan;
  planDoc: DocumentInfo | null;
  indicators: Indicator[];
  milestones: Milestone[];
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
      }),
    )
    .min(1),
});

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
  for (const d of parsed.data.documents) texts[d.id] = readFileSync(join(dir, d.file), 'utf8');
  return { documents: parsed.data.documents, texts };
}

/** Builds the knowledge base from the documents' texts. */
export function buildKnowledgeBase(documents: DocumentInfo[], texts: Record<string, string>): KnowledgeBase {
  const recordsDoc = documents.find((d) => d.kind === 'records') ?? null;
  const planDoc = documents.find((d) => d.kind === 'plan') ?? null;
  const records = recordsDoc ? parseRecords(texts[recordsDoc.id] ?? '') : { columns: [], records: [] };
  const plan = planDoc ? parsePlan(texts[planDoc.id] ?? '') : parsePlan('');
  const passages: Passage[] = [];
  const add = (p: Omit<Passage, 'id'>) => passages.push({ ...p, id: passages.length });

  if (recordsDoc) {
    for (const r of records.records) {
      const base = { document: recordsDoc.id, title: r.overview ?? '', row: r.row };
      if (r.overview) add({ ...base, kind: 'overview', locator: `第${r.row}行·整改任务概述`, text: r.overview });
      for (const t of r.targets) add({ ...base, kind: 'target', locator: `第${r.row}行·整改目标（${t.label}）`, text: t.text });
      for (const m of r.measures) add({ ...base, kind: 'measure', locator: `第${r.row}行·整改措施（${m.label}）`, text: m.text });
      for (const e of r.effects) add({ ...base, kind: 'effect', locator: `第${r.row}行·成效（${e.label}）`, text: e.text });
    }
  }
  if (planDoc) {
    plan.indicators.forEach((ind, i) => {
      add({
        document: planDoc.id,
        kind: 'indicator',
        locator: `${ind.table}第${ind.number}项`,
        title: `${ind.name} ${ind.area ?? ''} ${ind.table} ${ind.type ?? ''}`,
        text: describeIndicator(ind),
        indicator: i,
      });
    });
    for (const s of plan.sections) {
      s.paragraphs.forEach((p, i) => {
        add({ document: planDoc.id, kind: 'paragraph', locator: paragraphLocator(s, i, p), title: s.title, text: p });
      });
    }
  }
  const milestones = buildMilestones([
    ...(recordsDoc ? [{ doc: recordsDoc, table: records }] : []),
    ...(planDoc ? [{ doc: planDoc, plan }] : []),
  ]);
  return { documents, records, recordsDoc, plan, planDoc, indicators: plan.indicators, milestones, passages, texts };
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
