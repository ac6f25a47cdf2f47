/**
 * Query analysis: separates what is asked from how it is said. A question becomes its content terms
 * (each with the documents' own words it may stand for and a weight by rarity), the kinds of fact it
 * wants, its years, places, document numbers, and whether it leans on the previous answer. Pronouns,
 * particles, dialect and politeness words (the lexicon's function words) are never content; words
 * the documents never use are kept apart as `unknown`, which is how an answer can honestly say the
 * records are silent on them.
 */
import { isMostlyLatin, normalize } from '../../core/text.js';
import { docNumbersIn } from '../evidence/statements.js';
import type { AnswerType, IntentCueSection, Lexicon } from '../lexicon.js';
import { repairTypos } from '../search/query.js';
import { tokensOfNormalized } from '../search/tokenizer.js';
import type { Segmenter, TaggedWord } from './segment.js';

/** A content term of a question. */
export interface Term {
  /** The word as the question has it (after typo repair). */
  text: string;
  /** The words that count as this term in the documents: itself and its synonyms' documents' word. */
  forms: string[];
  /** The character bigrams of each form. */
  grams: string[][];
  /** Rarity in the documents (higher = more telling). */
  weight: number;
  /** False when the documents never use the word or any of its forms. */
  known: boolean;
  /** An unknown word that is a real noun (in the dictionary): what the records may be silent on. */
  salient: boolean;
  /** Made of several words ("空气质量"): a statement must hold it together, not its words apart. */
  compound: boolean;
  /** The words of a compound, in order. */
  parts?: string[];
  /** A five-year plan period named by its number ("十三五"): the years it spans, first and last. */
  period?: [number, number];
  tag: string;
}

/** A question, analysed. */
export interface Query {
  question: string;
  normalized: string;
  lang: 'zh' | 'en';
  /** The kinds of fact asked for, strongest cue first. */
  types: AnswerType[];
  years: number[];
  docNumbers: string[];
  /** Titles the question quotes in 《》. */
  titles: string[];
  /** Towns and other places the question names. */
  places: string[];
  /** Districts/counties the question names (full names). */
  districts: string[];
  /** Kinds of document the question names ("规划里头…": plan), as the manifest's `kind`. */
  documentKinds: string[];
  /** Units a figure in the answer must have ("好多吨" → 吨, "好多钱" → 元). */
  valueUnits: string[];
  /** It asks how often ("多久测一次"). */
  frequency: boolean;
  /** It says "lots of" something fouled ("河里头好多死鱼"): a report, not a question of how many. */
  lots: boolean;
  /** The thing a count is asked of ("有几个监测井": 监测井), when a noun follows the measure word. */
  counted: string | null;
  /** What an amount is asked per ("每亩补好多钱": 亩): a total is no answer to it. */
  per: string[];
  /** Content words asked for by name ("啥子模式", "什么机制"): the answer names one, often in quotes. */
  named: string[];
  terms: Term[];
  /** Content words the documents never use (nouns only): what the records may be silent on. */
  unknown: string[];
  /** The question leans on the previous one ("那2030年呢？", "这个是哪个单位负责？"). */
  followUp: boolean;
  /** Which dialog-level cue sections the text touches. */
  cues: Set<IntentCueSection>;
}

/** What analysis needs to know about the documents. */
export interface Vocabulary {
  /** In how many statements a bigram occurs. */
  df(gram: string): number;
  /** How many statements there are. */
  size: number;
  /** Whether the documents contain the word verbatim. */
  contains(word: string): boolean;
}

/** The defaults of query analysis. */
export const defaultAnalyzeOptions = {
  /** Weight of a word the documents never use, as a share of the rarest known word's weight. */
  unknownWeight: 0.9,
  /** Weight factor of a one-character term ("粪"): it says little on its own. */
  singleCharFactor: 0.3,
  /** Weight factor of verbs and adjectives. */
  frameWordFactor: 0.5,
  /** How many analysed questions are remembered. */
  memo: 5000,
  /** A word counts as known when this share of its bigrams occurs in the documents. */
  knownShare: 0.5,
  /** Weight of a plan period ("十三五") the documents never name but date statements within. */
  periodWeight: 2,
};

const DROP_TAGS = /^(r|u[a-z]*|y|e|o|c|p|d|ad|q|m|mq|t|tg|f|x|w|zg|ul|uj|ud|uv|uz|ug)$/;
const NOUNISH = /^(n|nr|nrt|ns|nt|nz|ng|vn|an|eng|l|j|i|x|s)$/;
const COMPOUND = /^(n|nz|ng|vn|an|x)$/;
/** Characters that end a measure's name ("…率", "…量") and belong to the word before them. */
const SUFFIXES = ['率', '量', '值', '度'];

