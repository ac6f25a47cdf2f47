/** A harness that drives whole conversations through the dialog core. */
import { type App, createApp } from '../bot/app.js';
import { parseConfig } from '../bot/config.js';
import type { Inbound, Reply } from '../bot/dialog/types.js';
import { createMilestoneDesk } from '../jobs/desk.js';
import { openDb } from '../store/db.js';
import { knowledge, NOW } from './helpers.js';

/** A test user talking to the dialog core. */
export interface Talker {
  say(text: string, at?: Date): Reply[];
  choose(value: string, at?: Date): Reply[];
  send(extra: Partial<Inbound>, at?: Date): Reply[];
  /** The text of all replies of the last turn. */
  last(): string;
}

let seq = 0;

/** A fresh program over an in-memory store (or the given file). */
export function makeApp(env: Record<string, string> = {}, path = ':memory:', onError?: (e: unknown) => void): App {
  return createApp(parseConfig(env), {
    db: openDb(path),
    knowledge: knowledge(),
    milestones: (p) => createMilestoneDesk(p.db, p.knowledge.kb, p.categories, p.service),
    ...(onError ? { onError } : {}),
  });
}

/** A user of `app` on a channel. */
export function talker(app: App, userId: string, channel = 'test', now = NOW): Talker {
  let lastReplies: Reply[] = [];
  const send = (extra: Partial<Inbound>, at = now) => {
    lastReplies = app.dialog.handle({ channel, userId, chatId: userId, messageId: `m${++seq}`, ...extra }, at).replies;
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
export function fileReport(t: Talker, opts: { town?: string; text?: string; anonymous?: boolean; phone?: string } = {}): string {
  t.say('举报');
  t.choose('cat:livestock');
  t.choose(`town:${opts.town ?? '石蟆镇'}`);
  t.say(opts.text ?? '村口养猪场每天往小河里排放粪水，河水发黑发臭');
  t.choose('skip');
  t.choose('skip');
  if (opts.anonymous ?? true) t.choose('anon');
  else {
    t.choose('contact');
    t.say(opts.phone ?? '13812345678');
  }
  t.choose('confirm');
  const m = /JJ-\d{8}-[A-Z0-9]{5}/.exec(t.last());
  if (!m) throw new Error(`no ticket in: ${t.last()}`);
  return m[0];
}
