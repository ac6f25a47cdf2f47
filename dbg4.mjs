import { openKnowledge } from './dist/knowledge/mod.js';
const k = openKnowledge({ corpusDir: 'tests/fixtures/synthetic', snapshotPath: null });
for (const q of process.argv.slice(2)) console.log(k.answerer.answer(q, {now: new Date()}).answer);
