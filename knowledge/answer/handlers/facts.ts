/**
 * The general handler: the statements that hold the asked kind of fact next to the question's
 * content words. It respects the asked year (a nearby year is shown as such, never as the answer),
 * shows a second document's statement of the same thing beside the first, lists measures and places
 * when those are asked, and leads with the newest progress update an official posted on the task.
 */
import type { Statement } from '../../evidence/statements.js';
import type { AnswerType } from '../../lexicon.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { answersType, cite, excerpt, glossValue, say, sourceOf, withinLength } from '../render.js';
import { holdsType, numberBefore, type Scored, scoreStatement } from '../retrieve.js';
import type { Answer, Intent } from '../types.js';
import { recordOf } from './contact.js';
import { missingWords, notFound } from './refuse.js';

const INTENT_OF: Array<[AnswerType, Intent]> = [
  ['date', 'deadline'],
  ['measure', 'measure'],
  ['place', 'place'],
  ['progress', 'progress'],
  ['count', 'value'],
  ['value', 'value'],
  ['target', 'target'],
];

/** The intent named by the first kind of fact asked. */
export function intentOf(types: AnswerType[]): Intent {
  for (const t of types) {
    const hit = INTENT_OF.find(([ty]) => ty === t);
    if (hit) return hit[1];
  }
  return 'general';
}

/** Milestones a statement bears on: same document and same locator or table row. */
function milestoneIds(c: AnswerContext, s: Statement): string[] {
  const p = s.passage;
  return c.deps.kb.milestones
    .filter((m) => {
      const sources = (m as { sources?: Array<{ document: string; locator: string }> }).sources ?? [
        { document: m.document, locator: m.locator },
      ];
      return sources.some(
        (src) =>
          src.document === p.document && (src.locator === p.locator || (p.row !== undefined && src.locator.startsWith(`第${p.row}行`))),
      );
    })
    .map((m) => m.key);
}

/** The newest update on the task a statement bears on, and how many complaints are linked to it. */
function ledgerLead(c: AnswerContext, s: Statement): string {
  const ledger = c.deps.ledger;
  if (!ledger || ledger.isEmpty?.()) return '';
  const ids = milestoneIds(c, s);
  if (!ids.length) return '';
  const [update] = ledger.updatesFor(ids);
  const cases = ledger.linkedCaseCount(ids);
  const lead = update
    ? say(
        c.lang,
        `截至${update.date}（${update.unit ?? '办理单位'}更新）：${update.text}。文件记载：`,
        `As of ${update.date} (update by ${update.unit ?? 'the unit'}): ${update.text}. The documents say: `,
      )
    : '';
  const tail = cases
    ? say(c.lang, `（另有${cases}件群众举报与此项任务相关）`, ` (${cases} citizens' reports are linked to this task)`)
    : '';
  return `${lead}${tail ? `${tail}` : ''}`;
}

/** The first clause of a sentence: how an item of a list is named. */
function clause(s: Statement, max = 40): string {
  const t = s.text.replace(/^[\s（(]*[一二三四五六七八九十\d]+[、）).．]\s*/, '');
  const cut = t.search(/[，,；;。：:]/);
  return (cut > 4 ? t.slice(0, cut) : t).slice(0, max);
}

/**
 * The measures that answer: for a table, the row whose task the question names (else the best
 * statement's row); within it, one item's steps when the question names that item, else every
 * item's heading. For a plan, the section's paragraphs by their lead.
 */
