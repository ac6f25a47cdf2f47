/**
 * Contacts: the records' own contact column when it is filled, the contacts administrators entered
 * for the responsible unit, and otherwise a plain "not in the records" — never an invented phone.
 */
import type { RectificationRecord } from '../../parse/records.js';
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { say } from '../render.js';
import type { Answer } from '../types.js';
import { respondents } from './unit.js';

/** The record row a statement belongs to. */
export function recordOf(c: AnswerContext, document: string, row: number | undefined): RectificationRecord | null {
  if (row === undefined) return null;
  return c.deps.kb.parsed.find((d) => d.info.id === document)?.table?.records.find((r) => r.row === row) ?? null;
}

/** The contact handler. */
export function contact(c: AnswerContext): Answer | null {
  if (!c.types.includes('contact')) return null;
  const hits = c.hits().filter((h) => h.coverage >= c.options.minCoverage);
  const rows = hits.map((h) => recordOf(c, h.statement.passage.document, h.statement.passage.row)).filter((r) => r !== null);
  const listed = rows.find((r) => r.contact);
  if (listed?.contact) {
    return answerOf(
      c,
      'contact',
      true,
      say(c.lang, `台账所列社会监督联系人及电话：${listed.contact}`, `Contact listed in the records: ${listed.contact}`),
    );
  }
  const units = respondents(c, hits).units;
  const entered = units.flatMap((u) => c.deps.contacts?.forUnit(u) ?? []);
  const none = say(c.lang, '文件中没有列出联系人或电话', 'The documents list no contact person or phone number');
  const column = rows.length ? say(c.lang, '（台账“社会监督联系人及电话”一栏为空）', ' (the contact column of the records is empty)') : '';
  if (entered.length) {
    const list = entered.map((e) => `${e.unit}：${e.name} ${e.phone}${e.hours ? `（${e.hours}）` : ''}`).join('；');
    return answerOf(
      c,
      'contact',
      true,
      say(c.lang, `${none}${column}。管理员录入的联系方式：${list}`, `${none}${column}. Contact entered by administrators: ${list}`),
    );
  }
  const who = units.length ? say(c.lang, `负责单位是${units.join('、')}。`, ` The unit in charge is ${units.join(', ')}.`) : '';
  return answerOf(c, 'contact', false, say(c.lang, `${none}${column}。${who}`, `${none}${column}.${who}`));
}
