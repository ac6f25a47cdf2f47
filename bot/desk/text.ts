/**
 * The desk's words, Chinese first with English beside them (a small table here; the message
 * catalog of the chat can take them over later), and the HTML helpers of its pages.
 */

/** The desk's languages. */
export type Lang = 'zh' | 'en';

const T = {
  title: ['整改助手 · 工作台', 'Rectify Assistant · Desk'],
  signIn: ['登录工作台', 'Sign in to the desk'],
  code: ['登录码', 'Sign-in code'],
  signInHelp: [
    '请输入管理员用 npm run admin -- login-link 生成的一次性登录码，或在聊天中向助手发送 /desk 获取登录链接。',
    'Enter the one-time code from npm run admin -- login-link, or send /desk to the assistant in chat for a link.',
  ],
  signInBad: ['登录码无效、已使用或已过期，请重新索取。', 'The code is not valid, used or expired: ask for a new one.'],
  signInSlow: ['登录尝试太频繁了，请15分钟后再试。', 'Too many sign-in attempts: try again in 15 minutes.'],
  signOut: ['退出', 'Sign out'],
  overview: ['概览', 'Overview'],
  cases: ['举报', 'Cases'],
  questions: ['未答问题', 'Unanswered questions'],
  import: ['导入文件', 'Import a document'],
  signedInAs: ['当前身份', 'Signed in as'],
  admin: ['管理员', 'administrator'],
  official: ['办理人员', 'official'],
  casesByTown: ['各镇街举报数', 'Cases per 镇街 (town)'],
  casesByStatus: ['各状态举报数', 'Cases per status'],
  indicators: ['专栏指标：2020年现状值与2025年目标值', 'Plan indicators: 2020 value against the 2025 target'],
  milestones: ['整改节点时间线', 'Milestones on a timeline'],
  msDone: ['已完成（有依据）', 'done, with evidence'],
  msDue: ['未到期', 'due'],
  msOverdue: ['已逾期/未达标', 'overdue / missed'],
  msUnreported: ['到期未报告结果', 'result not reported'],
  value2020: ['2020年现状', '2020 value'],
  target2025: ['2025年目标', '2025 target'],
  filter: ['筛选', 'Filter'],
  all: ['全部', 'all'],
  status: ['状态', 'Status'],
  category: ['类别', 'Category'],
  town: ['镇街', '镇街 (town)'],
  overdue: ['逾期', 'Overdue'],
  onlyOverdue: ['仅逾期', 'overdue only'],
  task: ['关联整改节点', 'Linked task'],
  exportCsv: ['导出 CSV', 'Export CSV'],
  total: ['共', 'Total'],
  ticket: ['编号', 'Ticket'],
  unit: ['办理单位', 'Handling unit'],
  created: ['提交时间', 'Filed'],
  due: ['时限', 'Due'],
  none: ['无', 'none'],
  noCases: ['没有符合条件的举报。', 'No cases match.'],
  description: ['情况', 'Description'],
  address: ['地点', 'Place'],
  reporter: ['举报人电话', "Reporter's phone"],
  history: ['处理记录', 'History'],
  duplicates: ['可能重复的举报', 'Possible duplicates'],
  duplicateOf: ['重复于', 'Duplicate of'],
  photos: ['照片', 'Photos'],
  photoElsewhere: ['照片保存在聊天平台中（在 Telegram/企业微信中查看）', 'Photo kept by the chat platform (see it in Telegram/WeCom)'],
  actions: ['办理', 'Actions'],
  note: ['说明', 'Note'],
  referTo: ['应向何处反映', 'Refer to'],
  newCategory: ['新类别', 'New category'],
  originalTicket: ['原举报编号', 'Original ticket'],
  accept: ['受理', 'Accept'],
  refuse: ['不予受理', 'Refuse'],
  dispatch: ['派单', 'Dispatch'],
  progress: ['报告进展', 'Report progress'],
  close: ['办结', 'Close'],
  recategorize: ['改类', 'Recategorise'],
  duplicate: ['标记重复', 'Mark duplicate'],
  done: ['已完成', 'Done'],
  notFound: ['没有找到，或不由您的单位办理。', 'Not found, or not handled by your unit.'],
  forbidden: ['请求无效（页面已过期），请返回刷新后重试。', 'Invalid request (the page is stale): go back, reload and retry.'],
  question: ['问题', 'Question'],
  count: ['次数', 'Count'],
  notInRecords: ['未找到答案', 'not in the records'],
  ratedDown: ['👎', '👎'],
  lastAsked: ['最近提问', 'Last asked'],
  curate: ['补充答案', 'Write a curated answer'],
  outOfScope: ['超出范围', 'Out of scope'],
  dismiss: ['忽略', 'Dismiss'],
  answered: ['已补充', 'answered'],
  open: ['待处理', 'open'],
  out_of_scope: ['超出范围', 'out of scope'],
  dismissed: ['已忽略', 'dismissed'],
  curatedSaved: [
    '已保存补充答案，今后同样或相近的问题将直接使用它。',
    'Saved: this answer now answers the question and close paraphrases.',
  ],
  file: ['文件（DOCX、XLSX、CSV 或 TXT）', 'File (DOCX, XLSX, CSV or TXT)'],
  docTitle: ['文件标题（可选）', 'Title (optional)'],
  preview: ['预览', 'Preview'],
  confirm: ['确认导入', 'Confirm the import'],
  rows: ['行', 'rows'],
  targets: ['整改目标', 'Targets'],
  imported: [
    '已导入并更新索引、整改节点和问答，无需重启。',
    'Imported: the index, milestones and answers are refreshed without a restart.',
  ],
  importAdmins: ['只有管理员可以导入文件。', 'Only administrators may import documents.'],
  importGone: ['预览已过期，请重新上传。', 'The preview has expired: upload the file again.'],
  documents: ['语料中的文件', 'Documents in the corpus'],
  back: ['返回', 'Back'],
  changeLink: ['修改关联节点', 'Change the linked task'],
  noLink: ['不关联', 'No linked task'],
  linkBad: ['请选择本单位的整改节点或“不关联”。', "Choose one of your unit's milestones, or no linked task."],
  photoUnavailable: ['照片暂时无法取得', 'The photo cannot be fetched now'],
  language: ['English', '中文'],
} as const satisfies Record<string, readonly [string, string]>;

/** A key of the desk's words. */
export type TextKey = keyof typeof T;

/** The desk's word for a key. */
export function t(lang: Lang, key: TextKey): string {
  return T[key][lang === 'en' ? 1 : 0];
}

/** Escapes text for HTML (content and attribute values). */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