function measureList(
  c: AnswerContext,
  m: Statement,
  detail: string,
): { head: string; items: string[]; cite: Statement; sources: Statement[] } {
  const p = m.passage;
  if (p.row === undefined) {
    // A plan: the matching paragraph as it stands (`detail`), then its sibling paragraphs by their leads.
    const others = measuresOf(c, m)
      .filter((x) => x.passage.id !== p.id)
      .map((x) => clause(x, 24));
    const items = others.length
      ? [detail.replace(/[。；;]$/, ''), say(c.lang, `另有：${others.join('、')}`, `also: ${others.join(', ')}`)]
      : [detail];
    return { head: '', items, cite: m, sources: [m] };
  }
  const known = c.terms.filter((t) => t.known);
  const cov = (s: Statement | undefined) => (s ? (scoreStatement(c.deps.statements, s, known)?.coverage ?? 0) : 0);
  // The row whose task (its overview) is what the question names.
  const rows = c.deps.kb.passages.filter(
    (q) => q.kind === 'overview' && q.document === p.document && (!c.documents || c.documents.has(q.document)),
  );
  const named = rows.map((q) => ({ q, v: cov(c.deps.statements.ofPassage(q.id)[0]) })).sort((a, b) => b.v - a.v)[0];
  const row = named && named.v >= c.options.minCoverage ? named.q.row : p.row;
  const items = c.deps.kb.passages.filter((q) => q.document === p.document && q.row === row && q.kind === 'measure');
  const heads = items.map((q) => c.deps.statements.ofPassage(q.id)[0]).filter((x): x is Statement => !!x);
  const scored = heads.map((h) => ({ h, v: cov(h) })).sort((a, b) => b.v - a.v);
  const focus = scored[0] && scored[0].v >= c.options.minCoverage && (scored[1]?.v ?? 0) < c.options.minCoverage ? scored[0].h : null;
  if (focus) {
    // One item named: its steps ("一是…；二是…").
    const steps = c.deps.statements.ofPassage(focus.passage.id).slice(1);
    return { head: clause(focus), items: steps.map((s) => clause(s, 48)), cite: focus, sources: [focus, ...steps] };
  }
  return { head: say(c.lang, '主要措施', 'Main measures'), items: heads.map((h) => clause(h)), cite: heads[0] ?? m, sources: heads };
}

function measuresOf(c: AnswerContext, s: Statement): Statement[] {
  // The items of the same row and column (records) or the same section (plan), first sentence each.
  const p = s.passage;
  const siblings = c.deps.kb.passages.filter((q) =>
    p.row !== undefined
      ? q.document === p.document && q.row === p.row && q.kind === p.kind
      : q.document === p.document && q.title === p.title && q.kind === p.kind,
  );
  // Each item's heading ("（一）三个结合,落实整改措施") names it best; else its first sentence.
  return siblings.map((q) => c.deps.statements.ofPassage(q.id)[0]).filter((x): x is Statement => !!x);
}

/** The best statement that holds the asked year, or null when the year is asked and stated nowhere near. */
function withYear(c: AnswerContext, hits: Scored[]): Scored | null {
  if (!c.years.length) return hits[0] ?? null;
  const has = (s: Statement) => c.years.some((y) => s.years.includes(y));
  // A sentence that names no year stands under the year its passage names ("截至某年，…。某利用率达到40%").
  // An undated statement of what was reached ("某利用率提高到40%") stands as of its document's date.
  const asOf = (s: Statement) => Number(/\d{4}/.exec(c.doc(s.passage.document)?.asOf ?? '')?.[0] ?? Number.NaN);
  const current = (s: Statement) =>
    c.deps.statements.ofPassage(s.passage.id).every((x) => x.years.length === 0) &&
    holdsType(s, 'progress') &&
    c.years.some((y) => y >= asOf(s) - 1 && y <= asOf(s));
  return (
    hits.find((h) => has(h.statement)) ??
    hits.find((h) => h.statement.years.length === 0 && c.deps.statements.ofPassage(h.statement.passage.id).some(has)) ??
    hits.find((h) => current(h.statement)) ??
    null
  );
}

/** The figure units a statement's values have, with "万吨" counting as 吨. */
function hasUnit(s: Statement, units: string[]): boolean {
  // "几个" takes any count ("3家", "2处"): 个 is the general measure word.
  return s.values.some(
    (v) =>
      units.includes(v.unit) ||
      units.includes(v.unit.replace(/^[万千亿]/, '')) ||
      // "培训了好多人": 1100人次 counts people too.
      units.includes(v.unit.replace(/次$/, '')) ||
      (units.includes('个') && v.kind === 'count'),
  );
}

/** A bare number right before a word asked about counts it ("选了3农膜企业": 3 of them). */
function countsTerm(s: Statement, terms: AnswerContext['terms']): boolean {
  return terms.some((t) => t.known && numberBefore(s, t));
}

/** A short statement ("实行了分级验收制度。") with the sentences that follow it in its passage. */
/** A sentence that starts a new item of a list ("二是…", "（三）…", "4、…"). */
const ITEM_START = /^(?:[一二三四五六七八九十]+是|[（(]?[一二三四五六七八九十\d]+[)）、.．])/;

