/**
 * The shared context of one answer: the analysed question merged with the previous topic when it is
 * a follow-up, the documents in scope, and the retrieved statements (computed once, on demand).
 * Every handler reads this; none re-analyses the question.
 */
import type { DocumentInfo, KnowledgeBase } from '../base.js';
import type { Statement, StatementIndex } from '../evidence/statements.js';
import type { LedgerView } from '../ledger.js';
import type { AnswerType, Lexicon } from '../lexicon.js';
import type { Query, Term } from '../query/analyze.js';
import { defaultRenderOptions } from './render.js';
import { compoundHold, defaultRetrieveOptions, nearOf, retrieve, type Scored, sectionOf } from './retrieve.js';
import type { Answer, ContactDirectory, Intent, Source, Topic } from './types.js';

/** The defaults of answering, named so tests and the benchmark can refer to them. */
export const defaultAnswerOptions = {
  ...defaultRenderOptions,
  /** The best statement must cover this share of the question's term weight to count as an answer. */
  minCoverage: 0.6,
  /** An answer that shows two documents' differing figures side by side may be this long. */
  maxConflictLength: 420,
  /** Words the documents never use outweighing this share of the known words make the records silent. */
  unknownShare: 0.8,
  /** A second document's statement is shown beside the first when it scores this share of it. */
  secondOpinion: 0.75,
  /** An indicator is meant when its name covers this share of the question's term weight… */
  indicatorCoverage: 0.6,
  /** A question's term is in an indicator's name when this share of its bigrams is. */
  indicatorTermShare: 0.8,
  /** …and the question covers this share of the name's bigrams. */
  indicatorNameShare: 0.34,
  /** A statement shorter than this is shown with the sentences after it. */
  shortStatement: 40,
  /** A sentence states an indicator's measure under another wording when it holds this share of the name's bigrams. */
  sameMeasureShare: 0.8,
  /** A follow-up is read against a topic at most this old (milliseconds). */
  topicTtlMs: 30 * 60 * 1000,
  /** How far around a count (characters) its members are looked for: "A、B等2个镇". */
  rosterWindow: 60,
  /**
   * A follow-up that names a thing of its own keeps the carried words at this share of their weight:
   * they frame it ("因为这个缓办了几起": 缓办 beside the last answer), they do not outweigh it.
   */
  framingWeight: 0.3,
};

/** What the answerer is made of. */
export interface AnswererDeps {
  kb: KnowledgeBase;
  statements: StatementIndex;
  lexicon: Lexicon;
  analyze: (q: string) => Query;
  /** Builds a term from a word (for topics carried over from the previous answer). */
  termOf: (forms: string[]) => Term;
  /** Whether the documents contain a normalised word verbatim. */
  contains: (word: string) => boolean;
  contacts?: ContactDirectory;
  ledger?: LedgerView;
  options?: Partial<typeof defaultAnswerOptions>;
}

/** One answer in the making. */
export interface AnswerContext {
  deps: AnswererDeps;
  options: typeof defaultAnswerOptions;
  query: Query;
  lang: 'zh' | 'en';
  now: Date;
  /** Content terms: the question's, plus the previous topic's when this is a follow-up. */
  terms: Term[];
  types: AnswerType[];
  years: number[];
  docNumbers: string[];
  /** The documents in scope (null: all). */
  documents: Set<string> | null;
  /** The previous topic, when this question was read as its follow-up. */
  followed: Topic | null;
  /** Statements an answer showed beyond the ones it used (the sentences after a short one): "还有呢" goes on after them. */
  shown: Statement[];
  /** Retrieved statements (cached). */
  hits(): Scored[];
  /** Retrieval with other terms or kinds. */
  search(terms: Term[], types?: AnswerType[], years?: number[]): Scored[];
  doc(id: string): DocumentInfo | undefined;
}

/**
 * The part of a carried word that a new word stands beside in the documents as its peer
 * ("化肥农药", "化肥、农药", "城镇和农村"): the whole word, or a leading part of a compound; null when
 * the documents never coordinate them.
 */
