/**
 * Two questions in one ("推进会开了几次，区政府开了几次"; "现在是好多，哪个部门管"): each part that
 * asks for its own kind of fact is answered on its own, the later parts read against the first's
 * topic, and the answers are joined.
 */
import { type AnswerContext, answerOf, createContext } from '../context.js';
import type { Answer, Topic } from '../types.js';

/** The parts of a question that each ask something (a cue of a kind of fact, or a question mark). */
export function questionParts(c: AnswerContext): string[] {
  const parts = c.query.question
    .split(/[，,；;？?。]/)
    .map((p) => p.trim())
    .filter((p) => p.length >= 2);
  if (parts.length < 2 || parts.length > 4) return [];
  // A part asks when it has a kind of fact, or is an ellipsis of the one before ("示范片呢").
  const asking = parts.filter((p, i) => {
    const q = c.deps.analyze(p);
    const asks = /啥|哪|几|多少|好多|好长|什么|吗|谁|怎么|咋|如何|呢$|没$|没得$|没有$|不$/.test(q.normalized);
    return (
      (q.types.length > 0 && q.types.some((t) => t !== 'yesno')) ||
      (asks && q.terms.some((t) => t.known)) ||
      (i > 0 && /呢$/.test(p) && q.terms.some((t) => t.known))
    );
  });
  return asking.length >= 2 ? asking : [];
}

/**
 * "2020年化肥和农药各减了好多": one question asked of each of two peers ("各", "分别"). The parts are
 * the question with the pair replaced by each peer; each is a whole question of its own.
 */
export function distributiveParts(c: AnswerContext): string[] {
  const q = c.query.question;
  if (!/各|分别|respectively|\beach\b/.test(c.query.normalized)) return [];
  const known = c.query.terms.filter((t) => t.known && t.text.length > 1);
  // "城市污水处理率、乡镇、农村各是好多": the later items are peers of the first one's leading word.
  const items = /^(.+?)((?:[、,，和及](?:\p{Script=Han}{2,4}))+)(各|分别)(.*)$/u.exec(q);
  if (items) {
    const head = items[1] as string;
    const peers = (items[2] as string).split(/[、,，和及]/).filter(Boolean);
    const n = peers[0]?.length ?? 0;
    const tail = `${items[3]}${items[4]}`;
    // The first item is a word of the peers' length ("县城 生活垃圾处理率"), or leads a compound ("城市污水处理率").
    const first = known.find((t) => t.text.length === n && head.includes(t.text) && !peers.includes(t.text));
    const whole = first ? null : known.find((t) => t.text.length > n + 1 && head.includes(t.text));
    if (peers.every((p) => p.length === n)) {
      if (first) return [first.text, ...peers].map((p) => `${head.replace(first.text, p)}${tail}`);
      if (whole) return [whole.text.slice(0, n), ...peers].map((p) => `${head.replace(whole.text, p + whole.text.slice(n))}${tail}`);
    }
  }
  for (const a of known) {
    for (const b of known) {
      // Peers are words of one length ("化肥", "农药"); a word and its head are not.
      if (a === b || a.text.length !== b.text.length) continue;
      for (const joint of ['和', '与', '及', '、', '跟', '以及']) {
        const pair = `${a.text}${joint}${b.text}`;
        const at = q.indexOf(pair);
        // A piece of a longer word is no peer ("…水源调查和地下水…": 源调查 is the end of 水源调查).
        const prev = q.slice(Math.max(0, at - 1), at);
        if (at < 0 || (/\p{Script=Han}/u.test(prev) && c.deps.contains(`${prev}${a.text}`))) continue;
        return [q.replace(pair, a.text), q.replace(pair, b.text)];
      }
    }
  }
  return conjunctParts(q, c.deps.contains);
}

/**
 * "东岸农田和果园灌溉率分别…": two phrases joined before 各/分别. When the documents hold the
 * first one's last word with the second one's tail ("农田灌溉率"), the tail is shared and the head
 * before that word too; otherwise each phrase stands whole ("A调查和B调查各…").
 */
export function conjunctParts(q: string, contains: (w: string) => boolean): string[] {
  const m = /(^|\d+年|[^\p{Script=Han}])(\p{Script=Han}{2,}?)(以及|和|与|及|跟|、)(\p{Script=Han}{2,}?)(各|分别)(.*)$/u.exec(q);
  if (!m) return [];
  const [, , left = '', , right = '', marker = '', after = ''] = m;
  const before = q.slice(0, (m.index ?? 0) + (m[1] ?? '').length);
  const rest = `${marker}${after}`;
  // The longest tail of the second phrase that the first one's last word takes as well.
  for (let cut = 2; cut <= right.length - 2; cut++) {
    const tail = right.slice(cut);
    for (let n = 2; n <= Math.min(4, left.length - 1); n++) {
      const word = left.slice(-n);
      if (!contains(`${word}${tail}`)) continue;
      const head = left.slice(0, -n);
      return [`${before}${left}${tail}${rest}`, `${before}${head}${right}${rest}`];
    }
  }
  return [`${before}${left}${rest}`, `${before}${right}${rest}`];
}

/** Creates the multi-part handler over the handlers that answer each part. */
export function multipart(answerPart: (c: AnswerContext) => Answer) {
  return (c: AnswerContext): Answer | null => {
    const each = distributiveParts(c);
    const parts = each.length ? each : questionParts(c);
    if (parts.length < 2) return null;
    const answers: Answer[] = [];
    let topic: Topic | null = c.followed;
    parts.forEach((p, i) => {
      // Each part after the first leans on the topic so far ("区政府开了几次" after "推进会开了几次").
      const a = answerPart(createContext(c.deps, p, c.now, each.length ? c.followed : topic, i > 0 && !each.length));
      answers.push(a);
      if (a.topic && i === 0) topic = a.topic;
    });
    const texts = [...new Set(answers.map((a) => a.answer))];
    const found = answers.some((a) => a.found);
    const sources = answers
      .flatMap((a) => a.sources)
      .filter((s, i, all) => all.findIndex((x) => x.locator === s.locator && x.document === s.document) === i);
    const out = answerOf(c, answers[0]?.intent ?? 'general', found, texts.join('\n'), sources);
    const last = answers.find((a) => a.topic)?.topic;
    return last ? { ...out, topic: last } : out;
  };
}
