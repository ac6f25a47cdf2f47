/**
 * A description of pollution happening is a report, with or without the word 举报: an act of
 * pollution (排, 倒, 烧 …) with something polluted or a witness (有人, 我家旁边, 天天 …), or a
 * polluted state (臭得很, 发黑) with a witness. A question about what the records say — one that
 * asks for a figure, a unit, a deadline or a document — is not, even when it names pollution.
 */
import type { AnswerContext } from '../context.js';
import { answerOf } from '../context.js';
import { say } from '../render.js';
import type { Answer } from '../types.js';

const RECORD_QUESTION_TYPES = new Set(['value', 'count', 'date', 'unit', 'contact', 'document', 'progress', 'target', 'place']);

/** Whether the message reads as a wish to report pollution. */
export function isComplaint(c: AnswerContext): boolean {
  const cues = c.query.cues;
  // "好多死鱼" tells of lots of dead fish; its 好多 asks no figure.
  const asksRecords = c.query.types.some((t) => RECORD_QUESTION_TYPES.has(t) && !(c.query.lots && (t === 'value' || t === 'count')));
  // "我要反映个问题", "我想投诉": a stated wish to report, whatever else the message says.
  if (cues.has('report') && (!asksRecords || /(我|要|想|帮我)\S{0,2}(举报|投诉|反映)/.test(c.query.normalized))) return true;
  const happening = cues.has('act') || cues.has('state');
  // A witness telling what is happening reports it, even with "那几个鱼塘" in it; a question about
  // the records asks with a question word or mark.
  // "还有好多油桶": 好多 after 有 or before 都 counts ("lots of"), it does not ask how many.
  const told = /[?？]/.test(c.query.normalized)
    ? c.query.normalized
    : c.query.normalized.replace(c.query.lots ? /好多/g : /(有|还|都)好多|好多\S{0,4}都/g, '');
  const asksSomething = /[?？]|吗|呢|多少|好多|什么|啥子|哪个|哪些|谁|几时|何时|怎么样|咋样|会怎样|要是|如果|假如/.test(told);
  if (happening && cues.has('witness') && !asksSomething) return true;
  // "养鸡场臭气熏天怎么办": pollution one can smell or see, and a plea for someone to act.
  if (happening && cues.has('grievance') && (cues.has('witness') || cues.has('state'))) return true;
  if (asksRecords) return false;
  // "养猪场往河里排粪水": an act and what it fouls, told as a fact — not asked, not supposed.
  if (happening && cues.has('polluted') && !asksSomething && (c.query.types.length === 0 || c.query.lots)) return true;
  // "烧秸秆的烟呛死人了": someone doing it, and the nuisance it makes.
  if (cues.has('act') && cues.has('state') && !asksSomething) return true;
  return happening && cues.has('witness');
}

/** The complaint handler: hands the message to the report intake. */
export function complaint(c: AnswerContext): Answer | null {
  if (!isComplaint(c)) return null;
  return answerOf(
    c,
    'complaint',
    false,
    say(
      c.lang,
      '看起来您要反映一个污染问题。发送“举报”，我帮您登记，会生成受理编号并转交负责单位。',
      'It sounds like you want to report pollution. Send "report" and I will file it for you with a ticket number and pass it to the unit in charge.',
    ),
  );
}