function withFollowing(c: AnswerContext, s: Statement, text: string): string {
  // A table cell's item is one thought ("化肥…降幅1.14%;农药…降幅1.06%"): whole when it is short.
  const p = s.passage;
  if ((p.kind === 'effect' || p.kind === 'target') && p.text.length <= c.options.maxExcerpt) {
    const rest = c.deps.statements.ofPassage(p.id).filter((x) => !x.heading);
    if (rest.length > 1) {
      c.shown.push(...rest);
      return rest.map((x) => x.text).join('');
    }
  }
  if (text.length >= c.options.shortStatement) return text;
  // A short sentence that holds the figure asked for goes on only with what details it ("其中…"),
  // not into the next item ("二是…").
  const answered = c.query.valueUnits.length > 0 && hasUnit(s, c.query.valueUnits);
  const after = c.deps.statements.ofPassage(s.passage.id).filter((x) => x.id > s.id);
  let out = text;
  for (const x of after) {
    if (out.length + x.text.length > c.options.maxExcerpt * 1.5) break;
    if (answered && ITEM_START.test(x.text.trim())) break;
    out += x.text;
    c.shown.push(x);
  }
  return out;
}

/**
 * "清废行动打击哪些危险废物": no one sentence holds it all, but two neighbours of one paragraph do
 * ("开展“清废行动”…。以医疗废物…危险废物为重点，持续开展打击…"). Every word of the question must
 * be in one of the two.
 */
function adjacentPair(c: AnswerContext, intent: Intent, hits: Scored[]): Answer | null {
  const known = c.terms.filter((t) => t.known);
  if (known.length < 2) return null;
  for (const h of hits.slice(0, 8)) {
    const list = c.deps.statements.ofPassage(h.statement.passage.id);
    const at = list.indexOf(h.statement);
    for (const n of [list[at - 1], list[at + 1]]) {
      if (!n) continue;
      const r = scoreStatement(c.deps.statements, n, c.terms);
      if (!r) continue;
      const held = new Set([...h.matched, ...r.matched].map((t) => t.text));
      if (!known.every((t) => held.has(t.text)) || r.matched.every((t) => h.matched.some((x) => x.text === t.text))) continue;
      const [first, second] = n.id < h.statement.id ? [n, h.statement] : [h.statement, n];
      c.shown.push(first, second);
      const doc = c.doc(first.passage.document);
      return answerOf(
        c,
        intent,
        true,
        withinLength([`${first.text}${second.text}`, cite(first, doc, c.lang)], c.options.maxLength),
        [sourceOf(first, doc)],
        [first, second],
      );
    }
  }
  return null;
}

