/**
 * Intent recognition: what kind of answer a question wants. Cue phrases, not question templates:
 * each intent has a few patterns of how people ask for it in Chinese and English, and the strongest
 * match wins, with a fixed order of precedence for ties.
 */

/** The kinds of question the assistant tells apart. */
export type Intent =
  | 'greeting'
  | 'help'
  | 'complaint'
  | 'contact'
  | 'unit'
  | 'deadline'
  | 'progress'
  | 'indicator'
  | 'measure'
  | 'target'
  | 'document'
  | 'place'
  | 'offtopic';

/** All intents, in order of precedence when two match equally. */
export const INTENTS: Intent[] = [
  'greeting',
  'help',
  'complaint',
  'contact',
  'unit',
  'deadline',
  'progress',
  'indicator',
  'measure',
  'target',
  'document',
  'place',
  'offtopic',
];

const CUES: Partial<Record<Intent, RegExp[]>> = {
  greeting: [
    /^(你好|您好|嗨|哈喽|在吗|在不在|早上好|上午好|中午好|下午好|晚上好|hi|hello|hey|good (morning|afternoon|evening))[\s!！。.,，~～]*$/i,
  ],
  help: [
    /帮助|怎么用|如何使用|使用说明|你能做什么|你会什么|你能干什么|能帮我什么|你是谁|功能有哪些|^菜单$|^help$|what can you do|how (do i|to) use|who are you/i,
  ],
  complaint: [
    /(我|要|想|帮我|怎么|如何|在哪|哪里)\S{0,3}(举报|投诉|反映)|^(举报|投诉|反映问题)|曝光|偷排|偷倒|乱排|乱倒|乱扔|倾倒|\/report|report (a |the |some )?(pollution|problem|farm|dumping)|i want to report|complain/i,
    /(我家|我们村|我们这|我这|附近|旁边|隔壁|门口|村里|天天|每天|一直|经常|最近|现在还|半夜|晚上偷).{0,20}(排|倒|烧|臭|污染|冒黑烟|流进|往)/,
    /(往|向|朝).{0,8}(河|沟|塘|江|田|地里|水库).{0,6}(排|倒|放|流)/,
    // "养鸡场臭气熏天怎么办": a grievance that wants something done.
    /(臭|排污|污染|粪|垃圾|黑烟|噪音|脏水|死鱼).{0,12}(怎么办|咋办|找谁|谁管|有人管吗|没人管)/,
    /(pollut|smell|stink|dump|sewage|manure).{0,30}(what (should|can) i do|what to do|who (should|can) i (tell|call))/i,
  ],
  contact: [/联系人|联系电话|电话|联系方式|手机号|热线|找谁|怎么联系|联系谁|contact|phone|hotline|call whom|who (should|can) i call/i],
  unit: [
    /谁负责|谁来负责|负责|是谁|由谁|谁来|谁管|归谁管|哪个部门|哪个单位|哪些部门|哪家单位|什么部门|什么单位|责任单位|责任部门|牵头|负责单位|主管部门|主管单位|由谁|who is responsible|which (department|unit|agency)|responsible (unit|department)/i,
  ],
  deadline: [
    /什么时候|何时|几时|截止|期限|时限|哪一年|哪年|多久|时间节点|最后期限|整改时间|完成时间|啥时候|到什么时间|deadline|when|by what year|by when|due/i,
  ],
  progress: [
    /(减少|降低|降|增加|提高|整改|完成|建成|投入|创建|划定|治理|验收)了?(多少|几)|完成了?(没|吗|没有)|是否(已经)?完成|有没有完成|完成与否|完成了吗|完成没|完成得|完成情况|进展|进度|成效|效果|怎么样了|做得怎么样|整改了吗|整改好了|达到了吗|达标了吗|搞完|弄完|实现了吗|已经|成果|现状|progress|achieved|accomplished|completed|how (much|many).*(done|completed|finished)|result|status/i,
  ],
  indicator: [
    /指标|约束性|预期性|现状值|目标值|利用率|覆盖率|处理率|治理率|普及率|回收率|配套率|比例|百分之|indicator|rate|ratio|percentage|binding|expected/i,
  ],
  measure: [
    /(怎么|如何|怎样)(?!样|办理|联系)[\u4e00-\u9fa5]|措施|流程|步骤|技术|工艺|怎么做|怎么治理|怎么整改|如何整改|如何治理|如何推进|怎样治理|做法|办法|采取了|采取哪些|手段|模式|工作机制|怎么管|如何管|how (did|do|does|will|to|are|is)|measure|what (was|were|is) done|action/i,
  ],
  target: [/目标|要达到|任务是|任务有|什么任务|哪些任务|要求|规划要|打算|target|goal|aim|plan to/i],
  document: [/《|文件|文号|号文|发\[?20\d{2}|\[20\d{2}\]\d+号|\(20\d{2}\)\d+号|依据|政策|方案|document|policy|regulation|which file/i],
  place: [/哪些镇|哪个镇|哪些街道|哪里|在哪|哪些地方|哪个地方|地点|where|which town/i],
};

/** Words that ask for a document rather than name one ("依据什么文件"). */
const DOCUMENT_FRAME = /文件依据|依据什么文件|什么文件|哪个文件|哪些文件|依据的?文件|依据|文号|文件/g;

/** The question without the words that only say what kind of answer is wanted. */
export function withoutCues(normalized: string): string {
  let s = normalized.replace(DOCUMENT_FRAME, ' ');
  for (const intent of ['contact', 'unit', 'deadline', 'progress', 'target', 'place'] as Intent[]) {
    for (const re of CUES[intent] ?? []) s = s.replace(new RegExp(re.source, `${re.flags.replace('g', '')}g`), ' ');
  }
  return s;
}

/** Scores of each intent for a (normalised) question; greater is stronger. */
export function intentScores(normalized: string): Map<Intent, number> {
  const scores = new Map<Intent, number>();
  for (const intent of INTENTS) {
    const cues = CUES[intent];
    if (!cues) continue;
    let n = 0;
    for (const re of cues) if (re.test(normalized)) n++;
    if (n > 0) scores.set(intent, n);
  }
  return scores;
}

/** The strongest intent of a question, or null when no cue matched. */
export function classify(normalized: string): Intent | null {
  const scores = intentScores(normalized);
  // A question that only says hello is a greeting; "你好，请问尾水…" is a question.
  if (scores.has('greeting')) return 'greeting';
  if (scores.has('help') && normalized.length <= 24) return 'help';
  // "举报电话多少" asks for a number; "江津区噪声投诉有多少件" asks for a figure: neither files a report.
  const asksFigure = /电话|联系方式|热线|多少件|多少起|几件|几起|多少个|统计/.test(normalized) && !/我要|我想|帮我/.test(normalized);
  if (scores.has('complaint') && !asksFigure) return 'complaint';
  if (scores.has('complaint')) scores.delete('complaint');
  let best: Intent | null = null;
  let bestScore = 0;
  for (const intent of INTENTS) {
    const s = scores.get(intent) ?? 0;
    if (s > bestScore) {
      best = intent;
      bestScore = s;
    }
  }
  return best;
}
