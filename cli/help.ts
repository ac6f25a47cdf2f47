/**
 * The administrators' command line help, in Chinese with examples: `npm run admin -- --help` and
 * `npm run admin -- <command> --help`. Commands and subcommands are checked against this table: an
 * unknown one is an error that shows the help (never a silent listing).
 */

/** A command: what it does, its subcommands (if any) and examples. */
interface CommandHelp {
  summary: string;
  subs?: string[];
  usage: string[];
}

export const ADMIN_COMMANDS: Record<string, CommandHelp> = {
  contact: {
    summary: '联系人：录入、查看、删除（台账本身没有联系人）',
    subs: ['set', 'list', 'remove'],
    usage: [
      'contact set --unit 区农业农村委 --name 张三 --phone 023-47520000 [--hours 工作日9:00-17:00] [--note 备注]',
      'contact list [--json]',
      'contact remove --unit 区农业农村委 [--name 张三]',
    ],
  },
  invite: {
    summary: '生成一次性邀请码（7天内有效）；单位必须是已知单位（见 unit known / unit add）',
    usage: ['invite --unit 区农业农村委 --role official', 'invite --role admin'],
  },
  'login-link': {
    summary: '生成网页聊天的一次性登录码和登录链接（请私聊发给本人）',
    usage: ['login-link --unit 区农业农村委 --role official'],
  },
  doctor: { summary: '检查数据库文件（integrity_check、外键）', usage: ['doctor'] },
  import: {
    summary: '导入整改台账（DOCX、XLSX、CSV 或 TXT）：先预览，确认后写入语料并刷新问答，无需重启',
    usage: ['import 台账.docx --title "某某区整改台账" [--as-of 2024] [--dry-run]'],
  },
  'open311-key': {
    summary: '签发、列出或停用 Open311 接口密钥（POST /open311/v2/requests.json 使用）',
    usage: ['open311-key --name 市级平台', 'open311-key list', 'open311-key revoke 3'],
  },
  people: { summary: '列出已绑定的工作人员和管理员', usage: ['people'] },
  cases: {
    summary: '查询举报（时间按北京时间）',
    usage: ['cases --overdue', 'cases --unit 区农业农村委 --status 待受理,已受理 --from 2026-01-01 --to 2026-12-31 [--json]'],
  },
  export: {
    summary: '导出举报为 CSV（UTF-8 BOM，电话打码，北京时间，逾期为 是/否）',
    usage: ['export cases.csv [--unit 区农业农村委] [--overdue]'],
  },
  routing: {
    summary: '分派表：类别×镇街 → 办理单位（单位必须是已知单位）',
    subs: ['list', 'set', 'remove'],
    usage: [
      'routing list',
      'routing set --category aquaculture --town 吴滩镇 --unit 区农业农村委',
      'routing remove --category aquaculture --town 吴滩镇',
    ],
  },
  milestone: {
    summary: '整改节点：查看、进展、完成、重新打开、取消、暂缓、指派、关联举报',
    subs: ['list', 'show', 'history', 'update', 'assign', 'done', 'reopen', 'cancel', 'snooze', 'add', 'link'],
    usage: [
      'milestone list [--unit 区农业农村委] [--json]',
      'milestone show 5 | milestone history 5',
      'milestone update 5 --text "已完成验收" [--date 2026-11-20] [--unit 区农业农村委]',
      'milestone assign 5 区农业农村委、区生态环境局 | milestone assign 5 --clear',
      'milestone done 5 已验收 | milestone reopen 5 理由 | milestone cancel 5 理由 | milestone snooze 5 14',
      'milestone add --unit 区农业农村委 --date 2027-06-30 --title 新的整改目标',
      'milestone link JJ-20261122-7KQ4M 5（0 为不关联）',
    ],
  },
  unit: {
    summary: '单位：责任主体→办理单位对照表；已知单位的查看与添加',
    subs: ['list', 'confirm', 'remove', 'set', 'known', 'add'],
    usage: [
      'unit list [--state inferred|stated|confirmed] [--json]',
      'unit confirm 3 | unit remove 3',
      'unit set --body 江津区 --unit 区农业农村委 [--document records --scope 第2行]',
      'unit known                         （列出已知单位）',
      'unit add 区水利局                  （添加一个已知单位）',
    ],
  },
  outbox: { summary: '发送队列（含等待单位绑定的通知）', usage: ['outbox [--status pending|sent|failed|unroutable]'] },
  backup: { summary: '在线备份数据库', usage: ['backup backup.db'] },
  'migrate-store': {
    summary: '把 SQLite 数据库（DATABASE_PATH）复制到一个新建的空 PostgreSQL 数据库，并逐表核对行数和校验和（请先停止助手）',
    usage: [
      'migrate-store --to postgres://rectify@db.internal:5432/rectify',
      'migrate-store --to postgres://… --verify   （只核对，不复制）',
    ],
  },
};

/** The help of all commands, or of one. */
export function adminHelp(command?: string): string {
  const c = command ? ADMIN_COMMANDS[command] : undefined;
  if (c && command) {
    return [`npm run admin -- ${command}：${c.summary}`, '', '用法示例：', ...c.usage.map((u) => `  npm run admin -- ${u}`)].join('\n');
  }
  return [
    '整改助手管理命令：npm run admin -- <命令> [子命令] [选项]',
    '',
    ...Object.entries(ADMIN_COMMANDS).map(([name, h]) => `  ${name.padEnd(11)} ${h.summary}`),
    '',
    '示例：',
    '  npm run admin -- invite --unit 区农业农村委 --role official',
    '  npm run admin -- export cases.csv --overdue',
    '  npm run admin -- milestone update 5 --text "已完成验收"',
    '',
    '查看某个命令的说明：npm run admin -- <命令> --help（例如 npm run admin -- milestone --help）',
  ].join('\n');
}

/** Why a command line is not one of ours (with the help to show), or null when it is. */
export function checkCommand(command: string | undefined, sub: string | undefined): string | null {
  if (!command) return adminHelp();
  const c = ADMIN_COMMANDS[command];
  if (!c) return `未知命令：${command}\n\n${adminHelp()}`;
  if (c.subs && sub !== undefined && !c.subs.includes(sub)) return `未知子命令：${command} ${sub}\n\n${adminHelp(command)}`;
  return null;
}
