/**
 * Small synthetic documents of another (made-up) county, in the shapes of the shipped corpus: a
 * rectification table as Word exports it and a plan with a 专栏 table. Tests of the ledger's
 * mechanisms run on these, so that nothing can pass by knowing the shipped documents.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, composeApp } from '../app/compose.js';
import { parseConfig } from '../bot/config.js';
import { readState } from '../bot/dialog/state.js';
import { type Knowledge, openKnowledge } from '../knowledge/mod.js';
import { openSqliteStore } from '../store/sqlite.js';

/** Row 1: a missed target (85% vs 80.5%), a met one (120家 vs 135家), a target due in 2027; row 2 restates the 120家 target. */
export const SYNTH_RECORDS = [
  ' \t整改任务概述',
  '\t整改责任单位',
  '\t整改目标',
  '\t整改措施及成效',
  '\t整改时间',
  '\t社会监督联系人及电话',
  '',
  '\t秸秆焚烧和畜禽粪污直排问题突出。',
  '\t青山县',
  '\t一、推进秸秆综合利用。到2021年底，秸秆综合利用率达到85%以上。',
  '二、整治规模养殖场。到2021年底完成120家规模养殖场粪污设施配套。',
  '三、建设污水管网。到2027年底建成乡镇污水管网50公里。',
  '\t整改措施：一、县农业农村局牵头成立秸秆禁烧工作专班，县农业农村局组织开展巡查。二、县农业农村局负责养殖场整治，配合县生态环境局执法。',
  '成效：一、推进秸秆综合利用。2021年全县秸秆综合利用率为80.5%。',
  '二、整治规模养殖场。2021年完成135家规模养殖场粪污设施配套，超额完成整改任务。',
  ' \t畜禽养殖粪污直排现象普遍。到2021年底前完成120家规模养殖场粪污设施配套，杜绝粪污直排。',
  '\t县农业农村局、县生态环境局',
  '\t持续开展畜禽粪污治理，到2021年底前完成规模养殖场粪污设施配套整改任务；到2024年实现畜禽粪污资源化利用全覆盖。',
  '\t从2020年到2021年，全县已经完成规模养殖场粪污设施配套整改并通过县级验收。具体采取了以下整改措施。',
  '（一）县农业农村局组织技术指导。',
  '',
].join('\n');

/** A plan whose 2025 farm-film target is stated in a paragraph, again in a task section, and in a 专栏 row. */
export const SYNTH_PLAN = [
  '第一章 目标',
  '（一）主要目标',
  '到2025年，全县化肥使用量减少3%，农膜回收率达到85%以上。',
  '专栏1 主要指标',
  '\t序号',
  '\t指标',
  '\t2020年现状',
  '\t2025年目标',
  '\t责任部门',
  '',
  '\t1',
  '\t农膜回收率（%）',
  '\t70',
  '\t85',
  '\t县农业农村局',
  '',
  '第二章 任务',
  '（一）农膜',
  '健全回收网络。到2025年，农膜回收率达到85%以上。',
  '（二）垃圾',
  '到2025年，农村生活垃圾收运处置体系覆盖所有行政村。',
  '',
].join('\n');

/** A corpus folder with both synthetic documents and a manifest. */
export function synthCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rectify-synth-'));
  writeFileSync(join(dir, 'records.txt'), SYNTH_RECORDS);
  writeFileSync(join(dir, 'plan.txt'), SYNTH_PLAN);
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      documents: [
        {
          id: 'qs-records',
          kind: 'records',
          file: 'records.txt',
          title: '青山县整改台账',
          shortTitle: '台账',
          titleEn: 'Qingshan records',
        },
        { id: 'qs-plan', kind: 'plan', file: 'plan.txt', title: '青山县规划', shortTitle: '规划', titleEn: 'Qingshan plan' },
      ],
    }),
  );
  return dir;
}

let shared: { dir: string; knowledge: Knowledge } | null = null;

/** The knowledge module over the synthetic corpus, built once per worker. */
export function synthKnowledge(): { dir: string; knowledge: Knowledge } {
  if (!shared) {
    const dir = synthCorpus();
    shared = { dir, knowledge: openKnowledge({ corpusDir: dir, snapshotPath: null }) };
  }
  return shared;
}

/** A program over the synthetic corpus and an in-memory (or file) store. */
export function synthApp(env: Record<string, string> = {}, path = ':memory:', now = new Date('2026-11-23T01:00:00Z')): Promise<App> {
  const { dir, knowledge } = synthKnowledge();
  return composeApp(parseConfig({ CORPUS_DIR: dir, ...env }), { store: openSqliteStore(path, { readState }), knowledge, now });
}
