import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startLineChild } from './child.js';

type Result = { replies: Array<{ text: string }>; duplicate?: boolean };

describe('crash safety (SIGKILL)', () => {
  it('loses nothing confirmed and resumes the draft after the process is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rectify-crash-'));
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), INDEX_SNAPSHOT_PATH: join(dir, 'idx.json') };
    const start = () => startLineChild('cli/chat.js', ['--jsonl', '--user', 'victim'], env);
    const text = (r: unknown) => (r as Result).replies.map((x) => x.text).join('\n');

    let chat = start();
    await chat.ask({ messageId: '1', text: '举报' });
    await chat.ask({ messageId: '2', choice: 'cat:industrial' });
    await chat.ask({ messageId: '3', choice: 'town:珞璜镇' });
    // Killed in the middle of the intake, right after the description was accepted.
    expect(text(await chat.ask({ messageId: '4', text: '工业园区旁边有车辆夜里往沟里倾倒废渣' }))).toContain('什么时候开始');
    await chat.kill();

    chat = start();
    expect(text(await chat.ask({ messageId: '5', text: '帮助' }))).toContain('正在填写');
    expect(text(await chat.ask({ messageId: '6', text: '上个星期开始' }))).toContain('照片');
    await chat.ask({ messageId: '7', choice: 'skip' });
    expect(text(await chat.ask({ messageId: '8', choice: 'anon' }))).toContain('请确认');
    const confirmed = text(await chat.ask({ messageId: '9', choice: 'confirm' }));
    const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec(confirmed)?.[0];
    expect(ticket).toBeDefined();
    // Killed right after the ticket was shown.
    await chat.kill();

    const db = new Database(env.DATABASE_PATH, { readonly: true });
    const row = db.prepare('SELECT ticket, category, town, status FROM cases').all();
    db.close();
    expect(row).toEqual([{ ticket, category: 'industrial', town: '珞璜镇', status: '待受理' }]);

    // The channel redelivers the confirmation after the crash: no second case, and the reply that
    // was owed (the ticket) is given again rather than nothing.
    chat = start();
    const again = (await chat.ask({ messageId: '9', choice: 'confirm' })) as Result;
    expect(again.duplicate).toBe(true);
    expect(text(again)).toContain(ticket as string);
    expect(text(await chat.ask({ messageId: '10', text: `查询 ${ticket}` }))).toContain('待受理');
    await chat.kill('SIGTERM');
  });
});
