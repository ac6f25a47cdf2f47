/**
 * The answering handlers on small synthetic documents (a made-up county's straw table and plan),
 * so each mechanism is shown to work on documents it was not written for; and a third document
 * added to a copy of the shipped corpus.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinateIn } from '../knowledge/answer/context.js';
import { conjunctParts } from '../knowledge/answer/handlers/multipart.js';
import { partsClose } from '../knowledge/answer/retrieve.js';
import { type Answer, createFallbackSegmenter, type Knowledge, openKnowledge, type Topic } from '../knowledge/mod.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const NOW = new Date('2026-11-23T01:00:00Z');
let synthetic: Knowledge | null = null;
const k = () => {
  synthetic ??= openKnowledge({ corpusDir: join(FIXTURES, 'synthetic'), snapshotPath: null });
  return synthetic;
};
const ask = (q: string, context: Topic | null = null): Answer => k().answerer.answer(q, { now: NOW, context });

/** Asks the questions in turn, each with the topic the answer before it left. */
function converseWith(kb: Knowledge, ...qs: string[]): Answer[] {
  let topic: Topic | null = null;
  return qs.map((q) => {
    const a = kb.answerer.answer(q, { now: NOW, context: topic });
    topic = a.topic ?? topic;
    return a;
  });
}

/** A conversation on the synthetic documents. */
const converse = (...qs: string[]): Answer[] => converseWith(k(), ...qs);

describe('query analysis', () => {
  it('splits a dictionary word the documents never use at a grammar character ("水能" in "…的水能排…吗")', () => {
    const terms = k()
      .analyzer.analyze('收储点的水能排到河里吗')
      .terms.map((t) => t.text);
    expect(terms).toContain('收储点');
    expect(terms).not.toContain('水能');
  });

  it('does not join the words on either side of a documents’ word taken out first into one compound', () => {
    const terms = k()
      .analyzer.analyze('乡镇秸秆收储点建了几个')
      .terms.map((t) => t.text);
    expect(terms).toContain('秸秆');
    expect(terms).toContain('收储点');
    expect(terms).not.toContain('乡镇收储点');
  });

  it('gives the halves of a piece the segmenter only guessed to the words beside it, when the documents hold those', () => {
    // A segmenter that cuts "地块翻耕" as "地|块翻|耕", as an HMM guess can.
    const kb = openKnowledge({
      corpusDir: join(FIXTURES, 'synthetic'),
      snapshotPath: null,
      segmenter: (_dict, extra) => {
        const base = createFallbackSegmenter(extra);
        return {
          kind: 'fallback',
          has: (w) => w !== '块翻' && base.has(w),
          tag: (t) =>
            t.split(/(地块翻耕|给)/).flatMap((piece) =>
              piece === '地块翻耕'
                ? [
                    { word: '地', tag: 'n' },
                    { word: '块翻', tag: 'x' },
                    { word: '耕', tag: 'v' },
                  ]
                : piece === '给'
                  ? [{ word: '给', tag: 'v' }]
                  : base.tag(piece),
            ),
        };
      },
    });
    const terms = kb.analyzer.analyze('哪些地块翻耕给好多').terms;
    const words = terms.flatMap((t) => t.parts ?? [t.text]);
    expect(words).toContain('翻耕');
    expect(words).not.toContain('块翻');
    expect(kb.answerer.answer('哪些地块翻耕给好多', { now: NOW, context: null }).answer).toContain('重新翻耕');
  });

  it('never takes dialect, particles or question words for the topic', () => {
    const q = k().analyzer.analyze('到2025年秸秆综合利用率要达到啥子目标哦');
    expect(q.years).toEqual([2025]);
    expect(q.types).toContain('target');
    const words = q.terms.map((t) => t.text).join(' ');
    for (const w of ['啥子', '哦', '要', '到']) expect(words).not.toContain(w);
    expect(words).toContain('秸秆');
  });

  it('reads "where does it come from" as a source, and 实际 as no topic', () => {
    expect(k().analyzer.analyze('钱从哪里来的').types).not.toContain('place');
    expect(k().analyzer.analyze('在哪里建').types).toContain('place');
    expect(k().analyzer.analyze('实际搞了好多').terms).toEqual([]);
  });

  it('leaves a colloquial variant inside a longer word of the documents to that word', () => {
    // "治理" is a variant of 整改 in the lexicon; in "治理率" it is part of the measure's name.
    const terms = k()
      .analyzer.analyze('沟渠治理率是多少')
      .terms.map((t) => t.text);
    expect(terms.some((t) => t.includes('治理率'))).toBe(true);
    expect(ask('沟渠治理率是多少').answer).toContain('60%');
  });

  it('keeps a word asked in the negative negative, where the documents have it so', () => {
    expect(
      k()
        .analyzer.analyze('还田不达标咋办')
        .terms.map((t) => t.text),
    ).toContain('不达标');
    expect(ask('还田不达标咋办').answer).toContain('重新翻耕');
  });

  it('reads "by when must it be done" as a deadline, not progress', () => {
    const q = k().analyzer.analyze('秸秆收储点要在啥时候之前搞完');
    expect(q.types).toContain('target');
    expect(q.types).not.toContain('progress');
  });

  it('reads the unit a figure is asked in, and the districts named', () => {
    expect(k().analyzer.analyze('专班有好多人').valueUnits).toEqual(['人']);
    expect(k().analyzer.analyze('宣传花了好多钱').valueUnits).toContain('元');
    expect(k().analyzer.analyze('璧山区秸秆利用率').districts).toEqual(['璧山区']);
    expect(k().analyzer.analyze('綦江河里头有死鱼').districts).toEqual([]);
  });
});

