/**
 * The answerer: turns a question into a short answer that leads with the fact, names the
 * responsible unit where the records give one, cites its sources, and says plainly when the records
 * do not hold the answer. Structured records (table rows, indicators, milestones) answer first;
 * otherwise the best sentences of the best passages do.
 */
import { uniqueBy } from '../../core/collections.js';
import { clip, hanLength, normalize, sentences } from '../../core/text.js';
import { type DocumentInfo, indicatorName, indicatorValue, type KnowledgeBase, type Passage } from '../base.js';
import type { Lexicon } from '../lexicon.js';
import type { Milestone } from '../parse/milestones.js';
import { UNIT_PATTERN } from '../parse/milestones.js';
import type { Indicator } from '../parse/plan.js';
import type { Hit, SearchIndex } from '../search/index.js';
import { type PreparedQuery, prepareQuery } from '../search/query.js';
import { tokensOfNormalized } from '../search/tokenizer.js';
import {
  citations,
  clausesFor,
  docNumberKey,
  docNumbersIn,
  metricPhrase,
  overlap,
  type PercentClause,
  percentClauses,
  statedValues,
} from './facts.js';
import { classify, type Intent, withoutCues } from './intent.js';

/** Where an answer comes from. */
export interface Source {
  document: string;
  locator: string;
  excerpt: string;
}

/** An answer to one question. */
export interface Answer {
  question: string;
  intent: Intent;
  /** False when the records do not contain what was asked. */
  found: boolean;
  answer: string;
  sources: Source[];
  lang: 'zh' | 'en';
}

/** A contact entered by an administrator (the records themselves list none). */
export interface Contact {
  unit: string;
  name: string;
  phone: string;
  hours: string | null;
  note: string | null;
}

/** Looks up administrator-entered contacts; the store provides it. */
export interface ContactDirectory {
  forUnit(unit: string): Contact[];
}

/** What the answerer is made of. */
export interface AnswererDeps {
  kb: KnowledgeBase;
  index: SearchIndex;
  lexicon: Lexicon;
  contacts?: ContactDirectory;
}

/** Answers questions. */
export interface Answerer {
  /** `now` only adds remarks such as "this deadline has passed". */
  answer(question: string, now?: Date): Answer;
}

/** The defaults of answering. */
export const defaultAnswerOptions = {
  /** Normal upper bound of an answer's length, in characters. */
  maxLength: 300,
  /** How many sources an answer lists at most. */
  maxSources: 3,
  /** An indicator is meant when this share of its name's bigrams is in the question… */
  indicatorOverlap: 0.6,
  /** …or at least this many of them. */
  indicatorMinBigrams: 5,
};

const DOMAIN =
  /污染|整改|环境|养殖|粪|尾水|垃圾|污水|土壤|地下水|化肥|农药|规划|台账|指标|治理|排放|生态|耕地|水源|农村|厕所|秸秆|农膜|黑臭|督察|面源|地块|利用率|覆盖率|空气|大气|水质|环保|排污|pm2\.5|pollut|rectif|environment|manure|sewage|soil|groundwater|fertili|pesticide|aquaculture|tailwater|livestock|waste|indicator|plan|target/i;

type Lang = 'zh' | 'en';

/** What "how many X" counts in, in the documents' Chinese. */
const ENGLISH_UNITS: Record<string, string> = {
  farms: '家',
  farm: '家',
  companies: '家',
  enterprises: '家',
  people: '人',
  persons: '人',
  times: '次',
  meetings: '次',
  tons: '吨',
  tonnes: '吨',
  mu: '亩',
  acres: '亩',
  households: '户',
  villages: '个',
  sites: '个',
  money: '元',
};
const say = (lang: Lang, zh: string, en: string) => (lang === 'en' ? en : zh);

function idf(index: SearchIndex, term: string): number {
  return Math.log(1 + index.size / (1 + index.df(term)));
}

