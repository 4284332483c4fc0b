/**
 * Accessibility of the main pages, checked by axe-core (the engine behind Lighthouse's accessibility audit) in
 * Chromium against a real `trouw serve --demo`: every page of the dashboard an owner reaches from the menu, a
 * member's page, and the member portal on a desktop and a phone, against the WCAG 2.1 A and AA rules (names
 * and labels, contrast, structure, ARIA use). Each page must have no violations; a failure lists them by rule
 * and element so they can be fixed.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from './support/browser.js';
import { startTrouw, type RunningTrouw } from './support/trouw-server.js';

const executablePath = chromiumPath();
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const timeout = { timeout: 15_000 };

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe in the page and returns its WCAG 2.1 A/AA violations, one line each. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run({ exclude: [] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations;
  });
  return found.flatMap((v) =>
    v.nodes.map((node) => `${v.id} (${v.impact ?? '?'}): ${v.help} — ${node.target.join(' ')}: ${(node.failureSummary ?? '').replace(/\s+/g, ' ')}`),
  );
}

describe.skipIf(!executablePath)('accessibility of the dashboard and the portal (axe-core, WCAG 2.1 AA)', () => {
  let trouw: RunningTrouw;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    trouw = await startTrouw();
    browser = await launchChromium(executablePath as string);
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    await givenStatesToShow();
    await page.goto(`${trouw.baseUrl}/admin/`);
    await page.getByLabel('E-mail address').fill(trouw.owner.email);
    await page.getByRole('textbox', { name: 'Password' }).fill(trouw.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main menu' }).waitFor(timeout);
  });

  /** What the demo lacks but the pages colour by status: a flagged referral, a held award, a bulk operation with a failed line. */
  async function givenStatesToShow() {
    const api = async (method: string, url: string, body: unknown) => {
      const response = await fetch(`${trouw.baseUrl}${url}`, { method, headers: { authorization: `Bearer ${trouw.demo.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    };
    await api('PUT', '/v1/referral-program', {
      enabled: true, referrerReward: { points: 500 }, friendReward: { points: 250 }, qualification: { minOrderTotal: 2000, afterReturnWindow: false },
      validityDays: 30, fraud: { reviewAbove: 40, rejectAbove: 80 }, landingUrl: 'https://koffie.example/welkom',
    });
    const device = { deviceId: 'a11y-shared-tablet', ip: '198.51.100.7' };
    const referrer = await api('POST', '/v1/members', { externalId: 'a11y-referrer', email: 'referrer.a11y@example.nl', context: device });
    await api('POST', '/v1/members', { externalId: 'a11y-friend', email: 'friend.a11y@example.nl', referralCode: referrer.referralCode, context: { ...device, ip: '203.0.113.77' } });
    await api('PATCH', '/v1/program', { maxPointsPerDay: 10 });
    await api('POST', '/v1/events', { id: 'a11y-big-purchase', type: 'purchase', externalId: 'a11y-referrer', data: { orderId: 'a11y-1', total: 50_000, currency: 'EUR' } });
    await api('POST', '/v1/bulk-operations/points-adjustment', { reason: 'a11y', items: [{ externalId: 'a11y-referrer', points: 5 }, { externalId: 'nobody', points: 5 }] });
  }

  afterAll(async () => {
    await browser?.close();
    await trouw?.stop();
  });

  const menuPages = [
    ['Overview', 'Overview'],
    ['Members', 'Members'],
    ['Bulk operations', 'Bulk operations'],
    ['Referral review', 'Referral review'],
    ['Referral programme', 'Referral programme'],
    ['Held awards', 'Held awards'],
    ['Rewards', 'Rewards'],
    ['Earn rules', 'Earn rules'],
    ['Tiers', 'Tiers'],
    ['Webhooks', 'Webhooks'],
    ['Team', 'Team'],
    ['API keys', 'API keys'],
    ['Settings', 'Programme settings'],
    ['Member portal', 'Member portal'],
    ['Audit log', 'Audit log'],
  ] as const;

  /** Pages checked with a state coloured by status on them, not only their empty or default look. */
  const shows: Partial<Record<(typeof menuPages)[number][0], string>> = { 'Referral review': 'Flagged', 'Held awards': 'Held', 'Bulk operations': 'Completed' };

  it.each(menuPages)('the %s page', async (link, heading) => {
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { name: heading, level: 2 }).first().waitFor(timeout);
    const state = shows[link];
    if (state) await page.getByText(state, { exact: true }).first().waitFor(timeout);
    await page.waitForLoadState('networkidle');
    expect(await violations(page)).toEqual([]);
  });

  it("a member's page", async () => {
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByLabel('Search for').fill('demo-customer-2');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: 'demo-customer-2', exact: true }).click();
    await page.getByRole('tabpanel').waitFor(timeout);
    await page.waitForLoadState('networkidle');
    expect(await violations(page)).toEqual([]);
  });

  it.each([
    ['on a desktop', { width: 1280, height: 900 }],
    ['on a phone', { width: 375, height: 812 }],
  ] as const)('the member portal %s', async (_name, viewport) => {
    const context = await browser.newContext({ locale: 'nl-NL', viewport });
    const portal = await context.newPage();
    await portal.goto(`${trouw.baseUrl}/p/${trouw.portal.slug}#token=${trouw.portal.token}`);
    await portal.getByRole('heading', { level: 1 }).waitFor(timeout);
    await portal.waitForLoadState('networkidle');
    expect(await violations(portal)).toEqual([]);
    await context.close();
  });
});
