/**
 * Responsible units: for the thing asked, the body the documents make responsible — a table row's
 * 责任单位 cell and the body its measures name as doing the work, an indicator's 责任部门, or the
 * bodies a plan paragraph names. Never every department of a document.
 */
import type { Statement } from '../../evidence/statements.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { cite, excerpt, freshness, say, sourceOf } from '../render.js';
import type { Scored } from '../retrieve.js';
import type { Answer } from '../types.js';
import { recordOf } from './contact.js';

/** Whether a sentence names a body as doing the work ("区农业农村委成立了…工作专班"), not only mentioning it. */
export function acting(s: Statement): boolean {
  return s.units.some((u) => new RegExp(`${u}[^，。；]{0,6}(牵头|负责|成立|组织|主导|承担|会同|联合|印发|制定)`).test(s.text));
}

/** The bodies one hit makes responsible: its row's 责任单位 and the bodies it names, or its indicator's departments. */
function bodiesOf(c: AnswerContext, h: Scored, hits: Scored[]): { units: string[]; listed: string | null; by: Statement } {
  const p = h.statement.passage;
  if (p.kind === 'indicator' && p.indicator !== undefined) {
    return { units: c.deps.kb.indicators[p.indicator]?.departments ?? [], listed: null, by: h.statement };
  }
  const record = recordOf(c, p.document, p.row);
  if (record) {
    // The row's measures often say who does the work ("区农业农村委成立了工作专班").
    // Of the row's sentences that name a body, one that has it do the work, then the best match.
    const rowStatements = c.deps.kb.passages
      .filter((q) => q.document === p.document && q.row === p.row)
      .flatMap((q) => c.deps.statements.ofPassage(q.id))
      .filter((s) => s.units.length > 0);
    const score = (s: Statement) => (acting(s) ? 10 : 0) + (hits.find((x) => x.statement.id === s.id)?.coverage ?? 0);
    const naming = rowStatements.sort((a, b) => score(b) - score(a))[0];
    const units = [...new Set([...(record.unit ? [record.unit] : []), ...(naming ? naming.units.slice(0, 2) : [])])];
    return { units, listed: record.unit, by: naming ?? h.statement };
  }
  const own = h.statement.units.length ? h.statement.units : [...new Set(c.deps.statements.ofPassage(p.id).flatMap((s) => s.units))];
  return { units: own, listed: null, by: h.statement };
}

/** Who the documents make responsible for what the hits are about: the first good hit that names anyone. */
export function respondents(c: AnswerContext, hits: Scored[]): { units: string[]; listed: string | null; by: Statement | null } {
  for (const h of hits) {
    const b = bodiesOf(c, h, hits);
    if (b.units.length) return b;
  }
  return { units: [], listed: null, by: hits[0]?.statement ?? null };
}

/** The header of a table's responsible-body column, as the table has it. */
function listedLabel(c: AnswerContext, s: Statement): string {
  return c.deps.kb.parsed.find((d) => d.info.id === s.passage.document)?.table?.columns[1] ?? '责任单位';
}

/** The unit handler. */
export function unit(c: AnswerContext): Answer | null {
  if (!c.types.includes('unit')) return null;
  const known = c.terms.filter((t) => t.known);
  if (known.length === 0) {
    // "规划的责任部门有哪些": the bodies a document names, most often named first.
    const docs = c.deps.kb.documents.filter((d) => c.query.normalized.includes(d.shortTitle.replace(/[“”"《》]/g, '').slice(-2)));
    if (docs.length) {
      const counts = new Map<string, number>();
      for (const s of c.deps.statements.statements) {
        if (!docs.some((d) => d.id === s.passage.document)) continue;
        for (const u of s.units) counts.set(u, (counts.get(u) ?? 0) + 1);
      }
      for (const ind of c.deps.kb.indicators)
        if (docs.some((d) => d.id === ind.document)) for (const u of ind.departments) counts.set(u, (counts.get(u) ?? 0) + 3);
      const units = [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([u]) => u)
        .slice(0, 8);
      if (units.length) {
        const names = docs.map((d) => `《${d.shortTitle}》`).join('、');
        return answerOf(
          c,
          'unit',
          true,
          say(
            c.lang,
            `${names}中写明的责任单位和部门主要有：${units.join('、')}（${freshness(docs[0], c.lang)}）`,
            `Bodies named in ${docs.map((d) => d.titleEn).join('; ')}: ${units.join(', ')}`,
          ),
        );
      }
    }
    return answerOf(
      c,
      'unit',
      false,
      say(
        c.lang,
        '请告诉我是哪一项工作，例如“尾水整改谁负责？”',
        'Which task do you mean? For example: "Who is responsible for tailwater rectification?"',
      ),
    );
  }
  const hits = c.search(c.terms, ['unit']).filter((h) => h.coverage >= c.options.minCoverage * 0.8);
  const who = respondents(c, hits);
  if (!who.by || who.units.length === 0) {
    const topic = known.map((t) => t.text).join('');
    const text = say(
      c.lang,
      `文件没有写明${topic}的责任单位。`,
      `The records do not name the unit responsible for ${known.map((t) => t.text).join(' ')}.`,
    );
    if (!who.by) return answerOf(c, 'unit', false, text);
    const d = c.doc(who.by.passage.document);
    return answerOf(
      c,
      'unit',
      false,
      `${text}${say(c.lang, `相关的记载是：${excerpt(who.by, c.terms, [])}`, ` Related: 「${excerpt(who.by, c.terms, [])}」`)}${cite(who.by, d, c.lang)}`,
      [sourceOf(who.by, d)],
      [who.by],
    );
  }
  const s = who.by;
  const doc = c.doc(s.passage.document);
  const listed = who.listed
    ? say(c.lang, `${listedLabel(c, s)}（台账所列）：${who.listed}。`, `Responsible unit listed in the records: ${who.listed}. `)
    : '';
  const others = who.units.filter((u) => u !== who.listed);
  const named = others.length
    ? say(
        c.lang,
        `${listed ? '具体由' : '负责单位：'}${others.join('、')}${listed ? '承担' : ''}。`,
        `${listed ? 'Handled by' : 'Responsible'}: ${others.join(', ')}. `,
      )
    : '';
  const quote = say(c.lang, `依据：${excerpt(s, c.terms, ['unit'])}`, `Source text: 「${excerpt(s, c.terms, ['unit'])}」`);
  return answerOf(c, 'unit', true, `${listed}${named}${quote}${cite(s, doc, c.lang)}`, [sourceOf(s, doc)], [s]);
}
