/**
 * `npm run chat`: the assistant in the terminal, on the same dialog core as every channel.
 * Type a number to pick a button; "/loc 29.29 106.25" sends a location; "/photo 名称" a photo.
 * `--jsonl` reads one inbound message (JSON) per line and writes one JSON line of replies: the
 * machine interface used by the crash test. Replies are owed through the outbox like on every
 * channel: a message sent again (same id) after a crash gets its replies again.
 */

import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { composeApp } from '../app/compose.js';
import { asReplies } from '../bot/delivery.js';
import { type Choice, inboundSchema, type Reply } from '../bot/dialog/types.js';
import { systemClock } from '../core/clock.js';
import { configOrExit, fail, parseArgs } from './common.js';

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2), ['user']);
  const config = configOrExit();
  const app = await composeApp(config, { now: systemClock() });
  const channel = 'terminal';
  const user = typeof flags.user === 'string' ? flags.user : `terminal-${userInfo().username}`;
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  // Message ids unique across runs of the terminal chat: they start at the time it started.
  let seq = systemClock().getTime();

  if (flags.jsonl) {
    for await (const line of rl) {
      if (!line.trim()) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stdout.write(`${JSON.stringify({ error: 'bad json' })}\n`);
        continue;
      }
      const parsed = inboundSchema.safeParse({ channel, userId: user, chatId: user, ...msg });
      if (!parsed.success) {
        process.stdout.write(`${JSON.stringify({ error: 'bad message' })}\n`);
        continue;
      }
      const r = await app.delivery.handle(parsed.data, systemClock(), { inResponse: true });
      process.stdout.write(`${JSON.stringify({ replies: asReplies(r.messages), ...(r.duplicate ? { duplicate: true } : {}) })}\n`);
    }
    await app.close();
    return;
  }

  let choices: Choice[] = [];
  const show = async (replies: Reply[]) => {
    choices = [];
    for (const r of replies) {
      process.stdout.write(`\n助手：${r.text}\n`);
      for (const row of r.choices ?? []) {
        process.stdout.write(`  ${row.map((c) => `[${choices.push(c)}] ${c.label}`).join('  ')}\n`);
      }
      if (r.requestLocation) process.stdout.write('  （发送定位：/loc 纬度 经度）\n');
    }
    // Notifications owed to this terminal user (status changes, ratings) are shown here.
    for (const m of await app.outbox.pendingFor(channel, user, 20)) {
      process.stdout.write(`\n🔔 通知：${m.text}\n`);
      for (const row of m.choices ?? []) process.stdout.write(`  ${row.map((c) => `[${choices.push(c)}] ${c.label}`).join('  ')}\n`);
      await app.outbox.markSent(m.id, systemClock());
    }
    process.stdout.write('\n你：');
  };
  process.stdout.write('整改助手（终端）。提问、举报（发送“举报”）或查询进度；Ctrl+D 退出。\n你：');
  for await (const line of rl) {
    const text = line.trim();
    if (!text) {
      process.stdout.write('你：');
      continue;
    }
    const n = Number(text);
    const loc = /^\/loc\s+(-?[\d.]+)[\s,，]+(-?[\d.]+)/.exec(text);
    const photo = /^\/photo\s+(.+)$/.exec(text);
    const message =
      Number.isInteger(n) && n >= 1 && n <= choices.length
        ? { choice: (choices[n - 1] as Choice).value }
        : loc
          ? { location: { lat: Number(loc[1]), lon: Number(loc[2]) } }
          : photo
            ? { photos: [`terminal:${photo[1]}`] }
            : { text };
    const r = await app.delivery.handle({ channel, userId: user, chatId: user, messageId: String(++seq), ...message }, systemClock(), {
      inResponse: true,
    });
    await show(asReplies(r.messages));
  }
  await app.close();
  process.stdout.write('\n再见。\n');
}

main().catch(fail);
