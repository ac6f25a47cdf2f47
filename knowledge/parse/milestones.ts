/**
 * Extraction of dated targets (milestones) from the parsed documents, with what the documents say
 * of their outcome and of who does them.
 *
 * Candidates: every target of a rectification table that names a year, every "到20XX年…" clause of
 * a plan that looks ahead (not "从某年到某年…" or "截至某年"), and every 专栏 indicator with a
 * stated target value. A clause that states several valued targets ("A达到95%，B达到100%") gives one
 * candidate each.
 *
 * One milestone per target: candidates of one document and year that state the same target (a
 * table's target cell and its restatement in another row, a plan sentence and its 专栏 row) are
 * merged into one milestone that keeps every source. Documents are never mixed.
 *
 * Status from evidence: each target clause is read as metric + comparator + value (达到90%以上,
 * 减少1%以上, 完成670万吨 …) and compared with the result sentences of the same document that
 * report on the same metric (a 成效 cell, a plan paragraph) and are dated no earlier than the due
 * year; without a comparable figure, explicit outcome words (超额完成, 达到目标要求, 销号验收 …) in
 * a result on the same topic decide. What decides is kept as evidence, with its locator.
 *
 * Who does it: the responsible body as the document names it; when that body is a whole
 * jurisdiction ("江津区"), the units that the row's own measures name as doing the work are offered
 * as inferred handlers, for an administrator to confirm.
 *
 * Nothing here knows a district, a unit or a figure of the shipped corpus: every rule is about the
 * shape of such documents, and the thresholds are named in `milestoneDefaults`.
 */
import { createHash } from 'node:crypto';
import { bigramOverlap, clip, hanBigrams, sentences } from '../../core/text.js';
import type { DocumentInfo } from '../base.js';
import type { Indicator, Plan } from './plan.js';
import type { RecordsTable } from './records.js';

/** A place where a document states a milestone's target. */
export interface MilestoneSource {
  document: string;
  /** The locator of the passage, as search and answers cite it: "第2行·整改目标（1）", "专栏2第7项". */
  locator: string;
  /** The sentence (contained in the passage's text) or, for an indicator, its name. */
  text: string;
  /** The responsible body as this source names it ("某区", "区甲委、区乙局"), or null. */
  body: string | null;
  /** The task the source belongs to: its table row ("第2行"), its plan section or its indicator. */
  task: string;
}

/** A target clause read as a comparison: "某某利用率达到80%以上" → metric, ≥, 80, %. */
export interface TargetSpec {
  metric: string;
  /** gte/lte: the value itself; decrease/increase: the size of the change; null: no figure. */
  op: 'gte' | 'lte' | 'decrease' | 'increase' | null;
  value: number | null;
  unit: string | null;
}

/** What a document says of a target's outcome, and where. */
export interface MilestoneEvidence {
  outcome: 'met' | 'missed';
  document: string;
  locator: string;
  /** The result sentence. */
  text: string;
  /** Why it decides: "978万吨 ≥ 670万吨" or "“超额完成”". */
  reason: string;
  /** The year the result speaks of (or the document's as-of year). */
  year: number | null;
}

/** A responsible body → handling unit pair that the text suggests, for the unit-mapping table. */
export interface UnitSeed {
  /** The document, or "*" when the mapping holds for any document (a body that is itself a unit). */
  document: string;
  /** The task (row, section, indicator), the milestone's key for a milestone whose text names no body, or "*". */
  scope: string;
  /** The body as written; "" when the text names none. */
  body: string;
  unit: string;
  /** stated: the text names the unit as responsible; inferred: read from what the text says it does. */
  state: 'stated' | 'inferred';
  reason: string;
}

/** A dated target. */
export interface Milestone {
  /** Stable across runs for the same text: a hash of document, primary locator and title. */
  key: string;
  /** The target clause, at most `milestoneDefaults.titleMax` characters, with its year: "化肥农药使用总量减少1.8%（2025）". */
  title: string;
  /** The full sentence that states it (an indicator's row in words). */
  text: string;
  /** The year of the due date. */
  year: number;
  /** YYYY-MM-DD: the last day of the year (targets are stated as 到20XX年 / 20XX年底). */
  dueDate: string;
  /** The wording of the deadline as written: 到2022年底前, 到2025年 … */
  dueLabel: string;
  /** The responsible body the primary source names (null when it names none). */
  unit: string | null;
  /** The document of every source. */
  document: string;
  /** The primary source's locator. */
  locator: string;
  /** Every place the target is stated, the primary one first. */
  sources: MilestoneSource[];
  target: TargetSpec | null;
  /** What the documents say of the outcome. */
  outcome: 'met' | 'missed' | 'unreported';
  evidence: MilestoneEvidence | null;
  /** Body → unit pairs the text suggests for this milestone's sources. */
  unitSeeds: UnitSeed[];
  /** Keys under which earlier versions stored these targets (one per source), for upgrading stores. */
  aliases: string[];
}