describe('follow-up peers', () => {
  it('takes a lead-in word before a question complete in itself as a new question', () => {
    const [, next] = converse('秸秆综合利用率2025年目标是多少', '另外问一下，宣传册发放了多少份');
    expect(next?.found).toBe(true);
    expect(next?.answer).toContain('3000份');
    // A lead-in before a single new word still goes on with the topic at hand.
    const [, peer] = converse('秸秆综合利用率2025年目标是多少', '那2023年呢');
    expect(peer?.answer).not.toContain('3000份');
  });

  it('replaces a carried word by a peer the documents set beside it, never by a head it modifies', () => {
    const docs = ['秸秆农膜', '秸秆、地膜', '秸秆回收率'];
    const contains = (w: string) => docs.some((d) => d.includes(w));
    expect(coordinateIn('秸秆农膜', '地膜', contains)).toBe('秸秆');
    expect(coordinateIn('秸秆农膜', '回收率', contains)).toBeNull();
    // A word written before the whole carried one modifies it: no part of it is its peer.
    const docs2 = ['地膜回收站点', '秸秆回收站点'];
    const contains2 = (w: string) => docs2.some((d) => d.includes(w));
    expect(coordinateIn('回收站点', '秸秆', contains2)).toBeNull();
  });
});

describe('compound words apart', () => {
  it('finds a compound’s words close together at any place its first word stands', () => {
    expect(partsClose('减量宣传挂图，减量技术培训7次', ['减量', '培训'], 10)).toBe(true);
    expect(partsClose('减量宣传挂图五千张横幅五百幅建议卡十万份，开展培训', ['减量', '培训'], 10)).toBe(false);
  });
});

describe('conjunct parts', () => {
  it('shares a tail the documents give the first phrase too, else takes each phrase whole', () => {
    const docs = ['东岸农田灌溉率', '西岸果园灌溉率', '秸秆调查', '农膜调查'];
    const contains = (w: string) => docs.some((d) => d.includes(w));
    expect(conjunctParts('东岸农田和果园灌溉率分别是多少', contains)).toEqual(['东岸农田灌溉率分别是多少', '东岸果园灌溉率分别是多少']);
    expect(conjunctParts('秸秆调查和农膜调查各啥时候完成', contains)).toEqual(['秸秆调查各啥时候完成', '农膜调查各啥时候完成']);
    expect(conjunctParts('2020年秸秆和农膜各减了多少', contains)).toEqual(['2020年秸秆各减了多少', '2020年农膜各减了多少']);
    expect(conjunctParts('秸秆调查啥时候完成', contains)).toEqual([]);
  });
});