/** Characters that carry grammar, not content: a guessed word holding one is no word. */
const FUNCTION_CHARS = /[了的到年会在是有和就都也还要把被给让向从对过着吗呢吧啊几多少哪谁么什怎样个些这那]/;
/** Modal and grammar characters that may stand at the edge of a false word ("水能", "都要"). */
const EDGE_GRAMMAR = /^[能会要可该得]|[能会要可该得了的是在有]$/;
/** jieba's tags of a single character that is a word by itself: verbs, adverbs, particles, pronouns… */
const SINGLE_WORD_TAG = /^(v|d|p|u|y|e|c|r|q|m)/;
/** Words that ask which one ("啥子模式"): the noun after them is asked for by its name. */
/** Negations that make a word of their own with what follows ("不合格", "未达标"). */
const NEGATIONS = ['不', '未', '非'];
/** Words for a person's role: what such a word is called is a person's name. */
const PERSON_ROLE = /(长|人|员|主任|书记|者|官|师|专家|干部|主席)$/;
const NAME_ASKED = ['啥子', '什么', '哪种', '哪样', '何种', '哪类', '啥', '哪些', '哪个'];
const ANAPHOR_START = /^(那么?|那个|那这个|那它|还有|另外|然后|再问|再说|and\b|what about|how about|and what|what of)/;
const ANAPHOR =
  /(这个|这项|这些|这条|这件|这份|这里头|该项|该文件|它|其|此项|上面|刚才|前面|上一个|同一个|\bthis\b|\bthat\b|\bit\b|\bthey\b|\bthem\b|\bits\b)/;

interface Compiled {
  synonyms: Array<{ variant: string; canonical: string }>;
  canonicals: string[];
  functionWords: Map<string, string>;
  typeCues: Array<{ cue: string; type: AnswerType }>;
  glossary: Array<{ re: RegExp; zh: string; multi: boolean }>;
  cueSections: Array<{ section: IntentCueSection; cue: string }>;
  districts: string[];
  actPattern: RegExp;
  /** One pattern per intent cue section. */
  sectionPatterns: Array<[IntentCueSection, RegExp]>;
}

/** A pattern matching any of the cues: Han cues anywhere, Latin cues as whole words; longest first. */
function anyOf(cues: string[], flags = ''): RegExp {
  const esc = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const alts = [...cues].sort((a, b) => b.length - a.length).map((c) => (LATIN.test(c) ? `\\b${esc(c)}\\b` : esc(c)));
  return new RegExp(alts.length ? alts.join('|') : '(?!)', flags);
}

function compile(lexicon: Lexicon): Compiled {
  const synonyms = lexicon.synonyms
    .flatMap((g) => g.slice(1).map((variant) => ({ variant, canonical: g[0] as string })))
    .sort((a, b) => b.variant.length - a.variant.length);
  const typeCues = [...lexicon.answerTypes].flatMap(([type, cues]) => cues.map((cue) => ({ cue, type })));
  typeCues.sort((a, b) => b.cue.length - a.cue.length);
  const glossary = lexicon.glossary.map(([en, zh]) => ({
    re: new RegExp(`\\b${en.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}s?\\b`, 'g'),
    zh,
    multi: en.includes(' '),
  }));
  const cueSections = [...lexicon.intentCues].flatMap(([section, cues]) => cues.map((cue) => ({ section, cue })));
  const districts = lexicon.districts.flatMap((d) => [d, d.replace(/(土家族|苗族|自治县|区|县)+$/g, '')]).filter((d) => d.length >= 2);
  const canonicals = lexicon.synonyms.map((g) => g[0] as string).sort((a, b) => b.length - a.length);
  const esc = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const verbs = (lexicon.intentCues.get('verb') ?? []).map(esc).join('|') || '(?!)';
  const polluted = (lexicon.intentCues.get('polluted') ?? []).map(esc).join('|') || '(?!)';
  const actPattern = new RegExp(
    `(?:往|向|朝)[^，。,.!?？！]{0,8}(?:${verbs})|(?:${verbs})[^，。,.!?？！]{0,4}(?:${polluted})|(?:${verbs})(?:到|进|入)|(?:${polluted})[^，。,.!?？！]{0,2}(?:${verbs})(?:了|到|进|在|得)`,
  );
  const sectionPatterns = [...lexicon.intentCues]
    .filter(([section]) => section !== 'verb')
    .map(([section, cues]) => [section, anyOf(cues)] as [IntentCueSection, RegExp]);
  return {
    sectionPatterns,
    actPattern,
    synonyms,
    canonicals,
    functionWords: lexicon.functionWords,
    typeCues,
    glossary,
    cueSections,
    districts,
  };
}

