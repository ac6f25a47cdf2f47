/**
 * The answerer's in-memory view of the store (issue 13): loaded at start, marked stale by the
 * writes that change it, read again on demand — and never left holding work that was rolled back.
 */
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../store/sqlite.js';
import { loadKnowledgeView, observeWrites } from '../store/view.js';
import { newCase } from './store.contract.js';

const NOW = new Date('2026-11-23T01:00:00Z');

describe('the in-memory view', () => {
  it('shows a contact and a progress update once brought up to date, and forgets a rolled-back one', async () => {
    let stale = 0;
    const store = observeWrites(openSqliteStore(':memory:'), () => stale++);
    const view = await loadKnowledgeView(store, NOW);
    expect(view.contacts.forUnit('区水务局')).toEqual([]);
    await store.contacts.set({ unit: '区水务局', name: '王五', phone: '023-47520000', hours: null, note: null }, NOW);
    expect(stale).toBe(1);
    view.invalidate();
    await view.fresh(NOW);
    expect(view.contacts.forUnit('区水务局').map((c) => c.name)).toEqual(['王五']);

    expect(view.ledger.isEmpty?.()).toBe(true);
    const m = await store.milestones.add({ title: '完成某项整改任务', dueDate: '2026-12-31', unit: '区水务局' }, 'test', NOW);
    const c = await store.cases.insert(newCase('JJ-20261123-CCCCC'));
    await store.ledger.setLink(c.id, m.id, 1, 'auto', NOW);
    await store.ledger.addUpdate(
      { milestoneId: m.id, date: '2026-11-20', unit: '区水务局', author: 'x', text: '已完成一半', via: 'chat' },
      NOW,
    );
    await view.refresh(NOW);
    expect(view.ledger.updatesFor([m.key]).map((u) => u.text)).toEqual(['已完成一半']);
    expect(view.ledger.linkedCaseCount([m.key])).toBe(1);
    expect(view.ledger.isEmpty?.()).toBe(false);

    // Read into memory inside a unit of work that then fails: the view reads again afterwards.
    const before = stale;
    await expect(
      store.transaction(async (tx) => {
        await tx.ledger.addUpdate({ milestoneId: m.id, date: '2026-11-21', unit: null, author: 'x', text: '撤回', via: 'chat' }, NOW);
        await view.refresh(NOW);
        expect(view.ledger.updatesFor([m.key])).toHaveLength(2);
        throw new Error('undone');
      }),
    ).rejects.toThrow('undone');
    expect(stale).toBeGreaterThan(before);
    view.invalidate();
    await view.fresh(NOW);
    expect(view.ledger.updatesFor([m.key]).map((u) => u.text)).toEqual(['已完成一半']);
    await store.close();
  });
});