/** The thresholds of extraction, merging, evidence and unit inference. */
export const milestoneDefaults = {
  /** Longest title, year included. */
  titleMax: 40,
  /** A table row's overview and one of its target cells, of one year, state one target when their topics overlap this much. */
  mergeSameTask: 0.34,
  /** Two targets with the same figure and year are one when their metrics are this similar (Dice). */
  mergeSameValue: 0.5,
  /** …when a figure is missing on one side. */
  mergeOther: 0.6,
  /** A result clause reports on a target's metric when their bigrams overlap this much. */
  metricMatch: 0.4,
  /** A result with outcome words only bears on a target when their topics overlap this much. */
  outcomeTopicMatch: 0.4,
  /** Bonus of a result item of the same row and number as the target item (一 ↔ 一). */
  pairedItemBonus: 0.2,
  /** A unit named in a row's measures is an inferred handler when it scores this share of the top unit. */
  doerShare: 0.5,
  /** A plan target naming no unit takes the departments of a 专栏 row whose topic is this similar (Dice). */
  indicatorTopicMatch: 0.5,
};

/** Unit names as the documents write them: 区农业农村委, 区生态环境局, 区规划和自然资源局 … */
export const UNIT_PATTERN = /[区市](?:[\u4e00-\u9fa5]{1,10}?)(?:委员会|局|委|办|厅|中心)/g;

/** A unit name of any level (区, 县, 市, 旗), anchored at its first character. */
const UNIT_AT = /^[区县市旗](?:[\u4e00-\u9fa5]{1,10}?)(?:委员会|局|委|办|厅|中心|站|所)/;
/** A body that is a whole jurisdiction ("江津区", "全县"), not a unit anyone can bind. */
const JURISDICTION = /^(?:全|本)?[\u4e00-\u9fa5]{0,8}(?:区|县|市|旗|州|省|自治州|自治县)(?:人民政府|委|政府)?$/;

/** Whether a responsible body names a whole jurisdiction (a district, county or city) rather than a unit. */
export function isJurisdiction(body: string): boolean {
  const b = body.trim();
  if (isUnitName(b)) return false;
  return JURISDICTION.test(b) && !/[委局办厅]$/.test(b.replace(/(人民政府|政府)$/, ''));
}

/** Whether a text is one unit's name ("区农业农村委"). */
export function isUnitName(text: string): boolean {
  const m = UNIT_AT.exec(text.trim());
  return m !== null && m[0].length === text.trim().length;
}

/** The parts of a body naming several units: "区甲委、区乙局" → both. */
export function bodyParts(body: string): string[] {
  return body
    .split(/[、,，;；/]/)
    .map((u) => u.trim())
    .filter(Boolean);
}

function keyOf(document: string, title: string): string {
  return createHash('sha256').update(`${document}\u0000${title}`).digest('hex').slice(0, 16);
}

