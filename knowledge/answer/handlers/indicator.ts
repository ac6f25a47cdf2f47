/**
 * Indicators (the plan's 专栏 rows): the value for the asked year, the target, type and department,
 * read from the row itself; and, beside it, any sentence of any document that states the same
 * measure for the same year with another value — a conflict shown with both sources.
 */
import { normalize } from '../../../core/text.js';
import { type DocIndicator, indicatorName, indicatorValue } from '../../base.js';
import type { Statement } from '../../evidence/statements.js';
import { tokensOfNormalized } from '../../search/tokenizer.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { cite, excerpt, say, sourceOf, withGloss, withinLength } from '../render.js';
import { holdsType } from '../retrieve.js';
import type { Answer } from '../types.js';

/** One measure of a document's indicator tables: the rows (in any table) that share its name. */
export interface Measure {
  name: string;
  /** The bigrams of the normalised name. */
  grams: Set<string>;
  document: string;
  rows: Array<{ ind: DocIndicator; index: number }>;
  /** Every stated value: year, whether it is a current value or a target, and the value as written. */
  entries: Array<{ year: number; kind: 'current' | 'target'; value: string; ind: DocIndicator; index: number }>;
}

/** Measures by knowledge base: grouping and normalising names once, not per question. */
const measureCache = new WeakMap<object, Measure[]>();

/** The indicators of the documents in scope, grouped by measure (built once per knowledge base). */
export function measures(c: AnswerContext): Measure[] {
  let all = measureCache.get(c.deps.kb);
  if (!all) {
    all = groupMeasures(c.deps.kb.indicators);
    measureCache.set(c.deps.kb, all);
  }
  return c.documents ? all.filter((m) => c.documents?.has(m.document)) : all;
}

function groupMeasures(indicators: DocIndicator[]): Measure[] {
  const byKey = new Map<string, Measure>();
  indicators.forEach((ind, index) => {
    const name = indicatorName(ind);
    const key = `${ind.document}\u0000${normalize(name)}`;
    const m = byKey.get(key) ?? {
      name,
      grams: new Set(tokensOfNormalized(normalize(name))),
      document: ind.document,
      rows: [],
      entries: [],
    };
    byKey.set(key, m);
    m.rows.push({ ind, index });
    const add = (e: Measure['entries'][number]) => {
      // The same value restated in a second table is one entry.
      if (!m.entries.some((x) => x.year === e.year && x.kind === e.kind && x.value === e.value)) m.entries.push(e);
    };
    if (ind.current) add({ year: ind.current.year, kind: 'current', value: ind.current.value, ind, index });
    for (const [y, value] of Object.entries(ind.targets)) add({ year: Number(y), kind: 'target', value, ind, index });
  });
  return [...byKey.values()];
}

/** The measure a question means, if any: its name covers the question and the question its name. */
export function findMeasure(c: AnswerContext): Measure | null {
  // Words the documents lack count against a name too ("结杆综合利用率" is not another thing's 综合利用率).
  const terms = c.terms;
  const total = terms.reduce((s, t) => s + t.weight, 0) + c.query.terms.filter((t) => t.salient).reduce((s, t) => s + t.weight, 0);
  if (total === 0) return null;
  const qGrams = new Set(terms.flatMap((t) => t.grams.flat()));
  let best: { m: Measure; score: number } | null = null;
  for (const m of measures(c)) {
    const name = m.grams;
    if (name.size === 0) continue;
    let covered = 0;
    for (const t of terms)
      if (t.grams.some((g) => g.length > 0 && g.filter((x) => name.has(x)).length / g.length >= c.options.indicatorTermShare))
        covered += t.weight;
    const qCov = covered / total;
    const nameShare = [...name].filter((g) => qGrams.has(g)).length / name.size;
    // A long name ("某某类用地地块安全利用率") is meant by a few of its words when they are all the question says.
    const fits =
      (qCov >= c.options.indicatorCoverage && nameShare >= c.options.indicatorNameShare) ||
      (qCov >= 0.85 && nameShare >= c.options.indicatorNameShare * 0.6);
    if (!fits) continue;
    // Of two measures that fit alike, the one that states the asked year.
    const yearFit = c.years.length && m.entries.some((e) => c.years.includes(e.year) && e.value !== '*') ? 0.5 : 0;
    const score = qCov + nameShare + yearFit;
    if (!best || score > best.score) best = { m, score };
  }
  return best?.m ?? null;
}

