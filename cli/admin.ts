/**
 * `npm run admin -- <command>`: the administrators' command line.
 *
 *   contact set --unit 区农业农村委 --name 张三 --phone 023-47520000 [--hours 工作日9:00-17:00] [--note …]
 *   contact list [--json] | contact remove --unit U [--name N]
 *   invite --unit 区农业农村委 --role official|admin
 *   login-link --unit 区农业农村委 --role official|admin   (a one-time web sign-in code and link)
 *   doctor                                   (PRAGMA integrity_check and foreign_key_check of the store)
 *   people
 *   cases [--unit U] [--status 待受理,已受理] [--category id] [--town 镇街] [--from 2026-01-01] [--to …] [--overdue] [--json]
 *   export FILE.csv [same filters]           (UTF-8 with BOM, phones masked also inside free text, formulas escaped)
 *   routing [list] | routing set --category id --unit U [--town 镇街] | routing remove --category id [--town 镇街]
 *   milestone list [--unit U] [--json] | milestone show ID | milestone history ID
 *   milestone update ID --text "…" [--date YYYY-MM-DD] [--unit U]   (a dated progress update)
 *   milestone assign ID UNIT[、UNIT…] | milestone assign ID --clear
 *   milestone done ID NOTE | milestone reopen ID NOTE | milestone cancel ID NOTE | milestone snooze ID DAYS
 *   milestone add --unit U --date YYYY-MM-DD --title …
 *   milestone link TICKET ID|0                (the milestone a complaint case bears on; 0: none)
 *   unit list [--state inferred|stated|confirmed] [--json] | unit confirm ID | unit remove ID
 *   unit set --body 主体 --unit U1[、U2] [--document D] [--scope 第2行]   (responsible body → handling units)
 *   outbox [--status pending|sent|failed|unroutable]
 *   backup FILE                              (SQLite online backup)
 *   migrate-store --to postgres://… [--verify]   (copy the SQLite store into a new PostgreSQL database, verified per table; --verify only compares)
 *   import FILE [--title 标题] [--as-of 2026] [--dry-run]   (a rectification table as DOCX, XLSX, CSV or TXT: preview, then add it to the corpus)
 *   open311-key --name 名称 | open311-key list | open311-key revoke ID   (keys of POST /open311/v2/requests.json)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { composeApp } from '../app/compose.js';
import { dataCorpusDir } from '../bot/corpus.js';
import { hashKey } from '../bot/open311/open311.js';
import { normalizeCode } from '../bot/sessions.js';
import { isOverdue } from '../cases/lifecycle.js';
import { phoneFor } from '../cases/service.js';
import { shanghaiDate, shanghaiDateTime, shanghaiIso, systemClock } from '../core/clock.js';
import { isCaseStatus, type OutboxStatus } from '../core/domain.js';
import { maskOrNull, maskPhonesIn } from '../core/mask.js';
import { actorLabel } from '../jobs/desk.js';
import { handlerLabel } from '../jobs/reminders.js';
import { commitImport, ImportError, prepareImport } from '../knowledge/import/import.js';
import { isJurisdiction } from '../knowledge/mod.js';
import { doctor } from '../store/db.js';
import { splitUnits } from '../store/milestones.js';
import type { CaseRecord, MilestoneRow } from '../store/ports.js';
import { configOrExit, fail, parseArgs } from './common.js';
import { casesCsv } from './csv.js';
import { adminHelp, checkCommand } from './help.js';

const VALUED = [
  'unit',
  'name',
  'phone',
  'hours',
  'note',
  'role',
  'status',
  'category',
  'town',
  'from',
  'to',
  'date',
  'title',
  'text',
  'body',
  'document',
  'scope',
  'state',
  'as-of',
  'to',
];

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const { flags, words } = parseArgs(process.argv.slice(2), VALUED);
  const [command, sub, ...rest] = words;
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  const need = (k: string, what: string) => {
    const v = str(k);
    if (!v) fail(new Error(`缺少 --${k}（${what}）`));
    return v;
  };
  if (flags.help || flags.h || command === 'help') {
    out(adminHelp(command === 'help' ? sub : command));
    return;
  }
  const wrong = checkCommand(command, command === 'export' || command === 'backup' ? undefined : sub);
  if (wrong) {
    process.stderr.write(`${wrong}\n`);
    process.exitCode = 2;
    return;
  }
  const config = configOrExit();
  if (command === 'doctor') {
    // Not through the composition root: a damaged store must be examined, not refused.
    const r = doctor(config.DATABASE_PATH);
    for (const l of r.lines) out(l);
    out(
      r.ok
        ? '数据库完好 / the store is sound'
        : '数据库有问题：请从备份恢复（npm run admin -- backup 生成的副本）/ problems found: restore from a backup',
    );
    process.exitCode = r.ok ? 0 : 1;
    return;
  }
  if (command === 'migrate-store') {
    // Not through the composition root: the SQLite file is only read, and the target is a new database. Loaded
    // only here, so the other commands never load the PostgreSQL driver.
    const { migrateStore } = await import('./migrate-store.js');
    process.exitCode = await migrateStore({
      sqlitePath: config.DATABASE_PATH,
      url: str('to') ?? config.DATABASE_URL,
      verifyOnly: flags.verify === true,
      out,
    });
    return;
  }
  const now = systemClock();
  // Only the milestone and mapping commands read the documents' milestones from the store.
  const app = await composeApp(config, { now, syncMilestones: command === 'milestone' || command === 'unit' });
  /** The units an invite or a route may name: known from the data, the store, or added by `unit add`. */
  const knownUnits = () => app.units.known();
  async function knownUnitOrFail(unit: string): Promise<string> {
    const known = await knownUnits();
    if (!known.includes(unit))
      fail(new Error(`没有“${unit}”这个单位。已知单位：${known.join('、')}\n如确需新增，请先运行：npm run admin -- unit add ${unit}`));
    return unit;
  }
  try {
    switch (command) {
      case 'contact': {
        if (sub === 'set') {
          const phone = need('phone', '电话');
          if (!/^[+\d][\d\s-]{2,19}$/.test(phone)) fail(new Error(`电话格式不对：${phone}`));
          const c = await app.contacts.set(
            { unit: need('unit', '单位'), name: need('name', '联系人'), phone, hours: str('hours') ?? null, note: str('note') ?? null },
            now,
          );
          out(`已保存：${c.unit} ${c.name} ${c.phone}`);
        } else if (sub === 'remove') {
          out(`已删除 ${await app.contacts.remove(need('unit', '单位'), str('name'))} 条。`);
        } else {
          const list = await app.contacts.list();
          if (flags.json) out(JSON.stringify(list));
          else if (list.length === 0) out('还没有录入联系人。');
          else for (const c of list) out(`${c.unit}\t${c.name}\t${c.phone}\t${c.hours ?? ''}\t${c.note ?? ''}`);
        }
        break;
      }
      case 'invite': {
        const role = str('role') ?? 'official';
        if (role !== 'official' && role !== 'admin') fail(new Error('--role 只能是 official 或 admin'));
        const unit = str('unit') ?? null;
        if (role === 'official' && !unit) fail(new Error('办理人员邀请码需要 --unit'));
        if (unit) await knownUnitOrFail(unit);
        const code = await app.people.invite(role, unit, now);
        out(`邀请码：${code}（7天内有效，仅可使用一次）\n在 Telegram、企业微信或网页聊天中发送：/join ${code}`);
        break;
      }
      case 'login-link': {
        const role = str('role') ?? 'official';
        if (role !== 'official' && role !== 'admin') fail(new Error('--role 只能是 official 或 admin'));
        const unit = str('unit') ?? null;
        if (role === 'official' && !unit) fail(new Error('办理人员登录码需要 --unit'));
        if (unit) await knownUnitOrFail(unit);
        const code = await app.sessions.issueCode(role, unit, now);
        const shown = `${code.slice(0, 5)}-${code.slice(5)}`;
        const base = config.PUBLIC_BASE_URL ?? `http://${config.HTTP_HOST}:${config.HTTP_PORT}`;
        out(
          `网页登录码：${shown}（${config.LOGIN_CODE_MINUTES}分钟内有效，仅可使用一次；登录后 ${config.WEB_SIGNIN_HOURS} 小时内有效）\n` +
            `登录链接：${base.replace(/\/$/, '')}/login#${normalizeCode(code)}\n` +
            `工作台：${base.replace(/\/$/, '')}/desk/login#${normalizeCode(code)}\n` +
            '请只发给本人（私聊），不要发到群里。打开链接即登录；也可在网页聊天的登录页输入登录码。',
        );
        break;
      }
      case 'people':
        for (const p of await app.people.list()) out(`${p.role}\t${p.unit ?? ''}\t${p.channel}:${p.userId}\t${p.name ?? ''}`);
        break;
      case 'cases':
      case 'export': {
        const status = str('status')?.split(',');
        const bad = status?.find((x) => !isCaseStatus(x));
        if (bad) fail(new Error(`没有“${bad}”这个状态`));
        let list: CaseRecord[] = await app.cases.list({
          ...(str('unit') ? { unit: str('unit') } : {}),
          ...(status ? { status: status.filter(isCaseStatus) } : {}),
          ...(str('category') ? { category: str('category') } : {}),
          ...(str('town') ? { town: str('town') } : {}),
          ...(str('from') ? { from: new Date(`${str('from')}T00:00:00+08:00`).toISOString() } : {}),
          ...(str('to') ? { to: new Date(`${str('to')}T00:00:00+08:00`).toISOString() } : {}),
        });
        if (flags.overdue) list = list.filter((c) => isOverdue(c, now));
        // Administrators see phones masked: only officials of the handling unit see them in full, and
        // a number typed into the description or the address is masked too.
        const rows = list.map((c) => ({
          ticket: c.ticket,
          status: c.status,
          category: app.service.categoryName(c.category),
          unit: c.unit,
          town: c.town,
          address: maskOrNull(c.address),
          lat: c.lat,
          lon: c.lon,
          description: maskPhonesIn(c.description),
          since: maskOrNull(c.since),
          photos: c.photos.length,
          phone: phoneFor(c, false),
          // Times as people read them (Asia/Shanghai), 逾期 as 是/否.
          createdAt: shanghaiDateTime(new Date(c.createdAt)),
          acceptDue: shanghaiDateTime(new Date(c.acceptDue)),
          completeDue: c.completeDue ? shanghaiDateTime(new Date(c.completeDue)) : null,
          overdue: isOverdue(c, now) ? '是' : '否',
          satisfaction: c.satisfaction,
        }));
        if (command === 'export') {
          const file = sub;
          if (!file) fail(new Error('请给出导出文件名，例如：npm run admin -- export cases.csv'));
          const header = [
            '编号',
            '状态',
            '类别',
            '办理单位',
            '镇街',
            '地址',
            '纬度',
            '经度',
            '情况',
            '开始时间',
            '照片数',
            '电话',
            '提交时间',
            '受理时限',
            '办结时限',
            '逾期',
            '评价',
          ];
          writeFileSync(
            file,
            casesCsv(
              header,
              rows.map((r) => Object.values(r)),
            ),
            'utf8',
          );
          out(`已导出 ${rows.length} 件到 ${file}`);
        } else if (flags.json) out(JSON.stringify(rows));
        else if (rows.length === 0) out('没有符合条件的举报。');
        else
          for (const r of rows)
            out(
              `${r.overdue === '是' ? '⚠️' : '  '}${r.ticket}\t${r.status}\t${r.category}\t${r.unit}\t${r.town ?? r.address ?? ''}\t${r.description.slice(0, 30)}`,
            );
        break;
      }
      case 'routing': {
        if (sub === 'set') {
          const cat = need('category', '类别 id，如 aquaculture');
          if (!app.categories.some((c) => c.id === cat))
            fail(new Error(`没有类别 ${cat}；可用：${app.categories.map((c) => c.id).join(', ')}`));
          await app.cases.setRoute(cat, str('town') ?? null, await knownUnitOrFail(need('unit', '办理单位')));
          out('已保存。');
        } else if (sub === 'remove') {
          out(`已删除 ${await app.cases.removeRoute(need('category', '类别 id'), str('town') ?? null)} 条。`);
        } else {
          for (const r of await app.cases.routes())
            out(`${r.category}（${app.service.categoryName(r.category)}）\t${r.town === '*' ? '全区' : r.town}\t→ ${r.unit}`);
        }
        break;
      }
      case 'milestone': {
        const ms = app.ledger.milestones;
        const ledger = app.ledger;
        const id = Number(rest[0]);
        const existing = async () => {
          const m = await ms.get(id);
          if (!m || m.mergedInto !== null) fail(new Error(`没有编号为 ${rest[0] ?? ''} 的节点（npm run admin -- milestone list 查看）`));
          return m;
        };
        const detail = async (m: MilestoneRow) => ({
          ...m,
          handlers: await ledger.handlers(m),
          updates: (await ledger.store.updates(m.id)).map(({ id: uid, date, unit, author, text, via, createdAt }) => ({
            id: uid,
            date,
            unit,
            author,
            text,
            via,
            createdAt: shanghaiIso(new Date(createdAt)),
          })),
          linkedCases: (await ledger.store.linkCountsByKey()).get(m.key) ?? 0,
          history: (await ms.events(m.id)).map((e) => ({ ...e, at: shanghaiIso(new Date(e.at)) })),
        });
        if (sub === 'assign') {
          const m = await existing();
          const units = flags.clear ? [] : splitUnits(rest.slice(1).join(' '));
          if (!flags.clear && units.length === 0) fail(new Error('用法：milestone assign 编号 单位[、单位…]（或 --clear 恢复按对照表）'));
          const bad = units.find(isJurisdiction);
          if (bad) fail(new Error(`“${bad}”是整个行政区，不是可以接收提醒的单位；请写具体的委、局、办等单位`));
          await ms.assign(m.id, units, 'admin-cli', now);
          out(units.length ? `已指定 #${m.id} 的责任单位为 ${units.join('、')}` : `#${m.id} 恢复按对照表确定责任单位`);
        } else if (sub === 'snooze') {
          const m = await existing();
          const days = Number(rest[1]);
          if (!Number.isInteger(days) || days < 1 || days > 365) fail(new Error('用法：milestone snooze 编号 天数（1–365）'));
          const until = new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
          await ms.snooze(m.id, until, 'admin-cli', now, rest.slice(2).join(' ') || str('note') || null);
          out(`已暂缓 #${m.id} 的提醒至 ${until}`);
        } else if (sub === 'done' || sub === 'cancel' || sub === 'reopen') {
          const m = await existing();
          const note = rest.slice(1).join(' ') || str('note') || null;
          if (sub === 'reopen' && !note) fail(new Error('用法：milestone reopen 编号 理由'));
          await ms.setStatus(m.id, sub === 'done' ? 'done' : sub === 'cancel' ? 'cancelled' : 'open', 'admin-cli', note, now);
          out(`已更新 #${m.id}：${sub === 'done' ? '已完成' : sub === 'cancel' ? '已取消' : '重新打开'}`);
        } else if (sub === 'update') {
          const m = await existing();
          const text = need('text', '进展内容');
          const date = str('date') ?? shanghaiDate(now);
          if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) fail(new Error('--date 格式应为 YYYY-MM-DD'));
          const u = await ledger.update(m, { text, date, unit: str('unit') ?? null, author: 'admin-cli', via: 'cli' }, now);
          out(`已记录 #${m.id} 的进展（${u.date}${u.unit ? `，${u.unit}` : ''}）：${u.text}`);
        } else if (sub === 'history') {
          const m = await existing();
          out(`#${m.id} ${m.title}`);
          for (const e of await ms.events(m.id))
            out(`${shanghaiDateTime(new Date(e.at))}\t${actorLabel(e.actor)}\t${e.action}\t${e.note ?? ''}`);
        } else if (sub === 'show') {
          out(JSON.stringify(await detail(await existing()), null, 2));
        } else if (sub === 'link') {
          const c = await app.cases.byTicket(rest[0] ?? '');
          if (!c) fail(new Error('用法：milestone link 举报编号 节点号|0'));
          const target = rest[1] ?? '';
          if (target === '0') await ledger.setLink(c, null, 'admin-cli', now);
          else {
            const m = await ms.get(Number(target));
            if (!m || m.mergedInto !== null) fail(new Error(`没有编号为 ${target} 的节点`));
            await ledger.setLink(c, m.id, 'admin-cli', now);
          }
          out(`已更新 ${c.ticket} 的关联节点：${target === '0' ? '无' : `#${target}`}`);
        } else if (sub === 'add') {
          const date = need('date', 'YYYY-MM-DD');
          if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) fail(new Error('--date 格式应为 YYYY-MM-DD'));
          const m = await ms.add({ title: need('title', '节点内容'), dueDate: date, unit: str('unit') ?? null }, 'admin-cli', now);
          out(`已添加 #${m.id}`);
        } else {
          const unit = str('unit');
          const list = unit ? await ledger.forUnit(unit) : await ms.list();
          if (flags.json) out(JSON.stringify(await Promise.all(list.map(detail))));
          else
            for (const m of list) {
              const latest = (await ledger.store.updates(m.id))[0];
              out(
                `#${m.id}\t${m.status}\t${m.dueDate}\t${m.outcome ?? ''}\t${handlerLabel(await ledger.handlers(m))}\t${m.title}${latest ? `\t最新进展 ${latest.date}：${latest.text}` : ''}`,
              );
            }
        }
        break;
      }
      case 'unit': {
        const units = app.ledger.units;
        if (sub === 'known') {
          for (const u of await knownUnits()) out(u);
          break;
        }
        if (sub === 'add') {
          const name = rest[0]?.trim();
          if (!name) fail(new Error('用法：npm run admin -- unit add 单位名称'));
          await app.units.add(name, 'admin-cli', now);
          out(`已添加单位：${name}`);
          break;
        }
        if (sub === 'confirm' || sub === 'remove') {
          const r = await units.get(Number(rest[0]));
          if (!r || r.state === 'removed') fail(new Error(`没有编号为 ${rest[0] ?? ''} 的对照（npm run admin -- unit list 查看）`));
          if (sub === 'confirm') await units.confirm(r.id, 'admin-cli', now);
          else await units.remove(r.id, 'admin-cli', now);
          out(`${sub === 'confirm' ? '已确认' : '已删除'}：${r.body || '（文件未写明）'} → ${r.unit}`);
        } else if (sub === 'set') {
          const body = str('body') ?? (flags.body === true ? '' : undefined);
          if (body === undefined) fail(new Error('缺少 --body（文件“整改责任单位”一栏写的责任主体；--body "" 指文件未写明的）'));
          const list = splitUnits(need('unit', '办理单位，多个用、隔开'));
          const bad = list.find(isJurisdiction);
          if (bad) fail(new Error(`“${bad}”是整个行政区，不是可以接收提醒的单位；请写具体单位`));
          const set = await units.set(
            body,
            list,
            { ...(str('document') ? { document: str('document') } : {}), ...(str('scope') ? { scope: str('scope') } : {}) },
            'admin-cli',
            now,
          );
          out(
            `已设定：${body || '（文件未写明）'} → ${set.map((r) => r.unit).join('、')}（${str('document') ?? '所有文件'}，${str('scope') ?? '所有任务'}）`,
          );
        } else {
          const list = await units.list(str('state') ? { state: str('state') } : {});
          const where = new Map<number, string>();
          for (const r of list) where.set(r.id, await app.ledger.scopeLabel(r));
          if (flags.json)
            out(JSON.stringify(list.map((r) => ({ ...r, where: where.get(r.id), updatedAt: shanghaiIso(new Date(r.updatedAt)) }))));
          else if (list.length === 0) out('对照表为空。');
          else
            for (const r of list)
              out(`[${r.id}]\t${r.state}\t${r.body || '（文件未写明）'} → ${r.unit}\t${where.get(r.id)}\t${r.reason ?? ''}`);
        }
        break;
      }
      case 'outbox': {
        const status = str('status');
        if (status && !['pending', 'sent', 'failed', 'unroutable'].includes(status))
          fail(new Error(`--status 应为 pending、sent、failed 或 unroutable`));
        for (const m of await app.outbox.list(status ? { status: status as OutboxStatus } : {})) {
          out(
            `${m.id}\t${m.status}\t${m.kind}\t${m.unit ?? ''}\t${m.channel ?? '-'}:${m.chatId ?? '-'}\t${maskPhonesIn(m.text.split('\n')[0] ?? '')}`,
          );
        }
        break;
      }
      case 'backup': {
        if (!sub) fail(new Error('请给出备份文件名，例如：npm run admin -- backup backup.db'));
        await app.store.backup(sub);
        out(`已备份到 ${sub}`);
        break;
      }
      case 'import': {
        if (!sub) fail(new Error('请给出文件，例如：npm run admin -- import 台账.docx --title "2026年整改台账"'));
        let bytes: Buffer;
        try {
          bytes = readFileSync(sub);
        } catch {
          fail(new Error(`无法读取文件 ${sub}`));
        }
        try {
          const p = await prepareImport(bytes, sub, app.corpusDir, now, { title: str('title') ?? null, asOf: str('as-of') ?? null });
          out(
            `${p.format.toUpperCase()}：${p.info.title}（${p.info.id}）${p.table.records.length} 行，整改目标 ${p.table.records.reduce((n, r) => n + r.targets.length, 0)} 个，整改节点 ${p.milestones.length} 个`,
          );
          for (const r of p.table.records.slice(0, 20))
            out(
              `  第${r.row}行 ${r.overview?.slice(0, 40) ?? ''}｜${r.unit ?? ''}｜${r.targets.map((t) => t.text.slice(0, 30)).join('；')}`,
            );
          for (const m of p.milestones) out(`  节点：${m.title}（${m.dueDate}，${m.outcome}）`);
          if (flags['dry-run']) {
            out('（预览，未导入 / preview only）');
            break;
          }
          const target = config.CORPUS_DIR ?? dataCorpusDir(config);
          commitImport(p, app.corpusDir, target);
          // Into the store too, so that every replica (on any disk) loads it (issue 13).
          await app.corpus.publish(now);
          out(`已导入到 ${target}；正在运行的助手会自动加载（数秒内）。/ imported; a running assistant picks it up within seconds.`);
        } catch (e) {
          if (e instanceof ImportError) fail(new Error(`${e.message}（语料未改变 / nothing changed）`));
          throw e;
        }
        break;
      }
      case 'open311-key': {
        if (sub === 'list') {
          for (const k of await app.apiKeys.list())
            out(`${k.id}\t${k.name}\t${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`);
          break;
        }
        if (sub === 'revoke') {
          const id = Number(rest[0]);
          out((await app.apiKeys.revoke(id, now)) ? `已停用 ${id}` : `没有可停用的 ${rest[0] ?? ''}`);
          break;
        }
        const name = need('name', '使用方名称');
        const key = randomBytes(24).toString('base64url');
        const id = await app.apiKeys.insert(hashKey(key), name, now);
        out(`Open311 API key #${id}（${name}）：${key}\n只显示这一次，请妥善保存；停用：npm run admin -- open311-key revoke ${id}`);
        break;
      }
      default:
        fail(new Error(`未知命令：${command}`));
    }
  } finally {
    await app.close();
  }
}

main().catch(fail);
