/**
 * Issue 10 in a real browser (Debian's chromium through playwright-core): an official signs in at
 * the desk with a one-time link, sees the charts, filters the cases, opens one, sees its photo and
 * accepts it; answers an unanswered question that a citizen then asks again in the chat page; an
 * administrator imports a DOCX table made in the test and the chat answers from it, no restart.
 */
import { existsSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssistant } from './assistant.js';
import { BLACK_WATER_ROWS, makeDocx } from './desk.helpers.js';
import { webClient } from './web.client.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOT_DIR ?? '/tmp';
type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running;
let browser: Browser;

/** A real 8×8 PNG (red), so the browser can decode it. */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(24, 0).fill(Buffer.from([220, 30, 30]))]);
  const raw = Buffer.concat(Array.from({ length: 8 }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Files a report with a photo through the web chat API, as a citizen's browser would. */
async function fileWithPhoto(url: string, town: string, text: string): Promise<string> {
  const c = await webClient(url);
  await c.open();
  await c.chat({ text: '举报' });
  await c.chat({ choice: 'cat:livestock' });
  await c.chat({ choice: `town:${town}` });
  await c.chat({ text });
  await c.chat({ choice: 'skip' });
  const up = (await (await c.post('/api/photo', tinyPng(), { 'content-type': 'image/png' })).json()) as { ref: string };
  await c.chat({ photos: [up.ref] });
  await c.chat({ choice: 'done' });
  await c.chat({ choice: 'anon' });
  const done = await c.chat({ choice: 'confirm' });
  return /JJ-\d{8}-[A-Z0-9]{5}/.exec(done.text)?.[0] as string;
}

beforeAll(async () => {
  running = await startTestAssistant();
  if (existsSync(CHROMIUM)) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    });
  }
});
afterAll(async () => {
  await browser?.close();
  await running.stop();
});

async function ask(page: import('playwright-core').Page, question: string, expectText: string | RegExp) {
  const before = await page.locator('.bot .bubble').count();
  await page.fill('#text', question);
  await page.click('#send');
  await expect.poll(() => page.locator('.bot .bubble').count(), { timeout: 15_000 }).toBeGreaterThan(before);
  const bubble = page.locator('.bot .bubble', { hasText: expectText }).last();
  await bubble.waitFor({ timeout: 15_000 });
  return bubble;
}

