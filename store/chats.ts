/**
 * What the chat keeps per identity beyond the dialog state: the language the person writes in (so
 * notices reach them in it), and the web chat's conversation log, which a reload restores from the
 * server (the page never keeps it).
 */
import type { Lang } from '../core/messages/index.js';
import type { Db } from './db.js';

/** One line of a conversation as the web page shows it. */
export interface ChatLine {
  who: 'me' | 'bot' | 'note';
  text: string;
  choices: Array<Array<{ label: string; value: string }>> | null;
  at: string;
}

/** The chat store. */
export interface ChatStore {
  lang(channel: string, userId: string): Lang | null;
  setLang(channel: string, userId: string, lang: Lang, now: Date): void;
  log(channel: string, userId: string, lines: Array<Omit<ChatLine, 'at'>>, now: Date): void;
  /** The last `limit` lines, oldest first. */
  history(channel: string, userId: string, limit: number): ChatLine[];
  /** Forgets a person's log (an identity that ended). */
  forget(channel: string, userId: string): void;
  /** Forgets lines older than `before`. */
  prune(before: Date): number;
}

/** Creates the chat store. */
export function createChatStore(db: Db): ChatStore {
  const langQ = db.prepare('SELECT lang FROM chat_prefs WHERE channel = ? AND user_id = ?').pluck();
  const setLangQ = db.prepare(
    `INSERT INTO chat_prefs (channel, user_id, lang, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (channel, user_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at`,
  );
  const logQ = db.prepare('INSERT INTO chat_log (channel, user_id, who, text, choices, at) VALUES (?, ?, ?, ?, ?, ?)');
  const historyQ = db.prepare(
    'SELECT who, text, choices, at FROM (SELECT * FROM chat_log WHERE channel = ? AND user_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id',
  );
  const forgetQ = db.prepare('DELETE FROM chat_log WHERE channel = ? AND user_id = ?');
  const pruneQ = db.prepare('DELETE FROM chat_log WHERE at < ?');
  return {
    lang: (channel, userId) => (langQ.get(channel, userId) as Lang | undefined) ?? null,
    setLang: (channel, userId, lang, now) => {
      setLangQ.run(channel, userId, lang, now.toISOString());
    },
    log(channel, userId, lines, now) {
      for (const l of lines)
        logQ.run(channel, userId, l.who, l.text.slice(0, 20_000), l.choices ? JSON.stringify(l.choices) : null, now.toISOString());
    },
    history: (channel, userId, limit) =>
      (historyQ.all(channel, userId, limit) as Array<{ who: ChatLine['who']; text: string; choices: string | null; at: string }>).map(
        (r) => {
          let choices: ChatLine['choices'] = null;
          try {
            choices = r.choices ? (JSON.parse(r.choices) as ChatLine['choices']) : null;
          } catch {}
          return { who: r.who, text: r.text, choices, at: r.at };
        },
      ),
    forget: (channel, userId) => {
      forgetQ.run(channel, userId);
    },
    prune: (before) => pruneQ.run(before.toISOString()).changes,
  };
}
