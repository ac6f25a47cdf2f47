/**
 * A fake Telegram Bot API on 127.0.0.1: enough of getMe, getUpdates (with offsets), webhooks,
 * sendMessage, sendPhoto, getFile, setMyCommands and answerCallbackQuery for grammY's real client
 * to run whole conversations against it. Files put with `putFile` are served as Telegram serves
 * them: getFile gives a file_path, and the bytes are at `/file/bot<token>/<file_path>`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UserFromGetMe } from 'grammy/types';

/** A recorded API call. */
export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
}

/** The fake bot's own user (what getMe answers). */
export const BOT_INFO: UserFromGetMe = {
  id: 42,
  is_bot: true as const,
  first_name: '整改助手',
  username: 'rectify_test_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

/** The fake server. */
export interface FakeTelegram {
  url: string;
  calls: ApiCall[];
  push(update: Record<string, unknown>): number;
  /** Waits until a call matches. */
  waitFor(pred: (c: ApiCall) => boolean, ms?: number): Promise<ApiCall>;
  /** Makes the next n calls of a method fail with 429 retry_after 1. */
  flood(method: string, n: number): void;
  /** An outage: every call but getUpdates has its connection dropped (as when the Bot API is unreachable). */
  outage(on: boolean): void;
  /** Makes a file downloadable: getFile for its file_id gives a path, and the path serves these bytes. */
  putFile(fileId: string, bytes: Buffer): void;
  /** The file paths downloaded (under /file/bot<token>/), in order. */
  downloads: string[];
  close(): Promise<void>;
}

/** Starts the fake on a free port. */
export async function startFakeTelegram(): Promise<FakeTelegram> {
  const calls: ApiCall[] = [];
  const updates: Array<Record<string, unknown> & { update_id: number }> = [];
  const floods = new Map<string, number>();
  let down = false;
  let nextUpdate = 1;
  let nextMessage = 1000;
  const waiters: Array<() => void> = [];
  const files = new Map<string, { path: string; bytes: Buffer }>();
  const downloads: string[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (req.url === '/__stats') {
        const counts: Record<string, number> = {};
        for (const c of calls) counts[c.method] = (counts[c.method] ?? 0) + 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(counts));
        return;
      }
      // Every call made, for a test in another process to see who was sent what.
      if (req.url === '/__calls') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(calls));
        return;
      }
      if (req.url === '/__push') {
        for (const u of JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<Record<string, unknown>>) {
          updates.push({ update_id: nextUpdate++, ...u });
        }
        res.writeHead(200).end('{}');
        return;
      }
      const file = /^\/file\/bot[^/]+\/(.+)$/.exec(req.url ?? '');
      if (file) {
        if (down) {
          req.socket.destroy();
          return;
        }
        const path = decodeURIComponent(file[1] as string);
        downloads.push(path);
        const hit = [...files.values()].find((f) => f.path === path);
        if (!hit) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(hit.bytes.length) });
        res.end(hit.bytes);
        return;
      }
      const m = /^\/bot[^/]+\/(\w+)/.exec(req.url ?? '');
      const method = m?.[1] ?? '';
      if (down && method !== 'getUpdates') {
        req.socket.destroy();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let payload: Record<string, unknown> = {};
      try {
        payload = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        payload = { raw };
      }
      const reply = (result: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, result }));
      };
      const left = floods.get(method) ?? 0;
      if (left > 0) {
        floods.set(method, left - 1);
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }),
        );
        return;
      }
      if (method !== 'getUpdates') {
        calls.push({ method, payload });
        for (const w of waiters.splice(0)) w();
      }
      switch (method) {
        case 'getMe':
          return reply(BOT_INFO);
        case 'getUpdates': {
          const offset = Number(payload.offset ?? 0);
          while (updates.length && (updates[0] as { update_id: number }).update_id < offset) updates.shift();
          if (updates.length === 0) await new Promise((r) => setTimeout(r, 30));
          return reply(updates.filter((u) => u.update_id >= offset).slice(0, 100));
        }
        case 'sendMessage':
        case 'sendPhoto':
          return reply({
            message_id: nextMessage++,
            date: Math.floor(Date.now() / 1000),
            chat: { id: payload.chat_id, type: 'private' },
            text: payload.text,
          });
        case 'getFile': {
          const f = files.get(String(payload.file_id));
          if (f) return reply({ file_id: payload.file_id, file_unique_id: 'u', file_size: f.bytes.length, file_path: f.path });
          return reply({ file_id: payload.file_id, file_unique_id: 'u', file_path: `photos/${String(payload.file_id)}.jpg` });
        }
        default:
          return reply(true);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    push(update) {
      const u = { update_id: nextUpdate++, ...update };
      updates.push(u);
      return u.update_id;
    },
    waitFor(pred, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const start = Date.now();
        const check = () => {
          const hit = calls.find(pred);
          if (hit) return resolve(hit);
          if (Date.now() - start > ms) return reject(new Error(`fake telegram: timed out; calls: ${calls.map((c) => c.method).join(',')}`));
          waiters.push(check);
          setTimeout(check, 50);
        };
        check();
      });
    },
    flood(method, n) {
      floods.set(method, n);
    },
    outage(on) {
      down = on;
    },
    putFile(fileId, bytes) {
      files.set(fileId, { path: `photos/file_${files.size}.jpg`, bytes });
    },
    downloads,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let messageId = 1;

/** A private-chat message update from a user, with the given content fields. */
function privateMessage(userId: number, content: Record<string, unknown>): Record<string, unknown> {
  return {
    message: {
      message_id: messageId++,
      date: 0,
      chat: { id: userId, type: 'private', first_name: 'U' },
      from: { id: userId, is_bot: false, first_name: 'U' },
      ...content,
    },
  };
}

/** A private-chat text message update from a user. */
export function textUpdate(userId: number, text: string): Record<string, unknown> {
  return privateMessage(userId, { text });
}

/** A private-chat location message update. */
export function locationUpdate(userId: number, lat: number, lon: number): Record<string, unknown> {
  return privateMessage(userId, { location: { latitude: lat, longitude: lon } });
}

/** A private-chat photo message update (sizes smallest first, as Telegram sends them). */
export function photoUpdate(userId: number, fileId: string): Record<string, unknown> {
  return privateMessage(userId, {
    photo: [
      { file_id: `${fileId}-small`, file_unique_id: 's', width: 90, height: 90 },
      { file_id: fileId, file_unique_id: 'b', width: 1280, height: 960 },
    ],
  });
}

/** An inline-button press. */
export function callbackUpdate(userId: number, data: string): Record<string, unknown> {
  return {
    callback_query: {
      id: `cq${messageId++}`,
      from: { id: userId, is_bot: false, first_name: 'U' },
      chat_instance: 'ci',
      data,
      message: { message_id: 1, date: 0, chat: { id: userId, type: 'private', first_name: 'U' } },
    },
  };
}