describe.runIf(existsSync(CHROMIUM) || process.env.CI)('officials’ desk in a real browser', () => {
  it('signs in with a link, shows the charts, filters, opens a case with its photo and acts on it', async () => {
    const ticket = await fileWithPhoto(running.url, '石蟆镇', '村口养猪场每天往小河里排放粪水，河水发黑发臭');
    await fileWithPhoto(running.url, '吴滩镇', '山坡上的养鸡场粪便堆在溪沟边，下雨就冲进河里');
    const unit = (await running.app.cases.byTicket(ticket))?.unit as string;
    const context = await browser.newContext();
    const page = await context.newPage();
    const code = await running.app.sessions.issueCode('official', unit, new Date());
    await page.goto(`${running.url}/desk/login#${code}`);
    await page.waitForURL(`${running.url}/desk/`);
    const cookie = (await context.cookies()).find((c) => c.name === 'rectify_sid');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Charts drawn by the page itself.
    expect(await page.locator('#by-town .bar').count()).toBe(2);
    expect(await page.locator('#by-status .bar').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#indicators .indicator').count()).toBeGreaterThan(5);
    expect(await page.locator('#timeline circle.milestone').count()).toBeGreaterThan(0);
    const box = await page.locator('#timeline').boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    await page.screenshot({ path: `${SHOTS}/rectify-desk-overview.png`, fullPage: true });

    await page.click('nav a[href="/desk/cases"]');
    expect(await page.textContent('#n-total')).toBe('2');
    await page.selectOption('select[name="town"]', '石蟆镇');
    await page.click('#filters button');
    await page.waitForURL(/town=/);
    expect(await page.textContent('#n-total')).toBe('1');
    await page.click(`a[href="/desk/case/${ticket}"]`);
    await page.locator('#status', { hasText: '待受理' }).waitFor();
    const img = page.locator('img.photo').first();
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBe(8);
    await page.click('#act-accept button');
    await page.locator('#status', { hasText: '已受理' }).waitFor();
    expect(await page.textContent('#history')).toContain('已受理');
    await page.fill('#act-progress input[name="note"]', '已派人到现场核查');
    await page.click('#act-progress button');
    await page.locator('#status', { hasText: '办理中' }).waitFor();
    expect((await running.app.cases.byTicket(ticket))?.status).toBe('办理中');
    await page.screenshot({ path: `${SHOTS}/rectify-desk-case.png`, fullPage: true });
    await context.close();
  }, 60_000);

  it('answers an unanswered question at the desk, and the chat then gives that answer', async () => {
    const chat = await browser.newPage();
    await chat.goto(`${running.url}/`);
    await ask(chat, '江津区的城市公园有多少个？', /范围|没有|not/);
    await chat.locator('.choices button', { hasText: '👎' }).last().click();
    await chat.locator('.bot .bubble', { hasText: '转给工作人员' }).waitFor();

    const context = await browser.newContext();
    const desk = await context.newPage();
    await desk.goto(`${running.url}/desk/login#${await running.app.sessions.issueCode('official', '区城市管理局', new Date())}`);
    await desk.waitForURL(`${running.url}/desk/`);
    await desk.click('nav a[href="/desk/questions"]');
    const row = desk.locator('tr.question', { hasText: '城市公园' });
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe('2');
    await row.locator('textarea[name="answer"]').fill('整改台账和规划不涉及城市公园数量，请咨询区城市管理局（023-47520000）。');
    await row.locator('form.curate button').click();
    await desk.locator('#result').waitFor();
    await context.close();

    const bubble = await ask(chat, '江津区城市公园有多少个', '不涉及城市公园');
    expect(await bubble.textContent()).toMatch(/由区城市管理局于\d{4}-\d{2}-\d{2}补充/);
    await chat.close();
  }, 60_000);

  it('imports a DOCX table made in the test, previews it, and the chat answers from it without a restart', async () => {
    const context = await browser.newContext();
    const desk = await context.newPage();
    await desk.goto(`${running.url}/desk/login#${await running.app.sessions.issueCode('admin', null, new Date())}`);
    await desk.waitForURL(`${running.url}/desk/`);
    await desk.click('nav a[href="/desk/import"]');
    // A file that is no table: a clear message, nothing changed.
    await desk.setInputFiles('input[name="file"]', {
      name: 'notes.docx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not a docx'),
    });
    await desk.click('#import-form button');
    await desk.locator('#import-error').waitFor();
    expect(running.app.knowledge.kb.documents).toHaveLength(2);

    await desk.setInputFiles('input[name="file"]', {
      name: 'black-water.docx',
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      buffer: await makeDocx(BLACK_WATER_ROWS),
    });
    await desk.fill('input[name="title"]', '江津区农村黑臭水体整改台账');
    await desk.click('#import-form button');
    await desk.locator('#preview').waitFor();
    expect(await desk.textContent('#n-rows')).toBe('1');
    expect(await desk.textContent('#n-targets')).toBe('2');
    expect(await desk.textContent('#n-milestones')).toBe('2');
    expect(await desk.textContent('#preview-milestones')).toContain('2027-12-31');
    await desk.screenshot({ path: `${SHOTS}/rectify-desk-import.png`, fullPage: true });
    await desk.click('#confirm-form button');
    await desk.locator('#result').waitFor();
    expect(running.app.knowledge.kb.documents).toHaveLength(3);
    await context.close();

    const chat = await browser.newPage();
    await chat.goto(`${running.url}/`);
    await ask(chat, '农村黑臭水体治理要在哪一年完成？', '2027');
    await chat.close();
  }, 90_000);
});
