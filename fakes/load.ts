/**
 * `node dist/fakes/load.js telegram|wecom URL N CONCURRENCY BASE [SECRET]`: a load generator in its
 * own process (so its cost is not counted against the assistant). Sends N Telegram webhook updates
 * or N signed, encrypted WeCom callbacks, CONCURRENCY at a time, and prints one JSON line:
 * `{ ok, retried, failed, elapsedMs }`.
 *
 * Like the platforms, it delivers an update again when the assistant did not acknowledge it (a 503
 * means "not committed, send it again"), a few times with a growing pause; `failed` counts those
 * never acknowledged.
 */
import { callbackRequest, messageXml } from './wecom.js';

const [which, url, n, conc, base, secret] = process.argv.slice(2);
const total = Number(n);
const texts = ['你好', '尾水整改完成了多少？', '畜禽粪污综合利用率是多少', '/status'];
const TRIES = 8;
let next = 0;
let ok = 0;
let retried = 0;
let failed = 0;
const t0 = Date.now();

/** One delivery; true when the assistant acknowledged it. */
async function deliver(i: number): Promise<boolean> {
  const user = Number(base) + i;
  const text = texts[i % texts.length] as string;
  try {
    if (which === 'telegram') {
      const update = {
        update_id: user,
        message: {
          message_id: i,
          date: 0,
          chat: { id: user, type: 'private' },
          from: { id: user, is_bot: false, first_name: 'B' },
          text,
        },
      };
      const r = await fetch(`${url}/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret ?? '' },
        body: JSON.stringify(update),
      });
      await r.arrayBuffer();
      return r.status === 200;
    }
    const req = callbackRequest(messageXml(`user${user}`, { MsgId: String(user), MsgType: 'text', Content: text }));
    const r = await fetch(`${url}/wecom/callback?${req.query}`, { method: 'POST', body: req.body });
    return (await r.text()) === 'success';
  } catch {
    // A reset connection is not an acknowledgement either.
    return false;
  }
}

await Promise.all(
  Array.from({ length: Number(conc) }, async () => {
    while (next < total) {
      const i = next++;
      let done = false;
      for (let attempt = 0; attempt < TRIES && !done; attempt++) {
        if (attempt > 0) {
          retried++;
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        }
        done = await deliver(i);
      }
      if (done) ok++;
      else failed++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ ok, retried, failed, elapsedMs: Date.now() - t0 })}\n`);