/** The clause of a sentence that holds a year, from its "到/实现/于" lead to the clause end. */
function datedClauses(sentence: string): Array<{ clause: string; year: number; label: string }> {
  const out: Array<{ clause: string; year: number; label: string }> = [];
  const re = /(到|至|于|实现)?\s*(20\d{2})\s*年(底前|底|年底|前)?/g;
  for (const m of sentence.matchAll(re)) {
    const at = m.index ?? 0;
    const before = sentence.slice(Math.max(0, at - 3), at);
    // "从某年到某年" and "截至某年" report the past; a lone year inside a title or a
    // document number ("(2018—2020年)") is no target either.
    if (/从|自/.test(before) || /截[至止]/.test(sentence.slice(Math.max(0, at - 3), at + 1))) continue;
    if (!m[1] && !m[3]) continue;
    if (/[—\-－~～]$/.test(before) || /[（(《]/.test(sentence.slice(Math.max(0, at - 1), at))) continue;
    const start = m[1] === '实现' ? at + 2 : at;
    const rest = sentence.slice(start);
    const end = rest.search(/[；;。]/);
    const clause = (end < 0 ? rest : rest.slice(0, end)).replace(/^实现/, '').trim();
    out.push({ clause, year: Number(m[2]), label: `${m[1] ?? ''}${m[2]}年${m[3] ?? ''}` });
  }
  return out;
}

/** Where a plan paragraph stands: its section path, its number and its lead phrase. */
export function paragraphLocator(section: { path: string[] }, index: number, text: string): string {
  const where = section.path.length ? section.path.join(' > ') : '开篇';
  const lead = /^[^。；]{2,20}。/.exec(text)?.[0].replace(/。$/, '');
  return `${where} 第${index + 1}段${lead ? `（${lead}）` : ''}`;
}

// ── Reading a target clause ────────────────────────────────────────────────────────────────────

const FIGURE = /(\d+(?:\.\d+)?)\s*(%|％|万吨|吨|万亩|亩|万元|亿元|元|家|个|座|户|人|处|公里|km|千米|条|项|次|套|台)?/g;
const DECREASE = /减少|降低|下降|削减|降幅|减量/;
const INCREASE = /增加|增长|上升|增幅|提升(?![到至])|提高(?![到至])/;
const AT_MOST = /不超过|不高于|低于|控制在|以下|以内/;
/** Words between a metric and its figure. */
const COMPARATOR_TAIL =
  /(?:力争|确保|要|基本|全部|累计|稳定|保持)?(?:达到|达|提高到|提高至|提升到|提升至|稳定在|保持在|不低于|不少于|超过|控制在|低于|不超过|不高于|为|完成|减少|降低|下降|削减|增加|增长|提高|提升)$/;
const LEADING_VERBS = /^(?:确保|力争|要|全面|基本|累计)*(?:完成|实现|建成|开展)?/;

/** Reads a target clause (lead and subject already removed) as metric, comparator and figure. */
export function parseTarget(core: string): TargetSpec {
  const m = [...core.matchAll(FIGURE)].find((x) => !/年$/.test(core.slice(0, (x.index ?? 0) + x[0].length + 1)));
  if (!m) return { metric: metricWords(core), op: null, value: null, unit: null };
  const at = m.index ?? 0;
  // The metric stands in the comma-delimited part that holds the figure.
  const before =
    core
      .slice(0, at)
      .split(/[，,；;]/)
      .pop() ?? '';
  const after = core.slice(at + m[0].length).split(/[，,；;]/)[0] ?? '';
  const unit = m[2] ? m[2].replace('％', '%') : null;
  const op: TargetSpec['op'] = DECREASE.test(before.slice(-4))
    ? 'decrease'
    : INCREASE.test(before.slice(-4))
      ? 'increase'
      : AT_MOST.test(before.slice(-4)) || /^(以下|以内)/.test(after)
        ? 'lte'
        : 'gte';
  let metric = before;
  for (let i = 0; i < 3 && COMPARATOR_TAIL.test(metric); i++) metric = metric.replace(COMPARATOR_TAIL, '');
  metric = metric.replace(LEADING_VERBS, '');
  if (metricWords(metric).length < 2) metric = after.replace(/^(以上|以下|以内|的|标)+/, '');
  return { metric: metricWords(metric), op, value: Number(m[1]), unit };
}

/** A clause without figures and filler: the words that say what is measured. */
function metricWords(text: string): string {
  return text
    .replace(FIGURE, '')
    .replace(/以上|以下|以内/g, '')
    .replace(/^[，,、\s]+|[，,、\s]+$/g, '')
    .trim();
}

/** A clause without its date lead ("到某年，") and its subject ("全区", the district). */
function coreOf(clause: string, places: string[]): string {
  let s = clause.replace(/^(?:到|至|于|实现)?\s*20\d{2}\s*年(?:底前|底|年底|前)?[，,、\s]*/, '');
  for (let i = 0; i < 2; i++) {
    s = s.replace(/^(?:全区|全县|全市|全镇|全乡|本区|本县)[，,]?/, '');
    for (const p of places) if (s.startsWith(p) && s.length > p.length + 2) s = s.slice(p.length).replace(/^[，,]/, '');
  }
  return s.trim();
}

/** A clause stating several valued targets, split into one part each (unvalued parts stay with the previous one). */
function splitTargets(core: string): string[] {
  const parts = core.split(/[，,]/).filter((p) => p.trim());
  const valued = (p: string) => /\d/.test(p) && /(达到|达|提高|提升|稳定|保持|不低于|不少于|减少|降低|下降|完成|控制)/.test(p);
  if (parts.filter(valued).length < 2) return [core];
  const out: string[] = [];
  for (const p of parts) {
    if (valued(p) || out.length === 0) out.push(p);
    else out[out.length - 1] += `，${p}`;
  }
  return out;
}

/** A title of at most `titleMax` characters: the clause (cut at a comma, "等" when cut) and the year. */
export function titleOf(core: string, year: number, max = milestoneDefaults.titleMax): string {
  const suffix = `（${year}）`;
  const room = max - suffix.length;
  const text = core.replace(/[。；;，,\s]+$/, '');
  if (text.length <= room) return `${text}${suffix}`;
  const parts = text.split(/[，,]/);
  let head = '';
  for (const p of parts) {
    const next = head ? `${head}，${p}` : p;
    if (next.length + 1 > room) break;
    head = next;
  }
  if (!head) head = text.slice(0, room - 1);
  return `${head}等${suffix}`;
}

// ── Candidates ─────────────────────────────────────────────────────────────────────────────────

interface Candidate {
  document: string;
  task: string;
  locator: string;
  /** The whole sentence (an indicator's description). */
  sentence: string;
  /** The text the source cites: the sentence, or an indicator's name. */
  sourceText: string;
  /** The dated clause as earlier versions took it (for their keys). */
  clause: string;
  core: string;
  year: number;
  label: string;
  body: string | null;
  spec: TargetSpec;
  kind: 'target' | 'overview' | 'paragraph' | 'indicator';
  /** Row and item number of a table target, for pairing it with the result item of the same number. */
  row?: number;
  item?: string;
  /** An indicator's 完成情况 cell. */
  completion?: string | null;
  order: number;
}

interface ResultSentence {
  document: string;
  locator: string;
  text: string;
  /** The whole item (cell part, paragraph) the sentence belongs to. */
  item: string;
  year: number | null;
  row?: number;
  label?: string;
}

/** The most frequent place name ("XX区", "XX县") of some texts, if one clearly stands out. */
function dominantPlace(texts: string[]): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const m of t.matchAll(/[\u4e00-\u9fa5]{2}[区县]/g)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  const [first, second] = [...counts].sort((a, b) => b[1] - a[1]);
  return first && first[1] >= 5 && first[1] >= 2 * (second?.[1] ?? 0) ? [first[0]] : [];
}

