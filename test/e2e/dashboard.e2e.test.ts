/**
 * Issue 5 end to end, in Chromium against a real `trouw serve --demo`: the owner signs in to the dashboard,
 * creates a reward, sees a purchase sent through the API land on a member's page; the member opens the portal,
 * sees those points and redeems the new reward; a support user is refused the settings; the login form works
 * from the keyboard. The steps share one server and run in order (each builds on what the one before did), and
 * every step asserts what the page shows. Screenshots of the main pages go to docs/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium, screenshot } from './support/browser.js';
import { startTrouw, type RunningTrouw } from './support/trouw-server.js';

const executablePath = chromiumPath();
if (!executablePath) console.warn('Chromium not found: the browser tests are skipped (install chromium, or set CHROMIUM_PATH).');

type Messages = Record<string, Record<string, string | Record<string, string>>>;
const nl = JSON.parse(fs.readFileSync(path.resolve('web/src/i18n/nl.json'), 'utf8')) as Messages;
const fill = (template: string, values: Record<string, string>) => template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? '');
const en = (n: number) => new Intl.NumberFormat('en-GB').format(n);
const dutch = (n: number) => new Intl.NumberFormat('nl-NL').format(n);

const timeout = { timeout: 15_000 };
const member = 'demo-customer-1';
const rewardName = 'E2E espresso tasting';
const rewardCost = 150;

/** The little of the DOM the page functions touch (this project compiles without the DOM library). */
interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number }; activeElement: { getAttribute(name: string): string | null } | null };
}

interface Balance {
  available: number;
  pending: number;
}

