/**
 * Extraction of dated targets (milestones) from the parsed documents: every target of the
 * rectification table that names a year, every "到20XX年…" clause of the plan that looks ahead
 * (not "从2020年到2022年…" or "截至2020年"), and every 专栏 indicator with a stated target value.
 */
import { createHash } from 'node:crypto';
import { sentences } from '../../core/text.js';
import type { Indicator, Plan } from './plan.js';
import type { RecordsTable } from './records.js';

/** A dated target, with the unit that the text makes responsible (null when it names none). */
export interface Milestone {
  /** Stable across runs for the same text: a hash of source and title. */
  key: string;
  title: string;
  /** The year of the due date. */
  year: number;
  /** YYYY-MM-DD: the last day of the year (targets are stated as 到20XX年 / 20XX年底). */
  dueDate: string;
  /** The wording of the deadline as written: 到2022年底前, 到2025年 … */
  dueLabel: string;
  unit: string | null;
  document: string;
  locator: string;
}

/** Unit names as the documents write them: 区农业农村委, 区生态环境局, 区规划和自然资源局 … */
export const UNIT_PATTERN = /[区市](?:[\u4e00-\u9fa5]{1,10}?)(?:委员会|局|委|办|厅|中心)/g;

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
    // "从2020年到2022年" and "截至2020年" report the past; a lone year inside a title or a
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

function unitsIn(text: string): string[] {
  return [...new Set(text.match(UNIT_PATTERN) ?? [])];
}

/** Extracts the milestones of the rectification table. */
export function recordMilestones(table: RecordsTable, document: string): Milestone[] {
  const out: Milestone[] = [];
  for (const r of table.records) {
    const cells: Array<{ text: string; locator: string }> = [
      ...(r.overview ? [{ text: r.overview, locator: `第${r.row}行·整改任务概述` }] : []),
      ...r.targets.map((t) => ({ text: t.text, locator: `第${r.row}行·整改目标（${t.label}）` })),
    ];
    for (const c of cells) {
      for (const s of sentences(c.text)) {
        const isTargetCell = c.locator.includes('整改目标');
        for (const d of datedClauses(s)) {
          if (!isTargetCell && !d.label.startsWith('到')) continue;
          out.push(milestone(d, r.unit, document, c.locator));
        }
      }
    }
  }
  return dedupe(out);
}

/** Extracts the milestones of the plan: forward-looking dated clauses and indicator targets. */
export function planMilestones(plan: Plan, document: string): Milestone[] {
  const out: Milestone[] = [];
  for (const section of plan.sections) {
    section.paragraphs.forEach((p, i) => {
      for (const s of sentences(p)) {
        for (const d of datedClauses(s)) {
          if (!d.label.startsWith('到')) continue;
          const units = unitsIn(s);
          out.push(milestone(d, units.length ? units.join('、') : null, document, paragraphLocator(section, i, p)));
        }
      }
    });
  }
  for (const ind of plan.indicators) out.push(...indicatorMilestones(ind, document));
  return dedupe(out);
}

/** A 专栏 indicator with a concrete target for a year after its current value is a milestone. */
function indicatorMilestones(ind: Indicator, document: string): Milestone[] {
  return Object.entries(ind.targets)
    .filter(([year, value]) => value !== '*' && Number(year) > (ind.current?.year ?? 0))
    .map(([year, value]) => {
      const y = Number(year);
      return milestone(
        {
          clause: `到${y}年${ind.name.replace(/[（(]%[）)]$/, '')}${/^[\d.]+%?$/.test(value) ? '达到' : ''}${value}`,
          year: y,
          label: `到${y}年`,
        },
        ind.departments.length ? ind.departments.join('、') : null,
        document,
        `${ind.table}第${ind.number}项`,
      );
    });
}

function milestone(d: { clause: string; year: number; label: string }, unit: string | null, document: string, locator: string): Milestone {
  return {
    key: keyOf(document, `${locator}\u0000${d.clause}`),
    title: d.clause,
    year: d.year,
    dueDate: `${d.year}-12-31`,
    dueLabel: d.label,
    unit,
    document,
    locator,
  };
}

function dedupe(list: Milestone[]): Milestone[] {
  const seen = new Set<string>();
  return list.filter((m) => {
    const k = `${m.document}|${m.dueDate}|${m.title}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
