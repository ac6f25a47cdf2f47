import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { placesIn, valuesIn } from '../knowledge/evidence/statements.js';
import { planMilestones, recordMilestones } from '../knowledge/parse/milestones.js';
import { parsePlan } from '../knowledge/parse/plan.js';
import { paragraphs, parseRecords, splitRows } from '../knowledge/parse/records.js';

const corpus = join(import.meta.dirname, '..', 'knowledge', 'corpus');
const recordsText = readFileSync(join(corpus, 'rectification-records.txt'), 'utf8');
const planText = readFileSync(join(corpus, 'plan-soil-groundwater-rural-2021-2025.txt'), 'utf8');

describe('parseRecords', () => {
  const table = parseRecords(recordsText);

  it('reads the header of the exported table', () => {
    expect(table.columns).toEqual(['整改任务概述', '整改责任单位', '整改目标', '整改措施及成效', '整改时间', '社会监督联系人及电话']);
  });

  it('finds both data rows, the second starting with a space and a tab', () => {
    expect(table.records.map((r) => r.row)).toEqual([1, 2]);
    expect(table.records[0]?.overview).toBe('全市农业面源污染问题依然比较突出，成为影响次级河流水环境的重要因素。');
    expect(table.records[1]?.overview).toMatch(/^水产养殖尾水直排现象普遍。到2022年底前完成670万吨直排尾水养殖场整改/);
  });

  it('keeps the responsible unit of every row', () => {
    expect(table.records.map((r) => r.unit)).toEqual(['江津区', '江津区']);
  });

  it('leaves missing trailing cells blank (null), never guessed', () => {
    for (const r of table.records) {
      expect(r.time).toBeNull();
      expect(r.contact).toBeNull();
    }
  });

  it('splits numbered targets, and unnumbered ones at semicolons', () => {
    const [r1, r2] = table.records;
    expect(r1?.targets.map((t) => t.label)).toEqual(['一', '二', '三']);
    expect(r1?.targets[1]?.text).toContain('到2022年底完成670万吨标直排尾水养殖场整改');
    expect(r2?.targets).toHaveLength(2);
    expect(r2?.targets[1]?.text).toBe('举一反三开展全域水产养殖尾水治理，到2025年实现养殖尾水有效治理');
  });

  it('splits 整改措施及成效 at its markers (row 1) and at the opening result (row 2)', () => {
    const [r1, r2] = table.records;
    expect(r1?.measures.map((m) => m.label)).toEqual(['一', '二', '三']);
    expect(r1?.effects.map((m) => m.label)).toEqual(['一', '二', '三']);
    expect(r1?.effects[1]?.text).toContain('完成266家养殖场共计978万吨的养殖尾水直排整改');
    expect(r1?.effects[2]?.text).toContain('90.72%');
    expect(r2?.effects[0]?.text).toContain('978万吨266家养殖场1.16万亩池塘');
    expect(r2?.effects[0]?.text).not.toContain('以下整改措施');
    expect(r2?.measures.map((m) => m.label)).toEqual(['（一）', '（二）', '（三）', '（四）']);
  });

  it('joins a line that Word broke inside a word', () => {
    const m3 = table.records[0]?.measures[2]?.text ?? '';
    expect(m3).toContain('《关于印发2019年畜禽粪污资源化利用项目补助标准的通知》');
  });
});

describe('splitRows', () => {
  it('treats a tab-less line as the continuation of the cell above', () => {
    const rows = splitRows(' \tA\n\tB\n\n\tx\n\ty1\ny2\n');
    expect(rows).toEqual([
      ['', 'A', 'B'],
      ['', 'x', 'y1\ny2'],
    ]);
  });
});

describe('paragraphs', () => {
  it('keeps a short numbered heading apart from the text under it', () => {
    expect(paragraphs('（一）三个结合\n一是结合发展项目。')).toEqual(['（一）三个结合', '一是结合发展项目。']);
  });
});