export function coordinateIn(carried: string, fresh: string, contains: (w: string) => boolean): string | null {
  if (carried === fresh || carried.includes(fresh)) return null;
  const candidates = [carried, ...[2, 3].map((n) => carried.slice(0, n)).filter((p) => p.length < carried.length)];
  for (const part of candidates) {
    if (part.length < 2 || fresh.length < 2) continue;
    for (const joint of ['', '、', '和', '与', '及']) {
      // Set side by side without a joint, words of unequal length are a modifier and its head
      // ("化肥利用率"), not peers ("化肥农药").
      if (joint === '' && part.length !== fresh.length) continue;
      // …and a new word written before the whole carried one ("地膜回收站点" after 回收站点) modifies it.
      if (joint === '' && part !== carried && contains(`${fresh}${carried}`)) continue;
      if (contains(`${part}${joint}${fresh}`) || contains(`${fresh}${joint}${part}`)) return part;
    }
    // A compound whose head the new word can take ("城镇" for "农村" in "农村供水"): the
    // documents have the new compound too.
    const rest = carried.slice(part.length);
    if (part !== carried && part.length === fresh.length && rest.length >= 2 && contains(`${fresh}${rest}`)) return part;
  }
  return null;
}

/**
 * "是约束性的还是预期性的": the words on either side of 还是 (or "A or B") are alternatives — a
 * statement that holds either answers — so they become one term with both words as its forms.
 */
export function alternatives(normalized: string, terms: Term[]): Term[] {
  const at = normalized.search(/还是|或者|\bor\b/);
  if (at < 0) return terms;
  const before = terms.filter((t) => t.known && normalized.lastIndexOf(t.text, at) >= 0 && normalized.indexOf(t.text) < at);
  const after = terms.filter((t) => t.known && normalized.indexOf(t.text, at) > at);
  const a = before[before.length - 1];
  const b = after[0];
  if (!a || !b || a === b) return terms;
  const either: Term = {
    ...a,
    text: `${a.text}/${b.text}`,
    forms: [...a.forms, ...b.forms],
    grams: [...a.grams, ...b.grams],
    weight: Math.max(a.weight, b.weight),
    compound: false,
  };
  return terms.flatMap((t) => (t === a ? [either] : t === b ? [] : [t]));
}

/**
 * Whether a question with words of its own but no follow-up cue ("重点是哪些区域" after an answer
 * on rural sewage) goes on with the topic at hand: the statements beside the last answer's hold
 * every one of its words, as well as any statement elsewhere does.
 */
function continues(deps: AnswererDeps, previous: Topic, own: Term[], query: Query): boolean {
  const known = own.filter((t) => t.known && t.text.length > 1);
  const near = nearOf(deps.statements, previous.statements);
  if (!known.length || !near) return false;
  const want = { types: query.types, years: query.years, documents: null, units: query.valueUnits, frequency: query.frequency };
  const alone = retrieve(deps.statements, known, want, defaultRetrieveOptions)[0];
  const beside = retrieve(deps.statements, known, { ...want, near }, defaultRetrieveOptions).find((h) =>
    near.sections.has(sectionOf(h.statement.passage.locator)),
  );
  if (!beside || beside.coverage < 1) return false;
  return !alone || beside.score >= alone.score / defaultRetrieveOptions.sameSectionBonus;
}

/** Whether the question's own words, alone, find a statement that holds every one of them. */
function standsAlone(deps: AnswererDeps, own: Term[], query: Query): boolean {
  const known = own.filter((t) => t.known);
  const want = { types: query.types, years: query.years, documents: null, units: query.valueUnits, frequency: query.frequency };
  return (retrieve(deps.statements, known, want, defaultRetrieveOptions)[0]?.coverage ?? 0) >= 1;
}

/** An ellipsis ends in 呢 ("那农药呢"). */
const ELLIPSIS_END = /呢[?？!！。\s]*$/;

/** Words that point back at the previous topic itself ("这个", "它", "it"). */
const ANAPHOR_WORDS = /这个|这项|这些|该|它|其|\bit\b|\bthis\b|\bthat\b|\bthey\b/;