describe('handlers on a made-up county', () => {
  it('answers an indicator for the asked year, with its baseline and department', () => {
    const a = ask('秸秆综合利用率2025年目标是多少');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('95%');
    expect(a.answer).toContain('88%');
    expect(a.answer).toContain('县农业局');
    expect(a.sources[0]?.locator).toBe('专栏1第1项');
  });

  it('says a year is not stated instead of giving another year’s figure', () => {
    const [, b] = converse('秸秆综合利用率2025年目标是多少', '那2030年呢');
    expect(b?.found).toBe(false);
    expect(b?.answer).toContain('2030');
    expect(b?.answer).not.toContain('95%');
  });

  it('says a target the table leaves open (*) is not set', () => {
    const a = ask('农膜回收率2025年目标');
    expect(a.found).toBe(false);
    expect(a.answer).toContain('未列具体数值');
  });

  it('takes progress from the results column, with the responsible body', () => {
    const a = ask('秸秆综合利用率完成了吗');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('93.5%');
    expect(a.answer).toContain('示范县');
  });

  it('finds the body the text makes responsible, for a follow-up too', () => {
    const [, b] = converse('秸秆收储点建设', '这个哪个部门负责');
    expect(b?.intent).toBe('unit');
    expect(b?.answer).toContain('县农业局');
  });

  it('answers counts only with a figure in the asked unit', () => {
    expect(ask('专班有好多人').answer).toContain('15人');
    const none = ask('专班有好多台车');
    expect(none.found).toBe(false);
    expect(none.answer).not.toMatch(/\d+人/);
  });

  it('answers both parts of a two-part question', () => {
    const a = ask('推进会开了几次，宣传册发了好多份');
    expect(a.answer).toContain('4次');
    expect(a.answer).toContain('3000份');
  });

  it('shows a target and its result side by side', () => {
    const a = ask('收储中心建了几个');
    expect(a.answer).toContain('12个');
    expect(a.answer).toContain('9个');
  });

  it('answers documents by number and sections by title', () => {
    const d = ask('示农发〔2021〕8号是什么文件');
    expect(d.intent).toBe('document');
    expect(d.answer).toContain('示范县秸秆还田实施方案');
    const s = ask('保障措施有哪些');
    expect(s.answer).toContain('加强组织领导');
    expect(s.answer).toContain('强化资金保障');
  });

  it('reads the tables themselves: columns, empty cells, 专栏 rows', () => {
    expect(ask('台账一共有哪几栏').answer).toContain('社会监督联系人及电话');
    const time = ask('整改时间那栏填的啥');
    expect(time.found).toBe(false);
    expect(time.answer).toContain('为空');
    expect(ask('专栏1有几个指标').answer).toContain('共列2项');
    expect(ask('专栏1第2项是啥子指标').answer).toContain('农膜回收率');
    expect(ask('专栏3讲的啥').found).toBe(false);
  });

  it('never invents a contact', () => {
    const a = ask('联系电话是多少');
    expect(a.intent).toBe('contact');
    expect(a.found).toBe(false);
    expect(a.answer).not.toMatch(/\d{7,}/);
  });

  it('names what the records are silent on by its own words', () => {
    const a = ask('大气污染怎么样');
    expect(a.found).toBe(false);
    expect(a.answer).toContain('大气污染');
  });

  it('answers "what X" with the statement that names an X, in quotes', () => {
    const a = ask('农膜回收推的啥子模式');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('农户交回、网点收集、企业利用');
    // The named statement leads; the other way of doing it is not the answer.
    expect(a.answer).not.toContain('政府补贴');
  });

  it('reads a plan period (十三五) as its years, also where the documents never name it', () => {
    expect(
      k()
        .analyzer.analyze('十三五期间建了好多个网点')
        .terms.find((t) => t.text === '十三五')?.period,
    ).toEqual([2016, 2020]);
    const a = ask('十三五期间建了好多个农膜回收网点');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('26个');
  });

  it('dates a sentence without a year of its own by its section, for a plan period', () => {
    // "截至2020年" dates the review section; the sentence after it names no year.
    const a = ask('十三五末测土配方施肥覆盖率是多少');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('91%');
    // A section dated in the next period does not answer for this one.
    expect(ask('十三五期间乡镇建成好多个秸秆收储点').found).toBe(false);
  });

  it('carries a plan period into a follow-up as a period, unless the follow-up names its own year', () => {
    expect(k().analyzer.termOf(['十三五']).period).toEqual([2016, 2020]);
    const [, b] = converse('十三五末测土配方施肥覆盖率是多少', '2025年每个乡镇建成几个秸秆收储点');
    expect(b?.found).toBe(true);
    expect(b?.answer).toContain('1个');
  });

  it('reads "what is it called" of a thing as its name, of a role as a person', () => {
    const a = ask('村级保洁行动叫啥名堂');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('一扫两清');
    const b = ask('领导小组组长叫啥');
    expect(b.found).toBe(false);
    expect(b.answer).toContain('姓名');
  });

  it('lets a question with its own topic lead, the last answer’s words only framing it', () => {
    const [, b] = converse('秸秆禁烧专班是哪个单位牵头成立的', '宣传册发放了好多份');
    expect(b?.found).toBe(true);
    expect(b?.answer).toContain('3000份');
  });

  it('reads "啥资金" as which fund, not how much money', () => {
    expect(k().analyzer.analyze('县财政每年安排啥资金').valueUnits).toEqual([]);
    expect(k().analyzer.analyze('县财政每年安排好多资金').valueUnits).toEqual(['元']);
    const a = ask('县财政每年安排啥资金');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('专项资金');
  });

  it('answers an amount asked per unit only with a figure per that unit', () => {
    expect(k().analyzer.analyze('宣传册每户发了好多份').per).toEqual(['户']);
    const a = ask('宣传册每户发了好多份');
    expect(a.found).toBe(false);
    expect(a.answer).toContain('每户');
    // The total is shown as what the records do say, not as the answer.
    expect(a.answer).toContain('3000份');
  });

  it('gives no district figure for a wider area asked (全省)', () => {
    const a = ask('全省一共建成好多个收储中心');
    expect(a.found).toBe(false);
    expect(a.answer).toContain('全省');
    expect(ask('一共建成好多个收储中心').found).toBe(true);
  });

  it('says the records are silent on a new thing a follow-up names, and keeps the topic for the next', () => {
    const [a, b, c2] = converse('秸秆收储点由哪个部门负责', '那里头空气质量咋样', '建成期限是好久');
    expect(a?.answer).toContain('县农业局');
    expect(b?.found).toBe(false);
    expect(b?.answer).toContain('空气质量');
    // The answer that used nothing leaves the conversation where it was.
    expect(b?.topic?.statements).toEqual(a?.topic?.statements);
    expect(c2?.found).toBe(true);
    expect(c2?.answer).toContain('2025');
  });

  it('asks "how" of the same thing when a follow-up names only a verb ("那咋个推进")', () => {
    expect(
      k()
        .analyzer.analyze('那咋个治理')
        .terms.map((t) => t.text),
    ).not.toContain('理');
    const [, b] = converse('秸秆收储点由哪个部门负责', '那咋个推进');
    expect(b?.answer).toContain('收储点');
  });

  it('shows another document’s figure in the asked unit beside the first, however it is framed', () => {
    const a = ask('打捆机做了好多台');
    expect(a.answer).toContain('35台');
    expect(a.answer).toContain('20台');
    expect(a.answer).not.toContain('暗访');
  });

  it('keeps food, sights and weather off-topic even when a word of the documents is in them', () => {
    expect(ask('东山镇哪家饭馆好吃').intent).toBe('offtopic');
    const [, b] = converse('秸秆综合利用率是多少', '对了，示范县有啥子好耍的景点');
    expect(b?.intent).toBe('offtopic');
    // A domain word keeps it on topic.
    expect(ask('秸秆焚烧污染了好吃的蔬菜咋办').intent).not.toBe('offtopic');
  });

  it('answers a chapter named by number from the chapter, and says what it does not hold', () => {
    const count = ask('第一章主要任务有几条');
    expect(count.found).toBe(true);
    expect(count.answer).toContain('共5条');
    const money = ask('第一章总投资好多万元');
    expect(money.found).toBe(false);
    expect(money.answer).toContain('没有写');
    expect(ask('第一章里头湿地公园建了几个').found).toBe(false);
  });

  it('counts only the thing asked: another thing’s count in the same sentence is no answer', () => {
    expect(k().analyzer.analyze('全县建成了几个回收站啊').counted).toBe('回收站');
    // A verb after the measure word names no thing counted ("原来几家又加了几家").
    expect(k().analyzer.analyze('原来几家又加了几家').counted).toBeNull();
    const a = ask('截至2020年全县建成了几个回收站');
    expect(a.found).toBe(false);
    expect(a.answer).toContain('回收站');
    expect(ask('截至2020年全县建成了几个回收网点').answer).toContain('26个');
  });

  it('reads "检查了哪些单位" as the bodies acted on, not who is responsible', () => {
    expect(k().analyzer.analyze('秸秆焚烧巡查检查了哪些单位').types).not.toContain('unit');
    expect(k().analyzer.analyze('秸秆焚烧巡查由哪些单位负责').types).toContain('unit');
    const a = ask('秸秆焚烧巡查检查了哪些单位');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('东山农场');
  });

  it('answers from two neighbouring sentences when together, and only together, they hold the question', () => {
    const a = ask('净田行动以啥为重点');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('净田行动');
    expect(a.answer).toContain('农药包装');
    // A word neither sentence holds is not made up by the pair.
    expect(ask('净田行动以啥子补贴为重点').found).toBe(false);
  });

  it('asks a thing by name after a figure without carrying the figure’s kind along', () => {
    const [, b] = converse('秸秆综合利用率2025年目标是多少', '秸秆还田按啥方案搞');
    expect(b?.answer).toContain('秸秆还田实施方案');
    expect(b?.intent).not.toBe('indicator');
  });

  it('counts people in 人次 too, and reads "a test report" as no wish to report', () => {
    expect(ask('推进会培训了好多人').answer).toContain('300人次');
    expect(ask('How long is the straw test report valid?').intent).not.toBe('complaint');
    expect(k().analyzer.analyze('When is the straw burning deadline?').types).not.toContain('yesno');
    expect(ask('I want to report straw burning near my house').intent).toBe('complaint');
  });

  it('hears a report in "lots of dead fish", a strong smell, litter everywhere and a flooded field', () => {
    for (const q of ['河里头好多死鱼', '隔壁养鸡场味道好大哦', '田里的农膜到处都是没人收', '养猪场的粪水把我家田淹了']) {
      expect(ask(q).intent, q).toBe('complaint');
    }
    // Asked, not told: a question.
    expect(ask('秸秆焚烧好多次了吗').intent).not.toBe('complaint');
  });

  it('goes on where the last answer stopped when asked for more, within its section', () => {
    const [a, b, c2] = converse('领导小组是哪一级的', '还有呢', '还有呢');
    expect(a?.answer).toContain('县级领导小组');
    expect(b?.found).toBe(true);
    expect(b?.answer).toContain('专项资金');
    expect(b?.answer).not.toContain('领导小组');
    // The section ends there: no passage of another section is offered as "more".
    expect(c2?.found).toBe(false);
    expect(c2?.answer).not.toContain('农膜');
  });

  it('says the records give only a count when asked which ones, and names them when they do', () => {
    const a = ask('农膜回收网点是哪26个');
    expect(a.found).toBe(false);
    expect(a.answer).toContain('26个');
    expect(a.answer).toContain('没有列出');
    const b = ask('农膜回收试点在哪2个镇');
    expect(b.found).toBe(true);
    expect(b.answer).toContain('东山镇');
  });

  it('greets a preamble that asks nothing yet, and answers one that does', () => {
    expect(ask('老师好，想问几个问题可以不').intent).toBe('greeting');
    expect(ask('你是哪个公司开发的').intent).toBe('help');
    const a = ask('你好，想问下秸秆综合利用率是多少');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('%');
  });

  it('answers a question asked of each of two peers (各, 分别) for each', () => {
    const a = ask('秸秆和农膜2025年目标分别是多少');
    expect(a.answer).toContain('95%');
    expect(a.answer).toContain('农膜回收率');
  });

  it('takes a bare number before the thing asked as its count ("遴选了3农膜回收企业")', () => {
    const a = ask('农膜回收企业选了几家');
    expect(a.found).toBe(true);
    expect(a.answer).toContain('3农膜回收企业');
  });

  it('asks a bare choice ("A还是B") of the topic at hand', () => {
    const [, b] = converse('农膜回收率现状是多少', '是约束性的还是预期性的');
    expect(b?.found).toBe(true);
    expect(b?.answer).toContain('农膜回收率');
    expect(b?.answer).toContain('预期性');
  });

  it('answers a list of peers of the first word ("县城…率、乡镇、农村各是多少") for each', () => {
    const a = ask('2023年县城生活垃圾处理率、乡镇、农村各是多少');
    for (const v of ['99%', '90%', '80%']) expect(a.answer).toContain(v);
  });

  it('reads "有好多…" in a told report as "lots of", not as a question', () => {
    expect(ask('有人半夜到河边倒垃圾，还有好多农膜').intent).toBe('complaint');
    expect(ask('河边倒的垃圾有好多吨？').intent).not.toBe('complaint');
    expect(ask('垃圾站好久都没人来收了，苍蝇到处飞').intent).toBe('complaint');
    expect(ask('The farm next to my house dumps waste into the river').intent).toBe('complaint');
  });

  it('tells small talk, reports and off-topic apart', () => {
    expect(ask('谢谢，帮了大忙了').intent).toBe('thanks');
    expect(ask('你好呀').intent).toBe('greeting');
    expect(ask('村里有人天天在田里烧秸秆，烟大得很').intent).toBe('complaint');
    expect(ask('今天天气怎么样').intent).toBe('offtopic');
    expect(ask('秸秆焚烧整改的目标是什么').intent).not.toBe('complaint');
  });

  it('never answers a district no document covers from another one', () => {
    const a = ask('璧山区秸秆利用率是多少');
    expect(a.found).toBe(false);
    expect(a.answer).toContain('璧山区');
    expect(a.answer).not.toMatch(/\d+(\.\d+)?%/);
  });

  it('answers from the kind of document the question names ("台账里头…", "规划里头…")', () => {
    expect(k().analyzer.analyze('台账里头秸秆综合利用率写的好多').documentKinds).toEqual(['records']);
    const records = ask('台账里头秸秆综合利用率写的好多');
    expect(records.sources[0]?.document).toBe('秸秆台账');
    expect(records.answer).toContain('92%');
    const plan = ask('规划里头秸秆综合利用率写的好多');
    expect(plan.sources[0]?.document).toBe('农业环境规划');
    expect(plan.answer).toContain('95%');
  });

  it('answers English in English, keeping the Chinese figures and names', () => {
    const a = ask('What is the 2025 target for the straw utilization rate?');
    expect(a.lang).toBe('en');
    expect(a.answer).toMatch(/target/);
    expect(a.answer).toContain('95%');
  });

  it('reads general English words of environmental work through the glossary, not only this corpus’s terms', () => {
    const a = ask('How many people attended the training?');
    expect(a.intent).not.toBe('offtopic');
    expect(a.answer).toContain('300人次');
  });
});