describe('parsePlan', () => {
  const plan = parsePlan(planText);

  it('removes bookmark markers from headings and paragraphs', () => {
    for (const s of plan.sections) {
      expect(s.title).not.toContain('bookmark');
      for (const p of s.paragraphs) expect(p).not.toContain('[bookmark');
    }
  });

  it('builds the chapter tree', () => {
    const chapters = plan.sections.filter((s) => s.level === 1).map((s) => `${s.number}${s.title}`);
    expect(chapters).toEqual(['第二章总体思路', '第三章主要任务', '第四章重大工程', '第五章保障措施']);
    const goals = plan.sections.find((s) => s.title === '目标指标');
    expect(goals?.path).toEqual(['第二章总体思路', '（三）目标指标']);
    expect(plan.sections.find((s) => s.number === '2.1')?.title).toBe('巩固耕地分类管理体系');
  });

  it('reads both 专栏 tables with their headers', () => {
    expect(plan.tables.map((t) => t.name)).toEqual(['专栏1', '专栏2']);
    expect(plan.tables[0]?.header).toEqual(['序号', '工作领域', '指标名称', '2020年现状值', '2020年目标值', '完成情况']);
    expect(plan.tables[1]?.header).toEqual(['序号', '任务', '指标', '类型', '2020年现状', '2025年目标', '责任部门']);
  });

  it('reads every 专栏1 row as it stands (there is no row 3)', () => {
    const t1 = plan.indicators.filter((i) => i.table === '专栏1');
    expect(t1.map((i) => [i.number, i.name, i.current?.value, i.targets[2020], i.completion])).toEqual([
      ['1', '污染地块安全利用率（%）', '95', '*', '完成'],
      ['2', '受污染耕地安全利用率（%）', '95', '不低于现状值', '完成'],
      ['4', '农村生活污水得到有效治理的农户覆盖率（%）', '78.61', '*', '完成'],
      ['5', '畜禽粪污综合利用率（%）', '92.28%', '*', '完成'],
      ['6', '农村生活垃圾无害化处理率（%）', '100%', '*', '完成'],
    ]);
  });

  it('reads every 专栏2 row with type, values and departments', () => {
    const t2 = plan.indicators.filter((i) => i.table === '专栏2');
    expect(t2.map((i) => [i.number, i.name, i.type, i.current?.value, i.targets[2025], i.departments.join('、')])).toEqual([
      ['1', '超筛选值耕地安全利用率', '约束性', '95%', '95%', '区农业农村委'],
      ['2', '超筛选值建设用地地块安全利用率', '约束性', '95%', '95%', '区规划和自然资源局'],
      ['3', '地下水质量III类水比例', '预期性', '100%', '*', '区生态环境局'],
      ['4', '地下水质量V类水比例', '预期性', '0', '*', '区生态环境局'],
      ['5', '地下水污染源环境风险管控比例', '预期性', '100%', '*', '区生态环境局'],
      ['6', '畜禽粪污综合利用率', '预期性', '92.28%', '*', '区农业农村委'],
      ['7', '化肥农药使用总量减少比例', '预期性', '1.5%', '1.8%', '区农业农村委'],
      ['8', '完成农村环境整治的建制村比例', '约束性', '100%', '100%', '区农业农村委、区生态环境局'],
      ['9', '农村生活污水治理率', '约束性', '38.52%', '稳步提升', '区生态环境局'],
    ]);
  });

  it('fills a blank area cell from the merged cell above and says so', () => {
    const row2 = plan.indicators.find((i) => i.table === '专栏2' && i.number === '2');
    expect(row2?.area).toBe('土壤污染防治');
    expect(row2?.areaFromAbove).toBe(true);
  });
});