/** Builds the context of one question. */
export function createContext(deps: AnswererDeps, question: string, now: Date, previous: Topic | null, forceFollow = false): AnswerContext {
  const options = { ...defaultAnswerOptions, ...deps.options };
  const query = deps.analyze(question);
  // One character ("钱", "水") is too little to be a topic of its own.
  const knownOwn = query.terms.filter((t) => t.known && t.text.length > 1);
  // With a topic at hand, a message that names nothing of its own ("咋个治嘛") leans on it too.
  // …unless it tells of pollution happening: that is a report, not a follow-up.
  const telling = ['act', 'state', 'report'].some((cue) => query.cues.has(cue as 'act'));
  const bare = knownOwn.length === 0 && query.unknown.length === 0 && query.districts.length === 0 && !telling;
  // "是约束性的还是预期性的": a choice between two words and nothing else asks it of the topic at hand.
  const chosen = alternatives(query.normalized, query.terms);
  const choiceOnly = chosen.length === 1 && chosen.length < query.terms.length;
  // Nouns set side by side are read as one thing ("收储点 建设"); when no statement holds them
  // together but some holds all of them, they are separate words after all. When none holds them
  // all, the compound stays: the records are silent on it.
  const ownTerms = chosen.flatMap((t) =>
    compoundHold(deps.statements, t) === 'apart' ? (t.parts ?? []).map((p) => deps.termOf([p])) : [t],
  );
  // "另外问一下，X调查啥时候完成": a lead-in word alone (no pronoun, no "…呢") before a question
  // that names two or more things some statement holds all of is a new question, not a follow-up.
  const selfContained =
    previous !== null &&
    query.followUp &&
    !forceFollow &&
    !ANAPHOR_WORDS.test(query.normalized) &&
    !ELLIPSIS_END.test(query.normalized) &&
    knownOwn.length >= 2 &&
    standsAlone(deps, ownTerms, query);
  const cued = previous && !selfContained && (query.followUp || forceFollow || bare || choiceOnly);
  const followed =
    previous && (cued || (!telling && query.districts.length === 0 && continues(deps, previous, ownTerms, query))) ? previous : null;
  let terms = ownTerms;
  let types = query.types;
  let years = query.years;
  let docNumbers = query.docNumbers;
  if (followed) {
    // An ellipsis ("那2030年呢") keeps the topic and replaces what it names; a new content word
    // that the documents know narrows or shifts the topic but the old one still frames it.
    // "那农药呢" after 化肥: a new word the documents coordinate with a carried one ("化肥农药",
    // "化肥、农药") takes its place, also inside a compound ("农村供水" → "城镇供水").
    let coordinated = false;
    const carriedAll = followed.terms
      .map((forms) => {
        for (const k of knownOwn) {
          // Only nouns are peers: "乡镇处理" sets 乡镇 beside a verb, not beside another place.
          const verb = /^v/.test(deps.analyze(forms).terms[0]?.tag ?? 'n') || /^v/.test(k.tag);
          const peer = verb ? null : coordinateIn(forms, k.text, deps.contains);
          if (peer) {
            coordinated = true;
            return peer === forms ? null : forms.replace(peer, k.text);
          }
        }
        return forms;
      })
      .filter((f): f is string => f !== null)
      .map((f) => deps.termOf([f]));
    // "那配方肥企业呢", "What about groundwater?": a new thing asked the same way. Unless it is a peer
    // of something carried (then only that is replaced), the old things go and the question stays.
    // Only a thing is asked anew: "那咋个治理" asks how of the same thing, its verb names no new one.
    const ellipsis =
      knownOwn.some((k) => !/^v/.test(k.tag)) &&
      !ANAPHOR_WORDS.test(query.normalized) &&
      (ELLIPSIS_END.test(query.normalized) || /^(那|那么|还有|另外)|^(what|how) about|^and\b/.test(query.normalized));
    // A year of its own ("2025年…目标") replaces a carried plan period ("十三五").
    const kept = (ellipsis && !coordinated ? [] : carriedAll).filter((t) => !(t.period && query.years.length));
    const framing = knownOwn.length > 0 && !coordinated;
    const carried = framing ? kept.map((t) => ({ ...t, weight: t.weight * options.framingWeight })) : kept;
    terms = [
      ...carried.filter((c) => !knownOwn.some((k) => k.text === c.text)),
      ...ownTerms.filter((t) => !carried.some((c) => c.text.includes(t.text) && c.text !== t.text)),
    ];
    // "按啥标准": asking a thing by name is a kind of question of its own; the last one's kind stays behind.
    types =
      query.types.filter((t) => t !== 'yesno').length || query.named.length
        ? query.types
        : [...new Set([...query.types, ...followed.types])];
    years = query.years.length ? query.years : knownOwn.length ? [] : followed.years;
    docNumbers = query.docNumbers.length ? query.docNumbers : followed.docNumbers;
  }
  const scoped = deps.kb.documents.filter((d) => query.districts.some((x) => d.scope.includes(x)));
  // A follow-up stays with the place the last answer was about: its documents and every other
  // document of the same district ("还有好多家茶园…" after a records answer may be answered by
  // that district's plan), never another district's.
  const carried = followed?.documents.length ? deps.kb.documents.filter((d) => followed.documents.includes(d.id)) : [];
  const sameScope = carried.length
    ? deps.kb.documents.filter((d) =>
        carried.some((c) => c.id === d.id || (c.scope.length > 0 && c.scope.some((x) => d.scope.includes(x)))),
      )
    : [];
  const documents = scoped.length ? new Set(scoped.map((d) => d.id)) : sameScope.length ? new Set(sameScope.map((d) => d.id)) : null;
  const near = nearOf(deps.statements, followed?.statements ?? []);
  // "规划里头…", "台账上…": the documents of the kind the question names come first.
  const named = deps.kb.documents.filter((d) => query.documentKinds.includes(d.kind) && (!documents || documents.has(d.id)));
  const prefer = named.length && named.length < deps.kb.documents.length ? new Set(named.map((d) => d.id)) : null;
  let cached: Scored[] | null = null;
  const search = (t: Term[], ty: AnswerType[] = types, y: number[] = years) =>
    retrieve(
      deps.statements,
      t,
      {
        types: ty,
        years: y,
        documents,
        units: query.valueUnits,
        frequency: query.frequency,
        named: query.named,
        ...(near ? { near } : {}),
        ...(prefer ? { prefer } : {}),
      },
      defaultRetrieveOptions,
    );
  return {
    deps,
    options,
    query,
    lang: query.lang,
    now,
    terms,
    types,
    years,
    docNumbers,
    documents,
    followed,
    shown: [],
    hits: () => {
      cached ??= search(terms);
      return cached;
    },
    search,
    doc: (id) => deps.kb.documents.find((d) => d.id === id),
  };
}

