/**
 * Issue 10, the officials' desk over HTTP: permissions (another unit's case, no session, expired
 * and revoked sessions, a forged CSRF token, another origin, photos), actions in the case history,
 * the unanswered-questions queue with curated answers, 👍/👎 in chat, and document import (a broken
 * or unrecognised file changes nothing; the command line too).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import { questionKey, similarity } from '../bot/curated.js';
import { formatOf, ImportError, prepareImport } from '../knowledge/import/import.js';
import { DEFAULT_CORPUS_DIR } from '../knowledge/mod.js';
import type { startTestAssistant } from './assistant.js';
import { BLACK_WATER_ROWS, deskClient, makeDocx } from './desk.helpers.js';
import { fileReport, makeApp, talker } from './dialog.helpers.js';
import { NOW } from './helpers.js';
import { cliEnv, eachBackend } from './support/backends.js';

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

/** Files an anonymous report through the dialog core as a web citizen; returns its ticket. */
async function fileByChat(r: Running, user: string, category = 'livestock', town = '石蟆镇'): Promise<string> {
  const say = (extra: Record<string, unknown>) =>
    r.app.dialog.handle({ channel: 'web', userId: user, chatId: user, messageId: `${user}-${Math.random()}`, ...extra }, new Date());
  await say({ text: '举报' });
  await say({ choice: `cat:${category}` });
  await say({ choice: `town:${town}` });
  await say({ text: '村口养猪场每天往小河里排放粪水，河水发黑发臭，电话13812345678' });
  await say({ choice: 'skip' });
  await say({ choice: 'skip' });
  await say({ choice: 'anon' });
  const done = (await say({ choice: 'confirm' })).replies.map((x) => x.text).join('\n');
  return /JJ-\d{8}-[A-Z0-9]{5}/.exec(done)?.[0] as string;
}