describe.skipIf(!executablePath)('the dashboard and the member portal in Chromium', () => {
  let trouw: RunningTrouw;
  let browser: Browser;
  let owner: BrowserContext;
  let page: Page;
  let afterPurchase: Balance;

  const api = async <T,>(method: string, url: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${trouw.baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${trouw.demo.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const memberByExternalId = async (externalId: string) =>
    (await api<{ data: { id: string; balance: Balance }[] }>('GET', `/v1/members?externalId=${externalId}`)).data[0]!;

  beforeAll(async () => {
    trouw = await startTrouw();
    browser = await launchChromium(executablePath as string);
    owner = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    // A missing element fails the step in seconds, not after Playwright's 30 s default.
    owner.setDefaultTimeout(10_000);
    page = await owner.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await trouw?.stop();
  });

  it('1. the demo owner signs in through the login form and sees the overview with figures', async () => {
    await page.goto(`${trouw.baseUrl}/admin/`);
    await page.getByRole('heading', { name: 'Sign in to Trouw' }).waitFor(timeout);
    await screenshot(page, 'login');

    // A wrong password is refused on the page, not silently.
    await page.getByLabel('E-mail address').fill(trouw.owner.email);
    await page.getByRole('textbox', { name: 'Password' }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Could not sign in').waitFor(timeout);

    await page.getByRole('textbox', { name: 'Password' }).fill(trouw.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor(timeout);
    const members = (await api<{ data: unknown[] }>('GET', '/v1/members?limit=200')).data.length;
    const card = page.getByText('Members', { exact: true }).locator('xpath=..');
    await card.getByText(en(members), { exact: true }).waitFor(timeout);
    await expect(page.getByText(`${trouw.owner.email} · Owner`).isVisible()).resolves.toBe(true);
    // The charts have drawn (Recharts renders SVG).
    await page.locator('.recharts-surface').first().waitFor(timeout);
    // The pointer rests where the sign-in button was, over the chart: move it off so no tooltip is captured.
    await page.mouse.move(0, 0);
    await screenshot(page, 'overview');
  });

  it('2. the owner creates a reward on the Rewards page and sees it listed', async () => {
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Rewards' }).click();
    await page.getByRole('heading', { name: 'Rewards', level: 2 }).waitFor(timeout);
    await page.getByRole('button', { name: 'New reward' }).click();
    const dialog = page.getByRole('dialog', { name: 'New reward' });
    await dialog.getByLabel('Name (English)').fill(rewardName);
    await dialog.getByLabel('Name (Nederlands)').fill('E2E espressoproeverij');
    await dialog.getByLabel('Points cost').fill(String(rewardCost));
    // A free product (the default kind) names the product.
    await dialog.getByLabel('Product code (SKU)').fill('espresso-tasting');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden', ...timeout });

    const row = page.getByRole('row').filter({ hasText: rewardName });
    await row.waitFor(timeout);
    await expect(row.getByRole('cell').allTextContents()).resolves.toEqual([rewardName, 'Free product', 'Catalogue (for points)', en(rewardCost), '0', 'Unlimited', 'Yes', 'Edit']);
    await screenshot(page, 'rewards');
  });

  it("3. a purchase sent through the API shows on the member's page", async () => {
    const before = (await memberByExternalId(member)).balance;
    const event = { id: 'e2e-purchase-1', type: 'purchase', externalId: member, data: { orderId: 'e2e-order-1', total: 12_50, currency: 'EUR' } };
    const result = await api<{ balance: Balance; awarded: { points: number }[]; tierMultiplier: { points: number } | null }>('POST', '/v1/events', event);
    afterPurchase = result.balance;
    const earned = result.awarded.reduce((sum, award) => sum + award.points, 0) + (result.tierMultiplier?.points ?? 0);
    expect(earned).toBeGreaterThan(0);
    expect(afterPurchase.available + afterPurchase.pending).toBe(before.available + before.pending + earned);

    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { name: 'Members', level: 2 }).waitFor(timeout);
    await page.getByRole('row').nth(2).waitFor(timeout);
    await screenshot(page, 'members');
    await page.getByLabel('Search for').fill(member);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.getByRole('row').count(), timeout).toBe(2);
    await page.getByRole('link', { name: member, exact: true }).click();

    const { name } = await api<{ name: string }>('GET', `/v1/members/${(await memberByExternalId(member)).id}`);
    await page.getByRole('heading', { name, level: 2 }).waitFor(timeout);
    await page.getByText(`${en(afterPurchase.available)} available`, { exact: true }).waitFor(timeout);
    await page.getByText(`${en(afterPurchase.pending)} pending`, { exact: true }).waitFor(timeout);
    // The purchase's lines lead the ledger (newest first), and add up to what it earned.
    const purchaseRows = page.getByRole('tabpanel').getByRole('row').filter({ hasText: 'purchase event e2e-purchase-1' });
    await purchaseRows.first().waitFor(timeout);
    const cells = await purchaseRows.evaluateAll((rows) => rows.map((row) => Number(row.children[3]!.textContent!.replace(/[^\d-]/g, ''))));
    expect(cells.reduce((sum, points) => sum + points, 0)).toBe(earned);
    await screenshot(page, 'member');
  });

  it('4. the member opens the portal, sees the new points, redeems the new reward and gets a coupon code', async () => {
    // The purchase's points wait out the return window, and the demo's balances follow the calendar: support
    // gives the member what the reward costs when they are short, so the redemption is possible on any date.
    if (afterPurchase.available < rewardCost) {
      const id = (await memberByExternalId(member)).id;
      const topUp = await api<{ balance: Balance }>('POST', `/v1/members/${id}/adjustments`, { points: rewardCost - afterPurchase.available, reason: 'e2e: enough to redeem' });
      afterPurchase = topUp.balance;
    }
    // The member speaks Dutch (whatever the demo drew), and the browser English: the member's language must win.
    await api('PATCH', `/v1/members/${(await memberByExternalId(member)).id}`, { locale: 'nl' });
    const token = await trouw.memberToken(member);
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    const portal = await context.newPage();
    await portal.goto(`${trouw.baseUrl}/p/${trouw.portal.slug}#token=${token}`);
    // The token leaves the address bar at once.
    await expect.poll(() => portal.url()).toBe(`${trouw.baseUrl}/p/${trouw.portal.slug}`);

    // The member's own language (Dutch) wins.
    const portalText = nl.portal as Record<string, string>;
    await portal.getByRole('heading', { name: 'Koffiebar Demo', level: 1 }).waitFor(timeout);
    await portal.getByText(dutch(afterPurchase.available), { exact: true }).waitFor(timeout);
    if (afterPurchase.pending > 0) await portal.getByText(fill(portalText.pending!, { points: dutch(afterPurchase.pending) }), { exact: true }).waitFor(timeout);
    await screenshot(portal, 'portal');

    const redeem = portal.getByRole('button', { name: fill(portalText.redeemNamed!, { name: 'E2E espressoproeverij' }) });
    await redeem.waitFor(timeout);
    expect(await redeem.isEnabled()).toBe(true);
    await redeem.click();
    const coupon = portal.getByRole('status').filter({ hasText: portalText.redeemed! });
    await coupon.waitFor(timeout);
    const code = (await coupon.locator('code').textContent())!.trim();
    expect(code).toMatch(/^[A-Z0-9-]{6,}$/);
    // The balance drops by the reward's cost.
    await portal.getByText(dutch(afterPurchase.available - rewardCost), { exact: true }).waitFor(timeout);

    // The same coupon is on the member's page in the dashboard.
    const redemptions = await api<{ data: { coupon: { code: string } | null }[] }>('GET', `/v1/members/${(await memberByExternalId(member)).id}/redemptions`);
    expect(redemptions.data.map((row) => row.coupon?.code)).toContain(code);

    await portal.setViewportSize({ width: 375, height: 812 });
    await portal.getByRole('heading', { name: 'Koffiebar Demo', level: 1 }).waitFor(timeout);
    // Nothing wider than the phone: no sideways scrolling.
    expect(await portal.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(portal, 'portal-phone');
    await context.close();
  });

  it('5. a support user added on the Team page is not offered the settings, and is refused them by the server', async () => {
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { name: 'Team', level: 2 }).waitFor(timeout);
    await page.getByLabel('E-mail address').fill('support@e2e.trouw.test');
    await page.getByLabel(/^Name/).fill('Sam Support');
    // Support is the default role of a new team member.
    await expect(page.getByRole('combobox', { name: 'Role', exact: true }).inputValue()).resolves.toBe('Support');
    await page.getByRole('button', { name: 'Add to team' }).click();
    const shown = page.getByRole('alert').filter({ hasText: 'Temporary password' });
    await shown.waitFor(timeout);
    const temporaryPassword = (await shown.locator('code').textContent())!.trim();
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
    await page.getByRole('row').filter({ hasText: 'support@e2e.trouw.test' }).waitFor(timeout);

    const context = await browser.newContext({ locale: 'en-GB' });
    const support = await context.newPage();
    await support.goto(`${trouw.baseUrl}/admin/`);
    await support.getByLabel('E-mail address').fill('support@e2e.trouw.test');
    await support.getByRole('textbox', { name: 'Password' }).fill(temporaryPassword);
    await support.getByRole('button', { name: 'Sign in' }).click();
    const menu = support.getByRole('navigation', { name: 'Main menu' });
    await menu.getByRole('link', { name: 'Members' }).waitFor(timeout);
    await support.getByText('support@e2e.trouw.test · Support').waitFor(timeout);
    const offered = await menu.getByRole('link').allTextContents();
    expect(offered).not.toContain('Settings');
    expect(offered).not.toContain('Team');
    expect(offered).not.toContain('API keys');

    // Opened by its address anyway: the programme's settings can be read (every role needs its name and
    // currency), but changing them is refused by the server, and the page says so.
    await support.goto(`${trouw.baseUrl}/admin/settings`);
    await support.getByRole('heading', { name: 'Programme settings', level: 2 }).waitFor(timeout);
    await support.getByLabel(/^Name/).fill('Taken over by support');
    const refused = support.waitForResponse((response) => response.url().endsWith('/v1/program') && response.request().method() === 'PATCH');
    await support.getByRole('button', { name: 'Save' }).click();
    const response = await refused;
    expect(response.status()).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('insufficient_scope');
    await support.getByRole('alert').getByText('Your role does not allow this.').waitFor(timeout);
    expect((await api<{ name: string }>('GET', '/v1/program')).name).toBe('Koffiebar Demo');
    await context.close();
  });

  it('6. a bulk adjustment pasted as CSV runs in the background with a progress bar, and names the line that failed', async () => {
    const before = (await memberByExternalId('demo-customer-3')).balance.available;
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Members' }).click();
    await page.getByRole('button', { name: 'Bulk adjust points' }).click();
    const dialog = page.getByRole('dialog', { name: 'Bulk adjust points' });
    await dialog.getByLabel('Or paste the CSV here').fill('externalId,points\ndemo-customer-3,25\ndemo-customer-4,25\nnobody-here,25\n');
    await dialog.getByLabel(/^Reason/).fill('E2E goodwill');
    await dialog.getByRole('button', { name: 'Adjust 3 members' }).click();
    await dialog.getByText('3 of 3 lines processed').waitFor(timeout);
    await dialog.getByText('2 succeeded, 1 failed').waitFor(timeout);
    await dialog.getByRole('row').filter({ hasText: 'nobody-here' }).waitFor(timeout);
    await screenshot(page, 'bulk-adjustment');
    expect((await memberByExternalId('demo-customer-3')).balance.available).toBe(before + 25);
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    // The tiers, read by everyone and edited by owners and managers.
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Tiers' }).click();
    await page.getByRole('heading', { name: 'Tiers', level: 2 }).waitFor(timeout);
    await page.getByText('Goud', { exact: true }).first().waitFor(timeout);
    await screenshot(page, 'tiers');
  });

  it('7. a referral flagged at sign-up is on the review page, and the owner approves it with a reason', async () => {
    // The demo has no referral programme: set one up, then a friend signs up on a referrer's code from the
    // referrer's own device, which the fraud check flags for review.
    await api('PUT', '/v1/referral-program', {
      enabled: true,
      referrerReward: { points: 500 },
      friendReward: { points: 250 },
      qualification: { minOrderTotal: 2000, afterReturnWindow: false },
      validityDays: 30,
      fraud: { reviewAbove: 40, rejectAbove: 80 },
      landingUrl: 'https://koffie.example/welkom',
    });
    const device = { deviceId: 'e2e-shared-tablet', ip: '198.51.100.4' };
    const referrer = await api<{ referralCode: string }>('POST', '/v1/members', { externalId: 'e2e-referrer', email: 'anna.e2e@example.nl', context: device });
    await api('POST', '/v1/members', { externalId: 'e2e-friend', email: 'bram.e2e@example.nl', referralCode: referrer.referralCode, context: { ...device, ip: '203.0.113.50' } });

    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Referral review' }).click();
    await page.getByRole('heading', { name: 'Referral review', level: 2 }).waitFor(timeout);
    const card = page.getByRole('article', { name: `Referral with code ${referrer.referralCode}` });
    await card.waitFor(timeout);
    await card.getByText('Same device as the referrer', { exact: true }).waitFor(timeout);
    await expect(card.getByText('Flagged', { exact: true }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'referral-review');

    await card.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve this referral' });
    await dialog.getByLabel(/^Reason/).fill('Siblings sharing the family tablet');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await dialog.waitFor({ state: 'hidden', ...timeout });
    // It has left the flagged list, and the decision is on record.
    await card.waitFor({ state: 'detached', ...timeout });
    const reviewed = (await api<{ data: { code: string; status: string; review: { reason: string } | null }[] }>('GET', '/v1/referrals?limit=100')).data.find((row) => row.code === referrer.referralCode)!;
    expect(reviewed).toMatchObject({ status: 'signed_up', review: { reason: 'Siblings sharing the family tablet' } });
  });

  it('8. the login form can be filled in and sent with the keyboard only', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const keyboard = await context.newPage();
    await keyboard.goto(`${trouw.baseUrl}/admin/`);
    await keyboard.getByRole('heading', { name: 'Sign in to Trouw' }).waitFor(timeout);
    // From the top of the page, Tab reaches the e-mail field first, then the password.
    await keyboard.keyboard.press('Tab');
    await expect(keyboard.evaluate(() => (globalThis as unknown as BrowserGlobals).document.activeElement?.getAttribute('autocomplete'))).resolves.toBe('username');
    await keyboard.keyboard.type(trouw.owner.email);
    await keyboard.keyboard.press('Tab');
    await expect(keyboard.evaluate(() => (globalThis as unknown as BrowserGlobals).document.activeElement?.getAttribute('autocomplete'))).resolves.toBe('current-password');
    await keyboard.keyboard.type(trouw.owner.password);
    await keyboard.keyboard.press('Enter');
    await keyboard.getByRole('heading', { name: 'Overview' }).waitFor(timeout);
    await context.close();
  });
});