/** The topic an answer leaves for a follow-up. */
export function topicOf(c: AnswerContext, used: Statement[], sources: Source[] = []): Topic {
  const own = c.terms.filter((t) => t.known).flatMap((t) => t.forms.slice(-1));
  // An answer found by structure ("专栏2第7行") names its topic only in what it used: an indicator's name.
  const named = used.flatMap((s) =>
    s.passage.kind === 'indicator' && s.passage.indicator !== undefined ? [c.deps.kb.indicators[s.passage.indicator]?.name ?? ''] : [],
  );
  const fromUsed = own.length
    ? []
    : named.flatMap((n) =>
        c.deps
          .analyze(n.replace(/[（(]%[）)]$/, ''))
          .terms.filter((t) => t.known)
          .map((t) => t.text),
      );
  return {
    terms: [...own, ...fromUsed],
    types: c.types,
    years: c.years,
    // An answer read off a document's structure uses no statement; its sources name the document.
    documents: used.length
      ? [...new Set(used.map((s) => s.passage.document))]
      : sources.length
        ? c.deps.kb.documents.filter((d) => sources.some((s) => s.document === d.shortTitle || s.document === d.id)).map((d) => d.id)
        : (c.followed?.documents ?? []),
    docNumbers: [...new Set([...c.docNumbers, ...used.flatMap((s) => s.docNumbers)])].slice(0, 3),
    // An answer that used nothing ("the records do not say") leaves the conversation where it was.
    statements: used.length ? [...new Set([...used, ...c.shown].map((s) => s.id))] : (c.followed?.statements ?? []),
    lang: c.lang,
  };
}

/** An answer of this context. */
export function answerOf(
  c: AnswerContext,
  intent: Intent,
  found: boolean,
  text: string,
  sources: Source[] = [],
  used: Statement[] = [],
): Answer {
  return {
    question: c.query.question,
    intent,
    found,
    answer: text,
    sources: sources.slice(0, c.options.maxSources),
    lang: c.lang,
    ...(used.length || found ? { topic: topicOf(c, used, sources) } : c.terms.some((t) => t.known) ? { topic: topicOf(c, []) } : {}),
  };
}
