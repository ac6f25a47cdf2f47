/**
 * Greetings, thanks and requests for help: short messages that are all cue. They get a friendly
 * reply that says what the assistant can do, naming the documents it holds.
 */
import { hasCue } from '../../query/analyze.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { say } from '../render.js';
import type { Answer } from '../types.js';

/**
 * True when the message is made of the cues and little else: every cue (longest first) and every
 * function word taken out, at most `slack` characters are left.
 */
export function isOnlyCue(normalized: string, cues: string[], functionWords: Map<string, string>, slack = 2): boolean {
  let rest = normalized.replace(/[\s\p{P}\p{S}]+/gu, '');
  if (!rest) return false;
  let hit = false;
  for (const c of compact(cues)) {
    if (c && rest.includes(c)) {
      hit = true;
      rest = rest.split(c).join('');
    }
  }
  if (!hit) return false;
  for (const w of longestFirst(functionWords)) if (rest.includes(w)) rest = rest.split(w).join('');
  return rest.length <= slack;
}

const compacted = new WeakMap<string[], string[]>();
/** The cues without their spaces (worked out once per lexicon). */
function compact(cues: string[]): string[] {
  let list = compacted.get(cues);
  if (!list) {
    list = cues.map((c) => c.replace(/\s+/g, ''));
    compacted.set(cues, list);
  }
  return list;
}

const sortedWords = new WeakMap<Map<string, string>, string[]>();
/** The function words, longest first (sorted once per lexicon). */
function longestFirst(words: Map<string, string>): string[] {
  let list = sortedWords.get(words);
  if (!list) {
    list = [...words.keys()].sort((a, b) => b.length - a.length);
    sortedWords.set(words, list);
  }
  return list;
}

/** "老师好", "领导好，想问几个问题": a greeting that opens with a form of address. */
const ADDRESS_GREETING = /^[\u4e00-\u9fa5]{1,3}(你好|您好|好)(?:[，,！!。\s]|$)/;

/** What the assistant holds, for greetings and scope messages. */
export function holdings(c: AnswerContext): string {
  const docs = c.deps.kb.documents;
  return c.lang === 'en' ? docs.map((d) => d.titleEn).join('; ') : docs.map((d) => `《${d.shortTitle}》`).join('、');
}

/** The social handler. */
export function social(c: AnswerContext): Answer | null {
  const cues = c.deps.lexicon.intentCues;
  const n = c.query.normalized;
  const fw = c.deps.lexicon.functionWords;
  // Small talk: a cue and nothing the documents would answer ("谢谢，帮了大忙了", "你好呀机器人").
  const topical = c.query.terms.some((t) => t.known && t.weight > 2.5 && !/^(v|vd|vn|a|ad|d)$/.test(t.tag));
  const about = c.query.terms.some((t) => t.known && t.text.length > 1 && !/^(v|vd|a|ad|d)$/.test(t.tag));
  // "想问几个问题": a kind of fact asked of nothing is a preamble, not a question.
  const asks =
    (c.query.types.some((t) => t !== 'yesno') && (about || c.years.length > 0 || c.followed !== null)) ||
    topical ||
    c.docNumbers.length > 0;
  const opens = (section: 'thanks' | 'greeting') => !asks && (cues.get(section) ?? []).some((cue) => hasCue(n, cue));
  if (isOnlyCue(n, cues.get('thanks') ?? [], fw) || opens('thanks')) {
    return answerOf(
      c,
      'thanks',
      false,
      say(
        c.lang,
        '不客气！还有问题随时问我，发现污染也可以直接告诉我。',
        "You're welcome! Ask me anything else, or tell me about pollution you have seen.",
      ),
    );
  }
  if (isOnlyCue(n, cues.get('greeting') ?? [], fw) || opens('greeting') || (ADDRESS_GREETING.test(n) && !asks)) {
    return answerOf(
      c,
      'greeting',
      false,
      say(
        c.lang,
        `您好！我是整改助手，可以回答${holdings(c)}中的目标、期限、责任单位、进展、指标和措施，也可以帮您举报污染问题（发送“举报”）。`,
        `Hello! I answer questions about ${holdings(c)} — targets, deadlines, responsible units, progress, indicators and measures — and I can file a pollution report for you (send "report").`,
      ),
    );
  }
  if (isOnlyCue(n, cues.get('help') ?? [], fw, 4)) {
    // An example question from the documents themselves: an indicator with a figure as its latest target.
    const example = c.deps.kb.indicators
      .map((i) => {
        const year = Math.max(...Object.keys(i.targets).map(Number));
        return { name: i.name.replace(/[（(][^）)]*[）)]$/, ''), year, target: i.targets[year] ?? '' };
      })
      .find((i) => Number.isFinite(i.year) && /\d/.test(i.target));
    return answerOf(
      c,
      'help',
      false,
      say(
        c.lang,
        `我能做两件事：1）回答${holdings(c)}里的问题，例如“整改任务完成了多少？”${example ? `“${example.name}${example.year}年目标是多少？”` : ''}；2）登记污染举报，发送“举报”即可开始，之后可用“查询 编号”查看进度。`,
        `I can (1) answer questions about ${holdings(c)}, e.g. "${example ? `What is the ${example.year} target of ${example.name}?` : 'How far has the rectification got?'}", and (2) file a pollution report: send "report", then "status TICKET" to follow it.`,
      ),
    );
  }
  return null;
}