function indicatorTitleCore(ind: Indicator, value: string): string {
  const name = ind.name.replace(/[（(]%[）)]$/, '');
  const pct = /[（(]%[）)]$/.test(ind.name) && /^[\d.]+$/.test(value) ? `${value}%` : value;
  if (/^[\d.]+%?$/.test(pct) && /(减少|降低|下降|提高|增加|增长)(比例|幅度|率)$/.test(name))
    return name.replace(/(比例|幅度|率)$/, '') + pct;
  return `${name}${/^[\d.]+%?$/.test(pct) ? '达到' : ''}${pct}`;
}

function recordCandidates(table: RecordsTable, document: string, places: string[], start: number): Candidate[] {
  const out: Candidate[] = [];
  for (const r of table.records) {
    const cells: Array<{ text: string; locator: string; kind: 'target' | 'overview'; item?: string }> = [
      ...(r.overview ? [{ text: r.overview, locator: `第${r.row}行·整改任务概述`, kind: 'overview' as const }] : []),
      ...r.targets.map((t) => ({ text: t.text, locator: `第${r.row}行·整改目标（${t.label}）`, kind: 'target' as const, item: t.label })),
    ];
    for (const c of cells) {
      for (const s of sentences(c.text)) {
        for (const d of datedClauses(s)) {
          if (c.kind === 'overview' && !d.label.startsWith('到')) continue;
          for (const core of splitTargets(coreOf(d.clause, places))) {
            out.push({
              document,
              task: `第${r.row}行`,
              locator: c.locator,
              sentence: s.replace(/[。；;]$/, ''),
              sourceText: s.replace(/[。；;]$/, ''),
              clause: d.clause,
              core,
              year: d.year,
              label: d.label,
              body: r.unit,
              spec: parseTarget(core),
              kind: c.kind,
              row: r.row,
              ...(c.item ? { item: c.item } : {}),
              order: start + out.length,
            });
          }
        }
      }
    }
  }
  return out;
}

function planCandidates(plan: Plan, document: string, places: string[], start: number): Candidate[] {
  const out: Candidate[] = [];
  for (const section of plan.sections) {
    section.paragraphs.forEach((p, i) => {
      for (const s of sentences(p)) {
        for (const d of datedClauses(s)) {
          if (!d.label.startsWith('到')) continue;
          const units = unitsNamedIn(s);
          for (const core of splitTargets(coreOf(d.clause, places))) {
            out.push({
              document,
              task: paragraphLocator(section, i, p),
              locator: paragraphLocator(section, i, p),
              sentence: s.replace(/[。；;]$/, ''),
              sourceText: s.replace(/[。；;]$/, ''),
              clause: d.clause,
              core,
              year: d.year,
              label: d.label,
              body: units.length ? units.join('、') : null,
              spec: parseTarget(core),
              kind: 'paragraph',
              order: start + out.length,
            });
          }
        }
      }
    });
  }
  for (const ind of plan.indicators) {
    for (const [year, value] of Object.entries(ind.targets)) {
      const y = Number(year);
      if (value === '*' || y <= (ind.current?.year ?? 0)) continue;
      const name = ind.name.replace(/[（(]%[）)]$/, '');
      const core = indicatorTitleCore(ind, value);
      const num = /^([\d.]+)\s*(%?)$/.exec(value);
      const pct = /[（(]%[）)]$/.test(ind.name) || num?.[2] === '%';
      const spec: TargetSpec = num
        ? {
            metric: name.replace(/(减少|降低|下降|提高|增加|增长)?(比例|幅度)$/, '') || name,
            op: /(减少|降低|下降)(比例|幅度|率)$/.test(name) ? 'decrease' : /(提高|增加|增长)(比例|幅度)$/.test(name) ? 'increase' : 'gte',
            value: Number(num[1]),
            unit: pct ? '%' : null,
          }
        : { metric: name, op: null, value: null, unit: null };
      const legacy = `到${y}年${name}${/^[\d.]+%?$/.test(value) ? '达到' : ''}${value}`;
      out.push({
        document,
        task: `${ind.table}第${ind.number}项`,
        locator: `${ind.table}第${ind.number}项`,
        sentence: `${ind.table}第${ind.number}项：${name}，${ind.current ? `${ind.current.year}年现状${ind.current.value}，` : ''}${y}年目标${value}${ind.departments.length ? `，责任部门${ind.departments.join('、')}` : ''}`,
        sourceText: name,
        clause: legacy,
        core,
        year: y,
        label: `到${y}年`,
        body: ind.departments.length ? ind.departments.join('、') : null,
        spec,
        kind: 'indicator',
        completion: ind.completion,
        order: start + out.length,
      });
    }
  }
  return out;
}

