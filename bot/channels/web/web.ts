/**
 * The local web chat: a page and a small JSON API on the assistant's own HTTP server, so anyone can
 * ask and report with no account. Notifications for a browser session wait in the outbox until
 * the page asks for them. Photos are saved under the data folder and referred to by name.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { projectPath } from '../../../core/paths.js';
import type { OutboxStore } from '../../../store/outbox.js';
import type { Dialog } from '../../dialog/dialog.js';

/** A request to the web channel, independent of the HTTP server. */
export interface WebRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: Buffer;
}

/** An answer of the web channel. */
export interface WebResponse {
  status: number;
  type: string;
  body: string;
}

const chatSchema = z.object({
  session: z
    .string()
    .min(8)
    .max(64)
    .regex(/^[\w-]+$/),
  messageId: z.string().max(128).optional(),
  text: z.string().max(10_000).optional(),
  choice: z.string().max(512).optional(),
  location: z.object({ lat: z.number(), lon: z.number(), label: z.string().max(500).optional() }).optional(),
  photos: z.array(z.string().max(200)).max(9).optional(),
});

const json = (status: number, body: unknown): WebResponse => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
});

/** Limits of the web chat. */
export const webLimits = { photoBytes: 5 * 1024 * 1024 };

/** Creates the web channel. */
export function createWebChannel(o: { dialog: Dialog; outbox: OutboxStore; uploadDir: string; clock?: () => Date }) {
  const clock = o.clock ?? (() => new Date());
  const page = readFileSync(projectPath('bot', 'channels', 'web', 'chat.html'), 'utf8');
  return {
    handle(req: WebRequest): WebResponse | null {
      if (req.method === 'GET' && (req.path === '/' || req.path === '/chat'))
        return { status: 200, type: 'text/html; charset=utf-8', body: page };
      if (req.path === '/api/chat' && req.method === 'POST') {
        let parsed: z.infer<typeof chatSchema>;
        try {
          parsed = chatSchema.parse(JSON.parse(req.body.toString('utf8')));
        } catch {
          return json(400, { error: '请求格式不对。' });
        }
        const { session, ...message } = parsed;
        const r = o.dialog.handle({ channel: 'web', userId: session, chatId: session, ...message }, clock());
        return json(200, r);
      }
      if (req.path === '/api/notifications' && req.method === 'GET') {
        const session = req.query.get('session') ?? '';
        const now = clock();
        const mine = o.outbox.pendingFor('web', session, 50);
        for (const m of mine) o.outbox.markSent(m.id, now);
        return json(200, { notifications: mine.map((m) => ({ text: m.text, choices: m.choices })) });
      }
      if (req.path === '/api/photo' && req.method === 'POST') {
        const ext = req.contentType.includes('png')
          ? 'png'
          : req.contentType.includes('jpeg') || req.contentType.includes('jpg')
            ? 'jpg'
            : null;
        if (!ext) return json(415, { error: '只支持 JPG 或 PNG 照片。' });
        if (req.body.length === 0 || req.body.length > webLimits.photoBytes) return json(413, { error: '照片不能超过5MB。' });
        mkdirSync(o.uploadDir, { recursive: true });
        const name = `${randomUUID()}.${ext}`;
        writeFileSync(join(o.uploadDir, name), req.body);
        return json(200, { ref: `web:${name}` });
      }
      return null;
    },
  };
}