describe('milestones', () => {
  const records = parseRecords(recordsText);
  const plan = parsePlan(planText);

  it('finds every dated target of the records with the row unit, one milestone per target', () => {
    const ms = recordMilestones(records, 'records');
    expect(ms.map((m) => [m.dueLabel, m.dueDate, m.unit, m.locator])).toEqual([
      ['实现2020年', '2020-12-31', '江津区', '第1行·整改目标（一）'],
      ['到2022年底', '2022-12-31', '江津区', '第1行·整改目标（二）'],
      ['到2020年底', '2020-12-31', '江津区', '第1行·整改目标（三）'],
      ['到2025年', '2025-12-31', '江津区', '第2行·整改目标（2）'],
    ]);
    // The 2022 tailwater target is stated three times: row 1's target, row 2's overview and row 2's target.
    const tail = ms[1];
    expect(tail?.title).toBe('完成670万吨标直排尾水养殖场整改（2022）');
    expect(tail?.sources.map((s) => s.locator)).toEqual(['第1行·整改目标（二）', '第2行·整改任务概述', '第2行·整改目标（1）']);
    for (const m of ms) expect(m.title.length).toBeLessThanOrEqual(40);
  });

  it('reads the outcome of each record target from the results of the same document', () => {
    const ms = recordMilestones(records, 'records');
    expect(ms.map((m) => m.outcome)).toEqual(['met', 'met', 'met', 'unreported']);
    expect(ms[0]?.evidence?.locator).toBe('第1行·成效（一）');
    expect(ms[1]?.evidence).toMatchObject({ locator: '第1行·成效（二）', reason: '978万吨 ≥ 670万吨' });
    expect(ms[2]?.evidence).toMatchObject({ locator: '第1行·成效（三）', reason: '90.72% ≥ 90%' });
    // The records end in 2022: nothing they say is the result of a 2025 target.
    expect(ms[3]?.evidence).toBeNull();
  });

  it('infers the handling unit of a whole-district body from the row’s own measures', () => {
    const seeds = recordMilestones(records, 'records')[3]?.unitSeeds ?? [];
    expect(seeds).toEqual([
      expect.objectContaining({ document: 'records', scope: '第2行', body: '江津区', unit: '区农业农村委', state: 'inferred' }),
    ]);
  });

  it('finds the forward-looking dated clauses and indicator targets of the plan, merging restatements', () => {
    const ms = planMilestones(plan, 'plan');
    const years = ms.map((m) => m.year);
    expect(years.filter((y) => y === 2030)).toHaveLength(1);
    expect(years.filter((y) => y === 2022)).toHaveLength(1);
    expect(ms.find((m) => m.year === 2022)?.title).toBe('完成集中式地下水型饮用水源环境状况调查（2022）');
    expect(
      ms
        .filter((m) => m.locator.startsWith('专栏2'))
        .map((m) => [m.title, m.unit])
        .sort(),
    ).toEqual(
      [
        ['超筛选值耕地安全利用率达到95%（2025）', '区农业农村委'],
        ['超筛选值建设用地地块安全利用率达到95%（2025）', '区规划和自然资源局'],
        ['化肥农药使用总量减少1.8%（2025）', '区农业农村委'],
        ['完成农村环境整治的建制村比例达到100%（2025）', '区农业农村委、区生态环境局'],
        ['农村生活污水治理率稳步提升（2025）', '区生态环境局'],
      ].sort(),
    );
    // The 专栏 row and the two sentences that state the same 95% target are one milestone.
    const farmland = ms.find((m) => m.locator === '专栏2第1项');
    expect(farmland?.sources).toHaveLength(3);
    // "从2020年到2022年" and "截至2020年" report the past and are no milestones.
    expect(ms.some((m) => m.title.includes('截至') || m.year < 2021)).toBe(false);
    expect(ms.every((m) => m.outcome === 'unreported' && m.title.length <= 40)).toBe(true);
  });

  it('gives each milestone a key that is stable across runs', () => {
    const a = planMilestones(plan, 'plan').map((m) => m.key);
    const b = planMilestones(parsePlan(planText), 'plan').map((m) => m.key);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
  });
});

describe('plan sections whose headings the export lost', () => {
  const text = [
    '第三章 主要任务',
    '（一）加强土壤保护',
    '1.源头防控',
    '第一段。',
    '2.分类管控',
    '第二段。',
    ' 1.加强水源保护',
    '加强水源调查。水源段落。',
    ' 防治养殖业污染。养殖段落。',
    '继续养殖段落。',
  ].join('\n');
  const plan = parsePlan(text);
  const where = (p: string) => plan.sections.find((s) => s.paragraphs.some((x) => x.includes(p)));

  it('opens an untitled parent, named by its position, where numbering starts again', () => {
    const s = where('水源段落');
    expect(s?.title).toBe('加强水源保护');
    expect(s?.path.join(' > ')).toBe('第三章主要任务 > 第2节（原标题缺失） > 1.加强水源保护');
    expect(s?.path.join(' > ')).not.toContain('加强土壤保护 > 1.加强水源保护');
  });

  it('names a paragraph that lost its own heading by its lead phrase, and keeps what follows under it', () => {
    const s = where('养殖段落');
    expect(s?.inferred).toBe(true);
    expect(s?.title).toBe('防治养殖业污染');
    expect(s?.paragraphs).toHaveLength(2);
    expect(where('水源段落')?.paragraphs.some((p) => p.includes('养殖'))).toBe(false);
  });
});

describe('placesIn', () => {
  it('takes a town as it is named, never with the words before it', () => {
    // A town the list knows, and one it lacks: neither takes the verb and preposition before it.
    expect(placesIn('继续加强对东山镇、西河镇等2个镇的管理', ['东山镇'])).toEqual(['东山镇', '西河镇']);
    expect(placesIn('继续加强对北岭镇的管理', [])).toEqual(['北岭镇']);
    expect(placesIn('东山镇三合村', ['东山镇'])).toContain('东山镇三合村');
    expect(placesIn('以东山镇三合村为重点', ['东山镇'])).toEqual(['东山镇', '东山镇三合村']);
  });
});

describe('valuesIn', () => {
  it('reads a figure with its unit inside brackets, never a document or list number', () => {
    expect(valuesIn('以规模以上(30亩及以上)的塘口为重点').map((v) => v.raw)).toEqual(['30亩']);
    expect(valuesIn('示农发〔2021〕8号').map((v) => v.raw)).toEqual([]);
    expect(valuesIn('（2）推进还田').map((v) => v.raw)).toEqual([]);
    expect(valuesIn('专栏1第8项：回收率；现状值90%').map((v) => v.raw)).toEqual(['90%']);
  });
});
