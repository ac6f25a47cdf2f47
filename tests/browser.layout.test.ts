/**
 * Issue 12: the web chat at phone and desktop widths in a real browser (Debian's chromium through
 * playwright-core). Every control lies inside the viewport, nothing scrolls sideways, the location
 * picker closes after sending, and a reload restores the conversation from the server for the
 * cookie's identity with the draft banner. Screenshots go to tests/screenshots/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssistant } from './assistant.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, 'screenshots');
const VIEWPORTS = [
  { width: 360, height: 740 },
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];

type Running = Awaited<ReturnType<typeof startTestAssistant>>;
let running: Running;
let browser: Browser;

/** Controls outside the viewport: fixed ones must be wholly inside it, the rest inside its width. */
async function outside(page: Page): Promise<string[]> {
  // Run in the page (as a string: this project's types have no DOM).
  return page.evaluate(`(() => {
    const w = document.documentElement.clientWidth;
    const h = window.innerHeight;
    const bad = [];
    for (const el of document.querySelectorAll('button, input:not([type=file]), textarea, select, a')) {
      if (el.closest('[hidden]') || el.offsetParent === null) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const fixed = !!el.closest('form');
      const label = el.tagName.toLowerCase() + '#' + (el.id || '') + '「' + (el.textContent || el.placeholder || '').slice(0, 12) + '」';
      if (r.left < -0.5 || r.right > w + 0.5) bad.push(label + ' x ' + r.left.toFixed(1) + '–' + r.right.toFixed(1) + ' of ' + w);
      if (fixed && (r.top < -0.5 || r.bottom > h + 0.5)) bad.push(label + ' y ' + r.top.toFixed(1) + '–' + r.bottom.toFixed(1) + ' of ' + h);
    }
    return bad;
  })()`);
}

async function checkLayout(page: Page, name: string): Promise<void> {
  expect(await outside(page), name).toEqual([]);
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
  // "发送" on one line; the camera button wholly visible.
  const send = await page.locator('#send').boundingBox();
  expect(send?.height ?? 99, `${name}: 发送 wraps`).toBeLessThanOrEqual(44);
  const camera = await page.locator('#photobtn').boundingBox();
  expect(camera?.width ?? 0, `${name}: 📷 too narrow`).toBeGreaterThanOrEqual(34);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

beforeAll(async () => {
  running = await startTestAssistant();
  mkdirSync(SHOTS, { recursive: true });
  if (existsSync(CHROMIUM))
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
});
afterAll(async () => {
  await browser?.close();
  await running.stop();
});

describe.runIf(existsSync(CHROMIUM) || process.env.CI)('web chat layout and restored conversation', () => {
  for (const vp of VIEWPORTS) {
    it(`fits ${vp.width}×${vp.height}: every control inside, no horizontal scroll`, async () => {
      const context = await browser.newContext({ viewport: vp });
      const page = await context.newPage();
      try {
        await page.goto(`${running.url}/`);
        await page.locator('.bot .bubble', { hasText: '整改助手' }).first().waitFor();
        await checkLayout(page, `${vp.width}x${vp.height}-start`);
        await page.fill('#text', '举报');
        await page.click('#send');
        await page.locator('.choices button', { hasText: '畜禽养殖污染' }).last().click();
        // The place step: 30 towns as buttons that wrap in rows, and the location picker.
        await page.locator('.choices button', { hasText: '四面山镇' }).last().waitFor();
        expect(await page.locator('#locbox').isVisible()).toBe(true);
        await checkLayout(page, `${vp.width}x${vp.height}-place`);
        // A long line grows the input instead of scrolling sideways.
        await page.locator('#text').pressSequentially('村口养猪场每天往小河里排放粪水，河水发黑发臭，'.repeat(5), { delay: 0 });
        await expect.poll(async () => (await page.locator('#text').boundingBox())?.height ?? 0).toBeGreaterThan(44);
        await checkLayout(page, `${vp.width}x${vp.height}-typing`);
        await page.fill('#text', '');
        await page.dispatchEvent('#text', 'input');
        // Sending a location closes the picker.
        await page.fill('#coords', '29.207,106.228');
        await page.click('#locsend');
        await page.locator('.bot .bubble', { hasText: '描述现场情况' }).last().waitFor();
        expect(await page.locator('#locbox').isVisible()).toBe(false);
        await checkLayout(page, `${vp.width}x${vp.height}-after-location`);
      } finally {
        await context.close();
      }
    });
  }

  it('restores the earlier messages after a reload and shows the draft banner', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    try {
      await page.goto(`${running.url}/`);
      await page.locator('.bot .bubble', { hasText: '整改助手' }).first().waitFor();
      await page.fill('#text', '尾水整改完成了多少？');
      await page.click('#send');
      await page.locator('.bot .bubble', { hasText: '978万吨' }).waitFor();
      await page.fill('#text', '举报');
      await page.click('#send');
      await page.locator('.choices button', { hasText: '生活垃圾' }).last().click();
      await page.locator('.choices button', { hasText: '先锋镇' }).last().waitFor();
      expect(await page.locator('#draft').isVisible()).toBe(true);

      await page.reload();
      await page.locator('.bot .bubble', { hasText: '978万吨' }).waitFor();
      await page.locator('.me .bubble', { hasText: '尾水整改完成了多少？' }).waitFor();
      await page.locator('.me .bubble', { hasText: '生活垃圾' }).waitFor();
      const banner = page.locator('#draft');
      await banner.waitFor();
      expect((await banner.textContent())?.replace(/\s+/g, ' ').trim()).toBe('您有一件未提交的举报：继续 / 放弃');
      await checkLayout(page, 'reload-390x844');
      await page.locator('#draftgo').click();
      await page.locator('.bot .bubble', { hasText: '我们接着来' }).waitFor();
      await page.locator('#draftdrop').click();
      await page.locator('.bot .bubble', { hasText: '已取消本次举报' }).waitFor();
      await expect.poll(() => banner.isVisible()).toBe(false);
      // A new browser (another cookie) sees none of it.
      const stranger = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const other = await stranger.newPage();
      await other.goto(`${running.url}/`);
      await other.locator('.bot .bubble', { hasText: '整改助手' }).first().waitFor();
      expect(await other.locator('.bubble', { hasText: '978万吨' }).count()).toBe(0);
      await stranger.close();
      const icon = await page.request.get(`${running.url}/favicon.svg`);
      expect(icon.status()).toBe(200);
      expect(icon.headers()['content-type']).toContain('image/svg+xml');
    } finally {
      await context.close();
    }
  });
});
