/**
 * Documents cited by number or title ("某农委发〔2021〕8号", "8号文", 《…方案》), and follow-ups
 * about them ("这个文件是谁发的"): the sentence that cites the document, with its issuer.
 */
import { docNumberKey, type Statement } from '../../evidence/statements.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { cite, excerpt, freshness, say, sourceOf } from '../render.js';
import { scoreStatement } from '../retrieve.js';
import type { Answer } from '../types.js';
import { notFound } from './refuse.js';

/** Words by which a question points at a document ("这个文件是谁发的"). */
const DOCUMENT_WORD = /文件|通知|方案|文号|这份|该文/;

/** Whether a stated document number is the asked one ("61号" matches any year's 61号). */
export function sameNumber(stated: string, asked: string): boolean {
  if (/\[/.test(asked)) return docNumberKey(stated) === docNumberKey(asked);
  return stated.endsWith(`]${asked}`);
}

/** The issuer of a cited document: the body named before the title, else the number's prefix. */
export function issuerOf(s: Statement, number: string | null): string | null {
  const at = number ? s.norm.indexOf(docNumberKey(number).slice(0, 6)) : -1;
  const before = at > 0 ? s.text.slice(0, at) : s.text;
  const named = s.units.filter((u) => before.includes(u));
  if (named.length) return named.join('、');
  const prefix = number ? /^([\u4e00-\u9fa5]{2,12}?)发?\[/.exec(number)?.[1] : null;
  return prefix ?? null;
}

/**
 * "这个文件是哪个发的", "好久发的": a question about one of the documents themselves — its title,
 * how current it is; the documents do not state their own issuer or date, and the answer says so.
 */
function aboutDocument(c: AnswerContext): Answer | null {
  const own = c.query.terms.filter((t) => t.known);
  // "这个文件是谁发的", and its follow-up "好久发的嘛": issuing is done to a document.
  if (!c.query.types.includes('document') && !/文件|规划|台账|这份|发的|印发|发布/.test(c.query.normalized)) return null;
  if (own.length > 0 || !c.types.some((t) => t === 'unit' || t === 'date')) return null;
  // Who issued it or when — not who is responsible for what it says.
  if (/责任|负责|部门/.test(c.query.normalized) && !/发|印发|出台|制定|发布|编制/.test(c.query.normalized)) return null;
  const ids = c.followed?.documents.length ? c.followed.documents : c.deps.kb.documents.map((d) => d.id);
  const docs = c.deps.kb.documents.filter((d) => ids.includes(d.id));
  const asksWho = c.types.includes('unit');
  const list = docs.map((d) => `《${d.title}》（${freshness(d, c.lang)}）`).join('、');
  const text = say(
    c.lang,
    `${list}：文件本身没有写明${asksWho ? '发文单位' : '印发日期'}。`,
    `${docs.map((d) => d.titleEn).join('; ')}: the document does not state its ${asksWho ? 'issuer' : 'date of issue'}.`,
  );
  return answerOf(c, 'document', false, text);
}

/** The document handler. */
export function document(c: AnswerContext): Answer | null {
  const nums = c.docNumbers;
  const titles = c.query.titles;
  if (!nums.length && !titles.length) return aboutDocument(c);
  // A document carried over from the previous answer is meant only when the question names one.
  if (!c.query.docNumbers.length && !titles.length && !c.query.types.includes('document') && !DOCUMENT_WORD.test(c.query.normalized))
    return null;
  const all = c.deps.statements.statements.filter((s) => !c.documents || c.documents.has(s.passage.document));
  const matches = all.filter(
    (s) =>
      s.docNumbers.some((d) => nums.some((n) => sameNumber(d, n))) ||
      s.titles.some((t) => titles.some((q) => t.includes(q) || q.includes(t))),
  );
  if (matches.length === 0) {
    const what = nums[0] ? say(c.lang, `文号${nums[0]}`, `document number ${nums[0]}`) : `《${titles[0]}》`;
    return notFound(c, 'document', what);
  }
  const own = c.query.terms.filter((t) => t.known);
  const best = own.length
    ? [...matches].sort(
        (a, b) => (scoreStatement(c.deps.statements, b, own)?.score ?? 0) - (scoreStatement(c.deps.statements, a, own)?.score ?? 0),
      )[0]
    : matches[0];
  const s = best as Statement;
  const doc = c.doc(s.passage.document);
  const number = s.docNumbers.find((d) => nums.some((n) => sameNumber(d, n))) ?? s.docNumbers[0] ?? null;
  const title = s.titles[0] ?? null;
  const issuer = issuerOf(s, number);
  const named = issuer !== null && s.units.includes(issuer.split('、')[0] ?? '');
  const head = c.types.includes('unit')
    ? issuer && named
      ? say(c.lang, `发文单位：${issuer}。`, `Issued by ${issuer}. `)
      : issuer
        ? say(
            c.lang,
            `文中没有直接写明发文单位；从文号“${number}”看，为“${issuer}”所发。`,
            `The text does not name the issuer; the number "${number}" points to ${issuer}. `,
          )
        : say(c.lang, '文件没有写明发文单位。', 'The records do not name the issuer. ')
    : title
      ? say(c.lang, `${number ?? ''}是《${title}》。`, `${number ?? ''} is 《${title}》. `)
      : '';
  const body = say(c.lang, excerpt(s, c.terms, ['document']), `The records say: 「${excerpt(s, c.terms, ['document'])}」`);
  return answerOf(
    c,
    'document',
    !c.types.includes('unit') || issuer !== null,
    `${head}${body}${cite(s, doc, c.lang)}`,
    [sourceOf(s, doc)],
    [s],
  );
}
