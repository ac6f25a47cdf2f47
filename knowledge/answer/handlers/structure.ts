/**
 * Questions about the documents' own structure: a table's columns and rows ("整改时间那栏填的啥",
 * "第一条任务概述"), a plan's 专栏 tables ("专栏2有几个指标", "专栏2第9项", "哪几个是约束性指标"),
 * its chapters and sections ("第四章讲啥", "保障措施有哪几条"). Read off the parsed documents,
 * whatever they are.
 */
import { clip, normalize } from '../../../core/text.js';
import { describeIndicator, type ParsedDocument } from '../../base.js';
import { valuesIn } from '../../evidence/statements.js';
import { leadPhrase, type PlanSection } from '../../parse/plan.js';
import { tokensOfNormalized } from '../../search/tokenizer.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { freshness, say, withinLength } from '../render.js';
import type { Answer, Source } from '../types.js';
import { findMeasure } from './indicator.js';

const HAN_NUM = '一二三四五六七八九十';

/** "三" → 3, "十二" → 12, "7" → 7. */
export function numberOf(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  if (s.length === 1) return HAN_NUM.indexOf(s) + 1;
  const [a, b] = [...s];
  if (a === '十') return 10 + HAN_NUM.indexOf(b as string) + 1;
  return (HAN_NUM.indexOf(a as string) + 1) * 10 + (b === '十' ? 0 : HAN_NUM.indexOf(b as string) + 1);
}

/** The ordinal a question names ("第9项", "第一条", "第3行"), if any. */
function ordinalIn(n: string): number | null {
  const m = /第\s*([\d一二三四五六七八九十]{1,3})\s*(?:项|行|条|个|栏|列)/.exec(n);
  return m ? numberOf(m[1] as string) : null;
}

function inScope(c: AnswerContext): ParsedDocument[] {
  return c.deps.kb.parsed.filter((d) => !c.documents || c.documents.has(d.info.id));
}

const asksCount = (n: string) => /几|多少|好多|how many/.test(n);

/** 专栏 tables of the plans. */
function tables(c: AnswerContext): Answer | null {
  const n = c.query.normalized;
  const m = /专栏\s*(\d+|[一二三四五六七八九十])/.exec(n);
  if (!m) return null;
  const name = `专栏${numberOf(m[1] as string)}`;
  // "专栏2里头化肥农药使用总量减少比例2025年目标": an indicator of the table, for the indicator handler.
  const measure = findMeasure(c);
  if (measure?.rows.some((r) => r.ind.table === name) && ordinalIn(n) === null) return null;
  for (const d of inScope(c)) {
    const table = d.plan?.tables.find((t) => t.name === name);
    if (!table) continue;
    const rows = c.deps.kb.indicators.filter((i) => i.document === d.info.id && i.table === name);
    const src: Source = { document: d.info.shortTitle, locator: name, excerpt: table.caption };
    const cite = say(
      c.lang,
      `（《${d.info.shortTitle}》${name}，${freshness(d.info, c.lang)}）`,
      ` (${d.info.titleEn}, ${name}; ${freshness(d.info, c.lang)})`,
    );
    // "专栏1里头某某率那行": the row of this table whose name holds what the question names.
    const known = c.query.terms.filter((t) => t.known && t.text.length > 1);
    const named = known.length
      ? rows
          .map((r) => {
            const grams = new Set(tokensOfNormalized(normalize(r.name)));
            const hit = known.filter((t) => t.grams.some((g) => g.length > 0 && g.filter((x) => grams.has(x)).length / g.length >= 0.8));
            return { r, share: hit.length / known.length };
          })
          .filter((x) => x.share >= 0.6)
          .sort((a, b) => b.share - a.share)[0]?.r
      : undefined;
    const at = ordinalIn(n.slice((m.index ?? 0) + m[0].length)) ?? (named ? Number(named.number) : null);
    if (at !== null) {
      const row = rows.find((r) => r.number === String(at)) ?? null;
      if (!row) {
        return answerOf(
          c,
          'indicator',
          false,
          say(
            c.lang,
            `${name}中没有第${at}项（表中序号为：${rows.map((r) => r.number).join('、')}）。`,
            `${name} has no item ${at} (items: ${rows.map((r) => r.number).join(', ')}).`,
          ),
          [src],
        );
      }
      const used = c.deps.statements.statements.filter(
        (s) => s.passage.kind === 'indicator' && c.deps.kb.indicators[s.passage.indicator ?? -1] === row,
      );
      return answerOf(c, 'indicator', true, `${describeIndicator(row)}${cite}`, [src], used);
    }
    const kinds = [...new Set(rows.map((r) => r.type).filter((t): t is string => !!t && n.includes(t)))];
    if (kinds.length) {
      const picked = rows.filter((r) => r.type && kinds.includes(r.type));
      return answerOf(
        c,
        'indicator',
        true,
        withinLength([
          say(
            c.lang,
            `${name}中${kinds.join('、')}指标共${picked.length}项：`,
            `${kinds.join('/')} indicators in ${name} (${picked.length}): `,
          ),
          picked.map((r) => r.name).join('；'),
          cite,
        ]),
        [src],
      );
    }
    const list = rows.map((r) => `${r.number}.${r.name}`).join('；');
    const head = asksCount(n)
      ? say(c.lang, `${name}“${table.caption}”共列${rows.length}项指标：`, `${name} (${table.caption}) lists ${rows.length} indicators: `)
      : say(c.lang, `${name}是“${table.caption}”，列有：`, `${name} is "${table.caption}": `);
    return answerOf(c, 'indicator', true, withinLength([head, list, cite]), [src]);
  }
  const have = inScope(c).flatMap((d) => d.plan?.tables.map((t) => t.name) ?? []);
  return answerOf(
    c,
    'indicator',
    false,
    say(
      c.lang,
      `文件中没有${name}${have.length ? `（只有${have.join('、')}）` : ''}。`,
      `The documents have no ${name}${have.length ? ` (only ${have.join(', ')})` : ''}.`,
    ),
  );
}

