/**
 * The message catalog, Chinese (the source language). Every user-facing text of the dialog, the
 * case notifications and the channels lives here, keyed by what it says; `en.ts` has the same keys
 * (the type checker makes sure none is missing). Texts with values are functions of them. Place
 * and unit names stay Chinese in both languages.
 */

/** Statuses of a case, as shown. */
const status = {
  待受理: '待受理',
  已受理: '已受理',
  已派单: '已派单',
  办理中: '办理中',
  已办结: '已办结',
  已评价: '已评价',
  已关闭: '已关闭',
  不予受理: '不予受理',
  重复: '重复',
  重新办理: '重新办理',
} as Record<string, string>;

export const zh = {
  lang: 'zh' as 'zh' | 'en',
  status,
  yesNo: (b: boolean): string => (b ? '是' : '否'),
  roles: { citizen: '您', official: '办理单位', admin: '管理员', system: '系统' } as Record<string, string>,
  staffRoles: { citizen: '举报人', official: '办理人员', admin: '管理员', system: '系统' } as Record<string, string>,

  help: {
    citizen:
      '我是江津区“整改助手”，可以：\n• 回答整改台账和“十四五”规划的问题，直接提问即可，例如“尾水整改完成了多少？”\n• 受理污染举报：发送“举报”或 /report\n• 查询举报进度：发送“查询 JJ-…”或 /status\n• 随时发送“取消”可放弃正在填写的举报',
    official:
      '办理单位命令：\n/cases 本单位待办（逾期在前）\n/case 编号 查看详情（含照片）\n/accept 编号 受理\n/refuse 编号 理由 | 去向\n/dup 编号 原编号 标记重复\n/dispatch 编号 去向\n/progress 编号 进展\n/close 编号 结果\n/recat 编号 新类别\n/history 编号 处理记录\n/photos 编号 查看现场照片\n/bind 把本群绑定为本单位的提醒群\n/milestones 本单位整改节点；/milestone 节点号 详情与记录\n/update 节点号 内容 报告进展（或回复提醒“#节点号 内容”）\n/done 节点号 说明；/reopen 节点号 说明；/drop 节点号 说明；/snooze 节点号 天数 [说明]；/addmilestone 日期 标题\n/link 编号 节点号 改变举报关联的整改节点（0 为不关联）',
    admin:
      '管理员命令：\n/cases、/case 编号、/history 编号、/photos 编号 可查看所有单位的举报；其余办理命令与办理单位相同。\n命令行：npm run admin -- --help',
    draftPending: '（您有一件举报正在填写，可继续回答上一个问题，或发送“取消”放弃。）',
    buttons: { report: '我要举报', status: '查询进度' },
  },
  joined: (unit: string, role: 'official' | 'admin') => `已绑定为${unit}${role === 'admin' ? '管理员' : '办理人员'}。`,
  badInvite: '邀请码无效、已使用或已过期，请向管理员重新索取。',
  nothingToCancel: '当前没有正在进行的操作。',
  reportCancelled: '已取消本次举报，填写的内容已删除。',
  reportCancelledLong: '已取消本次举报，填写的内容已删除。需要时可随时发送“举报”重新开始。',
  cancelled: '已取消。',
  staffOnly: '这个命令仅限办理单位工作人员使用。如您是工作人员，请向管理员索取邀请码后发送“/join 邀请码”。',
  noSuchCommand: (name: string) => `没有 /${name} 这个命令。发送“帮助”查看可用的命令。`,
  sendSomething: '请发送文字、定位或照片。发送“帮助”查看我能做什么。',
  notUnderstood: '抱歉，没有看懂这条消息。请发送文字、定位或照片。',
  internalError: '抱歉，处理您的消息时出错了，请稍后再试。您已提交的内容不会丢失。',
  startReport: '好的，我来帮您登记举报，一共几步，随时可发送“取消”。',
  startReportFromText: '收到，我来帮您登记举报，一共几步，随时可发送“取消”。',
  startReportFromMedia: '收到，看起来您要反映一个污染问题，我来帮您登记举报（发送“取消”可放弃）。',
  resumeReport: '您有一件举报正在填写，我们接着来：',
  stillFilling: '（您的举报还在填写中，我们接着来）',
  photoAttached: (n: number) => `已收到照片（共${n}张），会附在举报中。`,
  filed: (ticket: string, unit: string, days: number) =>
    `✅ 举报已提交，受理编号：${ticket}\n已转${unit}办理，将在${days}天内决定是否受理，状态变化会通知您。\n随时发送“查询 ${ticket}”查看进度。`,
  source: '来源',
  noReports: '您还没有提交过举报。发送“举报”即可开始。',
  myReports: (lines: string) => `您最近的举报：\n${lines}\n发送“查询 编号”查看详情。`,
  lookupButton: (ticket: string) => `查询 ${ticket}`,
  caseStatus: (ticket: string, status: string, category: string, unit: string, due: string, history: string) =>
    `${ticket} 当前状态：${status}\n类别：${category}；办理单位：${unit}\n${due}\n${history}`,
  acceptDue: (d: string) => `受理时限：${d}`,
  completeDue: (d: string) => `办结时限：${d}`,
  historyTitle: (ticket: string) => `${ticket} 处理记录：`,
  noneToRate: '没有需要评价的举报。',
  thanksRated: (ticket: string) => `感谢您的评价！举报 ${ticket} 已完结。`,
  whyUnsatisfied: (ticket: string) =>
    `请告诉我们举报 ${ticket} 还有什么问题没有解决（例如“粪水还在往河里排”），我们会转给办理单位；不想说明请发送“跳过”。`,
  reopened: (ticket: string, unit: string, due: string) =>
    `已收到您的意见，举报 ${ticket} 已退回${unit}重新办理，新的办结时限为 ${due}，新的办理结果会再通知您。`,
  notFoundForYou: (ticket: string) => `没有找到您提交的编号为 ${ticket} 的举报。请核对编号（如 JJ-20261122-7KQ4M）。`,
  lookupsTooMany: '查询太频繁了，请一小时后再试。如需帮助，请拨打12369环保举报热线。',
  restartedReport: '抱歉：系统升级后，您之前没有填完的举报草稿无法继续，已清除。请发送“举报”重新开始，已提交的举报不受影响。',
  restartedOther: '抱歉：系统升级后，您之前未完成的操作无法继续，已清除，请重新开始。',

  intake: {
    categoryGuess: (name: string) => `看起来是「${name}」问题，对吗？不对请选择正确的类别：`,
    categoryYes: (name: string) => `✅ 是的，${name}`,
    categoryPick: '请选择问题类别：',
    categoryAgain: '请从下面的类别中选择一个（点按钮或输入类别名称，如“畜禽养殖污染”）。',
    categoryRequired: '类别需要选一个才能转给对应的单位。拿不准就选“其他”，例如输入“其他”。',
    cancel: '取消',
    noCategory: '未选择',
    location: '问题发生在哪里？可以发送定位📍，或点选所在镇街，或直接输入详细地址（如“石蟆镇××村×组”）。',
    locationRequired: '需要知道大概在哪里才能派人去看。说个镇街或村名就行，例如“先锋镇杨家店村”；也可以发送定位📍。',
    locationFar: (km: number) => `您发送的位置距江津区约${km}公里，不在本区范围内。确定是这个位置吗？`,
    locationOk: '确定是这里',
    locationRetry: '重新发送',
    locationInvalid: '这个位置的坐标无效，请重新发送定位，或输入镇街和地址。',
    locationTooLong: (n: number) => `地址太长了，请控制在${n}字以内。`,
    locationUnclear: '没有看懂这个地点。请发送定位、点选镇街，或输入详细地址。',
    locationNear: (town: string) => `定位：${town}附近`,
    locationPoint: '定位',
    description: '请描述现场情况（至少5个汉字）：是什么单位或什么人、在做什么、造成了什么影响。',
    descriptionRequired: '情况说明是举报的核心，需要写几句，例如“村口养猪场每天往小河里排粪水，河水发黑发臭”。',
    photosThenDescribe: (n: number) => `已收到照片${n}张。请再用文字描述一下现场情况。`,
    since: '这种情况从什么时候开始的？（如“三天前”“每天晚上”“一个多月了”）',
    sinceTooLong: '请简短说明开始时间（100字以内），或点“跳过”。',
    sinceText: '请用文字说明开始时间，或点“跳过”。',
    skip: '跳过',
    done: '完成',
    photos: (max: number, have: number) =>
      `如有现场照片，现在可以发送（最多${max}张）${have ? `，已收到${have}张` : ''}。发完点“完成”，没有照片点“跳过”。`,
    photoReceived: (n: number) => `已收到第${n}张照片。`,
    photosDropped: (max: number, dropped: number) => `最多只能附${max}张照片，多出的${dropped}张没有保存。`,
    photosAgain: '请发送照片，或点“完成”/“跳过”。',
    contact:
      '是否留下联系电话，方便核实情况和告知结果？您的号码只有负责办理此件的单位工作人员能看到，不会公开；也可以匿名举报（匿名无法回访）。',
    contactLeave: '留下电话',
    contactAnon: '匿名举报',
    anonymousOk: '好的，本次为匿名举报，我们不会记录您的电话。',
    contactAgain: '请选择“留下电话”或“匿名举报”。',
    phone: '请输入您的手机号或带区号的座机号：',
    phoneSkipped: '好的，不留电话，本次按匿名举报登记。',
    editWhich: '要修改哪一项？',
    edit: {
      category: '类别',
      location: '地点',
      description: '情况描述',
      since: '开始时间',
      photos: '照片',
      contact: '联系方式',
    },
    editAgain: '请点选要修改的项目。',
    confirm: (summary: string) => `请确认举报内容：\n${summary}`,
    confirmSubmit: '确认提交',
    confirmEdit: '修改',
    confirmAgain: '请点“确认提交”，或“修改”“取消”。也可以回答“对”或“不对”。',
    skippedStep: '好的，这一项跳过。',
    summary: {
      category: '类别',
      place: '地点',
      situation: '情况',
      since: '开始时间',
      photos: '照片',
      contact: '联系方式',
      none: '未提供',
      unsaid: '未说明',
      anonymous: '匿名',
      phoneNote: '（仅办理单位可见）',
      photoCount: (n: number) => `${n}张`,
    },
  },
  validation: {
    descriptionShort: (n: number) => `描述太短了：请至少写${n}个汉字，说清楚在哪里、发生了什么。`,
    descriptionLong: (n: number) => `描述太长了：请控制在${n}字以内，可以分条简要说明。`,
    phone: '电话号码格式不对：请输入11位手机号（如13812345678）或带区号的座机号（如023-47521234）。',
  },
  notify: {
    statusChanged: (ticket: string, status: string, note: string | null) =>
      `您的举报 ${ticket} 状态更新为「${status}」${note ? `：${note}` : ''}。`,
    closed: (ticket: string, result: string | null) => `您的举报 ${ticket} 已办结。\n办理结果：${result ?? ''}\n请问您对处理结果满意吗？`,
    satisfied: '满意',
    unsatisfied: '不满意',
    unitReopen: (ticket: string, reason: string | null, due: string) =>
      `【重新办理】${ticket}：举报人对办理结果不满意${reason ? `，认为：${reason}` : '（未说明原因）'}。请重新办理，新的办结时限为 ${due}。发送 /case ${ticket} 查看。`,
    unroutable: (ticket: string, unit: string) =>
      `【待分派】新举报 ${ticket} 应由“${unit}”办理，但该单位还没有人绑定聊天，通知已保留，单位有人绑定后自动送达。请尽快为该单位发放邀请码（npm run admin -- invite --unit ${unit} --role official）。`,
    heldDelivered: (n: number) => `以下是绑定之前留给本单位的 ${n} 条通知：`,
  },
  photos: {
    none: (ticket: string) => `${ticket} 没有附照片。`,
    caption: (ticket: string, i: number, n: number) => `${ticket} 现场照片 ${i}/${n}`,
    count: (n: number) => `${n}张`,
    viewHint: (ticket: string) => `（发送 /photos ${ticket} 查看）`,
    webLink: (url: string) => `查看：${url}`,
    expired: '（照片已过期，无法查看）',
  },
  web: {
    staffSignInRequired:
      '网页聊天中绑定工作人员身份需要先登录：请向管理员索取网页登录链接（npm run admin -- login-link），打开后即可办理。',
  },
  wecom: {
    chooseHint: '（回复序号即可选择）',
    locationHint: '（也可以发送位置：点“+”→“位置”）',
    chosen: (label: string) => `已选择：${label}`,
    cardTitle: '请选择',
    photoRefused: (mb: number) => `这个文件没有保存：只能接收 JPEG、PNG 或 WebP 格式、不超过 ${mb}MB 的照片。请重新拍照发送。`,
  },
  telegram: {
    sendLocation: '📍 发送当前位置',
  },
};

/** The shape every language's catalog has. */
export type Messages = typeof zh;