/** Where a sentence states a measure of that name: the name itself, or its end ("…覆盖率") with most of its bigrams before it. */
function measureAt(norm: string, name: string, share: number): number {
  const exact = norm.indexOf(name);
  if (exact >= 0) return exact;
  const tail = name.slice(-3);
  const at = norm.indexOf(tail);
  if (at < 0) return -1;
  const grams = tokensOfNormalized(name);
  const window = new Set(tokensOfNormalized(norm.slice(Math.max(0, at - name.length * 2), at + tail.length)));
  return grams.filter((g) => window.has(g)).length / grams.length >= share ? Math.max(0, at + tail.length - name.length) : -1;
}

/** Sentences elsewhere that state the same measure's actual value, for the given year. */
export function sameMeasure(c: AnswerContext, name: string, year: number | null): Statement[] {
  const n = normalize(name);
  return c.deps.statements.statements.filter((s) => {
    if (s.passage.kind === 'indicator' || s.passage.kind === 'target') return false;
    if (c.documents && !c.documents.has(s.passage.document)) return false;
    const at = measureAt(s.norm, n, c.options.sameMeasureShare);
    if (at < 0) return false;
    // A target ("到2025年…达到") is no actual value to compare with.
    if (/到\s*20\d{2}\s*年/.test(s.norm.slice(Math.max(0, at - 12), at))) return false;
    if (!/\d/.test(s.norm.slice(at + n.length, at + n.length + 14))) return false;
    return year === null || s.years.length === 0 || s.years.includes(year);
  });
}

const num = (v: string) => v.replace(/[%\s]/g, '');

