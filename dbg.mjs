import { openKnowledge } from './dist/knowledge/mod.js';
import { retrieve } from './dist/knowledge/answer/retrieve.js';
const dir = process.env.CORPUS ?? undefined;
const k = openKnowledge(dir ? { corpusDir: dir, snapshotPath: null } : {});
for (const q of process.argv.slice(2)) {
  const a = k.analyzer.analyze(q);
  console.log(q, '\n terms:', a.terms.map(t=>`${t.text}${t.compound?'['+t.parts.join('|')+']':''}:${t.weight.toFixed(1)}${t.known?'':'?'}`).join(' '), 'types', a.types, 'unknown', a.unknown, 'named', a.named);
  const hits = retrieve(k.statements, a.terms, {types:a.types, years:a.years, documents:null, named:a.named, frequency:a.frequency, units:a.valueUnits});
  hits.sort((x,y)=>y.score-x.score);
  for (const h of hits.slice(0,4)) console.log('  ', h.score.toFixed(1), h.coverage.toFixed(2), h.matched.map(t=>t.text).join(','), '|', h.statement.text.slice(0,70));
}