/** Unit names in a sentence (the plan names units seldom; when it does, they are responsible). */
function unitsNamedIn(text: string): string[] {
  return [...new Set(text.match(UNIT_PATTERN) ?? [])];
}

// ── Merging restatements ───────────────────────────────────────────────────────────────────────

function topicOf(c: Candidate): string {
  return c.spec.metric || metricWords(c.core);
}

/** How alike two candidates' targets are (0–1), or null when they cannot be one target. */
function sameTarget(a: Candidate, b: Candidate): number | null {
  if (a.document !== b.document || a.year !== b.year) return null;
  if (a.locator === b.locator && a.sentence === b.sentence) return null; // parts split on purpose
  const va = a.spec.value;
  const vb = b.spec.value;
  if (va !== null && vb !== null && (va !== vb || a.spec.unit !== b.spec.unit)) return null;
  // A row's overview restates its target cell: the looser test of containment.
  if (a.task === b.task && a.kind !== b.kind && (a.kind === 'overview' || b.kind === 'overview')) {
    const sim = bigramOverlap(topicOf(a), topicOf(b));
    return sim >= milestoneDefaults.mergeSameTask ? sim : null;
  }
  const sim = dice(topicOf(a), topicOf(b));
  if (va !== null && vb !== null) return sim >= milestoneDefaults.mergeSameValue ? sim : null;
  return sim >= milestoneDefaults.mergeOther ? sim : null;
}

/** Two rows of one table, or two target cells of one row, are different targets however alike. */
function distinct(x: Candidate[], y: Candidate[]): boolean {
  for (const a of x)
    for (const b of y) {
      if (a.kind === 'indicator' && b.kind === 'indicator') return true;
      if (a.kind === 'target' && b.kind === 'target' && a.task === b.task) return true;
      const va = a.spec.value;
      const vb = b.spec.value;
      if (va !== null && vb !== null && (va !== vb || a.spec.unit !== b.spec.unit)) return true;
    }
  return false;
}

/** Dice's coefficient of two texts' Han bigrams: how alike they are as a whole (0–1). */
function dice(a: string, b: string): number {
  const x = hanBigrams(a);
  const y = hanBigrams(b);
  if (x.size === 0 || y.size === 0) return 0;
  let n = 0;
  for (const t of x) if (y.has(t)) n++;
  return (2 * n) / (x.size + y.size);
}