/** What a section holds, listed: its subsections, else its paragraphs' lead phrases. */
/** Units of amounts, as opposed to counts of items. */
const MEASURED = /^(元|亩|吨|米|公里|千米|%)$/;
/** The term weight (idf) from which a word names a specific thing. */
const SPECIFIC = 4;

/** A document's title, normalised. */
function titleOfDocument(d: ParsedDocument): string {
  return normalize(`${d.info.title}${d.info.shortTitle}`);
}

const sectionTexts = new WeakMap<PlanSection, string>();

/** A section's whole text, its subsections' too, normalised (once per section: documents do not change). */
function textOf(s: PlanSection): string {
  let text = sectionTexts.get(s);
  if (text === undefined) {
    text = normalize([s.title, ...s.paragraphs, ...s.children.map(textOf)].join('\n'));
    sectionTexts.set(s, text);
  }
  return text;
}

function listSection(c: AnswerContext, d: ParsedDocument, s: PlanSection): Answer {
  // "第四章总投资好多亿", "第四章里头X项目": a figure or a thing the section does not hold is not
  // answered by listing the section; it is said to be missing, with what the section does say.
  const text = textOf(s);
  // Items are counted by listing them ("有几条"); an amount (元, 亩, 吨…) must be written there.
  const units = c.query.valueUnits.filter((u) => MEASURED.test(u));
  const lacksFigure = units.length > 0 && !valuesIn(text).some((v) => units.includes(v.unit.replace(/^[万千亿]/, '')));
  // Only a specific thing (a rare word: a stream, a project's name) is looked for; a general noun
  // ("项目") asks what the section lists.
  const lacking = c.query.terms.filter(
    (t) =>
      (t.salient || (t.known && t.weight >= SPECIFIC && /^n/.test(t.tag))) &&
      !t.forms.some((f) => text.includes(f) || titleOfDocument(d).includes(f)),
  );
  if (lacksFigure || lacking.length) {
    const what = lacking.length
      ? lacking.map((t) => t.text).join('、')
      : say(c.lang, `以“${units.join('、')}”计的数额`, `figures in ${units.join('/')}`);
    const where = s.path.join(' > ');
    return answerOf(
      c,
      lacksFigure ? 'value' : 'general',
      false,
      say(
        c.lang,
        `${s.number}${s.title}没有写${what}。该部分写的是：${clip(s.paragraphs[0] ?? s.children.map((x) => x.title).join('；'), 160)}（《${d.info.shortTitle}》${where}，${freshness(d.info, c.lang)}）`,
        `${s.number}${s.title} gives no ${what}. What it says: ${clip(s.paragraphs[0] ?? s.children.map((x) => x.title).join('; '), 160)} (${d.info.titleEn}, ${where}; ${freshness(d.info, c.lang)})`,
      ),
      [{ document: d.info.shortTitle, locator: where, excerpt: clip(s.paragraphs[0] ?? '', 120) }],
    );
  }
  // A section of one or two paragraphs is shown as it stands; a longer one by its items' leads.
  const items = s.children.length
    ? s.children.map((x) => `${x.number}${x.title}`)
    : s.paragraphs.length <= 2
      ? s.paragraphs.map((p) => clip(p, 200))
      : s.paragraphs.map((p) => leadPhrase(p) ?? p.slice(0, 20));
  const where = s.path.join(' > ');
  const cite = say(
    c.lang,
    `（《${d.info.shortTitle}》${where}，${freshness(d.info, c.lang)}）`,
    ` (${d.info.titleEn}, ${where}; ${freshness(d.info, c.lang)})`,
  );
  const head = asksCount(c.query.normalized)
    ? say(c.lang, `${s.number}${s.title}共${items.length}条：`, `${s.number}${s.title} has ${items.length} parts: `)
    : say(c.lang, `${s.number}${s.title}包括：`, `${s.number}${s.title} covers: `);
  const src: Source = { document: d.info.shortTitle, locator: where, excerpt: items.slice(0, 3).join('；') };
  return answerOf(c, 'measure', items.length > 0, withinLength([head, items.join('；'), cite]), [src]);
}