describe('a third document', () => {
  // The shipped corpus plus another district's table in the same Word-export shape.
  const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
  cpSync(join(import.meta.dirname, '..', 'knowledge', 'corpus'), dir, { recursive: true });
  cpSync(join(FIXTURES, 'third', 'records-bishan.txt'), join(dir, 'records-bishan.txt'));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { documents: unknown[] };
  manifest.documents.push(JSON.parse(readFileSync(join(FIXTURES, 'third', 'manifest.json'), 'utf8')).documents[0]);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const three = openKnowledge({ corpusDir: dir, snapshotPath: null });
  const q = (s: string) => three.answerer.answer(s, { now: NOW });

  it('is parsed like the others', () => {
    expect(three.kb.documents.map((d) => d.id)).toContain('bishan');
    expect(three.kb.documents.find((d) => d.id === 'bishan')?.scope).toContain('璧山区');
  });

  it('answers questions that name its district from it, and only from it', () => {
    const done = q('璧山区尾水整改完成了多少？');
    expect(done.found).toBe(true);
    expect(done.answer).toContain('82家');
    expect(done.answer).not.toContain('978');
    const target = q('璧山区尾水整改的目标是什么');
    expect(target.answer).toContain('85家');
    const contact = q('璧山区尾水整改的联系人是谁');
    expect(contact.answer).toContain('023-41400000');
    const unit = q('璧山区尾水整改哪个部门牵头');
    expect(unit.answer).toContain('区农业农村委');
  });

  it('keeps the other district’s answers its own', () => {
    const a = q('江津区尾水整改完成了多少？');
    expect(a.answer).toContain('978');
    expect(a.answer).not.toContain('315万吨');
  });

  const talk = (...qs: string[]): Answer[] => converseWith(three, ...qs);

  it('keeps a follow-up in the district of the last answer, in any of its documents', () => {
    // Within 璧山区: the follow-up is answered from its table, not from Jiangjin's.
    const [, target] = talk('璧山区尾水整改完成了多少？', '目标呢');
    expect(target?.answer).toContain('85家');
    expect(target?.answer).not.toContain('670');
    // Within Jiangjin: after an answer from the records, the plan of the same district answers.
    const [, first, next] = talk('畜禽粪污综合利用率2020年好多', '大型规模场装备配套率呢', '还有好多家养殖场莫得设施');
    expect(first?.sources[0]?.document).toBe('整改台账');
    expect(next?.found).toBe(true);
    expect(next?.sources[0]?.document).toBe('“十四五”规划');
  });
});