/** The indicator handler. */
export function indicator(c: AnswerContext): Answer | null {
  // Indicators are rates: a question for a count or an amount ("好多亩") is not about them.
  if (
    c.types.some((t) => t === 'document' || t === 'person' || t === 'place' || t === 'list' || t === 'measure') ||
    c.query.valueUnits.length
  )
    return null;
  // "完成了吗": what happened stands in a table's results column, when it covers the question.
  if (c.types.includes('progress') && c.hits().some((h) => h.statement.passage.kind === 'effect' && h.coverage >= c.options.minCoverage))
    return null;
  const m = findMeasure(c);
  if (!m) return null;
  const doc = c.doc(m.document);
  // "台账里头X是好多": a question that names another kind of document is not asked of this table.
  if (doc && c.query.documentKinds.length && !c.query.documentKinds.includes(doc.kind)) return null;
  const rowStatement = (index: number) => {
    const passage = c.deps.kb.passages.find((p) => p.kind === 'indicator' && p.indicator === index);
    return passage ? c.deps.statements.ofPassage(passage.id)[0] : undefined;
  };
  const rows = m.rows.map((r) => rowStatement(r.index)).filter((s): s is Statement => !!s);
  const first = rows[0];
  if (!first) return null;
  const where = (s: Statement) => cite(s, doc, c.lang);
  const label = (k: 'current' | 'target') => (k === 'current' ? say(c.lang, '现状值', 'current value') : say(c.lang, '目标值', 'target'));
  const gloss = (zh: string) => withGloss(zh, c.deps.lexicon.glossary, c.lang);
  const enValue = (e: Measure['entries'][number]) => (e.value === '*' ? '* (no figure in the table)' : indicatorValue(e.ind, e.value));
  const show = (e: Measure['entries'][number]) =>
    say(c.lang, `${e.year}年${label(e.kind)}${indicatorValue(e.ind, e.value)}`, `${e.year} ${label(e.kind)}: ${enValue(e)}`);
  const departments = [...new Set(m.rows.flatMap((r) => r.ind.departments))];
  const types = [...new Set(m.rows.map((r) => r.ind.type).filter(Boolean))];
  const srcOf = (s: Statement) => sourceOf(s, doc);

  if (c.types.includes('unit')) {
    if (!departments.length) return null;
    return answerOf(
      c,
      'unit',
      true,
      say(
        c.lang,
        `${m.name}的责任部门：${departments.join('、')}${where(first)}`,
        `${gloss(m.name)}: responsible department ${departments.map(gloss).join(', ')}${where(first)}`,
      ),
      [srcOf(first)],
      [first],
    );
  }
  const asked = c.years;
  let entries = m.entries;
  if (asked.length) {
    entries = m.entries.filter((e) => asked.includes(e.year));
    // The table has no value for that year: the text may (a plan's "到2025年…达到100%"); else the
    // general handler says which years are stated.
    if (entries.length === 0) return null;
  }
  // A target question wants targets first; others the current value first. When the table sets no
  // target for the asked year ("*"), a sentence of the text may: the general handler looks.
  const wantsTarget = c.types.includes('target');
  if (wantsTarget && entries.filter((e) => e.kind === 'target').every((e) => e.value === '*')) {
    const year = asked[0] ?? null;
    // Cited where the open target stands (the plan's own table), not where the name first occurs.
    const at = entries.find((e) => e.kind === 'target');
    const row = (at && rowStatement(at.index)) || first;
    const stated = c
      .hits()
      .some(
        (h) =>
          h.statement.passage.kind !== 'indicator' &&
          h.coverage >= c.options.minCoverage &&
          holdsType(h.statement, 'target') &&
          (year === null || h.statement.years.includes(year)),
      );
    if (stated) return null;
    const text = say(
      c.lang,
      `${m.name}：${year ? `${year}年` : ''}目标值表中未列具体数值（*）${
        m.entries.some((e) => e.kind === 'current')
          ? `；${m.entries
              .filter((e) => e.kind === 'current')
              .map(show)
              .join('，')}`
          : ''
      }${where(row)}`,
      `${m.name}: the table sets no ${year ?? ''} target value (*)${where(row)}`,
    );
    return answerOf(c, 'indicator', false, text, [row, ...rows.filter((r) => r !== row)].map(srcOf), rows);
  }
  entries = [...entries].sort((a, b) => (a.kind === b.kind ? a.year - b.year : (a.kind === 'target') === wantsTarget ? -1 : 1));
  const used = [...new Set(entries.map((e) => rowStatement(e.index)).filter((s): s is Statement => !!s))];
  const completion = [...new Set(m.rows.map((r) => r.ind.completion).filter(Boolean))];
  // A target is read against where things stood: the current value goes with it.
  const baseline = asked.length && entries.every((e) => e.kind === 'target') ? m.entries.filter((e) => e.kind === 'current') : [];
  const extra = [
    baseline.length ? say(c.lang, `（${baseline.map(show).join('，')}）`, ` (${baseline.map(show).join('; ')})`) : '',
    types.length ? say(c.lang, `（${types.join('、')}指标）`, ` (${types.map((t) => gloss(t as string)).join(', ')})`) : '',
    completion.length
      ? say(c.lang, `，完成情况：${completion.join('、')}`, `; status: ${completion.map((t) => gloss(t as string)).join(', ')}`)
      : '',
    departments.length ? say(c.lang, `，责任部门：${departments.join('、')}`, `; department: ${departments.map(gloss).join(', ')}`) : '',
  ];
  const head = say(
    c.lang,
    `${m.name}：${entries.map(show).join('，')}${extra.join('')}`,
    `${gloss(m.name)}: ${entries.map(show).join('; ')}${extra.join('')}`,
  );
  const cites = used.map(where).join('');
  const currentYear = entries.find((e) => e.kind === 'current')?.year ?? null;
  const current = entries.find((e) => e.kind === 'current');
  const conflicts = current
    ? sameMeasure(c, m.name, currentYear).filter((s) => !s.values.some((x) => num(current.value) === String(x.number)))
    : [];
  // Another document that states a figure for the same thing and year, though not under this
  // indicator's name ("化肥使用量较上年减少551.3吨，降幅1.14%" beside "化肥农药使用总量减少比例 1.5%").
  if (conflicts.length === 0) {
    const years = entries.map((e) => e.year);
    const other = c
      .hits()
      .find(
        (h) =>
          h.statement.passage.document !== m.document &&
          h.coverage >= c.options.minCoverage &&
          h.statement.values.some((v) => v.kind === 'percent' || v.kind === 'weight' || v.kind === 'count') &&
          h.statement.years.some((y) => years.includes(y)) &&
          h.statement.passage.kind !== 'target',
      );
    if (other) conflicts.push(other.statement);
  }
  const more = conflicts.slice(0, 1).map((s) => {
    const d = c.doc(s.passage.document);
    return say(
      c.lang,
      `。另据：${excerpt(s, c.terms, ['value'])}${cite(s, d, c.lang)}——两处数值不同。`,
      `. Elsewhere: 「${excerpt(s, c.terms, ['value'])}」${cite(s, d, c.lang)} — the two figures differ.`,
    );
  });
  const unset = entries.every((e) => e.value === '*');
  return answerOf(
    c,
    'indicator',
    !unset,
    withinLength([head, cites, ...more], more.length ? c.options.maxConflictLength : c.options.maxLength),
    [...used.map(srcOf), ...conflicts.slice(0, 1).map((s) => sourceOf(s, c.doc(s.passage.document)))],
    [...used, ...conflicts.slice(0, 1)],
  );
}
