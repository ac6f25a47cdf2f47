/**
 * The living ledger in answers: an update an official posts by chat leads the answer about its
 * task, dated and attributed, before what the document says and how old that is; complaints
 * linked to the task are counted, never shown.
 */

import { describe, expect, it } from 'vitest';
import { composeApp } from '../app/compose.js';
import { parseConfig } from '../bot/config.js';
import { readState } from '../bot/dialog/state.js';
import { openSqliteStore } from '../store/sqlite.js';
import { talker } from './dialog.helpers.js';
import { synthCorpus } from './ledger.fixtures.js';

const NOW = new Date('2025-01-06T01:00:00Z');

describe('answers read the ledger', () => {
  it('lead with the newest dated update on the task, then the document with its age', async () => {
    // The app opens the knowledge module itself, so the answerer is given the store's ledger.
    const app = await composeApp(parseConfig({ CORPUS_DIR: synthCorpus() }), {
      store: openSqliteStore(':memory:', { readState }),
      now: NOW,
    });
    const before = app.knowledge.answerer.answer('秸秆综合利用率完成了吗', { now: NOW });
    expect(before.answer).not.toContain('截至2025-01-03');
    expect(before.answer).toMatch(/资料截至\d{4}年|文件未注明日期/);
    const id = (await app.ledger.milestones.list()).find((m) => m.title.includes('秸秆'))?.id;
    expect(id).toBeTruthy();
    const o = talker(app, 'agri', 'test', NOW);
    await o.say(`/join ${await app.people.invite('official', '县农业农村局', NOW)}`);
    await o.say(`/update ${id} 2025-01-03 秸秆综合利用率2024年达到86.2%`);
    // The answerer reads the store through its in-memory view, brought up to date before an answer.
    await app.view.fresh(NOW);
    const after = app.knowledge.answerer.answer('秸秆综合利用率完成了吗', { now: NOW });
    expect(after.answer).toMatch(/^截至2025-01-03（县农业农村局更新）：秸秆综合利用率2024年达到86.2%/);
    expect(after.answer).toContain('文件记载');
    expect(after.answer).toMatch(/资料截至\d{4}年|文件未注明日期/);
    await app.close();
  });
});