const titles = new WeakMap<PlanSection, string>();
/** A section's title, normalised once. */
function titleOf(s: PlanSection): string {
  let t = titles.get(s);
  if (t === undefined) {
    t = normalize(s.title).replace(/[。，,]/g, '');
    titles.set(s, t);
  }
  return t;
}

/** Chapters by number, sections by a title the question quotes. */
function sections(c: AnswerContext): Answer | null {
  const n = c.query.normalized;
  const ch = /第\s*([一二三四五六七八九十]{1,3})\s*章/.exec(n);
  const chapters = !ch && /几章|哪些章|哪几章|章节|多少章|分了几/.test(n);
  for (const d of inScope(c)) {
    if (!d.plan) continue;
    if (chapters) {
      const top = d.plan.sections.filter((x) => x.level === 1);
      if (top.length)
        return listSection(c, d, { ...d.plan.root, number: '', title: d.info.shortTitle, path: [d.info.shortTitle], children: top });
    }
    if (ch) {
      const s = d.plan.sections.find((x) => x.level === 1 && x.number.replace(/\s/g, '') === `第${ch[1]}章`);
      if (s) return listSection(c, d, s);
      continue;
    }
    // A section whose whole title the question holds, and which is what the question is about.
    const known = c.query.terms.filter((t) => t.known);
    const total = known.reduce((a, t) => a + t.weight, 0);
    let best: { s: PlanSection; len: number } | null = null;
    for (const s of d.plan.sections) {
      const title = titleOf(s);
      if (s.inferred || title.length < 3 || !n.includes(title)) continue;
      const grams = new Set(tokensOfNormalized(title));
      const covered = known.filter((t) => t.grams.flat().every((g) => grams.has(g) || g.length === 1)).reduce((a, t) => a + t.weight, 0);
      if (total > 0 && covered / total < 0.7) continue;
      if (!best || title.length > best.len) best = { s, len: title.length };
    }
    if (best && (best.s.children.length > 0 || best.s.paragraphs.length > 1)) return listSection(c, d, best.s);
  }
  return null;
}

