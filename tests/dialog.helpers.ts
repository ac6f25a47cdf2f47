/** A harness that drives whole conversations through the dialog core. */
import { type App, composeApp } from '../app/compose.js';
import { parseConfig } from '../bot/config.js';
import { readState } from '../bot/dialog/state.js';
import type { Inbound, Reply } from '../bot/dialog/types.js';
import { openSqliteStore } from '../store/sqlite.js';
import { knowledge, NOW } from './helpers.js';

/** A test user talking to the dialog core. */
export interface Talker {
  say(text: string, at?: Date): Promise<Reply[]>;
  choose(value: string, at?: Date): Promise<Reply[]>;
  send(extra: Partial<Inbound>, at?: Date): Promise<Reply[]>;
  /** The text of all replies of the last turn. */
  last(): string;
}

let seq = 0;

/** A fresh program over an in-memory store (or the given file). */
export function makeApp(env: Record<string, string> = {}, path = ':memory:', onError?: (e: unknown) => void): Promise<App> {
  return composeApp(parseConfig(env), {
    store: openSqliteStore(path, { readState }),
    knowledge: knowledge(),
    now: NOW,
    ...(onError ? { onError } : {}),
  });
}

/** A user of `app` on a channel. */
export function talker(app: App, userId: string, channel = 'test', now = NOW): Talker {
  let lastReplies: Reply[] = [];
  const send = async (extra: Partial<Inbound>, at = now) => {
    lastReplies = (await app.dialog.handle({ channel, userId, chatId: userId, messageId: `m${++seq}`, ...extra }, at)).replies;
    return lastReplies;
  };
  return {
    say: (text, at) => send({ text }, at),
    choose: (value, at) => send({ choice: value }, at),
    send,
    last: () => lastReplies.map((r) => r.text).join('\n'),
  };
}

/** Runs the whole intake for a citizen and returns the ticket. */
export async function fileReport(
  t: Talker,
  opts: { town?: string; text?: string; anonymous?: boolean; phone?: string } = {},
): Promise<string> {
  await t.say('举报');
  await t.choose('cat:livestock');
  await t.choose(`town:${opts.town ?? '石蟆镇'}`);
  await t.say(opts.text ?? '村口养猪场每天往小河里排放粪水，河水发黑发臭');
  await t.choose('skip');
  await t.choose('skip');
  if (opts.anonymous ?? true) await t.choose('anon');
  else {
    await t.choose('contact');
    await t.say(opts.phone ?? '13812345678');
  }
  await t.choose('confirm');
  const m = /JJ-\d{8}-[A-Z0-9]{5}/.exec(t.last());
  if (!m) throw new Error(`no ticket in: ${t.last()}`);
  return m[0];
}