/** Candidates grouped by target: the most alike pairs first, never joining distinct targets. */
function groups(cands: Candidate[]): Candidate[][] {
  const pairs: Array<{ i: number; j: number; sim: number }> = [];
  for (let i = 0; i < cands.length; i++)
    for (let j = i + 1; j < cands.length; j++) {
      const sim = sameTarget(cands[i] as Candidate, cands[j] as Candidate);
      if (sim !== null) pairs.push({ i, j, sim });
    }
  const groupOf = cands.map((_, i) => i);
  const members = new Map<number, Candidate[]>(cands.map((c, i) => [i, [c]]));
  for (const { i, j } of pairs.sort((a, b) => b.sim - a.sim)) {
    const gi = groupOf[i] as number;
    const gj = groupOf[j] as number;
    if (gi === gj) continue;
    const x = members.get(gi) as Candidate[];
    const y = members.get(gj) as Candidate[];
    if (distinct(x, y)) continue;
    const [keep, drop] = gi < gj ? [gi, gj] : [gj, gi];
    members.set(keep, [...(members.get(keep) as Candidate[]), ...(members.get(drop) as Candidate[])]);
    members.delete(drop);
    groupOf.forEach((g, k) => {
      if (g === drop) groupOf[k] = keep;
    });
  }
  return [...members.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

/** The source whose wording names the milestone: a figure first, then a table cell over prose. */
function primaryOf(group: Candidate[]): Candidate {
  const rank = (c: Candidate) => (c.spec.value !== null ? 2 : 0) + (c.kind === 'target' || c.kind === 'indicator' ? 1 : 0);
  return [...group].sort((a, b) => rank(b) - rank(a) || a.order - b.order)[0] as Candidate;
}

// ── Evidence ───────────────────────────────────────────────────────────────────────────────────

const MISSED_WORDS = /未完成|未达到|未达标|没有完成|未能完成|未能达到|尚未完成|尚未达到|不达标|未实现/;
const MET_WORDS =
  /超额完成|圆满完成|如期完成|全面完成|按期完成|提前完成|已经完成|已完成|完成了|达到(?:了)?(?:整改)?目标|达到[^，。；]{0,6}要求|销号验收|通过了?[^，。；]{0,12}验收|已实现|实现了/;

/** The latest year a result sentence speaks of, leaving out years inside titles and brackets. */
function yearOf(text: string): number | null {
  const bare = text.replace(/《[^》]*》/g, '').replace(/[（(][^）)]*[）)]/g, '');
  const years = [...bare.matchAll(/(20\d{2})\s*年/g)].map((m) => Number(m[1]));
  return years.length ? Math.max(...years) : null;
}

function resultSentences(input: BuildInput): ResultSentence[] {
  const doc = input.doc.id;
  const out: ResultSentence[] = [];
  if (input.table) {
    const anyEffects = input.table.records.some((r) => r.effects.length > 0);
    for (const r of input.table.records) {
      const items = anyEffects
        ? r.effects.map((e) => ({ ...e, locator: `第${r.row}行·成效（${e.label}）` }))
        : r.measures.map((e) => ({ ...e, locator: `第${r.row}行·整改措施（${e.label}）` }));
      for (const it of items) {
        const itemYear = yearOf(it.text);
        for (const s of sentences(it.text)) {
          if (datedClauses(s).some((d) => d.label.startsWith('到'))) continue;
          out.push({
            document: doc,
            locator: it.locator,
            text: s,
            item: it.text,
            year: yearOf(s) ?? itemYear,
            row: r.row,
            label: it.label,
          });
        }
      }
    }
  }
  if (input.plan) {
    for (const section of input.plan.sections) {
      section.paragraphs.forEach((p, i) => {
        for (const s of sentences(p)) {
          if (datedClauses(s).some((d) => d.label.startsWith('到'))) continue;
          out.push({ document: doc, locator: paragraphLocator(section, i, p), text: s, item: p, year: yearOf(s) });
        }
      });
    }
  }
  return out;
}

/** The year a document speaks as of: its manifest's `asOf` when given, else the latest year its results name. */
function asOfYear(input: BuildInput, results: ResultSentence[]): number | null {
  const declared = (input.doc as DocumentInfo & { asOf?: string | number }).asOf;
  const y = declared !== undefined ? Number(String(declared).slice(0, 4)) : Number.NaN;
  if (Number.isFinite(y)) return y;
  const years = results.map((r) => r.year).filter((x): x is number => x !== null);
  return years.length ? Math.max(...years) : null;
}

/** The words of a result to quote: its sentence, or its item when the sentence alone says little. */
const quoted = (r: ResultSentence) => (r.text.length >= 20 ? r.text : clip(r.item.replace(/\n/g, ''), 120));

const fmt = (v: number, unit: string | null) => `${v}${unit ?? ''}`;

/** Compares a figure of a result with a target: met, missed, or nothing to say. */
function compare(spec: TargetSpec, v: number, clause: string): { outcome: 'met' | 'missed'; reason: string } | null {
  const t = spec.value as number;
  const u = spec.unit;
  switch (spec.op) {
    case 'gte':
      return v >= t
        ? { outcome: 'met', reason: `${fmt(v, u)} ≥ ${fmt(t, u)}` }
        : { outcome: 'missed', reason: `${fmt(v, u)} < ${fmt(t, u)}` };
    case 'lte':
      return v <= t
        ? { outcome: 'met', reason: `${fmt(v, u)} ≤ ${fmt(t, u)}` }
        : { outcome: 'missed', reason: `${fmt(v, u)} > ${fmt(t, u)}` };
    case 'decrease':
    case 'increase': {
      const want = spec.op === 'decrease' ? DECREASE : INCREASE;
      const against = spec.op === 'decrease' ? INCREASE : DECREASE;
      const word = spec.op === 'decrease' ? '减少' : '增加';
      if (want.test(clause)) {
        return v >= t
          ? { outcome: 'met', reason: `${word}${fmt(v, u)} ≥ ${fmt(t, u)}` }
          : { outcome: 'missed', reason: `${word}${fmt(v, u)} < ${fmt(t, u)}` };
      }
      if (against.test(clause)) return { outcome: 'missed', reason: `反向变化 ${fmt(v, u)}` };
      return null;
    }
    default:
      return null;
  }
}

/** The best evidence for one candidate among the results of its document. */
function evidenceFor(c: Candidate, results: ResultSentence[], asOf: number | null): (MilestoneEvidence & { score: number }) | null {
  if (c.completion) {
    const done = MISSED_WORDS.test(c.completion) ? 'missed' : /完成|达到|达标|实现/.test(c.completion) ? 'met' : null;
    if (done)
      return {
        outcome: done,
        document: c.document,
        locator: c.locator,
        text: `完成情况：${c.completion}`,
        reason: `“${c.completion}”`,
        year: c.year,
        score: 2,
      };
  }
  const eligible = results.filter((r) => (r.year ?? asOf ?? 0) >= c.year);
  const metric = hanBigrams(topicOf(c));
  let best: (MilestoneEvidence & { score: number }) | null = null;
  const consider = (e: MilestoneEvidence & { score: number }) => {
    if (!best || e.score > best.score) best = e;
  };
  const paired = (r: ResultSentence) =>
    r.row !== undefined && r.row === c.row && r.label === c.item ? milestoneDefaults.pairedItemBonus : 0;
  if (c.spec.value !== null && c.spec.op !== null) {
    for (const r of eligible) {
      const parts = r.text.split(/[，,；;]/);
      parts.forEach((part, i) => {
        for (const f of part.matchAll(FIGURE)) {
          const unit = f[2] ? f[2].replace('％', '%') : null;
          if (unit !== c.spec.unit || /^\s*年/.test(part.slice((f.index ?? 0) + f[0].length))) continue;
          const own = bigramOverlap(metric, part);
          const bare = part.replace(FIGURE, '').replace(/降幅|增幅|达到|已达|达|为|约|较上年|同比/g, '');
          const sim =
            own > 0 ? own : bare.replace(/[^\u4e00-\u9fa5]/g, '').length <= 3 ? 0.9 * bigramOverlap(metric, parts[i - 1] ?? '') : 0;
          if (sim < milestoneDefaults.metricMatch) continue;
          const verdict = compare(c.spec, Number(f[1]), part);
          if (!verdict) continue;
          consider({
            ...verdict,
            document: r.document,
            locator: r.locator,
            text: quoted(r),
            year: r.year ?? asOf,
            score: 1 + sim + paired(r),
          });
        }
      });
    }
    if (best) return best;
  }
  const topic = hanBigrams(metricWords(c.core));
  for (const r of eligible) {
    const missed = MISSED_WORDS.exec(r.text);
    const met = missed ? null : MET_WORDS.exec(r.text);
    const word = missed?.[0] ?? met?.[0];
    if (!word) continue;
    const sim = Math.max(bigramOverlap(topic, r.text), bigramOverlap(topic, r.item));
    if (sim + paired(r) < milestoneDefaults.outcomeTopicMatch) continue;
    consider({
      outcome: missed ? 'missed' : 'met',
      document: r.document,
      locator: r.locator,
      text: quoted(r),
      reason: `“${word}”`,
      year: r.year ?? asOf,
      score: sim + paired(r),
    });
  }
  return best;
}

// ── Who does it ────────────────────────────────────────────────────────────────────────────────

/** The level character of a jurisdiction: 区 of "江津区", 县 of "青山县人民政府". */
function levelOf(body: string): string | null {
  return /[区县市旗]$/.exec(body.replace(/(人民政府|政府)$/, ''))?.[0] ?? null;
}

/** The level character most units named in some texts start with. */
function commonLevel(texts: string[]): string | null {
  const counts = new Map<string, number>();
  for (const t of texts)
    for (let i = 0; i < t.length; i++) {
      const m = UNIT_AT.exec(t.slice(i, i + 16));
      if (m) counts.set(m[0][0] as string, (counts.get(m[0][0] as string) ?? 0) + 1);
    }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

const DOER_VERBS = /^(?:牵头|负责|成立|组建|组织|联合|会同|召开|印发|制定|出台|开展|实施|推进|督促|指导|落实)/;

/** Units of the body's level that the row's measures name, those that act scoring higher. */
function doersIn(texts: string[], level: string): Array<{ unit: string; score: number; sentence: string }> {
  const found = new Map<string, { unit: string; score: number; sentence: string; best: number }>();
  for (const t of texts) {
    for (const s of sentences(t)) {
      for (let i = s.indexOf(level); i >= 0; i = s.indexOf(level, i + 1)) {
        const m = UNIT_AT.exec(s.slice(i));
        if (!m) continue;
        const acts = DOER_VERBS.test(s.slice(i + m[0].length).replace(/^(?:专班|工作专班)/, '')) ? 2 : 1;
        // "…委员会" and its usual short form "…委" are one unit.
        const unit = m[0].replace(/委员会$/, '委');
        const f = found.get(unit) ?? { unit, score: 0, sentence: s, best: 0 };
        f.score += acts;
        if (acts > f.best) {
          f.best = acts;
          f.sentence = s;
        }
        found.set(unit, f);
      }
    }
  }
  const list = [...found.values()].sort((a, b) => b.score - a.score);
  const top = list[0]?.score ?? 0;
  return list.filter((d) => d.score >= top * milestoneDefaults.doerShare).map(({ unit, score, sentence }) => ({ unit, score, sentence }));
}

function seedsFor(group: Candidate[], input: BuildInput, key: string): UnitSeed[] {
  const seeds: UnitSeed[] = [];
  const add = (s: UnitSeed) => {
    if (!seeds.some((x) => x.document === s.document && x.scope === s.scope && x.body === s.body && x.unit === s.unit)) seeds.push(s);
  };
  for (const c of group) {
    if (c.body === null) continue;
    const parts = bodyParts(c.body);
    if (parts.length > 0 && parts.every(isUnitName)) {
      for (const u of parts) add({ document: '*', scope: '*', body: c.body, unit: u, state: 'stated', reason: `${c.locator}写明` });
      continue;
    }
    // A jurisdiction (or another body no one can bind): who the row's own text says does the work,
    // among the units of the jurisdiction's level (a 县's units start with 县).
    const row = c.row !== undefined ? input.table?.records[c.row - 1] : undefined;
    if (!row) continue;
    const texts = [...row.measures.map((m) => m.text), ...row.effects.map((e) => e.text)];
    const level = isJurisdiction(c.body) ? levelOf(c.body) : commonLevel(texts);
    if (!level) continue;
    for (const d of doersIn(texts, level)) {
      add({
        document: c.document,
        scope: c.task,
        body: c.body,
        unit: d.unit,
        state: 'inferred',
        reason: `第${c.row}行措施：${clip(d.sentence, 60)}`,
      });
    }
  }
  if (seeds.length === 0 && group.every((c) => c.body === null) && input.plan) {
    // A plan target that names no unit: the departments of the 专栏 row on the same topic.
    const topic = topicOf(primaryOf(group));
    let best: { ind: Indicator; sim: number } | null = null;
    for (const ind of input.plan.indicators) {
      if (ind.departments.length === 0) continue;
      const sim = dice(topic, ind.name.replace(/[（(]%[）)]$/, ''));
      if (sim >= milestoneDefaults.indicatorTopicMatch && (!best || sim > best.sim)) best = { ind, sim };
    }
    if (best) {
      // Scoped to this milestone: other targets of the same paragraph may belong to others.
      for (const u of best.ind.departments) {
        add({
          document: input.doc.id,
          scope: key,
          body: '',
          unit: u,
          state: 'inferred',
          reason: `与${best.ind.table}第${best.ind.number}项（${best.ind.name}）同一主题，该项责任部门`,
        });
      }
    }
  }
  return seeds;
}

// ── Assembly ───────────────────────────────────────────────────────────────────────────────────

/** One document to take milestones from. */
export interface BuildInput {
  doc: DocumentInfo;
  table?: RecordsTable;
  plan?: Plan;
}

function dueDateOf(year: number): string {
  return `${year}-12-31`;
}

/** The milestones of every document: candidates, merged per document, with evidence and unit seeds. */
export function buildMilestones(inputs: BuildInput[]): Milestone[] {
  const tablePlaces = inputs.flatMap((i) => (i.table?.records ?? []).map((r) => r.unit ?? '').filter((u) => u && isJurisdiction(u)));
  const out: Milestone[] = [];
  for (const input of inputs) {
    const doc = input.doc.id;
    const planTexts = input.plan ? input.plan.sections.flatMap((s) => s.paragraphs) : [];
    const places = [...new Set([...tablePlaces, ...dominantPlace(planTexts)])].sort((a, b) => b.length - a.length);
    const cands = [
      ...(input.table ? recordCandidates(input.table, doc, places, 0) : []),
      ...(input.plan ? planCandidates(input.plan, doc, places, 100_000) : []),
    ];
    const results = resultSentences(input);
    const asOf = asOfYear(input, results);
    for (const group of groups(cands)) {
      const primary = primaryOf(group);
      const ordered = [primary, ...group.filter((c) => c !== primary).sort((a, b) => a.order - b.order)];
      const title = titleOf(primary.core, primary.year);
      let evidence: (MilestoneEvidence & { score: number }) | null = null;
      for (const c of ordered) {
        const e = evidenceFor(c, results, asOf);
        if (e && (!evidence || e.score > evidence.score)) evidence = e;
      }
      const sources: MilestoneSource[] = [];
      for (const c of ordered)
        if (!sources.some((s) => s.locator === c.locator && s.text === c.sourceText))
          sources.push({ document: doc, locator: c.locator, text: c.sourceText, body: c.body, task: c.task });
      const { score: _score, ...kept } = evidence ?? { score: 0 };
      const key = keyOf(doc, `${primary.locator}\u0000${title}`);
      out.push({
        key,
        title,
        text: primary.sentence,
        year: primary.year,
        dueDate: dueDateOf(primary.year),
        dueLabel: primary.label,
        unit: primary.body ?? ordered.find((c) => c.body)?.body ?? null,
        document: doc,
        locator: primary.locator,
        sources,
        target: primary.spec.metric || primary.spec.value !== null ? primary.spec : null,
        outcome: evidence ? evidence.outcome : 'unreported',
        evidence: evidence ? (kept as MilestoneEvidence) : null,
        unitSeeds: seedsFor(ordered, input, key),
        aliases: [...new Set(ordered.map((c) => keyOf(doc, `${c.locator}\u0000${c.clause}`)))],
      });
    }
  }
  return out;
}

function docInfo(id: string, kind: DocumentInfo['kind']): DocumentInfo {
  return { id, kind, file: '', title: id, shortTitle: id, titleEn: id, asOf: null, scope: [] };
}

/** The milestones of a rectification table alone. */
export function recordMilestones(table: RecordsTable, document: string): Milestone[] {
  return buildMilestones([{ doc: docInfo(document, 'records'), table }]);
}

/** The milestones of a plan alone: forward-looking dated clauses and indicator targets. */
export function planMilestones(plan: Plan, document: string): Milestone[] {
  return buildMilestones([{ doc: docInfo(document, 'plan'), plan }]);
}
