import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssistant } from './assistant.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running;

beforeAll(async () => {
  running = await startTestAssistant();
});
afterAll(async () => {
  await running.stop();
});

// .ci/run installs Debian's chromium; on a machine without it this test says so instead of passing.
describe.runIf(existsSync(CHROMIUM) || process.env.CI)('local chat page in a real browser', () => {
  it('asks a question, files a report and shows the ticket number', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${running.url}/`);
      await page.fill('#text', '尾水整改完成了多少？');
      await page.click('#send');
      await page.locator('.bot .bubble', { hasText: '978万吨' }).waitFor();
      await page.fill('#text', '举报');
      await page.click('#send');
      await page.locator('.choices button', { hasText: '水产养殖尾水' }).last().click();
      await page.locator('.choices button', { hasText: '吴滩镇' }).last().click();
      await page.locator('.bot .bubble', { hasText: '描述现场情况' }).waitFor();
      await page.fill('#text', '养鱼场清塘的浑水直接排进小河');
      await page.click('#send');
      await page.locator('.choices button', { hasText: '跳过' }).last().click();
      await page.locator('.bot .bubble', { hasText: '现场照片' }).waitFor();
      await page.locator('.choices button', { hasText: '跳过' }).last().click();
      await page.locator('.choices button', { hasText: '匿名举报' }).last().click();
      await page.locator('.choices button', { hasText: '确认提交' }).last().click();
      const done = page.locator('.bot .bubble', { hasText: '受理编号' });
      await done.waitFor();
      const ticket = /JJ-\d{8}-[A-Z0-9]{5}/.exec((await done.textContent()) ?? '')?.[0];
      expect(ticket).toBeDefined();
      expect(await running.app.cases.byTicket(ticket as string)).toMatchObject({ channel: 'web', category: 'aquaculture', town: '吴滩镇' });
      await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/rectify-chat.png`, fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('signs an official in with a one-time link, and keeps the code out of the address bar', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const code = await running.app.sessions.issueCode('official', '区城市管理局', new Date());
      await page.goto(`${running.url}/login#${code}`);
      await page.locator('.bot .bubble', { hasText: '已登录：区城市管理局办理人员' }).waitFor();
      expect(page.url()).toBe(`${running.url}/`);
      const cookies = await page.context().cookies();
      expect(cookies.find((c) => c.name === 'rectify_sid')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      await page.fill('#text', '/cases');
      await page.click('#send');
      await page.locator('.bot .bubble', { hasText: '区城市管理局' }).last().waitFor();
      expect(await page.locator('.bot .bubble').last().textContent()).not.toContain('仅限办理单位');
      // The same link a second time signs nobody in.
      const other = await browser.newPage();
      await other.goto(`${running.url}/login#${code}`);
      await other.locator('.note .bubble', { hasText: '登录码无效' }).waitFor();
    } finally {
      await browser.close();
    }
  });
});
