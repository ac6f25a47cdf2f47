/**
 * Follow-up questions through the dialog core: the topic of the last answer is kept per user in
 * the stored dialog state, so every channel reads "那2020年呢？" against it; a new topic replaces
 * it, it expires, and it survives a restart.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';

describe('follow-up questions', () => {
  it('reads an ellipsis and an anaphor against the previous answer', async () => {
    const t = talker(await makeApp(), 'u-follow');
    await t.say('受污染耕地安全利用率2020年是多少');
    expect(t.last()).toContain('95%');
    await t.say('那2030年呢？');
    expect(t.last()).toContain('2030');
    expect(t.last()).toMatch(/没有给出/);
    await t.say('这个是哪个部门负责？');
    expect(t.last()).toContain('区农业农村委');
  });

  it('keeps topics apart per user', async () => {
    const app = await makeApp();
    const a = talker(app, 'u-a');
    const b = talker(app, 'u-b');
    await a.say('尾水整改完成了多少？');
    await b.say('化肥农药使用总量减少比例2025年目标是多少');
    await a.say('这个是哪个单位负责？');
    expect(a.last()).toContain('江津区');
    expect(a.last()).not.toContain('化肥农药使用总量');
  });

  it('drops the topic when a new one comes, and after it expires', async () => {
    const t = talker(await makeApp(), 'u-new');
    await t.say('尾水整改完成了多少？');
    await t.say('农村生活污水治理率是多少');
    expect(t.last()).toContain('38.52%');
    const later = new Date(NOW.getTime() + 2 * 60 * 60 * 1000);
    await t.say('那2025年呢', later);
    expect(t.last()).not.toContain('38.52%');
  });

  it('keeps the topic across a restart (it lives in the store)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'topic-')), 'db.sqlite');
    const first = await makeApp({}, path);
    await talker(first, 'u-restart').say('畜禽粪污综合利用率是多少');
    await first.close();
    const second = await makeApp({}, path);
    const t = talker(second, 'u-restart');
    await t.say('哪个部门负责？');
    expect(t.last()).toContain('区农业农村委');
    await second.close();
  });

  it('files a report described without the word 举报', async () => {
    const t = talker(await makeApp(), 'u-report');
    await t.say('河边有人倒垃圾，臭得很');
    expect(t.last()).toMatch(/举报/);
    expect(t.last()).toMatch(/类别|哪一类|分类/);
  });

  it('thanks get a friendly reply', async () => {
    const t = talker(await makeApp(), 'u-thanks');
    await t.say('谢谢');
    expect(t.last()).toContain('不客气');
  });
});