/** Whether a (Latin) cue stands as whole words in the text; Han cues as substrings. */
export function hasCue(text: string, cue: string): boolean {
  if (!LATIN.test(cue)) return text.includes(cue);
  // Latin cues are few and asked often: their word-boundary patterns are made once.
  let re = WORD_PATTERNS.get(cue);
  if (!re) {
    re = new RegExp(`\\b${cue}\\b`, 'g');
    WORD_PATTERNS.set(cue, re);
  }
  re.lastIndex = 0;
  return /[a-z]/.test(text) && re.test(text);
}

const LATIN = /^[a-z ]+$/;
const WORD_PATTERNS = new Map<string, RegExp>();

/** Creates the analyser over a lexicon, a segmenter and the documents' vocabulary. */
export function createAnalyzer(lexicon: Lexicon, segmenter: Segmenter, vocab: Vocabulary, options = defaultAnalyzeOptions) {
  const lex = compile(lexicon);
  const idf = (g: string) => Math.log(1 + vocab.size / (1 + vocab.df(g)));
  const maxIdf = Math.log(1 + vocab.size);
  const known = (g: string) => vocab.df(g) > 0;

  /** The tag jieba gives a word on its own ("治理": v); a noun when it reads it as several. */
  function wordTag(word: string): string {
    const tagged = segmenter.tag(word);
    return tagged.length === 1 ? (tagged[0]?.tag ?? 'n') : 'n';
  }

  function term(text: string, forms: string[], tag: string): Term {
    const grams = forms.map((f) => tokensOfNormalized(f));
    const all = grams.flat();
    const knownShare = all.length ? all.filter(known).length / all.length : 0;
    const isKnown =
      grams.some((g) => g.length > 0 && g.filter(known).length / g.length >= options.knownShare) || knownShare >= options.knownShare;
    const knownGrams = all.filter(known);
    if (isKnown) {
      // A compound weighs by all its bigrams, the unknown junction too ("空气质量": 气质), so that
      // a sentence holding only its words apart does not cover the question.
      const counted = grams.length === 1 && all.length > knownGrams.length ? all : knownGrams;
      const base = counted.reduce((s, g) => s + (known(g) ? idf(g) : maxIdf), 0) / Math.max(1, counted.length);
      // Verbs and adjectives frame a question more often than they name its topic.
      const w = /^(v|vd|a|b|ad)$/.test(tag) ? base * options.frameWordFactor : base;
      return { text, forms, grams, weight: w, known: true, salient: false, compound: false, tag };
    }
    if (text.length === 1 && /^\p{Script=Han}$/u.test(text)) {
      // One character: bigrams cannot hold it; it is matched by containment, and weighs little.
      return { text, forms, grams: [[text]], weight: maxIdf * options.singleCharFactor, known: true, salient: false, compound: false, tag };
    }
    // A word the documents never use counts only when it is a real noun (jieba's HMM guesses such
    // as "年定" from "2020年定的" are no words); the records are then silent on it.
    // A Latin code in a Chinese question ("PM2.5", "COD") the documents lack is such a noun too.
    // Places and positions ("河里", "屋头") only set the scene.
    const salient =
      NOUNISH.test(tag) && !/^(x|s|f|ns)$/.test(tag) && text.length >= 2 && (segmenter.has(text) || tag === 'nz' || /^[a-z]/.test(text));
    return { text, forms, grams, weight: salient ? maxIdf * options.unknownWeight : 0, known: false, salient, compound: false, tag };
  }

  function contentWords(tagged: TaggedWord[]): Array<TaggedWord & { parts?: string[] }> {
    const kept: TaggedWord[] = [];
    for (const w of tagged) {
      const word = w.word.trim();
      if (!word) continue;
      const fw = lex.functionWords.get(word);
      const isHan = /^\p{Script=Han}+$/u.test(word);
      const isLatin = /^[a-z][a-z0-9.-]*$/.test(word);
      if (fw || (!isHan && !isLatin)) {
        kept.push({ word: '', tag: 'gap' });
        continue;
      }
      // jieba tags unknown Han words "x"; those may be content, so only non-Han "x" is punctuation.
      if (DROP_TAGS.test(w.tag) && !(w.tag === 'x' && isHan) && !(w.tag === 'f' && word.length > 1)) {
        kept.push({ word: '', tag: 'gap' });
        continue;
      }
      // A measure's suffix ("处理/率", "使用/量") belongs to the word before it.
      const before = kept[kept.length - 1];
      if (isHan && word.length === 1 && SUFFIXES.includes(word) && before && before.tag !== 'gap') {
        before.word += word;
        continue;
      }
      // A lone character is a topic only when it is a noun ("粪"); "找", "搞", "整" only frame.
      if (isHan && word.length === 1 && !/^n/.test(w.tag)) {
        kept.push({ word: '', tag: 'gap' });
        continue;
      }
      // A word jieba only guessed (not in its dictionary) is content when the documents have it
      // verbatim ("尾水"); otherwise it is a guess across word edges ("年定", "排到河") and is split up.
      // So is a two-character dictionary word the documents never use that ends or starts on a
      // grammar character: "池子的水能直接放" is 水 + 能, not 水能 (water power).
      const edgeGrammar = isHan && word.length === 2 && segmenter.has(word) && !vocab.contains(word) && EDGE_GRAMMAR.test(word);
      if (isHan && word.length > 1 && ((!segmenter.has(word) && !vocab.contains(word)) || edgeGrammar)) {
        // A longer guess without grammar characters is likely a real word the dictionary lacks
        // ("大气污染", "老白干"): kept as a noun the documents do not have.
        if (word.length >= 3 && !FUNCTION_CHARS.test(word)) {
          kept.push({ word, tag: 'nz' });
          continue;
        }
        // Each piece keeps the tag jieba gives it alone when that makes it a word of its own ("减": a
        // verb), so that it is not glued to a neighbour later ("化肥" + "减").
        for (const ch of word) {
          const alone = segmenter.tag(ch)[0]?.tag ?? 'x';
          kept.push({ word: ch, tag: SINGLE_WORD_TAG.test(alone) ? alone : 'x' });
        }
        continue;
      }
      kept.push({ word, tag: w.tag });
    }
    // Single characters that jieba left apart inside an unknown compound ("尾/水") join back up.
    const merged: TaggedWord[] = [];
    for (const w of kept) {
      const prev = merged[merged.length - 1];
      if (w.tag === 'gap') {
        merged.push(w);
        continue;
      }
      if (
        prev &&
        prev.tag !== 'gap' &&
        (prev.word.length === 1 || w.word.length === 1) &&
        // A verb or particle standing alone ("改", "的") is a word of its own, not a piece.
        !SINGLE_WORD_TAG.test(prev.word.length === 1 ? prev.tag : w.tag) &&
        /^\p{Script=Han}/u.test(w.word) &&
        vocab.contains(prev.word + w.word)
      ) {
        prev.word += w.word;
        // Rejoined pieces are a word of the documents, but not one to build compounds from.
        prev.tag = 'mx';
        continue;
      }
      merged.push({ ...w });
    }
    // What is left of a guessed word, one character at a time, is no topic.
    for (const w of merged) if (w.word.length === 1 && !/^n/.test(w.tag)) w.tag = 'gap';
    const parts = new Map<string, string[]>();
    // Nouns that stand together name one thing ("空气 质量", "受污染 耕地"): one term, so that a
    // sentence must hold the compound, not each word somewhere.
    const out: TaggedWord[] = [];
    for (const w of merged) {
      const prev = out[out.length - 1];
      if (
        prev &&
        prev.tag !== 'gap' &&
        w.tag !== 'gap' &&
        COMPOUND.test(prev.tag) &&
        COMPOUND.test(w.tag) &&
        prev.word.length + w.word.length <= 10 &&
        /^\p{Script=Han}/u.test(w.word) &&
        /\p{Script=Han}$/u.test(prev.word)
      ) {
        parts.set(prev.word + w.word, [...(parts.get(prev.word) ?? [prev.word]), w.word]);
        prev.word += w.word;
        prev.tag = 'nc';
        continue;
      }
      out.push({ ...w });
    }
    return out.filter((w) => w.tag !== 'gap').map((w) => (w.tag === 'nc' ? { ...w, parts: parts.get(w.word) ?? [w.word] } : w));
  }

  /**
   * The text with a cue masked. A cue whose last character starts a word with what follows ("咋个治"
   * before "理": 治理) leaves that character to the word, so that no half of it ("理") becomes a topic.
   */
  function maskCue(text: string, cue: string): string {
    const last = cue.slice(-1);
    return text.split(cue).reduce((out, piece, i) => {
      if (i === 0) return piece;
      const next = piece.slice(0, 1);
      return /\p{Script=Han}/u.test(next) && cue.length > 1 && segmenter.has(last + next) ? `${out} ${last}${piece}` : `${out} ${piece}`;
    }, '');
  }

  /**
   * The noun phrase a stretch starts with: without a verb of two or more characters at its end
   * ("养殖场制定": 养殖场; a one-character head such as 站 may be tagged a verb), and null when it
   * starts with an adverb or particle ("又加").
   */
  function nounPhrase(text: string): string | null {
    const words = segmenter.tag(text);
    if (!words[0] || /^(d|p|r|u|c|m|y|e)/.test(words[0].tag)) return null;
    while (words.length > 1 && /^v$/.test(words[words.length - 1]?.tag ?? '') && (words[words.length - 1]?.word.length ?? 0) >= 2)
      words.pop();
    return words.map((w) => w.word).join('');
  }

  /** "十三五" as a term for the years it names (2016–2020); null for any other text. */
  function periodTerm(text: string): Term | null {
    const m = /^十([一二三四五六七八九])五$/.exec(text);
    if (!m) return null;
    const plan = 11 + '一二三四五六七八九'.indexOf(m[1] as string);
    const t = term(text, [text], 'n');
    return {
      ...t,
      known: true,
      salient: false,
      weight: Math.max(t.weight, options.periodWeight),
      period: [2006 + 5 * (plan - 11), 2010 + 5 * (plan - 11)],
    };
  }

  /**
   * Where a lone character and the two-character word after it could also be read as a word and a
   * character ("全|区划" or "全区|划"), the reading the documents use more wins: in records that say
   * 全区 in every other sentence, "全区划了" is 全区 + 划.
   */
  function resplit(input: TaggedWord[]): TaggedWord[] {
    const words = regroup(input);
    const out: TaggedWord[] = [];
    for (const w of words) {
      const prev = out[out.length - 1];
      if (prev && prev.word.length === 1 && w.word.length === 2 && /^\p{Script=Han}+$/u.test(prev.word + w.word)) {
        const left = prev.word + w.word.slice(0, 1);
        // Only a real word ("全区", not "到解" of "得到解决") is another reading.
        if (segmenter.has(left) && vocab.df(left) > vocab.df(w.word)) {
          out.pop();
          const rest = w.word.slice(1);
          out.push({ word: left, tag: segmenter.tag(left)[0]?.tag ?? 'n' }, { word: rest, tag: segmenter.tag(rest)[0]?.tag ?? 'x' });
          continue;
        }
      }
      out.push(w);
    }
    return out;
  }

  /**
   * A two-character piece the segmenter only guessed (no dictionary word, nowhere in the documents)
   * between two words may belong half to each: "示范|园分|区" is "示范园" + "分区" when the
   * documents hold both of those.
   */
  function regroup(words: TaggedWord[]): TaggedWord[] {
    const out = [...words];
    for (let i = 1; i + 1 < out.length; i++) {
      const [prev, w, next] = [out[i - 1], out[i], out[i + 1]] as [TaggedWord, TaggedWord, TaggedWord];
      // Only a piece the documents never write either ("管网" is a word of theirs, "村分" is not).
      if (w.word.length !== 2 || segmenter.has(w.word) || vocab.contains(w.word)) continue;
      if (!/^\p{Script=Han}+$/u.test(prev.word + w.word + next.word)) continue;
      const left = prev.word + w.word.slice(0, 1);
      const right = w.word.slice(1) + next.word;
      if (!vocab.contains(left) || !vocab.contains(right)) continue;
      out.splice(
        i - 1,
        3,
        { word: left, tag: segmenter.tag(left)[0]?.tag ?? 'n' },
        { word: right, tag: segmenter.tag(right)[0]?.tag ?? 'n' },
      );
    }
    return out;
  }

  function analyze(question: string): Query {
    const lang: 'zh' | 'en' = isMostlyLatin(question) ? 'en' : 'zh';
    let normalized = normalize(question).replace(/\s+/g, ' ').trim();
    if (lang === 'zh') normalized = repairTypos(normalized, lexicon, known, (t) => vocab.contains(t));
    const types: AnswerType[] = [];
    const cues = new Set<IntentCueSection>();
    // Cue words inside the documents' own terms do not count ("黑臭水体" is no smell reported).
    let cueText = normalized;
    for (const canonical of lex.canonicals) if (canonical.length >= 3) cueText = cueText.split(canonical).join('，');
    for (const [section, re] of lex.sectionPatterns) {
      const plain = section === 'domain' || section === 'greeting' || section === 'thanks' || section === 'help';
      if (re.test(plain ? normalized : cueText)) cues.add(section);
    }
    // An act of pollution is often a plain verb with where it goes or what it spreads:
    // "往河头倒猪粪", "往里头倒废水", "烧旧农膜".
    if (lex.actPattern.test(cueText)) cues.add('act');
    // "河里头好多死鱼": 好多 before something fouled, in a message that asks nothing, is "lots of".
    const fouled = lex.sectionPatterns.filter(([section]) => section === 'polluted' || section === 'state').map(([, re]) => re);
    const lots =
      !/[?？]|吗|呢|多少|几/.test(normalized) &&
      [...normalized.matchAll(/好多的?/g)].some((m) => {
        const after = normalized.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 6);
        return fouled.some((re) => re.test(after));
      });

    // The kinds of fact asked for; their cue words are masked so they never become the topic.
    // English phrases of the glossary go first, so that "utilization rate" is not read as "rate".
    let rest = normalized;
    const glossed: string[] = [];
    if (lang === 'en') {
      for (const { re, zh, multi } of lex.glossary) {
        re.lastIndex = 0;
        if (!multi || !re.test(rest)) continue;
        rest = rest.replace(re, ' ');
        glossed.push(zh);
      }
    }
    // Longest cue first, wherever it stands ("要在哪一年": 哪一年 before 在哪).
    for (const { cue, type } of lex.typeCues) {
      if (!hasCue(rest, cue)) continue;
      if (!types.includes(type)) types.push(type);
      rest = LATIN.test(cue) ? rest.replace(WORD_PATTERNS.get(cue) as RegExp, ' ') : maskCue(rest, cue);
    }
    // "咋个收", "怎么治", "如何开展": how a thing is done.
    if (!types.some((t) => t !== 'yesno') && /(咋个|怎么|怎样|如何|咋)(?!样|办|回事|说|讲|看)\p{Script=Han}/u.test(normalized))
      types.push('measure');
    const years = [...new Set([...normalized.matchAll(/(?<![\d[])(20\d{2})(?!\d)/g)].map((m) => Number(m[1])))];
    const docNumbers = docNumbersIn(normalized);
    // A bare "61号" or "[2019]61号" still names a document number.
    for (const m of normalized.matchAll(/(?<![\d\]])(\d{1,4})\s*号(?:文|文件)?/g)) {
      if (!docNumbers.some((d) => d.endsWith(`]${m[1]}号`))) docNumbers.push(`${m[1]}号`);
    }
    const titles = [...question.matchAll(/《([^》]{2,80})》/g)].map((m) => normalize(m[1] as string));
    // A short form ("綦江") names the district only when no river, road or town name goes on from it.
    const districts = lexicon.districts.filter((d) => {
      if (normalized.includes(d)) return true;
      const short = d.replace(/(土家族|苗族|自治县|区|县)+$/g, '');
      return short.length >= 2 && new RegExp(`${short}(?![河江湖溪水路街镇村桥])`).test(normalized);
    });
    const documentKinds = [...lexicon.documentKinds]
      .filter(([, cues]) => cues.some((cue) => hasCue(normalized, cue)))
      .map(([kind]) => kind);
    const valueUnits: string[] = [];
    let counted: string | null = null;
    for (const m of normalized.matchAll(
      /(?:多少|好多|(?<!哪)几|多)\s*([万亿千]?[吨亩元]|人次|[家个户人次处座套张份幅起块名项条批所口台只头辆类种支组])/g,
    )) {
      if (!valueUnits.includes(m[1] as string)) valueUnits.push(m[1] as string);
      // "有几个监测井": the thing counted is the noun right after the measure word.
      if (counted === null && /^[个家户处座套张份块名项条批所口台只头辆支组]$/.test(m[1] as string)) {
        const noun =
          /^(?![了的呢吗嘛啊哦噻是在莫没有和跟要还都能会已被让把从对咋怎啥哪么搞整做弄建办开完达])\p{Script=Han}+?(?=[了的呢吗嘛啊哦噻是在莫没有和跟要还都能会已被让把从对咋怎啥哪么搞整做弄建办开完达]|[^\p{Script=Han}]|$)/u.exec(
            normalized.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 10),
          );
        if (noun) counted = nounPhrase(noun[0]);
      }
    }
    for (let i = 0; i < valueUnits.length; i++) valueUnits[i] = (valueUnits[i] as string).replace(/^[万亿千]/, '');
    const per = [
      ...new Set([...normalized.matchAll(/每(?:一)?(亩|户|人|吨|家|个|头|口|公里|平方米|立方米|年|月|次)/g)].map((m) => m[1] as string)),
    ].filter(() => valueUnits.length > 0 || /多少|好多|几/.test(normalized));
    // "安排了啥资金" asks which fund, by name; "投了好多资金" asks the amount.
    const byName = (cue: string) => NAME_ASKED.some((w) => normalized.includes(w + cue));
    for (const [unit, cues] of lexicon.valueUnits) {
      if (!valueUnits.includes(unit) && cues.some((cue) => hasCue(normalized, cue) && !byName(cue))) valueUnits.push(unit);
    }
    const places = lexicon.towns.filter(
      (t) => normalized.includes(t) || (t.length > 2 && normalized.includes(t.replace(/(镇|街道)$/, ''))),
    );

    const terms: Term[] = [];
    const addTerm = (t: Term) => {
      if (!terms.some((x) => x.text === t.text)) terms.push(t);
    };
    // "十三五" names the years 2016–2020: a statement dated within them speaks of that period, also
    // in documents that never write the name.
    for (const m of rest.matchAll(/十([一二三四五六七八九])五/g)) addTerm(periodTerm(m[0]) as Term);
    rest = rest.replace(/十[一二三四五六七八九]五/g, ' ');
    // A numbered concept the documents name ("四根底线", "三级验收", "7大产业"): one term.
    for (let i = 0; i < normalized.length; i++) {
      // Only where a number starts, and never a year ("2020年农…").
      if (!/[一二三四五六七八九十两\d]/.test(normalized[i] as string) || /[\d一二三四五六七八九十两]/.test(normalized[i - 1] ?? ''))
        continue;
      for (let len = 6; len >= 3; len--) {
        const w = normalized.slice(i, i + len);
        if (w.length === len && /^[一二三四五六七八九十两\d]+\p{Script=Han}{2,}$/u.test(w) && !/^\d+年/.test(w) && vocab.contains(w)) {
          addTerm({ ...term(w, [w], 'n'), weight: maxIdf });
          break;
        }
      }
    }
    // A figure the question quotes ("670万吨是什么意思") is a term: the sentence that states it.
    for (const m of rest.matchAll(/(?<![a-z\d.[])(\d+(?:\.\d+)?)\s*(%|[万亿千]?[吨亩元]|[家个户人次处座套张份幅起块名项条])/g)) {
      if (/^20\d{2}$/.test(m[1] as string)) continue;
      const figure = `${m[1]}${m[2]}`;
      if (vocab.contains(figure)) addTerm({ ...term(figure, [figure], 'm'), weight: maxIdf });
    }
    rest = rest.replace(/(?<![a-z\d.])\d+(\.\d+)?%?/g, ' ').replace(/\[[^\]]*\]\s*号?|\d+号/g, ' ');
    for (const d of lex.districts) rest = rest.split(d).join(' ');
    if (lang === 'en') {
      for (const { re, zh } of lex.glossary) {
        re.lastIndex = 0;
        if (!re.test(rest)) continue;
        rest = rest.replace(re, ' ');
        glossed.push(zh);
      }
      for (const zh of glossed) for (const w of zh.split(/\s+/)) addTerm(term(w, [w], 'n'));
    } else {
      // The documents' own word first, so that "畜禽粪污" is not read as its variant "粪污".
      for (const canonical of lex.canonicals) {
        if (!rest.includes(canonical)) continue;
        // A mark where the word stood, not a space: the words on either side were not side by side
        // ("山区…难点" around a word taken out is no compound), while a space the user typed may join nouns.
        rest = rest.split(canonical).join('，');
        addTerm(term(canonical, [canonical], 'n'));
      }
      for (const { variant, canonical } of lex.synonyms) {
        if (!rest.includes(variant)) continue;
        // A variant inside a longer word of the documents is part of that word ("治理" in "治理率").
        let replaced = 0;
        rest = rest.split(variant).reduce((out, piece, k) => {
          if (k === 0) return piece;
          const after = piece.slice(0, 1);
          const longer = /\p{Script=Han}/u.test(after) && vocab.contains(variant + after);
          if (longer) return `${out}${variant}${piece}`;
          replaced++;
          return `${out}，${piece}`;
        }, '');
        if (replaced > 0) addTerm(term(variant, [variant, canonical], wordTag(variant)));
      }
      for (const w of contentWords(resplit(segmenter.tag(rest)))) {
        // A compound of dictionary words is a real noun even when the dictionary lacks the whole.
        const t = term(w.word, [w.word], w.tag === 'nc' ? 'nz' : w.tag === 'mx' ? 'n' : w.tag);
        addTerm(w.parts ? { ...t, compound: true, parts: w.parts } : t);
      }
    }
    // "检测不合格咋办": a word asked in the negative is the negative word, where the documents have it.
    for (const [i, t] of terms.entries()) {
      const neg = NEGATIONS.map((n) => n + t.text).find((w) => normalized.includes(w) && vocab.contains(w));
      if (t.known && neg && !t.compound) terms[i] = { ...term(neg, [neg], t.tag), tag: t.tag };
    }
    // The word that asks for the amount ("钱", "面积") is what is asked, not what it is about.
    for (let i = terms.length - 1; i >= 0; i--) {
      const t = terms[i] as Term;
      if ([...lexicon.valueUnits.values()].some((cues) => cues.includes(t.text)) && !byName(t.text)) terms.splice(i, 1);
    }
    // Non-words and unknown verbs carry no weight: drop them.
    for (let i = terms.length - 1; i >= 0; i--) if ((terms[i] as Term).weight === 0) terms.splice(i, 1);
    const unknown = terms.filter((t) => t.salient).map((t) => t.text);
    const knownTerms = terms.filter((t) => t.known && t.text.length > 1);
    // "乡镇呢？", "农药呢": a short question that ends on 呢 asks the last question again of another thing.
    const ellipsis = /呢[?？!！。\s]*$/.test(normalized) && (normalized.match(/\p{Script=Han}/gu) ?? []).length <= 8;
    const followUp =
      ellipsis ||
      ANAPHOR_START.test(normalized) ||
      ANAPHOR.test(normalized) ||
      (knownTerms.length === 0 && (years.length > 0 || types.length > 0) && unknown.length === 0);
    const frequency = /(多久|好久|多长时间|隔多久|几天|几个月).{0,6}(一次|一回)|频次|频率|how often/.test(normalized);
    if (frequency && !types.includes('date')) types.push('date');
    // "When is…", "How many…": a wh-question is no yes/no question, whatever "is" it holds.
    if (lang === 'en' && /^\s*(what|when|where|who|whom|whose|which|why|how)\b/.test(normalized) && types.includes('yesno'))
      types.splice(types.indexOf('yesno'), 1);
    // "钱从哪里来的": where a thing comes from is its source, not a place.
    if (/从哪(里|儿|个地方)?来|哪(里|儿)来的/.test(normalized) && types.includes('place')) types.splice(types.indexOf('place'), 1);
    // "排查了哪些单位": the bodies a verb acted on are a list, not who is responsible.
    const acted = /(\p{Script=Han}{2})了?(?:哪些|哪几家|几家|什么|啥子?)单位/u.exec(normalized);
    if (acted && types.includes('unit')) {
      const two = acted[1] as string;
      const isVerb = (w: string) => {
        const t = segmenter.tag(w);
        return t.length === 1 && /^v/.test(t[0]?.tag ?? '');
      };
      const verb = isVerb(two) ? two : isVerb(two.slice(1)) ? two.slice(1) : null;
      if (verb && !/负责|牵头|主管|分管|管理|承担|印发|发布|是|有|归|管/.test(verb)) {
        types.splice(types.indexOf('unit'), 1);
        if (!types.includes('list')) types.push('list');
      }
    }
    // "要在啥时候之前搞完": by when it must be done is a deadline, a target, not progress made.
    const due = types.indexOf('progress');
    if (due >= 0 && types.includes('date') && /(要|需要|必须|应当|应该)在?.{0,6}(之前|以前|前)/.test(normalized))
      types.splice(due, 1, 'target');
    const named = terms
      .filter((t) => t.known && t.text.length >= 2 && NAME_ASKED.some((w) => normalized.includes(w + t.text)))
      .map((t) => t.text);
    // "这个行动叫啥名堂": what a thing is called is its name, not a person's; "组长叫啥" stays a person.
    const calledAt = normalized.search(/叫(啥|什么|个啥)/);
    if (calledAt > 0 && types.includes('person')) {
      const thing = terms.find((t) => t.known && normalized.slice(0, calledAt).endsWith(t.text));
      if (thing && !PERSON_ROLE.test(thing.text)) {
        types.splice(types.indexOf('person'), 1);
        if (!named.includes(thing.text)) named.push(thing.text);
      }
    }
    return {
      question,
      normalized,
      lang,
      types,
      years,
      docNumbers,
      titles,
      places,
      districts,
      documentKinds,
      valueUnits,
      frequency,
      lots,
      counted,
      per,
      named,
      terms,
      unknown,
      followUp,
      cues,
    };
  }

  // Handlers and multi-part questions analyse the same text more than once: remember a few.
  const memo = new Map<string, Query>();
  const remembered = (question: string): Query => {
    const hit = memo.get(question);
    if (hit) return hit;
    const q = analyze(question);
    if (memo.size >= options.memo) memo.delete(memo.keys().next().value as string);
    memo.set(question, q);
    return q;
  };

  return {
    analyze: remembered,
    /** A content term made of the given forms (for topics carried over from an earlier answer). */
    // A carried plan period stays a period.
    termOf: (forms: string[]) => periodTerm(forms[0] ?? '') ?? term(forms[0] ?? '', forms, 'n'),
  };
}

/** An analyser: question text in, analysed query out. */
export type Analyzer = ReturnType<typeof createAnalyzer>;