describe('unanswered questions and curated answers', () => {
  it('keys questions by their normalised text and finds close paraphrases', () => {
    expect(questionKey('  农村黑臭水体 治理到哪一年完成？ ')).toBe(questionKey('农村黑臭水体治理到哪一年完成'));
    expect(similarity(questionKey('农村黑臭水体治理到哪一年完成？'), questionKey('农村黑臭水体治理哪一年完成？'))).toBeGreaterThanOrEqual(
      0.6,
    );
    expect(similarity(questionKey('农村黑臭水体治理到哪一年完成？'), questionKey('尾水整改完成了多少？'))).toBeLessThan(0.3);
  });

  it('queues a question the records do not answer and a 👎, answers it with the curated answer afterwards, labelled', async () => {
    const app = await makeApp();
    const citizen = talker(app, 'u-q1');
    const replies = await citizen.say('江津区的城市公园有多少个？');
    const q = await app.questions.queue('open');
    expect(q.map((x) => x.question)).toContain('江津区的城市公园有多少个？');
    // 👍/👎 on the answer, a value that says which answer.
    const value = replies.at(-1)?.choices?.[0]?.[1]?.value as string;
    expect(value).toMatch(/^rate-answer:down:\d+$/);
    // Someone else cannot rate this answer.
    expect((await talker(app, 'u-other').choose(value)).map((r) => r.text).join('')).toContain('已失效');
    expect((await citizen.choose(value)).map((r) => r.text).join('')).toContain('转给工作人员');
    expect((await citizen.choose(value)).map((r) => r.text).join('')).toContain('已记录');
    const queued = (await app.questions.queue('open')).find((x) => x.question === '江津区的城市公园有多少个？');
    expect(queued).toMatchObject({ notFound: 1, ratedDown: 1 });
    // An official answers it at the desk (through the store here; the browser test clicks it).
    await app.questions.addCurated(
      {
        question: queued?.question as string,
        norm: queued?.norm as string,
        answer: '台账不涉及城市公园，请咨询区城市管理局。',
        unit: '区城市管理局',
        author: 'test',
      },
      NOW,
    );
    await app.questions.setState(queued?.id as number, 'answered', 'test', NOW);
    const again = await talker(app, 'u-q2').say('江津区城市公园有多少个');
    expect(again.at(-1)?.text).toContain('台账不涉及城市公园');
    expect(again.at(-1)?.text).toMatch(/由区城市管理局于\d{4}-\d{2}-\d{2}补充/);
    // Answers that are found get 👍/👎 too, and a 👍 queues nothing.
    const found = talker(app, 'u-q3');
    const up = (await found.say('尾水整改完成了多少？')).at(-1)?.choices?.[0]?.[0]?.value as string;
    expect(up).toMatch(/^rate-answer:up:\d+$/);
    await found.choose(up);
    expect((await app.questions.ratings()).up).toBe(1);
    expect((await app.questions.queue('all')).some((x) => x.question.includes('尾水'))).toBe(false);
    // A report still works as before (no buttons in the way).
    expect(await fileReport(talker(app, 'u-q4'))).toMatch(/^JJ-/);
  });

  it('gives an official a one-time desk link in a private chat with /desk, and nothing to citizens', async () => {
    const app = await makeApp();
    const code = await app.people.invite('official', '区农业农村委', NOW);
    const o = talker(app, 'u-o1');
    await o.say(`/join ${code}`);
    const link = (await o.say('/desk')).map((r) => r.text).join('');
    expect(link).toMatch(/\/desk\/login#[A-Z0-9]{10}/);
    expect((await talker(app, 'u-c1').say('/desk')).map((r) => r.text).join('')).toContain('仅限');
  });
});

describe('document import', () => {
  it('tells DOCX, XLSX, CSV and TXT apart and refuses a broken or unrecognised file with a clear message', async () => {
    const docx = await makeDocx(BLACK_WATER_ROWS);
    expect(formatOf(docx, 'a.docx')).toBe('docx');
    const bad = async (bytes: Buffer, name: string) => {
      try {
        await prepareImport(bytes, name, DEFAULT_CORPUS_DIR, NOW);
        return null;
      } catch (e) {
        expect(e).toBeInstanceOf(ImportError);
        return (e as Error).message;
      }
    };
    expect(await bad(docx.subarray(0, 200), 'cut.docx')).toMatch(/损坏|broken/);
    expect(await bad(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'old.doc')).toMatch(/\.docx/);
    expect(await bad(Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00'), 'photo.png')).toMatch(/无法识别|Unrecognised/);
    expect(await bad(Buffer.from('名称,数量\n公园,3\n'), 'other.csv')).toMatch(/没有找到整改表格/);
    expect(await bad(Buffer.alloc(0), 'empty.csv')).toMatch(/空/);
    const csv = Buffer.from(
      '\uFEFF整改任务概述,整改责任单位,整改目标,整改时间\n"秸秆焚烧问题",区农业农村委,"到2026年底秸秆综合利用率达到95%以上",2026年\n',
    );
    const p = await prepareImport(csv, 'straw.csv', DEFAULT_CORPUS_DIR, NOW, { title: '秸秆整改台账' });
    expect(p.format).toBe('csv');
    expect(p.table.records[0]).toMatchObject({ unit: '区农业农村委', overview: '秸秆焚烧问题' });
    expect(p.milestones.map((m) => m.dueDate)).toContain('2026-12-31');
    // XLSX, written with exceljs: a title row above the header is skipped.
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('台账');
    sheet.addRow(['江津区黑臭水体整改台账']);
    for (const r of BLACK_WATER_ROWS) sheet.addRow(r);
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    const x = await prepareImport(xlsx, 'black.xlsx', DEFAULT_CORPUS_DIR, NOW);
    expect(x.format).toBe('xlsx');
    expect(x.table.records).toHaveLength(1);
    expect(x.table.records[0]?.targets.map((t) => t.label)).toEqual(['一', '二']);
    expect(x.milestones).toHaveLength(2);
  });
});

eachBackend('desk over HTTP', (backend) => {
  describe('sign-in and permissions', () => {
    it('sends a visitor without a session to the sign-in page, and a citizen session too', async () => {
      running = await backend.start();
      const anon = await deskClient(running.url);
      for (const p of ['/desk/', '/desk/cases', '/desk/questions', '/desk/import', '/desk/cases.csv']) {
        const r = await anon.get(p);
        expect(r.status, p).toBe(303);
        expect(r.headers.get('location')).toBe('/desk/login');
      }
      expect((await anon.post('/desk/questions/1', { op: 'dismiss', csrf: 'x' })).status).toBe(303);
      const login = await anon.get('/desk/login');
      expect(login.status).toBe(200);
      expect(login.headers.get('content-security-policy')).toContain("default-src 'none'");
      // A wrong code signs nobody in.
      expect((await anon.post('/desk/login', { code: 'ABCDE-23456' })).status).toBe(403);
    });

    it('signs in once per code with an HttpOnly, SameSite=Strict cookie; a revoked or expired session is refused', async () => {
      let now = new Date();
      running = await backend.start({ WEB_SIGNIN_HOURS: '1' }, { clock: () => now });
      const code = await running.app.sessions.issueCode('official', '区农业农村委', now);
      const r = await fetch(`${running.url}/desk/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `code=${code}`,
      });
      expect(r.status).toBe(303);
      expect(r.headers.get('set-cookie')).toMatch(/rectify_sid=.+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Strict/);
      const again = await deskClient(running.url);
      expect((await again.post('/desk/login', { code })).status).toBe(403);

      const a = await deskClient(running.url, await running.app.sessions.issueCode('official', '区农业农村委', now));
      expect((await a.get('/desk/')).status).toBe(200);
      const csrf = await a.csrf();
      expect((await a.post('/desk/logout', { csrf })).status).toBe(303);
      expect((await a.get('/desk/')).status).toBe(303);

      const b = await deskClient(running.url, await running.app.sessions.issueCode('official', '区农业农村委', now));
      expect((await b.get('/desk/cases')).status).toBe(200);
      now = new Date(now.getTime() + 3601_000);
      const late = await b.get('/desk/cases');
      expect(late.status).toBe(303);
      expect(late.headers.get('location')).toBe('/desk/login');
    });

    it('refuses a forged or missing CSRF token and a post from another origin, changing nothing', async () => {
      running = await backend.start();
      const ticket = await fileByChat(running, 'w-c1');
      const unit = (await running.app.cases.byTicket(ticket))?.unit as string;
      const desk = await deskClient(running.url, await running.app.sessions.issueCode('official', unit, new Date()));
      const csrf = await desk.csrf();
      expect(csrf.length).toBeGreaterThan(10);
      expect((await desk.post(`/desk/case/${ticket}/act`, { action: 'accept', csrf: 'forged-token' })).status).toBe(403);
      expect((await desk.post(`/desk/case/${ticket}/act`, { action: 'accept' })).status).toBe(403);
      const cross = await desk.post(`/desk/case/${ticket}/act`, { action: 'accept', csrf }, { origin: 'https://evil.example' });
      expect(cross.status).toBe(403);
      expect((await running.app.cases.byTicket(ticket))?.status).toBe('待受理');
      // With the token, from this site: accepted, and in the history under the desk's identity.
      const ok = await desk.post(`/desk/case/${ticket}/act`, { action: 'accept', csrf });
      expect(ok.status).toBe(303);
      const c = await running.app.cases.byTicket(ticket);
      expect(c?.status).toBe('已受理');
      const last = (await running.app.cases.events(c?.id as number)).at(-1);
      expect(last).toMatchObject({ actorRole: 'official', toStatus: '已受理' });
      expect(last?.actor).toMatch(/^desk:wo-/);
    });

    it("does not show or act on another unit's case, nor its photo", async () => {
      running = await backend.start();
      const ticket = await fileByChat(running, 'w-c2', 'livestock');
      const c = await running.app.cases.byTicket(ticket);
      expect(c?.unit).not.toBe('区城市管理局');
      // A photo on the case (as the web channel stores it).
      const name = '0f8fad5b-d9cb-469f-a165-70867728950e.png';
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(running.dir, 'uploads'), { recursive: true });
      writeFileSync(join(running.dir, 'uploads', name), Buffer.from('89504e470d0a1a0a0000', 'hex'));
      await backend.sql(running.app, 'INSERT INTO case_photos (case_id, position, channel, file_ref) VALUES (?, 0, ?, ?)', [
        c?.id,
        'web',
        `web:${name}`,
      ]);

      const other = await deskClient(running.url, await running.app.sessions.issueCode('official', '区城市管理局', new Date()));
      const page = await other.get(`/desk/case/${ticket}`);
      expect(page.status).toBe(404);
      expect(page.text).not.toContain('养猪场');
      const list = await other.get('/desk/cases');
      expect(list.text).not.toContain(ticket);
      const csrf = await other.csrf();
      expect((await other.post(`/desk/case/${ticket}/act`, { action: 'accept', csrf })).status).toBe(404);
      expect((await running.app.cases.byTicket(ticket))?.status).toBe('待受理');

      const own = await deskClient(running.url, await running.app.sessions.issueCode('official', c?.unit as string, new Date()));
      const ownPage = await own.get(`/desk/case/${ticket}`);
      expect(ownPage.status).toBe(200);
      const src = /src="(\/desk\/photo\/[^"]+)"/.exec(ownPage.text)?.[1] as string;
      expect(src).toMatch(new RegExp(`^/desk/photo/${ticket}/0/[A-Za-z0-9_-]{32}$`));
      const img = await own.get(src);
      expect(img.status).toBe(200);
      expect(img.headers.get('content-type')).toBe('image/png');
      // The same address is nothing to another unit, to another session, or without one; a guessed one neither.
      expect((await other.get(src)).status).toBe(404);
      expect((await (await deskClient(running.url)).get(src)).status).toBe(303);
      const admin = await deskClient(running.url, await running.app.sessions.issueCode('admin', null, new Date()));
      expect((await admin.get(src)).status).toBe(404);
      expect((await own.get(`/desk/photo/${ticket}/0/${'A'.repeat(32)}`)).status).toBe(404);
      const adminPage = await admin.get(`/desk/case/${ticket}`);
      const adminSrc = /src="(\/desk\/photo\/[^"]+)"/.exec(adminPage.text)?.[1] as string;
      expect((await admin.get(adminSrc)).status).toBe(200);
      // The phone typed into the description is masked for the administrator, and in the CSV.
      expect(adminPage.text).not.toContain('13812345678');
      const csv = await admin.get('/desk/cases.csv');
      const raw = Buffer.from(await (await fetch(`${running.url}/desk/cases.csv`, { headers: { cookie: admin.cookie } })).arrayBuffer());
      expect(raw.subarray(0, 3).toString('hex')).toBe('efbbbf');
      expect(csv.text).toContain(ticket);
      expect(csv.text).not.toContain('13812345678');
    });

    it('filters cases and counts them; only administrators import', async () => {
      running = await backend.start();
      const a = await fileByChat(running, 'w-f1', 'livestock', '石蟆镇');
      await fileByChat(running, 'w-f2', 'livestock', '吴滩镇');
      const unit = (await running.app.cases.byTicket(a))?.unit as string;
      const desk = await deskClient(running.url, await running.app.sessions.issueCode('official', unit, new Date()));
      const all = await desk.get('/desk/cases');
      expect(all.text).toMatch(/id="n-total">2</);
      const one = await desk.get(`/desk/cases?town=${encodeURIComponent('石蟆镇')}`);
      expect(one.text).toMatch(/id="n-total">1</);
      expect(one.text).toContain(a);
      expect((await desk.get(`/desk/cases?status=${encodeURIComponent('已办结')}`)).text).toMatch(/id="n-total">0</);
      expect((await desk.get('/desk/cases?overdue=1')).text).toMatch(/id="n-total">0</);
      expect((await desk.get('/desk/import')).status).toBe(403);
    });
  });

  describe('document import from the command line', () => {
    it('imports from the command line into the data folder, leaves the shipped corpus alone, and refuses a broken file changing nothing', async () => {
      running = await backend.start();
      const dir = running.dir;
      const env = cliEnv(running);
      const shipped = readFileSync(join(DEFAULT_CORPUS_DIR, 'manifest.json'), 'utf8');
      writeFileSync(join(dir, 'broken.docx'), (await makeDocx(BLACK_WATER_ROWS)).subarray(0, 300));
      let failed = '';
      try {
        execFileSync('node', ['dist/cli/admin.js', 'import', join(dir, 'broken.docx')], { env, encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        failed = String((e as { stderr: string }).stderr);
      }
      expect(failed).toMatch(/损坏.*nothing changed/s);
      expect(existsSync(join(dir, 'corpus', 'manifest.json'))).toBe(false);
      writeFileSync(join(dir, 'black.docx'), await makeDocx(BLACK_WATER_ROWS));
      const out = execFileSync('node', ['dist/cli/admin.js', 'import', join(dir, 'black.docx'), '--title', '农村黑臭水体整改台账'], {
        env,
        encoding: 'utf8',
      });
      expect(out).toMatch(/DOCX：农村黑臭水体整改台账.*1 行，整改目标 2 个，整改节点 2 个/);
      const manifest = JSON.parse(readFileSync(join(dir, 'corpus', 'manifest.json'), 'utf8')) as {
        documents: Array<{ title: string; kind: string }>;
      };
      expect(manifest.documents.at(-1)).toMatchObject({ title: '农村黑臭水体整改台账', kind: 'records' });
      expect(readFileSync(join(DEFAULT_CORPUS_DIR, 'manifest.json'), 'utf8')).toBe(shipped);
      // The running assistant picks it up (it watches the manifest) and answers from it.
      const r = running;
      await expect.poll(() => r.app.knowledge.kb.documents.length, { timeout: 15_000, interval: 500 }).toBe(3);
      const a = r.app.answerer.answer('农村黑臭水体治理要在哪一年完成？', { now: new Date() });
      expect(a.answer).toContain('2027');
      expect(await backend.sql(r.app, "SELECT id FROM milestones WHERE title LIKE '%黑臭水体%'")).not.toHaveLength(0);
    }, 60_000);
  });

  describe('the linked task of a case', () => {
    it("changes a case's linked task among the unit's milestones or to none, CSRF-checked, in the case history", async () => {
      running = await backend.start();
      const r = running;
      const ledger = r.app.ledger;
      const ticket = await fileByChat(r, 'w-l1');
      const c = await r.app.cases.byTicket(ticket);
      const unit = c?.unit as string;
      const desk = await deskClient(r.url, await r.app.sessions.issueCode('official', unit, new Date()));
      const page = await desk.get(`/desk/case/${ticket}`);
      const form = /<form method="post" action="\/desk\/case\/[^"]+\/link" id="link-form"[\s\S]*?<\/form>/.exec(page.text)?.[0] as string;
      expect(form).toContain('<option value="0"');
      expect(form).toContain('不关联');
      const options = [...form.matchAll(/<option value="(\d+)"/g)].map((m) => Number(m[1])).filter((x) => x > 0);
      const own = new Set((await ledger.forUnit(unit)).map((m) => m.id));
      const current = (await ledger.store.link(c?.id as number))?.milestoneId ?? null;
      // The unit's milestones, and the current link even when it is another unit's.
      expect(options.length).toBeGreaterThan(0);
      for (const id of options) expect(own.has(id) || id === current).toBe(true);
      const target = options.find((x) => x !== current) as number;
      expect(target).toBeDefined();

      // A forged token or a milestone outside the list changes nothing.
      const csrf = await desk.csrf();
      expect((await desk.post(`/desk/case/${ticket}/link`, { milestone: String(target), csrf: 'forged' })).status).toBe(403);
      const foreign = (await ledger.milestones.list()).find((m) => !own.has(m.id) && m.id !== current);
      if (foreign) {
        const refused = await desk.post(`/desk/case/${ticket}/link`, { milestone: String(foreign.id), csrf });
        expect(refused.text).toContain('请选择本单位的整改节点');
      }
      expect((await desk.post(`/desk/case/${ticket}/link`, { milestone: 'x', csrf })).text).toContain('请选择本单位的整改节点');
      expect((await ledger.store.link(c?.id as number))?.milestoneId ?? null).toBe(current);
      // Another unit cannot touch it.
      const other = await deskClient(r.url, await r.app.sessions.issueCode('official', '区城市管理局', new Date()));
      expect((await other.post(`/desk/case/${ticket}/link`, { milestone: '0', csrf: await other.csrf() })).status).toBe(404);

      const events = () => r.app.cases.events(c?.id as number);
      const before = (await events()).length;
      const set = await desk.post(`/desk/case/${ticket}/link`, { milestone: String(target), csrf });
      expect(set.status).toBe(303);
      expect(set.headers.get('location')).toBe(`/desk/case/${ticket}?done=1`);
      expect(await ledger.store.link(c?.id as number)).toMatchObject({ milestoneId: target, linkedBy: expect.stringMatching(/^desk:/) });
      const ev = (await events()).at(-1);
      expect(await events()).toHaveLength(before + 1);
      expect(ev).toMatchObject({ actorRole: 'official', fromStatus: c?.status, toStatus: c?.status });
      expect(ev?.actor).toMatch(/^desk:wo-/);
      expect(ev?.note).toContain(`关联整改节点 #${target}`);
      const shown = await desk.get(`/desk/case/${ticket}`);
      expect(shown.text).toMatch(new RegExp(`id="task">#${target} `));
      expect(shown.text).toContain(`关联整改节点 #${target}`);
      // The list filters by it.
      expect((await desk.get(`/desk/cases?task=${target}`)).text).toContain(ticket);

      // "不关联": unlinked, recorded too.
      expect((await desk.post(`/desk/case/${ticket}/link`, { milestone: '0', csrf })).status).toBe(303);
      expect((await ledger.store.link(c?.id as number))?.milestoneId).toBeNull();
      expect((await events()).at(-1)?.note).toContain(`取消关联整改节点 #${target}`);
      expect((await desk.get(`/desk/cases?task=none`)).text).toContain(ticket);
    });
  });
});
