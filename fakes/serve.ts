/**
 * `node dist/fakes/serve.js telegram|wecom`: runs a fake in its own process (the benchmark keeps
 * it off the assistant's core) and prints its URL on the first line of stdout. What it received:
 * `GET /__stats` (counts) and `GET /__calls` (every call, for tests to see who was sent what).
 */
import { startFakeTelegram } from './telegram.js';
import { startFakeWeCom } from './wecom.js';

const which = process.argv[2];
const fake = which === 'wecom' ? await startFakeWeCom() : await startFakeTelegram();
process.stdout.write(`${fake.url}\n`);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
