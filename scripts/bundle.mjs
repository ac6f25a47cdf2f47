/**
 * Build step after `tsc`: the interactive command-line entries (`ask`, `chat`) are bundled each into
 * one file, `dist/bin/<name>.js`, which `npm run ask` and `npm run chat` start.
 *
 * Why: a question asked from the command line pays Node's ES-module loader for every file it
 * imports (about a hundred, zod's among them) before the first answer; measured here that was
 * ~130–200 ms of a ~550 ms cold start. One file loads in one read. The bundle sits at the entry's
 * folder depth (dist/bin/ beside dist/cli/), so paths resolved from `import.meta.url` (core/paths.ts) still point at
 * the project root. Native addons stay external: they are loaded from node_modules as before.
 */
import { mkdir, rename } from 'node:fs/promises';
import { basename } from 'node:path';
import { rolldown } from 'rolldown';

const ENTRIES = ['dist/cli/ask.js', 'dist/cli/chat.js'];
const EXTERNAL = ['better-sqlite3', '@node-rs/jieba'];

await mkdir('dist/bin', { recursive: true });
for (const entry of ENTRIES) {
  const out = `dist/bin/${basename(entry)}`;
  const bundle = await rolldown({ input: entry, platform: 'node', external: EXTERNAL, logLevel: 'warn' });
  const tmp = `${out}.tmp`;
  await bundle.write({ file: tmp, format: 'esm', sourcemap: false });
  await bundle.close();
  // Renamed only once written whole, so a failed build never leaves a half file as the entry.
  await rename(tmp, out);
}