/** The general handler. */
export function facts(c: AnswerContext): Answer | null {
  const intent = intentOf(c.types);
  // "到2025年要达到啥子目标": no content word, but a year and a kind of fact — the year is the topic.
  const yearOnly = !c.terms.some((t) => t.known) && c.years.length > 0;
  const hits = yearOnly ? c.search(c.years.map((y) => c.deps.termOf([`${y}年`]))) : c.hits();
  const good = hits.filter((h) => h.coverage >= c.options.minCoverage);
  const best = good[0];
  if (!best) {
    // Named by what the closest statement lacks, not by words it holds ("全县…村庄" are there;
    // "分级改造" is what no statement holds with them).
    const covered = new Set(hits[0]?.matched.map((t) => t.text) ?? []);
    return adjacentPair(c, intent, hits) ?? notFound(c, intent, missingWords(c, covered).join('、') || null, null);
  }
  // A content word the documents never use and the evidence does not cover: they are silent on it.
  const unknown = c.query.unknown.filter((w) => !best.statement.norm.includes(w));
  const unknownWeight = c.query.terms.filter((t) => unknown.includes(t.text)).reduce((s, t) => s + t.weight, 0);
  const knownWeight = c.terms.filter((t) => t.known).reduce((s, t) => s + t.weight, 0);
  // …unless the rest of a longer question is covered well ("我是塘口老板，想问…" names its asker, not its topic).
  const wellCovered = best.coverage >= 0.9 && c.terms.filter((t) => t.known).length >= 2;
  if (unknown.length && unknownWeight >= knownWeight * c.options.unknownShare && !wellCovered)
    return notFound(c, intent, unknown.slice(0, 2).join('、'), null);

  const dated = withYear(c, good);
  if (!dated) {
    // Another year is stated nearby: say which, not its figure, so that no figure is read as the asked year's.
    const stated = [...new Set(good.slice(0, 5).flatMap((h) => h.statement.years))].sort();
    const topic = missingWords(c).join('') || say(c.lang, '这一项', 'this');
    const text = say(
      c.lang,
      `文件没有给出${c.years.join('、')}年的${topic}。${stated.length ? `文件中相关的记载是${stated.join('、')}年的，可以问我那几年的情况。` : ''}`,
      `The records give nothing for ${c.years.join('/')} on ${topic}.${stated.length ? ` Related statements are for ${stated.join(', ')}; ask me about those years.` : ''}`,
    );
    return answerOf(c, intent, false, text, [sourceOf(best.statement, c.doc(best.statement.passage.document))], []);
  }
  // "好多吨", "好多钱": the answer must be a figure in that unit; the records may have none.
  const units = c.query.valueUnits;
  let pool = good;
  // "有几个监测井": a count of another thing ("2个水源保护区") is no answer; the thing's head
  // character (井) must be there.
  const head = c.query.counted?.slice(-1) ?? null;
  if (units.length && !c.types.includes('measure')) {
    pool = good.filter(
      (h) =>
        (hasUnit(h.statement, units) || countsTerm(h.statement, c.terms)) &&
        (head === null || h.statement.norm.includes(head)) &&
        (!c.years.length || h === dated || c.years.some((y) => h.statement.years.includes(y) || !h.statement.years.length)),
    );
    if (pool.length === 0) {
      const topic = missingWords(c).join('') || say(c.lang, '这一项', 'this');
      return notFound(
        c,
        intent,
        say(
          c.lang,
          `${c.query.counted ?? topic}的数量（以“${units.join('、')}”计）`,
          `the number of ${c.query.counted ?? topic} (in ${units.join('/')})`,
        ),
        null,
      );
    }
  }
  // "全市一共完成了好多吨": a figure for a wider area than a district's records give is a figure of
  // that area, stated as such; the district's own total is no answer to it.
  const area = /全国|全省|全市|全重庆/.exec(c.query.normalized)?.[0];
  if (area && c.types.some((t) => t === 'value' || t === 'count' || t === 'progress')) {
    pool = pool.filter((h) => h.statement.norm.includes(area));
    if (pool.length === 0) {
      return notFound(c, intent, say(c.lang, `${area}的统计数字`, `figures for ${area} as a whole`), best.statement);
    }
  }
  // "每亩补好多钱": a figure per mu (每亩, 元/亩), not a total; the records may give only totals.
  const per = c.query.per;
  if (per.length && !c.types.includes('measure')) {
    const perUnit = (s: Statement) => per.some((u) => s.norm.includes(`每${u}`) || s.norm.includes(`/${u}`));
    pool = pool.filter((h) => perUnit(h.statement));
    if (pool.length === 0) {
      const topic = missingWords(c).join('') || say(c.lang, '这一项', 'this');
      return notFound(c, intent, say(c.lang, `${topic}每${per.join('、')}的数额`, `${topic} per ${per.join('/')}`), best.statement);
    }
  }
  // "哪年开始", "啥时候完工", "在哪个镇": when the statements found hold no date (or no town), the
  // records name the thing but not what is asked of it.
  const wantsDate = c.types.includes('date') && !c.query.frequency && !c.years.length;
  if (wantsDate && !pool.slice(0, 3).some((h) => holdsType(h.statement, 'date'))) {
    return notFound(
      c,
      'deadline',
      say(c.lang, `${missingWords(c).join('') || '这一项'}的时间`, `the date of ${missingWords(c).join(' ') || 'this'}`),
      best.statement,
    );
  }
  const wantsTown = /(哪个|哪些|什么|啥子?)(镇|街道|镇街|乡镇)|在哪(个|些)?(镇|街)/.test(c.query.normalized);
  if (wantsTown && !pool.slice(0, 3).some((h) => h.statement.places.some((p) => /(镇|街道)$/.test(p) && !c.query.normalized.includes(p)))) {
    return notFound(
      c,
      'place',
      say(c.lang, `${missingWords(c).join('') || '这一项'}所在的镇街`, `the town of ${missingWords(c).join(' ') || 'this'}`),
      best.statement,
    );
  }
  const lead = (pool.includes(dated) ? dated : (pool[0] as Scored)).statement;
  const ledger = ledgerLead(c, lead);

  if (c.types.includes('measure') && !c.types.some((t) => t === 'value' || t === 'count')) {
    // What is done stands in a table's measures column or a plan's task paragraphs, not in its targets.
    const doing =
      pool.find((h) => h.statement.passage.kind === 'measure') ??
      pool.find((h) => h.statement.passage.kind === 'paragraph' && holdsType(h.statement, 'measure'));
    const m = doing && doing.score >= (pool[0] as Scored).score * 0.5 ? doing.statement : lead;
    const detail = withFollowing(c, m, excerpt(m, c.terms, ['measure']));
    const list = measureList(c, m, detail);
    const md = c.doc(list.cite.passage.document);
    return answerOf(
      c,
      'measure',
      true,
      withinLength([
        ledger,
        list.head ? say(c.lang, `${list.head}：`, `${list.head}: `) : '',
        list.items.join('；'),
        '。',
        // The sentence that matched best, when the list does not already hold it.
        list.sources.some((x) => x.id === m.id) && list.items.length > 1 ? '' : say(c.lang, `其中：${detail}`, ` In detail: ${detail}`),
        cite(list.cite, md, c.lang),
      ]),
      list.sources.slice(0, 3).map((x) => sourceOf(x, c.doc(x.passage.document))),
      [list.cite],
    );
  }
  if (c.types.includes('place')) {
    const placed = pool.filter((h) => h.statement.places.length > 0);
    if (placed.length) {
      const s = (placed[0] as Scored).statement;
      const d = c.doc(s.passage.document);
      const names = [...new Set(placed.slice(0, 3).flatMap((h) => h.statement.places))].slice(0, 8);
      return answerOf(
        c,
        'place',
        true,
        withinLength([
          say(c.lang, `涉及地点：${names.join('、')}。`, `Places: ${names.join(', ')}. `),
          excerpt(s, c.terms, ['place']),
          cite(s, d, c.lang),
        ]),
        [sourceOf(s, d)],
        [s],
      );
    }
  }
  // The asked kind of fact: prefer a statement that holds it among those as good as the best.
  const leadHit = pool.find((h) => h.statement === lead) as Scored;
  const typed = c.types.length
    ? pool.find((h) => h !== leadHit && answersType(h.statement, c.types) && h.score >= leadHit.score * 0.8)
    : undefined;
  const main = answersType(lead, c.types) || !typed ? leadHit : typed;
  const s = main.statement;
  const sdoc = c.doc(s.passage.document);
  // A table row names who is responsible for its task: said with its targets and results.
  const record =
    s.passage.row !== undefined && c.types.some((t) => t === 'progress' || t === 'target' || t === 'date')
      ? recordOf(c, s.passage.document, s.passage.row)
      : null;
  const owner = record?.unit ? say(c.lang, `（整改责任单位：${record.unit}）`, ` (responsible: ${record.unit})`) : '';
  const parts = [ledger, withFollowing(c, s, excerpt(s, c.terms, c.types)), owner, cite(s, sdoc, c.lang)];
  const used = [s];
  // Another statement of the same kind of fact about the same thing — from another document, or
  // with another figure in the same unit — is shown beside it.
  const mainUnits = s.values.map((v) => v.unit);
  const other = pool.find(
    (h) =>
      h !== main &&
      h.statement.passage.id !== s.passage.id &&
      h.score >= main.score * c.options.secondOpinion &&
      // "做了好多个": a figure in the asked unit answers it, whatever words frame the figure.
      (c.types.length === 0 || c.types.some((t) => holdsType(h.statement, t)) || (units.length > 0 && hasUnit(h.statement, units))) &&
      (!c.years.length || c.years.some((y) => h.statement.years.includes(y))) &&
      (h.statement.passage.document !== s.passage.document ||
        (mainUnits.length > 0 && h.statement.values.some((v) => mainUnits.includes(v.unit) && !s.values.some((x) => x.raw === v.raw)))),
  );
  if (other) {
    const od = c.doc(other.statement.passage.document);
    parts.push(
      say(
        c.lang,
        `；另据：${excerpt(other.statement, c.terms, c.types, 100)}`,
        `; also: ${excerpt(other.statement, c.terms, c.types, 100)}`,
      ),
      cite(other.statement, od, c.lang),
    );
    used.push(other.statement);
  }
  if (c.lang === 'en') parts.unshift(englishLead(c, s));
  const text = withinLength(parts, other ? c.options.maxConflictLength : c.options.maxLength);
  return answerOf(
    c,
    intent,
    true,
    text,
    used.map((u) => sourceOf(u, c.doc(u.passage.document))),
    used,
  );
}

/** The English words of an answer: what kind of fact, and the figures it states. */
function englishLead(c: AnswerContext, s: Statement): string {
  const figures = s.values.slice(0, 3).map((v) => glossValue(v.raw));
  const years = s.years.length ? ` (${s.years.join(', ')})` : '';
  if (c.types.includes('date')) return `Deadline stated${years || ': see below'}. The records say: `;
  if (figures.length) return `Figures stated${years}: ${figures.join(', ')}. The records say: `;
  return 'The records say: ';
}
