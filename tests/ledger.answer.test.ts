/**
 * The living ledger in answers: an update an official posts by chat leads the answer about its
 * task, dated and attributed, before what the document says and how old that is; complaints
 * linked to the task are counted, never shown.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../bot/app.js';
import { parseConfig } from '../bot/config.js';
import { createMilestoneDesk } from '../jobs/desk.js';
import { openDb } from '../store/db.js';
import { createMilestoneStore } from '../store/milestones.js';
import { talker } from './dialog.helpers.js';
import { synthCorpus } from './ledger.fixtures.js';

const NOW = new Date('2025-01-06T01:00:00Z');

describe('answers read the ledger', () => {
  it('lead with the newest dated update on the task, then the document with its age', () => {
    // The app opens the knowledge module itself, so the answerer is given the store's ledger.
    const app = createApp(parseConfig({ CORPUS_DIR: synthCorpus() }), {
      db: openDb(':memory:'),
      milestones: (p) => createMilestoneDesk(p.db, p.knowledge.kb, p.categories, p.service),
    });
    const before = app.knowledge.answerer.answer('秸秆综合利用率完成了吗', { now: NOW });
    expect(before.answer).not.toContain('截至2025-01-03');
    expect(before.answer).toMatch(/资料截至\d{4}年|文件未注明日期/);
    const id = createMilestoneStore(app.db)
      .list()
      .find((m) => m.title.includes('秸秆'))?.id;
    expect(id).toBeTruthy();
    const o = talker(app, 'agri', 'test', NOW);
    o.say(`/join ${app.people.invite('official', '县农业农村局', NOW)}`);
    o.say(`/update ${id} 2025-01-03 秸秆综合利用率2024年达到86.2%`);
    const after = app.knowledge.answerer.answer('秸秆综合利用率完成了吗', { now: NOW });
    expect(after.answer).toMatch(/^截至2025-01-03（县农业农村局更新）：秸秆综合利用率2024年达到86.2%/);
    expect(after.answer).toContain('文件记载');
    expect(after.answer).toMatch(/资料截至\d{4}年|文件未注明日期/);
    app.close();
  });
});
