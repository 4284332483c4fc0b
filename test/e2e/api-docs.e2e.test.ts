/**
 * The browser suite's first leg: a real `trouw serve --demo` and Debian's Chromium. The API documentation page
 * renders the OpenAPI document (the Swagger UI's own scripts run in the browser), and the demo's secret key works
 * from the page's origin.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium, screenshot } from './support/browser.js';
import { startTrouw, type RunningTrouw } from './support/trouw-server.js';

const executablePath = chromiumPath();
if (!executablePath) console.warn('Chromium not found: the browser tests are skipped (install chromium, or set CHROMIUM_PATH).');

describe.skipIf(!executablePath)('in Chromium against trouw serve', () => {
  let trouw: RunningTrouw;
  let browser: Browser;

  beforeAll(async () => {
    trouw = await startTrouw();
    browser = await launchChromium(executablePath as string);
  });

  afterAll(async () => {
    await browser?.close();
    await trouw?.stop();
  });

  it('renders the API documentation from the OpenAPI document', async () => {
    const page = await browser.newPage();
    await page.goto(`${trouw.baseUrl}/docs`);
    await expect(page.getByText('Trouw API', { exact: false }).first().waitFor({ timeout: 20_000 })).resolves.toBeUndefined();
    await expect(page.locator('.opblock-tag-section').first().waitFor({ timeout: 20_000 })).resolves.toBeUndefined();
    const tags = await page.locator('.opblock-tag').allTextContents();
    expect(tags.join(' ')).toMatch(/members/);
    await screenshot(page, 'api-docs');
    // The demo key works from the page, as a developer trying the API in the browser would use it.
    const status = await page.evaluate(async ([base, key]) => (await fetch(`${base}/v1/members?limit=1`, { headers: { authorization: `Bearer ${key}` } })).status, [trouw.baseUrl, trouw.demo.apiKey]);
    expect(status).toBe(200);
    await page.close();
  });
});
