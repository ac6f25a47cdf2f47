/**
 * `node dist/fakes/load.js telegram|wecom URL N CONCURRENCY BASE [SECRET]`: a load generator in its
 * own process (so its cost is not counted against the assistant). Sends N Telegram webhook updates
 * or N signed, encrypted WeCom callbacks, CONCURRENCY at a time, and prints one JSON line.
 */
import { callbackRequest, messageXml } from './wecom.js';

const [which, url, n, conc, base, secret] = process.argv.slice(2);
const total = Number(n);
const texts = ['你好', '尾水整改完成了多少？', '畜禽粪污综合利用率是多少', '/status'];
let next = 0;
let ok = 0;
const t0 = Date.now();
await Promise.all(
  Array.from({ length: Number(conc) }, async () => {
    while (next < total) {
      const i = next++;
      const user = Number(base) + i;
      const text = texts[i % texts.length] as string;
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
        if (r.status === 200) ok++;
      } else {
        const req = callbackRequest(messageXml(`user${user}`, { MsgId: String(user), MsgType: 'text', Content: text }));
        const r = await fetch(`${url}/wecom/callback?${req.query}`, { method: 'POST', body: req.body });
        if ((await r.text()) === 'success') ok++;
      }
    }
  }),
);
process.stdout.write(`${JSON.stringify({ ok, elapsedMs: Date.now() - t0 })}\n`);