/** A rectification table's columns and cells. */
function columns(c: AnswerContext): Answer | null {
  const n = c.query.normalized;
  for (const d of inScope(c)) {
    const table = d.table;
    if (!table || table.columns.length === 0) continue;
    const cite = say(
      c.lang,
      `（《${d.info.shortTitle}》，${freshness(d.info, c.lang)}）`,
      ` (${d.info.titleEn}; ${freshness(d.info, c.lang)})`,
    );
    const src: Source = { document: d.info.shortTitle, locator: '表头', excerpt: table.columns.join('、') };
    if (
      /栏|几列|哪几列|哪些列|表头/.test(n) &&
      /几|哪些|哪几|什么|啥/.test(n) &&
      !table.columns.some((col) => n.includes(normalize(col)))
    ) {
      return answerOf(
        c,
        'document',
        true,
        say(
          c.lang,
          `${d.info.shortTitle}共${table.columns.length}栏：${table.columns.join('、')}${cite}`,
          `${table.columns.length} columns: ${table.columns.join(', ')}${cite}`,
        ),
        [src],
      );
    }
    if (/(几|多少|好多)(条|行|项)(整改)?任务|(几|多少|好多)(条|行)/.test(n) && /任务|台账|记录|行/.test(n)) {
      const list = table.records.map((r) => `${r.row}.${(r.overview ?? '').slice(0, 24)}`).join('；');
      return answerOf(
        c,
        'document',
        true,
        withinLength([
          say(c.lang, `${d.info.shortTitle}共${table.records.length}条整改任务：`, `${table.records.length} tasks: `),
          list,
          cite,
        ]),
        [src],
      );
    }
    // The parser reads a rectification table's cells by position; their labels are the table's own headers.
    const fields: Array<keyof (typeof table.records)[number]> = ['overview', 'unit', 'targetText', 'measuresAndEffects', 'time', 'contact'];
    const header = (i: number) => table.columns[i] ?? '';
    const [measuresLabel, effectsLabel] = header(3).split(/及|和|与/);
    // "第二行的成效", "第一条的整改目标": a part of one row, named by a word of its column.
    const rowAt = ordinalIn(n);
    const record = rowAt !== null && /[行条]/.test(n) ? table.records.find((r) => r.row === rowAt) : undefined;
    if (record) {
      const parts: Array<[RegExp, string, string | null]> = [
        [/成效|效果|结果|完成/, effectsLabel || header(3), record.effects.map((e) => e.text).join('') || null],
        [/措施|做法|办法/, measuresLabel || header(3), record.measures.map((e) => e.text).join('') || null],
        [/目标/, header(2), record.targetText],
        [/单位|部门|谁/, header(1), record.unit],
        [/时间|期限/, header(4), record.time],
        [/联系|电话/, header(5), record.contact],
        [/概述|任务|问题|内容|写的/, header(0), record.overview],
      ];
      const hit = parts.find(([re]) => re.test(n));
      if (hit) {
        const [, label, value] = hit;
        const where: Source = { document: d.info.shortTitle, locator: `第${record.row}行·${label}`, excerpt: (value ?? '').slice(0, 120) };
        const text = value
          ? say(c.lang, `第${record.row}行“${label}”：${clip(value, 220)}`, `Row ${record.row}, "${label}": ${clip(value, 220)}`)
          : say(c.lang, `第${record.row}行的“${label}”一栏为空（未填写）`, `Row ${record.row}: the "${label}" cell is empty`);
        return answerOf(c, 'document', value !== null, `${text}${cite}`, [where]);
      }
    }
    // Columns are found by their headers as the table has them; the field each maps to is the parser's.
    const col = table.columns
      .map((h, i) => ({ h: normalize(h), field: fields[i] }))
      .filter((x) => x.field && (n.includes(x.h) || (x.h.length >= 6 && n.includes(x.h.slice(0, 4)) && /[栏列]/.test(n))))
      .sort((a, b) => b.h.length - a.h.length)[0];
    if (!col?.field) continue;
    const at = ordinalIn(n);
    const rows = at ? table.records.filter((r) => r.row === at) : table.records;
    if (rows.length === 0) continue;
    const values = rows.map((r) => ({ row: r.row, v: r[col.field as keyof typeof r] as string | null }));
    if (values.every((v) => !v.v)) {
      return answerOf(
        c,
        'document',
        false,
        say(c.lang, `${d.info.shortTitle}的“${col.h}”一栏为空（未填写）${cite}`, `The "${col.h}" column of the records is empty${cite}`),
        [src],
      );
    }
    const text = values.map((v) => `${rows.length > 1 ? `第${v.row}行：` : ''}${v.v ?? say(c.lang, '（空）', '(empty)')}`).join('；');
    const src2: Source = { document: d.info.shortTitle, locator: `${at ? `第${at}行·` : ''}${col.h}`, excerpt: text.slice(0, 120) };
    return answerOf(c, 'document', true, withinLength([say(c.lang, `“${col.h}”：`, `"${col.h}": `), text, cite]), [src2]);
  }
  return null;
}

/** The structure handler. */
export function structure(c: AnswerContext): Answer | null {
  // A chapter named by its number is what is asked about, not the table's tasks.
  if (/第\s*[一二三四五六七八九十]{1,3}\s*章/.test(c.query.normalized)) return sections(c) ?? tables(c) ?? columns(c);
  return tables(c) ?? columns(c) ?? sections(c);
}