/** Creates an answerer over a knowledge base and its index. */
export function createAnswerer(deps: AnswererDeps): Answerer {
  const { kb, index, lexicon } = deps;
  const docById = new Map<string, DocumentInfo>(kb.documents.map((d) => [d.id, d]));
  const docTitle = (id: string) => docById.get(id)?.title ?? id;
  const docShort = (id: string, lang: Lang) => {
    const d = docById.get(id);
    return d ? say(lang, d.shortTitle, d.titleEn) : id;
  };
  const source = (p: Passage, excerpt?: string): Source => ({
    document: docTitle(p.document),
    locator: p.locator,
    excerpt: clip(excerpt ?? p.text, 120),
  });
  const milestoneSource = (m: Milestone): Source => ({
    document: docTitle(m.document),
    locator: m.locator,
    excerpt: clip(m.title, 120),
  });
  // Everything derived from the corpus alone is computed once, not per question.
  const tokenCache = new Map<string, Set<string>>();
  const tokenSet = (text: string): Set<string> => {
    let t = tokenCache.get(text);
    if (!t) {
      t = new Set(tokensOfNormalized(normalize(text)));
      tokenCache.set(text, t);
    }
    return t;
  };
  const sentenceCache = new Map<number, Array<{ text: string; toks: Set<string> }>>();
  const sentencesOf = (p: Passage) => {
    let s = sentenceCache.get(p.id);
    if (!s) {
      s = sentences(p.text).map((text) => ({ text, toks: tokenSet(text) }));
      sentenceCache.set(p.id, s);
    }
    return s;
  };
  const numeral = (t: string) => /(?<![a-z])(i{1,3}|iv|v|vi)(?=类)/.exec(t)?.[1] ?? null;
  const indicatorInfo = kb.indicators.map((ind) => {
    const name = indicatorName(ind);
    const bigrams = new Set(tokensOfNormalized(normalize(name)).filter((t) => /\p{Script=Han}{2}/u.test(t)));
    return { ind, bigrams, numeral: numeral(normalize(name)) };
  });
  const statedCache = new Map<Indicator, ReturnType<typeof statedValues>>();
  const statedFor = (ind: Indicator) => {
    let v = statedCache.get(ind);
    if (!v) {
      v = statedValues(allPercents, ind);
      statedCache.set(ind, v);
    }
    return v;
  };
  const allCitations = citations(kb.passages);
  // Years the documents mention at all, so a question about another year is known to be unanswerable.
  const corpusYears = new Set(Object.values(kb.texts).flatMap((t) => [...t.matchAll(/(?<!\d)(\d{4})(?!\d)/g)].map((m) => Number(m[1]))));
  // How often each character occurs in the corpus: a run of unknown words made of common
  // characters ("水能直接排河里") is colloquial phrasing; one of rare characters ("噪声扰民") is a
  // topic the documents do not cover.
  const charCount = new Map<string, number>();
  for (const t of Object.values(kb.texts)) for (const c of t) charCount.set(c, (charCount.get(c) ?? 0) + 1);
  const missingTopic = (run: string) => [...run].filter((c) => (charCount.get(c) ?? 0) < 5).length / run.length >= 0.5;
  const allPercents = percentClauses(kb);
  const indicatorPassage = new Map<Indicator, Passage>(
    kb.passages.filter((p) => p.kind === 'indicator').map((p) => [kb.indicators[p.indicator ?? -1] as Indicator, p]),
  );
  // Inline citations name the innermost section only ("加强农村饮用水水源保护 第12段"); the sources
  // list under the answer keeps the full path.
  const shortLocator = (locator: string) => (locator.split(' > ').at(-1) ?? locator).replace(/(第\d+段)（[^）]*）$/, '$1');
  const cite = (p: { document: string; locator: string }, lang: Lang) =>
    `${docShort(p.document, lang)}${lang === 'en' ? ' ' : ''}${shortLocator(p.locator)}`;

  function result(q: PreparedQuery, intent: Intent, found: boolean, text: string, sources: Source[]): Answer {
    const unique = uniqueBy(sources, (s) => `${s.document}|${s.locator}`);
    return {
      question: q.question,
      intent,
      found,
      answer: text,
      sources: unique.slice(0, defaultAnswerOptions.maxSources),
      lang: q.english ? 'en' : 'zh',
    };
  }

  /** Sentences of the hits that best cover the question's terms. */
  function bestSentences(hits: Hit[], q: PreparedQuery, limit: number, prefer?: RegExp, depth = 6) {
    const terms = q.terms.filter((t) => index.has(t));
    const scored: Array<{ text: string; passage: Passage; score: number }> = [];
    hits.slice(0, depth).forEach((h, rank) => {
      for (const { text: s, toks } of sentencesOf(h.passage)) {
        if (q.years.length > 0 && !q.years.some((y) => s.includes(String(y)))) continue;
        let score = 0;
        for (const t of terms) if (toks.has(t)) score += idf(index, t);
        if (score === 0) continue;
        if (prefer?.test(s)) score *= 1.5;
        score *= 1 - rank * 0.05;
        scored.push({ text: s, passage: h.passage, score });
      }
    });
    scored.sort((a, b) => b.score - a.score);
    const out: typeof scored = [];
    for (const s of scored) {
      if (out.some((o) => o.text === s.text)) continue;
      out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Indicators the question names, best first, with the share of the name's bigrams asked. */
  function indicatorsIn(q: PreparedQuery): Array<{ ind: Indicator; share: number }> {
    // Chinese questions are matched on their own words: a synonym expansion ("污水" → 农村生活污水)
    // must not turn "乡镇生活污水处理率" into the 农村 indicator.
    const asked = new Set(tokensOfNormalized(q.english ? q.expansions.join(' ') : q.cleaned));
    // A rare word of the question that the indicator never mentions ("秸秆综合利用率") rules it out.
    const topic = new Set(tokensOfNormalized(withoutCues(q.cleaned)));
    const rare = [...asked].filter((t) => topic.has(t) && /\p{Script=Han}{2}/u.test(t) && index.has(t) && index.df(t) <= 3);
    // Roman numerals ("III类", "V类") tell two indicators apart: a question naming one excludes the other.
    const askedNumeral = numeral(q.normalized);
    const scored = indicatorInfo
      .map(({ ind, bigrams, numeral: ownNumeral }) => {
        let hits = 0;
        for (const b of bigrams) if (asked.has(b)) hits++;
        const share = bigrams.size ? hits / bigrams.size : 0;
        const p = indicatorPassage.get(ind);
        const own = `${p?.title ?? ''} ${p?.text ?? ''}`;
        const vetoed = rare.some((t) => !own.includes(t));
        return { ind, share, hits, latinOk: !vetoed && (askedNumeral === null || askedNumeral === ownNumeral) };
      })
      .filter(
        (s) =>
          s.latinOk &&
          s.hits >= 2 &&
          (s.share >= defaultAnswerOptions.indicatorOverlap ||
            s.hits >= defaultAnswerOptions.indicatorMinBigrams ||
            (s.share >= 0.5 && s.hits >= 4)),
      );
    if (scored.length === 0) return [];
    const best = Math.max(...scored.map((s) => s.share));
    return scored
      .filter((s) => s.share >= best - 0.1)
      .sort((a, b) => b.share - a.share)
      .map((s) => ({ ind: s.ind, share: s.share }));
  }

  /** The document a question names ("规划里…", "台账上…"), if it names just one. */
  function scopeOf(q: PreparedQuery): string | undefined {
    const plan = /规划/.test(q.normalized);
    const records = /台账/.test(q.normalized);
    if (plan && !records) return kb.planDoc?.id;
    if (records && !plan) return kb.recordsDoc?.id;
    return undefined;
  }

  /** Milestones that match the question, best first (only those of one document when it names one). */
  function milestonesFor(q: PreparedQuery, hits: Hit[]): Milestone[] {
    const scope = scopeOf(q);
    const terms = q.terms.filter((t) => index.has(t) && !/^\d/.test(t));
    const hitRows = new Set(
      hits
        .slice(0, 3)
        .map((h) => h.passage.row)
        .filter((r) => r !== undefined),
    );
    const scored = kb.milestones
      .filter((m) => (q.years.length === 0 || q.years.includes(m.year)) && (!scope || m.document === scope))
      .map((m) => {
        const toks = tokenSet(m.title);
        let score = 0;
        for (const t of terms) if (toks.has(t)) score += idf(index, t);
        const row = /^第(\d+)行/.exec(m.locator)?.[1];
        if (row && hitRows.has(Number(row))) score *= 1.3;
        return { m, score };
      })
      .filter((s) => s.score > 0);
    if (scored.length === 0) return [];
    const best = Math.max(...scored.map((s) => s.score));
    return scored
      .filter((s) => s.score >= best * 0.75)
      .sort((a, b) => b.score - a.score || a.m.year - b.m.year)
      .map((s) => s.m);
  }

  function unitsOf(hits: Hit[], inds: Indicator[]): Array<{ unit: string; from: Source }> {
    const out: Array<{ unit: string; from: Source }> = [];
    for (const ind of inds) {
      const p = kb.passages.find((x) => x.kind === 'indicator' && kb.indicators[x.indicator ?? -1] === ind);
      for (const d of ind.departments) if (p) out.push({ unit: d, from: source(p) });
    }
    for (const h of hits.slice(0, 3)) {
      const rec = h.passage.row ? kb.records.records[h.passage.row - 1] : undefined;
      if (rec?.unit)
        out.push({ unit: rec.unit, from: { ...source(h.passage), locator: `第${rec.row}行·整改责任单位`, excerpt: rec.unit } });
    }
    return uniqueBy(out, (u) => u.unit);
  }

  // ── composers, one per kind of answer ─────────────────────────────────────────────────────────

  function answerIndicators(q: PreparedQuery, intent: Intent, inds: Indicator[], lang: Lang): Answer {
    const lines: string[] = [];
    const sources: Source[] = [];
    for (const ind of inds.slice(0, 2)) {
      const p = kb.passages.find((x) => x.kind === 'indicator' && kb.indicators[x.indicator ?? -1] === ind);
      if (p) sources.push(source(p));
      const name = indicatorName(ind);
      const parts: string[] = [];
      if (ind.current)
        parts.push(
          say(
            lang,
            `${ind.current.year}年现状值${indicatorValue(ind, ind.current.value)}`,
            `${ind.current.year} value ${indicatorValue(ind, ind.current.value)}`,
          ),
        );
      for (const [y, v] of Object.entries(ind.targets)) {
        if (v === '*') parts.push(say(lang, `${y}年目标表中未列具体值（*）`, `no ${y} target value given (*)`));
        else parts.push(say(lang, `${y}年目标${indicatorValue(ind, v)}`, `${y} target ${indicatorValue(ind, v)}`));
      }
      if (ind.type) parts.push(say(lang, `${ind.type}指标`, `${ind.type === '约束性' ? 'binding' : 'expected'} indicator (${ind.type})`));
      if (ind.departments.length)
        parts.push(say(lang, `责任部门：${ind.departments.join('、')}`, `responsible: ${ind.departments.join('、')}`));
      if (ind.completion) parts.push(say(lang, `完成情况：${ind.completion}`, `status: ${ind.completion}`));
      const where = say(lang, `（规划${ind.table}）`, ` (plan, ${ind.table})`);
      const lead =
        intent === 'unit' && ind.departments.length
          ? say(lang, `${name}的责任部门是${ind.departments.join('、')}`, `${name} is the responsibility of ${ind.departments.join('、')}`)
          : name;
      lines.push(lang === 'en' ? `${lead}${where}: ${parts.join(', ')}. ` : `${lead}${where}：${parts.join('，')}。`);
    }
    // The table may list no department ("专栏1"): say so, and name the closest indicator that has one.
    let found = true;
    if (intent === 'unit' && inds.slice(0, 2).every((i) => i.departments.length === 0)) {
      found = false;
      const name = indicatorName(inds[0] as Indicator);
      const near = kb.indicators
        .filter((i) => i.departments.length > 0)
        .map((i) => ({ i, share: overlap(indicatorName(i), name) }))
        .filter((x) => x.share >= 0.5)
        .sort((a, b) => b.share - a.share)[0];
      lines.push(
        say(
          lang,
          `规划${(inds[0] as Indicator).table}没有列出该指标的责任部门。`,
          `The plan's ${(inds[0] as Indicator).table} lists no responsible department for it.`,
        ),
      );
      if (near) {
        const p = indicatorPassage.get(near.i);
        if (p) sources.push(source(p));
        lines.push(
          say(
            lang,
            `相近的${near.i.table}指标“${indicatorName(near.i)}”由${near.i.departments.join('、')}负责。`,
            `The similar ${near.i.table} indicator ${indicatorName(near.i)} is the responsibility of ${near.i.departments.join('、')}.`,
          ),
        );
      }
    }
    // Values the running text states for the same indicator: show them, and say so if they differ.
    const main = inds[0] as Indicator;
    const tableValue = main.current ? indicatorValue(main, main.current.value) : null;
    const stated = statedFor(main);
    const achieved = stated.filter((s) => !s.isTarget);
    const differing = achieved.filter((s) => s.value !== tableValue);
    for (const s of differing.slice(0, 2)) {
      sources.push(source(s.passage, s.clause));
      lines.push(
        say(
          lang,
          `另据${cite(s.passage, lang)}：“${s.clause}”——与规划表中的${tableValue ?? '数值'}不一致，两处数值并列供参考。`,
          `Note: ${cite(s.passage, lang)} states "${s.clause}", which differs from the plan table's ${tableValue ?? 'value'}; both are given.`,
        ),
      );
    }
    const goals = stated.filter((s) => s.isTarget);
    const wantsGoal = intent === 'target' || intent === 'deadline' || /目标|要达到|达到多少|target|goal/.test(q.normalized);
    if (wantsGoal && goals.length) {
      const g = goals[0] as (typeof goals)[number];
      sources.push(source(g.passage, g.clause));
      lines.push(say(lang, `目标表述（${cite(g.passage, lang)}）：${g.clause}。`, `Goal (${cite(g.passage, lang)}): ${g.clause}.`));
    }
    return result(
      q,
      intent === 'unit' || intent === 'target' || intent === 'deadline' ? intent : 'indicator',
      found,
      clip(lines.join(''), defaultAnswerOptions.maxLength + 80),
      sources,
    );
  }

  function answerContact(q: PreparedQuery, hits: Hit[], inds: Indicator[], lang: Lang): Answer {
    const units = unitsOf(hits, inds);
    const asked = [...q.normalized.matchAll(UNIT_PATTERN)].map((m) => m[0]);
    const candidates = [...new Set([...asked, ...units.map((u) => u.unit)])];
    const entered = candidates.flatMap((u) => deps.contacts?.forUnit(u) ?? []);
    if (entered.length > 0) {
      const text = entered
        .slice(0, 3)
        .map((c) =>
          say(
            lang,
            `${c.unit}：${c.name}，电话 ${c.phone}${c.hours ? `（${c.hours}）` : ''}${c.note ? `，${c.note}` : ''}`,
            `${c.unit}: ${c.name}, phone ${c.phone}${c.hours ? ` (${c.hours})` : ''}${c.note ? `, ${c.note}` : ''}`,
          ),
        )
        .join('；');
      return result(
        q,
        'contact',
        true,
        say(
          lang,
          `${text}。（联系人由管理员录入，不是台账原文。）`,
          `${text}. (Entered by the administrators; the records themselves list no contact.)`,
        ),
        units.map((u) => u.from),
      );
    }
    // Should a row ever fill its 社会监督联系人及电话 cell, that cell answers.
    const top = hits[0]?.passage;
    if (top?.row) {
      const rec = kb.records.records[top.row - 1];
      if (rec?.contact) {
        return result(
          q,
          'contact',
          true,
          say(
            lang,
            `社会监督联系人及电话：${rec.contact}（整改台账第${rec.row}行）。`,
            `Public supervision contact: ${rec.contact} (records row ${rec.row}).`,
          ),
          [source(top)],
        );
      }
    }
    const unitText = units.length ? units.map((u) => u.unit).join('、') : null;
    const text = say(
      lang,
      `整改台账的“社会监督联系人及电话”一栏为空，记录中没有联系人或电话。${unitText ? `责任单位：${unitText}。` : ''}如需反映污染问题，可以直接在这里举报（发送“举报”）。`,
      `The records' "public supervision contact and phone" (社会监督联系人及电话) column is empty: they list no contact person or phone.${unitText ? ` Responsible: ${unitText}.` : ''} To report pollution, send "report" here.`,
    );
    return result(
      q,
      'contact',
      false,
      text,
      units.map((u) => u.from),
    );
  }

  function answerUnit(q: PreparedQuery, hits: Hit[], lang: Lang): Answer | null {
    const top = hits[0]?.score ?? 0;
    const parts: string[] = [];
    const sources: Source[] = [];
    const said = new Set<string>();
    // "规划的责任部门有哪些": no topic but the document — list the departments the tables name.
    const topicTerms = tokensOfNormalized(withoutCues(q.cleaned).replace(/规划|台账|哪些|有/g, ' ')).filter((t) => index.has(t));
    if (topicTerms.length === 0) {
      const departments = [...new Set(kb.indicators.flatMap((i) => i.departments))];
      if (departments.length) {
        const count = (d: string) => kb.indicators.filter((i) => i.departments.includes(d)).length;
        const text = say(
          lang,
          `规划${[...new Set(kb.indicators.filter((i) => i.departments.length).map((i) => i.table))].join('、')}列出的责任部门：${departments.map((d) => `${d}（${count(d)}项指标）`).join('、')}。台账各行的责任单位为${[...new Set(kb.records.records.map((r) => r.unit).filter(Boolean))].join('、')}。`,
          `Departments named in the plan's tables: ${departments.map((d) => `${d} (${count(d)} indicators)`).join(', ')}.`,
        );
        return result(
          q,
          'unit',
          true,
          text,
          kb.passages
            .filter((p) => p.kind === 'indicator' && (kb.indicators[p.indicator ?? -1]?.departments.length ?? 0) > 0)
            .map((p) => source(p)),
        );
      }
    }
    // A sentence that names who does the very thing asked ("向市农业农村委提交整改销号申请") comes first.
    const rarest = [...topicTerms].sort((a, b) => index.df(a) - index.df(b))[0];
    const named = bestSentences(hits, q, 10).find(
      (s) => new RegExp(UNIT_PATTERN.source).test(s.text) && (!rarest || s.text.includes(rarest)),
    );
    if (named && rarest && index.df(rarest) <= 6) {
      parts.push(`${clip(named.text, 120)}${say(lang, `（${cite(named.passage, lang)}）`, ` (${cite(named.passage, lang)})`)}`);
      sources.push(source(named.passage, named.text));
    }
    for (const h of hits.slice(0, 4).filter((x) => x.score >= top * 0.5)) {
      const p = h.passage;
      const rec = p.row ? kb.records.records[p.row - 1] : undefined;
      const ind = p.indicator !== undefined ? kb.indicators[p.indicator] : undefined;
      if (rec?.unit && !said.has(`row${rec.row}`)) {
        said.add(`row${rec.row}`);
        parts.push(
          say(
            lang,
            `整改台账第${rec.row}行（${clip(rec.overview ?? '', 24)}）的责任单位：${rec.unit}。`,
            `Records row ${rec.row} (${clip(rec.overview ?? '', 24)}): responsible unit ${rec.unit}.`,
          ),
        );
        sources.push({ ...source(p), locator: `第${rec.row}行·整改责任单位`, excerpt: rec.unit });
      } else if (ind?.departments.length && !said.has(ind.name)) {
        said.add(ind.name);
        parts.push(
          say(
            lang,
            `${indicatorName(ind)}（规划${ind.table}）的责任部门：${ind.departments.join('、')}。`,
            `${indicatorName(ind)} (plan ${ind.table}): responsible ${ind.departments.join('、')}.`,
          ),
        );
        sources.push(source(p));
      } else if (p.kind === 'paragraph' && parts.length === 0) {
        // The plan names leading departments in its running text ("区农业农村委联合区生态环境局…").
        const named = bestSentences([h], q, 10).find((x) => new RegExp(UNIT_PATTERN.source).test(x.text));
        if (named) {
          parts.push(`${clip(named.text, 120)}${say(lang, `（${cite(p, lang)}）`, ` (${cite(p, lang)})`)}`);
          sources.push(source(p, named.text));
        }
      }
      if (parts.length >= 2) break;
    }
    if (parts.length === 0) {
      const related = bestSentences(hits, q, 1)[0];
      const text = say(
        lang,
        `整改台账和“十四五”规划没有写明这项工作的责任单位。${related ? `相关内容：${clip(related.text, 100)}（${cite(related.passage, lang)}）` : ''}`,
        `The records and the plan do not name a responsible unit for this.${related ? ` Related: ${clip(related.text, 100)} (${cite(related.passage, lang)})` : ''}`,
      );
      return result(q, 'unit', false, text, related ? [source(related.passage, related.text)] : []);
    }
    return result(q, 'unit', true, clip(parts.join(''), defaultAnswerOptions.maxLength), sources);
  }

  function answerDeadline(q: PreparedQuery, hits: Hit[], lang: Lang, now?: Date): Answer | null {
    // Near-identical targets (the overview and the target cell often repeat each other) are said once.
    const ms: Milestone[] = [];
    for (const m of milestonesFor(q, hits)) {
      if (ms.some((x) => x.dueDate === m.dueDate && overlap(x.title, m.title) > 0.6)) continue;
      ms.push(m);
      if (ms.length >= 2) break;
    }
    if (ms.length === 0) return null;
    const today = now ? now.toISOString().slice(0, 10) : null;
    const lines = ms.map((m) => {
      const passed = today && m.dueDate < today ? say(lang, '（该期限已过）', ' (this deadline has passed)') : '';
      const unit = m.unit ? say(lang, `，责任单位：${m.unit}`, `; responsible: ${m.unit}`) : '';
      const what = m.title.startsWith(m.dueLabel) ? m.title : `${m.dueLabel}：${m.title}`;
      return say(
        lang,
        `${what}${passed}${unit}（${cite(m, lang)}）`,
        `By ${m.year} (${m.dueLabel}): ${m.title}${passed}${unit} (${cite(m, lang)})`,
      );
    });
    const rec = ms.find((m) => /^第\d+行/.test(m.locator));
    const recRow = rec ? kb.records.records[Number(/^第(\d+)行/.exec(rec.locator)?.[1]) - 1] : undefined;
    const note =
      recRow && recRow.time === null
        ? say(
            lang,
            '台账“整改时间”一栏为空，期限取自原文。',
            " The records' 整改时间 column is empty; the deadline is taken from the text.",
          )
        : '';
    return result(
      q,
      'deadline',
      true,
      clip(`${lines.join(say(lang, '；', '; '))}${say(lang, '。', '.')}${note}`, defaultAnswerOptions.maxLength),
      ms.map(milestoneSource),
    );
  }

  function answerProgress(q: PreparedQuery, hits: Hit[], lang: Lang): Answer | null {
    const top = hits[0]?.score ?? 0;
    const effects = hits.filter((h) => h.passage.kind === 'effect' && h.score >= top * 0.5);
    const pool = effects.length ? effects : hits;
    const best = bestSentences(pool, q, 3, /完成|达到|实现|已|\d/);
    if (best.length === 0) return null;
    const first = best[0] as (typeof best)[number];
    // A table's effect item is short and whole: give all of it (its figures belong together).
    const lead =
      first.passage.kind === 'effect'
        ? {
            ...first,
            text: sentences(first.passage.text)
              .filter((x) => !/以下/.test(x))
              .join(''),
          }
        : first;
    const rec = lead.passage.row ? kb.records.records[lead.passage.row - 1] : undefined;
    const more = best
      .slice(1)
      .filter((b) => b.passage.id !== lead.passage.id && /\d/.test(b.text))
      .slice(0, 1);
    const unit = rec?.unit ? say(lang, `责任单位：${rec.unit}。`, ` Responsible unit: ${rec.unit}.`) : '';
    const text = `${clip(lead.text, 180)}${say(lang, `（${cite(lead.passage, lang)}）`, ` (${cite(lead.passage, lang)})`)}${more.map((m) => `${clip(m.text, 90)}（${cite(m.passage, lang)}）`).join('')}${unit}`;
    return result(
      q,
      'progress',
      true,
      clip(text, defaultAnswerOptions.maxLength),
      [lead, ...more].map((b) => source(b.passage, b.text)),
    );
  }

  function answerMeasures(q: PreparedQuery, hits: Hit[], lang: Lang): Answer | null {
    const top = hits[0]?.score ?? 0;
    const topRow = hits[0]?.passage.row;
    const measures = hits.filter(
      (h) =>
        h.passage.kind === 'measure' &&
        (h.score >= top * 0.8 || (topRow !== undefined && h.passage.row === topRow && h.score >= top * 0.4)),
    );
    if (measures.length > 0) {
      const row = measures[0]?.passage.row;
      const best = measures[0]?.score ?? 0;
      const items = measures
        .filter((h) => h.passage.row === row && h.score >= best * 0.5)
        .slice(0, 4)
        .sort((a, b) => a.passage.id - b.passage.id);
      const headOf = (h: Hit) => {
        const first = h.passage.text.split('\n')[0] ?? '';
        return (sentences(first)[0] ?? first).replace(/[。；]$/, '');
      };
      const heads = items.map((h) => clip(headOf(h), 40));
      // The points of one item ("一是…二是…") say more than its heading alone.
      const points =
        items.length === 1
          ? sentences((items[0] as Hit).passage.text)
              .filter((x) => /^[一二三四五六七八九]是/.test(x))
              .map((x) => clip(x.replace(/[。；]$/, ''), 40))
              .slice(0, 4)
          : [];
      const detail =
        points.length || items.length > 2
          ? null
          : bestSentences(items, q, 3).find((d) => !heads.some((hd) => d.text.startsWith(hd.slice(0, 10))));
      const rec = row ? kb.records.records[row - 1] : undefined;
      const body = points.length ? points.join('；') : heads.join('；');
      const text = say(
        lang,
        `主要措施（整改台账第${row}行）：${points.length ? `${heads[0]}：` : ''}${body}。${detail ? `其中：${clip(detail.text, 100)}` : ''}${rec?.unit ? `责任单位：${rec.unit}。` : ''}`,
        `Main measures (records row ${row}): ${points.length ? `${heads[0]}: ` : ''}${body}.${detail ? ` For example: ${clip(detail.text, 100)}` : ''}${rec?.unit ? ` Responsible unit: ${rec.unit}.` : ''}`,
      );
      return result(
        q,
        'measure',
        true,
        clip(text, defaultAnswerOptions.maxLength),
        items.map((h) => source(h.passage)),
      );
    }
    const best = bestSentences(hits, q, 2);
    if (best.length === 0) return null;
    const text = best.map((b) => `${clip(b.text, 130)}（${cite(b.passage, lang)}）`).join('');
    return result(
      q,
      'measure',
      true,
      text,
      best.map((b) => source(b.passage, b.text)),
    );
  }

  function answerTargets(q: PreparedQuery, hits: Hit[], lang: Lang, now?: Date): Answer | null {
    const namesYear = (p: Passage) => q.years.length === 0 || q.years.some((y) => p.text.includes(String(y)));
    const targets = hits.filter((h) => (h.passage.kind === 'target' || h.passage.kind === 'overview') && namesYear(h.passage));
    const ms = milestonesFor(q, hits);
    if (targets.length === 0 && ms.length === 0) return null;
    if (targets.length > 0 && (ms.length === 0 || (targets[0]?.score ?? 0) >= (hits[0]?.score ?? 0) * 0.8)) {
      const row = targets[0]?.passage.row;
      const same = targets.filter((t) => t.passage.row === row && t.passage.kind === 'target').slice(0, 3);
      const list = same.length ? same : targets.slice(0, 1);
      const rec = row ? kb.records.records[row - 1] : undefined;
      const text = say(
        lang,
        `整改目标（整改台账第${row}行）：${list.map((t) => clip(t.passage.text, 110)).join('；')}。${rec?.unit ? `责任单位：${rec.unit}。` : ''}`,
        `Targets (records row ${row}): ${list.map((t) => clip(t.passage.text, 110)).join('; ')}.${rec?.unit ? ` Responsible unit: ${rec.unit}.` : ''}`,
      );
      return result(
        q,
        'target',
        true,
        clip(text, defaultAnswerOptions.maxLength),
        list.map((t) => source(t.passage)),
      );
    }
    const d = answerDeadline(q, hits, lang, now);
    return d ? { ...d, intent: 'target' } : null;
  }

  function answerDocument(q: PreparedQuery, lang: Lang): Answer | null {
    const numbers = docNumbersIn(q.question);
    const all = allCitations;
    if (numbers.length > 0) {
      const keys = numbers.map(docNumberKey);
      const found = all.filter(
        (c) => c.number && keys.some((k) => docNumberKey(c.number as string).endsWith(k) || k.endsWith(docNumberKey(c.number as string))),
      );
      if (found.length === 0) return null;
      const c = found[0] as (typeof found)[number];
      return result(
        q,
        'document',
        true,
        say(
          lang,
          `${c.number}是《${c.title}》，见${cite(c.passage, lang)}。`,
          `${c.number} is 《${c.title}》, cited in ${cite(c.passage, lang)}.`,
        ),
        found.slice(0, 2).map((f) => source(f.passage)),
      );
    }
    // Each cited document scored by how much of the question its title and citing sentence cover.
    const terms = q.terms.filter((t) => index.has(t));
    const scoredCitations = allCitations
      .map((c) => {
        const sentence = sentencesOf(c.passage).find((s) => s.text.includes(c.title));
        const toks = new Set([...tokenSet(c.title), ...(sentence?.toks ?? [])]);
        // The passage around it counts too, at half weight: the measure "做严做实化肥农药减量工作"
        // cites its documents in sentences that no longer name the topic.
        const around = tokenSet(c.passage.text);
        let score = 0;
        for (const t of terms) score += toks.has(t) ? idf(index, t) : around.has(t) ? idf(index, t) / 2 : 0;
        return { c, score };
      })
      .filter((x) => x.score > 0);
    const bestScore = Math.max(0, ...scoredCitations.map((x) => x.score));
    const cited = scoredCitations
      .filter((x) => x.score >= bestScore * 0.6)
      .sort((a, b) => b.score - a.score)
      .map((x) => x.c);
    if (cited.length === 0) return null;
    const list = uniqueBy(cited, (c) => c.title).slice(0, 4);
    const text = say(
      lang,
      `相关文件：${list.map((c) => `《${c.title}》${c.number ? `（${c.number}）` : ''}`).join('、')}。`,
      `Documents cited: ${list.map((c) => `《${c.title}》${c.number ? ` (${c.number})` : ''}`).join(', ')}.`,
    );
    return result(
      q,
      'document',
      true,
      clip(text, defaultAnswerOptions.maxLength),
      list.map((c) => source(c.passage)),
    );
  }

  function answerPlace(q: PreparedQuery, places: string[], lang: Lang): Answer {
    const mentions = kb.passages.filter((p) => places.some((pl) => p.text.includes(pl)));
    if (mentions.length === 0) {
      return result(
        q,
        'place',
        false,
        say(
          lang,
          `整改台账和规划中没有提到${places.join('、')}的具体内容。`,
          `The records and the plan say nothing specific about ${places.join('、')}.`,
        ),
        [],
      );
    }
    const hits: Hit[] = mentions.map((p) => ({ passage: p, score: 1, matched: [] }));
    const withPlace = hits.flatMap((h) =>
      sentences(h.passage.text)
        .filter((s) => places.some((pl) => s.includes(pl)))
        .map((s) => ({ text: s, passage: h.passage })),
    );
    const scoreOf = (s: string) => q.terms.filter((t) => index.has(t) && s.includes(t)).length;
    withPlace.sort((a, b) => scoreOf(b.text) - scoreOf(a.text));
    const top = withPlace.slice(0, 2);
    const text = top.map((t) => `${clip(t.text, 130)}（${cite(t.passage, lang)}）`).join('');
    return result(
      q,
      'place',
      true,
      clip(text, defaultAnswerOptions.maxLength),
      top.map((t) => source(t.passage, t.text)),
    );
  }

  /** The best sentence that states a figure. */
  function answerFigure(q: PreparedQuery, intent: Intent, hits: Hit[], lang: Lang, wanted?: RegExp): Answer | null {
    // "多少人" / "几次": the measure word says which figure is meant.
    const countMatch = /(?:多少|几)(个|位|名|[人次家种项起亩吨座块户钱元])([\u4e00-\u9fa5]{0,4})/.exec(q.normalized);
    const asked = countMatch?.[1] ?? (/资金/.test(q.normalized) ? '元' : undefined);
    // "几个监测井": the counted thing must be in the sentence that gives the count.
    const noun = (countMatch?.[2] ?? '').replace(/[的了吗呢是有]+$/, '').slice(0, 2);
    // "how many aquaculture farms": the counted noun is any word of the question with a known unit.
    const english = /how many/.test(q.normalized)
      ? q.normalized.split(/[^a-z]+/).find((w) => w in ENGLISH_UNITS)
      : /how much (money|funding|funds|investment)/.test(q.normalized)
        ? 'money'
        : undefined;
    const unit = asked === '钱' ? '元' : (asked ?? (english ? ENGLISH_UNITS[english] : undefined));
    const prefer = wanted ?? (unit ? new RegExp(`\\d+(?:\\.\\d+)?(?:多)?万?${unit}`) : /\d/);
    // A year ("到2025年") is no answer to "how many".
    // Nor is a year, a document number or a position ("第2项").
    const figure = (s: string) =>
      /\d/.test(s.replace(/20\d{2}\s*年|20\d{2}[—-]20\d{2}|[[(（〔]20\d{2}[\])）〕]\d*号?|第\d+[项段行条]/g, ''));
    const best = bestSentences(hits, q, 12, prefer, 12).filter((b) => figure(b.text));
    // With a measure word, a sentence that counts in it is the answer if there is one.
    const counted = unit || wanted ? best.filter((b) => prefer.test(b.text) && (!noun || b.text.includes(noun))) : [];
    // With a measure word, only a sentence counting in it answers; without one, any figure does.
    const lead = wanted || unit ? counted[0] : best[0];
    if (!lead) return null;
    const text = say(
      lang,
      `${clip(lead.text, 200)}（${cite(lead.passage, lang)}）`,
      `${clip(lead.text, 200)} (${cite(lead.passage, lang)})`,
    );
    // The passage that holds the figure says what was asked: a result, a measure, a target.
    const kind = intent === 'progress' ? intent : fallbackIntent([{ passage: lead.passage, score: 1, matched: [] }]);
    return result(q, kind, true, text, [source(lead.passage, lead.text)]);
  }

  function answerGeneral(q: PreparedQuery, intent: Intent, hits: Hit[], lang: Lang): Answer | null {
    const best = bestSentences(hits, q, 2);
    if (best.length === 0) return null;
    const text = best.map((b) => `${clip(b.text, 140)}（${cite(b.passage, lang)}）`).join('');
    return result(
      q,
      intent,
      true,
      clip(text, defaultAnswerOptions.maxLength),
      best.map((b) => source(b.passage, b.text)),
    );
  }

  /** A rate the running text states ("卫生厕所普及率提高到85.64%"), with any target for it. */
  function answerMetric(q: PreparedQuery, intent: Intent, metric: string, clauses: PercentClause[], lang: Lang): Answer {
    const achieved = clauses.filter((c) => !c.isTarget);
    const goals = clauses.filter((c) => c.isTarget);
    const wantsGoal = intent === 'target' || intent === 'deadline' || /目标|要达到|提高到|target|goal/.test(q.normalized);
    const ordered = wantsGoal ? [...goals, ...achieved] : [...achieved, ...goals];
    const shown = uniqueBy(ordered, (c) => c.clause).slice(0, 2);
    const text = shown
      .map((c) => {
        const full = sentencesOf(c.passage).find((s) => s.text.includes(c.clause))?.text ?? c.clause;
        return `${clip(full, 110)}（${cite(c.passage, lang)}）`;
      })
      .join('');
    const head = say(lang, `${metric}：`, `${metric}: `);
    const kind: Intent = ['deadline', 'target', 'progress'].includes(intent) ? intent : wantsGoal && goals.length ? 'target' : 'indicator';
    return result(
      q,
      kind,
      true,
      clip(`${head}${text}`, defaultAnswerOptions.maxLength),
      shown.map((c) => source(c.passage, c.clause)),
    );
  }

  /** "台账第一行的整改目标": straight from the named row's cells. */
  function answerRow(q: PreparedQuery, intent: Intent, row: number, lang: Lang): Answer | null {
    const rec = kb.records.records[row - 1];
    if (!rec || !kb.recordsDoc) {
      return result(
        q,
        intent,
        false,
        say(
          lang,
          `整改台账没有第${row}行（共${kb.records.records.length}行）。`,
          `The records have no row ${row} (there are ${kb.records.records.length}).`,
        ),
        [],
      );
    }
    const passages = kb.passages.filter((p) => p.row === row);
    const cell = (kind: Passage['kind']) => passages.filter((p) => p.kind === kind);
    const pick: Record<string, { name: string; kind: Passage['kind'] }> = {
      target: { name: '整改目标', kind: 'target' },
      deadline: { name: '整改目标', kind: 'target' },
      measure: { name: '整改措施', kind: 'measure' },
      progress: { name: '成效', kind: 'effect' },
    };
    const wanted = /措施|怎么|如何/.test(q.normalized)
      ? pick.measure
      : /成效|进展|完成/.test(q.normalized)
        ? pick.progress
        : (pick[intent] ?? null);
    if (intent === 'unit' || intent === 'contact') {
      const text = say(
        lang,
        `整改台账第${row}行的整改责任单位：${rec.unit ?? '（空）'}；社会监督联系人及电话：${rec.contact ?? '（空，台账未填写）'}。`,
        `Records row ${row}: responsible unit ${rec.unit ?? '(blank)'}; contact: ${rec.contact ?? '(blank)'}.`,
      );
      return result(
        q,
        intent,
        true,
        text,
        passages.slice(0, 1).map((p) => source(p)),
      );
    }
    const chosen = wanted ? cell(wanted.kind) : cell('overview');
    if (chosen.length === 0) return null;
    const name = wanted?.name ?? '整改任务概述';
    const items = chosen.map((p) => clip((p.text.split('\n')[0] ?? p.text).replace(/[。；]$/, ''), 90));
    const text = say(
      lang,
      `整改台账第${row}行·${name}：${items.join('；')}。${rec.unit ? `责任单位：${rec.unit}。` : ''}`,
      `Records row ${row}, ${name}: ${items.join('; ')}.`,
    );
    return result(
      q,
      intent === 'deadline' ? 'deadline' : wanted?.kind === 'measure' ? 'measure' : wanted?.kind === 'effect' ? 'progress' : 'target',
      true,
      clip(text, defaultAnswerOptions.maxLength),
      chosen.map((p) => source(p)),
    );
  }

  /** Questions about the documents themselves: how many rows the table has, the plan's chapters. */
  function answerStructure(q: PreparedQuery, lang: Lang): Answer | null {
    const n = q.normalized;
    if (/台账/.test(n) && /(几|多少)(条|项|个|行)?(整改)?(任务|问题|条|行)|哪些(整改)?(任务|问题)/.test(n) && kb.recordsDoc) {
      const rows = kb.records.records;
      const text = say(
        lang,
        `整改台账共${rows.length}条整改任务：${rows.map((r) => `第${r.row}行，${clip(r.overview ?? '', 40)}（责任单位：${r.unit ?? '未填'}）`).join('；')}。`,
        `The records hold ${rows.length} rectification tasks: ${rows.map((r) => `row ${r.row}: ${clip(r.overview ?? '', 40)} (unit: ${r.unit ?? '—'})`).join('; ')}.`,
      );
      const ps = kb.passages.filter((p) => p.kind === 'overview');
      return result(
        q,
        'target',
        true,
        clip(text, defaultAnswerOptions.maxLength),
        ps.map((p) => source(p)),
      );
    }
    if (/规划/.test(n) && /(几|多少|哪些)(个)?章|章节|目录|结构/.test(n) && kb.planDoc) {
      const chapters = kb.plan.sections.filter((s) => s.level === 1);
      // Sections before the first chapter heading: the export lost that heading.
      const headless = kb.plan.root.children.some((c) => c.level > 1);
      const text = say(
        lang,
        `规划文本中的各章：${chapters.map((c) => `${c.number}${c.title}`).join('、')}${headless ? '（文本开头的现状与问题部分没有章标题）' : ''}。`,
        `Chapters of the plan text: ${chapters.map((c) => `${c.number}${c.title}`).join(', ')}.`,
      );
      const firsts = chapters.flatMap((c) =>
        kb.passages.filter((p) => p.kind === 'paragraph' && p.locator.startsWith(`${c.number}${c.title}`)).slice(0, 1),
      );
      return result(
        q,
        'document',
        true,
        text,
        firsts.map((p) => source(p)),
      );
    }
    return null;
  }

  /**
   * A question that names a section of the plan ("规划的基本原则", "保障措施有哪些"): the lead
   * phrases of its paragraphs, which are how the plan itself lists them.
   */
  function answerSection(q: PreparedQuery, lang: Lang): Answer | null {
    const asked = tokenSet(`${withoutCues(q.cleaned)} ${q.expansions.join(' ')}`);
    const mentionsPlan = /规划|plan/.test(q.normalized);
    // A list is an answer only for a section of a few items; a long one (where the export lost the
    // headings inside it) is better answered sentence by sentence.
    const listable = (n: number) => n >= 2 && n <= 8;
    const sections = kb.plan.sections.filter(
      (s) => s.title.length >= 2 && (listable(s.paragraphs.length) || (s.paragraphs.length === 0 && listable(s.children.length))),
    );
    const head = (title: string) => title.slice(-2);
    const scored = sections
      .map((section) => {
        const title = tokenSet(section.title);
        let n = 0;
        for (const t of title) if (asked.has(t)) n++;
        return { section, share: title.size ? n / title.size : 0, headAsked: asked.has(head(section.title)) };
      })
      // Most of the title asked for; or its head word ("原则") when the question is about the plan
      // and only one section has that head.
      .filter(
        (x) =>
          x.share >= 0.6 || (x.headAsked && mentionsPlan && sections.filter((s) => head(s.title) === head(x.section.title)).length === 1),
      )
      .sort((a, b) => b.share - a.share || b.section.title.length - a.section.title.length);
    const s = scored[0]?.section;
    if (!s || !kb.planDoc) return null;
    const items = s.paragraphs.length
      ? s.paragraphs.map((p) => /^[^。；]{2,24}[。；]/.exec(p)?.[0].replace(/[。；]$/, '') ?? clip(p, 30))
      : s.children.map((c) => `${c.number}${c.title}`);
    const where = `${docShort(kb.planDoc.id, lang)}${lang === 'en' ? ' ' : ''}${s.number}${s.title}`;
    const text = say(lang, `${where}：${items.join('；')}。`, `${where}: ${items.join('; ')}.`);
    const inSection = (p: Passage) => p.kind === 'paragraph' && p.locator.startsWith(s.path.join(' > '));
    return result(
      q,
      'measure',
      true,
      clip(text, defaultAnswerOptions.maxLength),
      kb.passages.filter(inSection).map((p) => source(p)),
    );
  }

  /** "专栏2有哪些约束性指标": a list of indicators by table or type. */
  function listIndicators(q: PreparedQuery, lang: Lang): Answer | null {
    const table = /专栏\s*(\d+)/.exec(q.normalized)?.[1];
    const type =
      /约束性|预期性/.exec(q.normalized)?.[0] ??
      (/binding/.test(q.normalized) ? '约束性' : /expected/.test(q.normalized) ? '预期性' : null);
    const asksList = /哪些|哪几|有几|几个|多少个|列出|全部|所有|which|list|all/.test(q.normalized);
    if (!asksList || (!table && !type)) return null;
    const list = kb.indicators.filter((i) => (!table || i.table === `专栏${table}`) && (!type || i.type === type));
    if (list.length === 0) return null;
    const text = say(
      lang,
      `${table ? `专栏${table}` : '规划'}中${type ? `的${type}指标` : '的指标'}共${list.length}项：${list.map((i) => `${indicatorName(i)}${i.targets[2025] && i.targets[2025] !== '*' ? `（2025年目标${indicatorValue(i, i.targets[2025])}）` : ''}`).join('；')}。`,
      `${list.length} ${type ? `${type === '约束性' ? 'binding' : 'expected'} ` : ''}indicators${table ? ` in 专栏${table}` : ''}: ${list.map((i) => indicatorName(i)).join('; ')}.`,
    );
    const sources = kb.passages.filter((p) => p.kind === 'indicator' && list.includes(kb.indicators[p.indicator ?? -1] as Indicator));
    return result(
      q,
      'indicator',
      true,
      clip(text, defaultAnswerOptions.maxLength),
      sources.map((p) => source(p)),
    );
  }

  /** The intent of a question without cue words: what its best passage is. */
  function fallbackIntent(hits: Hit[]): Intent {
    const p = hits[0]?.passage;
    if (!p) return 'offtopic';
    const byKind: Record<Passage['kind'], Intent> = {
      effect: 'progress',
      measure: 'measure',
      target: 'target',
      overview: 'target',
      indicator: 'indicator',
      paragraph: /目标/.test(p.title) ? 'target' : /进展|管控|成效|完成/.test(p.title) ? 'progress' : 'measure',
    };
    return byKind[p.kind];
  }

  function notFound(q: PreparedQuery, intent: Intent, what: string | null, lang: Lang): Answer {
    const text = what
      ? say(
          lang,
          `整改台账和“十四五”规划中没有关于“${what}”的记录，我不能给出这方面的数字或结论。`,
          `The records and the plan contain nothing about "${what}", so I cannot give figures or conclusions on it.`,
        )
      : say(
          lang,
          '整改台账和“十四五”规划中没有找到能回答这个问题的内容。',
          'The records and the plan do not contain an answer to this question.',
        );
    return result(q, intent, false, text, []);
  }

  function fixedAnswer(q: PreparedQuery, intent: Intent, found: boolean, zh: string, en: string): Answer {
    return result(q, intent, found, q.english ? en : zh, []);
  }

  function kindWeight(intent: Intent | null): (p: Passage) => number {
    const table: Partial<Record<Intent, Partial<Record<Passage['kind'], number>>>> = {
      progress: { effect: 2, overview: 1.1, measure: 0.8 },
      measure: { measure: 1.3, paragraph: 1.1, effect: 0.8 },
      target: { target: 2, overview: 1.5, indicator: 1.2 },
      deadline: { target: 2, overview: 1.5, indicator: 1.2 },
      indicator: { indicator: 2 },
      unit: { overview: 1.3, target: 1.3, indicator: 1.5 },
    };
    const w = intent ? table[intent] : undefined;
    return (p) => w?.[p.kind] ?? 1;
  }

  return {
    answer(question, now) {
      const q = prepareQuery(question, lexicon, index.has, withoutCues);
      const lang: Lang = q.english ? 'en' : 'zh';
      const cued = q.question.trim() === '' ? 'help' : classify(q.normalized);
      if (cued === 'greeting' || cued === 'help') {
        return fixedAnswer(
          q,
          cued,
          true,
          '您好，我是江津区“整改助手”。可以问我农业农村污染整改台账和“十四五”土壤污染防治规划中的目标、期限、责任单位、进展、指标和措施，例如“尾水整改完成了多少？”；发现污染可以直接说“我要举报”，我会帮您登记并给出受理编号。',
          'Hello, I am the Jiangjin Rectify Assistant (整改助手). Ask me about the rectification records and the 14th Five-Year plan: targets, deadlines, responsible units, progress, indicators and measures, e.g. "How much tailwater rectification was completed?". To report pollution, say "I want to report".',
        );
      }
      if (cued === 'complaint') {
        return fixedAnswer(
          q,
          'complaint',
          true,
          '好的，我来帮您登记污染举报：请发送 /report 或直接说“举报”，按提示说明地点、情况和照片，提交后会给您受理编号。',
          'I can file your pollution report: send /report (or "举报") and answer a few questions about the place, what is happening and any photos; you will get a ticket number.',
        );
      }
      const metric = q.english ? null : metricPhrase(q.cleaned);
      // "粪污利用率" names the table's 畜禽粪污综合利用率: its words, in order, with the same head.
      const askedNumeral = numeral(q.normalized);
      const byMetric =
        metric && metric.length >= 4
          ? kb.indicators.filter(
              (i) =>
                indicatorName(i).includes(metric.slice(-3)) &&
                overlap(metric, indicatorName(i)) >= 0.7 &&
                (askedNumeral === null || askedNumeral === numeral(normalize(indicatorName(i)))),
            )
          : [];
      const scoredInds = byMetric.length ? byMetric.map((ind) => ({ ind, share: 1 })) : indicatorsIn(q);
      const inds = scoredInds.map((s) => s.ind);
      const metricClauses = metric ? clausesFor(metric, allPercents) : [];
      // A table indicator that the question names (nearly) wins; otherwise a rate the text states does.
      const exactIndicator =
        (scoredInds[0]?.share ?? 0) >= 0.8 || (metric !== null && inds[0] !== undefined && overlap(metric, indicatorName(inds[0])) >= 0.7);
      const hasYearElsewhere = q.years.filter((y) => !corpusYears.has(y));
      // "台账第一行…": the question names a row of the table (and so the table).
      const rowRef = /第([一二三四五六七八九十\d]+)(?:行|条)/.exec(q.normalized)?.[1];
      const row = rowRef ? (/\d/.test(rowRef) ? Number(rowRef) : '一二三四五六七八九十'.indexOf(rowRef) + 1) : null;
      const scope = row ? kb.recordsDoc?.id : scopeOf(q);
      const weight = kindWeight(cued);
      const hits = index
        .search(q, {
          limit: 12,
          weight: (p) => (scope && p.document !== scope ? 0 : row && p.row !== undefined && p.row !== row ? 0 : weight(p)),
        })
        .filter((h) => h.score > 0);
      // A figure the question quotes ("670万吨是什么") is in the passages that answer it.
      const quoted = q.terms.filter((t) => /\d/.test(t) && !/^20\d{2}$/.test(t) && index.has(t));
      if (quoted.length) {
        const withFigure = hits.filter((h) => quoted.every((t) => tokenSet(h.passage.text).has(t)));
        if (withFigure.length) hits.splice(0, hits.length, ...withFigure);
      }
      const places = lexicon.towns.filter((t) => q.normalized.includes(t) || q.normalized.includes(t.replace(/(镇|街道)$/, '')));
      const hanChars = hanLength(q.cleaned);
      const unknownChars = q.unknown.reduce((n, u) => n + u.length, 0);
      const domain =
        DOMAIN.test(q.normalized) ||
        q.expansions.length > 0 ||
        inds.length > 0 ||
        metricClauses.length > 0 ||
        q.terms.some((t) => /\d/.test(t) && !/^20\d{2}$/.test(t) && index.has(t));
      if (cued === 'contact') return answerContact(q, hits, inds, lang);
      if (!domain && places.length === 0 && (hits.length === 0 || unknownChars >= hanChars * 0.4)) {
        return fixedAnswer(
          q,
          'offtopic',
          false,
          '抱歉，这个问题不在我的范围内。我只回答江津区农业农村污染整改台账和“十四五”土壤污染防治规划的问题（目标、期限、责任单位、进展、指标、措施等），也可以受理污染举报。',
          "Sorry, that is outside what I cover. I answer questions about Jiangjin's rural pollution rectification records and its 14th Five-Year soil plan (targets, deadlines, units, progress, indicators, measures), and I take pollution reports.",
        );
      }
      const intent: Intent = cued ?? fallbackIntent(hits);
      if (hasYearElsewhere.length > 0) return notFound(q, intent, `${hasYearElsewhere.join('、')}年`, lang);
      const structure = answerStructure(q, lang);
      if (structure) return structure;
      if (row) {
        const fromRow = answerRow(q, intent, row, lang);
        if (fromRow) return fromRow;
      }
      const missing = q.unknown.filter(missingTopic);
      if (missing.length > 0 && inds.length === 0 && metricClauses.length === 0) return notFound(q, intent, missing.join('、'), lang);
      if (places.length > 0) {
        const inPlace = hits.filter((h) => places.some((p) => h.passage.text.includes(p)));
        if (cued === null || ['place', 'target', 'measure'].includes(cued) || inPlace.length === 0) {
          return answerPlace(q, places, lang);
        }
        hits.splice(0, hits.length, ...inPlace);
      }
      if (hits.length === 0 && inds.length === 0) return notFound(q, intent, null, lang);

      const byIntent = (): Answer | null => {
        if (intent === 'measure' || intent === 'target' || /哪些|什么|有几|what are/.test(q.normalized)) {
          const section = answerSection(q, lang);
          if (section && inds.length === 0 && metricClauses.length === 0) return section;
        }
        if (metricClauses.length > 0 && !exactIndicator && intent !== 'measure' && intent !== 'document') {
          return answerMetric(q, intent, metric as string, metricClauses, lang);
        }
        const effectFirst = intent === 'progress' && hits[0]?.passage.kind === 'effect';
        if (inds.length > 0 && !effectFirst && intent !== 'measure' && intent !== 'document' && intent !== 'place') {
          if (intent !== 'deadline' || Object.keys(inds[0]?.targets ?? {}).length > 0) return answerIndicators(q, intent, inds, lang);
        }
        switch (intent) {
          case 'unit':
            return answerUnit(q, hits, lang);
          case 'deadline':
            // A date the records do not give is not to be guessed from nearby sentences.
            return answerDeadline(q, hits, lang, now) ?? notFound(q, 'deadline', null, lang);
          case 'progress':
            return answerProgress(q, hits, lang);
          case 'measure':
            return answerMeasures(q, hits, lang);
          case 'target':
            return answerTargets(q, hits, lang, now);
          case 'document':
            return answerDocument(q, lang);
          case 'place':
            return answerGeneral(q, 'place', hits, lang);
          default:
            return answerGeneral(q, intent, hits, lang);
        }
      };
      // "召开了几次…", "专班有多少人", "投入多少钱": a figure is wanted, whatever passage kind matched
      // best; with a measure word it is wanted even when the question also sounds like progress.
      // "多久能销号", "几天内": a duration, which the text states in days or months.
      if (/多久|多长时间|几天|几个月/.test(q.question) && hits.length) {
        const duration = answerFigure(q, intent, hits, lang, /\d+\s*(个工作日|天|日|个月|月)/);
        if (duration) return duration;
      }
      // "专栏1有几个指标" counts the table's rows, not a figure in the text.
      const listed = listIndicators(q, lang);
      if (listed && inds.length === 0) return listed;
      const wantsFigure = /多少|多大|面积|几[次个家种项起人亩吨万年]|how (many|much)/.test(q.normalized);
      const measureWord = /(?:多少|几)(个|位|名|[人次家种项起亩吨座块户钱元])|资金/.test(q.normalized);
      // A count in a measure word ("多少座", "多少亩") is no indicator's rate, unless the question names the indicator.
      const figureFirst = inds.length === 0 || (measureWord && !exactIndicator);
      if (
        wantsFigure &&
        figureFirst &&
        metricClauses.length === 0 &&
        (cued === null || (measureWord && ['progress', 'indicator'].includes(cued)))
      ) {
        const figure = answerFigure(q, intent, hits, lang);
        if (figure) return figure;
        // A count in a measure word ("几个监测井") that no sentence gives is not in the records.
        if (measureWord) return notFound(q, intent, null, lang);
      }
      const specific = byIntent();
      if (specific) return specific;
      if (intent === 'document' && docNumbersIn(q.question).length > 0)
        return notFound(q, 'document', docNumbersIn(q.question).join('、'), lang);
      return answerGeneral(q, intent, hits, lang) ?? notFound(q, intent, null, lang);
    },
  };
}
