/**
 * `npm run jobs -- preview --now 2025-12-01T09:07:00+08:00 [--json] [--digest]`: what the
 * reminders (or the weekly digest) would send at that moment, without sending or recording.
 * `npm run jobs -- run --now …`: decides and records what is due and puts it in the outbox for
 * the running assistant to send (it sends at once when channels are configured here).
 */
import { composeApp } from '../app/compose.js';
import { shanghaiDateTime, systemClock } from '../core/clock.js';
import type { PlannedMessage } from '../jobs/reminders.js';
import { toTelegramHtml, toWeComMarkdown } from '../jobs/render.js';
import { configOrExit, fail, parseArgs } from './common.js';

const KIND_NAMES: Record<PlannedMessage['kind'], string> = {
  lead: '到期提醒',
  'result-request': '请报告完成情况',
  escalation: '未报告（告知管理员）',
  digest: '每周汇总',
};

function render(m: PlannedMessage): string[] {
  if (m.channel === 'telegram') return toTelegramHtml(m.text);
  if (m.channel === 'wecom' || m.channel === 'wecom-robot') return toWeComMarkdown(m.text);
  return [m.text];
}

async function main(): Promise<void> {
  const { flags, words } = parseArgs(process.argv.slice(2), ['now']);
  const command = words[0];
  if (command !== 'preview' && command !== 'run') {
    process.stderr.write('用法：npm run jobs -- preview|run [--now 2025-12-01T09:07:00+08:00] [--json] [--digest]\n');
    process.exitCode = 2;
    return;
  }
  const now = typeof flags.now === 'string' ? new Date(flags.now) : systemClock();
  if (Number.isNaN(now.getTime())) fail(new Error(`--now 不是有效时间：${String(flags.now)}（例：2025-12-01T09:07:00+08:00）`));
  const config = configOrExit();
  const app = await composeApp(config, { now });
  const dry = command === 'preview';
  const planned = flags.digest ? await app.jobs.digest(now, dry) : await app.jobs.reminders(now, dry);
  await app.close();
  if (flags.json) {
    for (const m of planned) {
      for (const text of render(m)) {
        process.stdout.write(
          `${JSON.stringify({ unit: m.unit, channel: m.channel, chatId: m.chatId, kind: m.kind, milestones: m.milestones, text })}\n`,
        );
      }
    }
    return;
  }
  if (planned.length === 0) {
    process.stdout.write(`${shanghaiDateTime(now)}（北京时间）：没有需要发送的${flags.digest ? '汇总' : '提醒'}。\n`);
    return;
  }
  for (const m of planned) {
    process.stdout.write(
      `── ${m.unit}〔${KIND_NAMES[m.kind]}〕 → ${m.channel ? `${m.channel}:${m.chatId}` : '（未绑定会话，记为无法投递）'}\n${m.text}\n\n`,
    );
  }
  const byKind = new Map<string, number>();
  for (const m of planned) byKind.set(KIND_NAMES[m.kind], (byKind.get(KIND_NAMES[m.kind]) ?? 0) + 1);
  process.stdout.write(
    `${shanghaiDateTime(now)}（北京时间）${dry ? '预览' : '已记录并放入发送队列'}：${planned.length} 条消息（${[...byKind].map(([k, n]) => `${k} ${n}`).join('，')}）。\n`,
  );
}

main().catch(fail);
