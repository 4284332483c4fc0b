/**
 * A member's token opens that member's data and no one else's: from the portal's own page in Chromium, with
 * member A's token, every portal route answers with A's data only, whatever the request adds to name another
 * member, and B's identifiers and balance never appear. A token whose subject was swapped for B's is refused.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from './support/browser.js';
import { startTrouw, type RunningTrouw } from './support/trouw-server.js';

const executablePath = chromiumPath();

interface AdminMember {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  referralCode: string | null;
  balance: { available: number; pending: number };
}

interface Answer {
  status: number;
  text: string;
}

describe.skipIf(!executablePath)("a member token reads only its own member's data", () => {
  let trouw: RunningTrouw;
  let browser: Browser;
  let page: Page;
  let a: AdminMember;
  let b: AdminMember;
  let tokenA: string;

  const member = async (externalId: string) => {
    const response = await fetch(`${trouw.baseUrl}/v1/members?externalId=${externalId}`, { headers: { authorization: `Bearer ${trouw.demo.apiKey}` } });
    return ((await response.json()) as { data: AdminMember[] }).data[0]!;
  };

  /** A request from the portal page itself, as the page's own script would make it. */
  const fromPage = (method: string, path: string, token: string, body?: unknown): Promise<Answer> =>
    page.evaluate(
      async ({ method, path, token, body }) => {
        const response = await fetch(path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, text: await response.text() };
      },
      { method, path, token, body },
    );

  beforeAll(async () => {
    trouw = await startTrouw();
    browser = await launchChromium(executablePath as string);
    // The demo's balances follow the calendar; A gets enough to redeem whatever the date, as support would give it.
    const first = await member('demo-customer-1');
    const topUp = await fetch(`${trouw.baseUrl}/v1/members/${first.id}/adjustments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${trouw.demo.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ points: 2_000, reason: 'e2e: enough to redeem' }),
    });
    expect(topUp.status).toBe(201);
    [a, b] = await Promise.all([member('demo-customer-1'), member('demo-customer-2')]);
    tokenA = await trouw.memberToken(a.externalId);
    page = await browser.newPage();
    await page.goto(`${trouw.baseUrl}/p/${trouw.portal.slug}`);
  });

  afterAll(async () => {
    await browser?.close();
    await trouw?.stop();
  });

  /** Everything that would give member B away. */
  const traces = () => [b.id, b.externalId, b.email, b.name, b.referralCode].filter((value): value is string => Boolean(value));

  it("every portal route answers with A's data, and nothing of B's", async () => {
    // The members differ where it matters, so a leak would show.
    expect(b.balance.available).not.toBe(a.balance.available);
    const base = `/v1/portal/${trouw.portal.slug}`;
    // Each read, plain and with parameters that try to name B (ignored or refused, never obeyed).
    const reads = ['me', 'rewards', 'history', 'referrals', 'consents', 'export'].flatMap((route) => [
      `${base}/${route}`,
      `${base}/${route}?externalId=${b.externalId}`,
      `${base}/${route}?memberId=${b.id}`,
    ]);
    for (const path of reads) {
      const answer = await fromPage('GET', path, tokenA);
      expect([200, 400], path).toContain(answer.status);
      for (const trace of traces()) expect(answer.text, `${path} leaks ${trace}`).not.toContain(trace);
    }

    const me = JSON.parse((await fromPage('GET', `${base}/me`, tokenA)).text) as { externalId: string; referralCode: string; balance: { available: number; pending: number } };
    expect(me.externalId).toBe(a.externalId);
    expect(me.referralCode).toBe(a.referralCode);
    expect(me.balance).toMatchObject(a.balance);
    expect(me.balance.available).not.toBe(b.balance.available);

    const exported = (await fromPage('GET', `${base}/export`, tokenA)).text;
    expect(exported).toContain(a.externalId);
  });

  it("writes with A's token change A only", async () => {
    const base = `/v1/portal/${trouw.portal.slug}`;
    const tokenB = await trouw.memberToken(b.externalId);
    const consentsOfB = (await fromPage('GET', `${base}/consents`, tokenB)).text;
    const current = JSON.parse((await fromPage('GET', `${base}/consents`, tokenA)).text) as Record<string, boolean>;
    // The opposite of what A has, for every purpose, so the change is visible wherever it lands.
    const consents = { marketingEmail: !current.marketingEmail, marketingSms: !current.marketingSms, personalisedOffers: !current.personalisedOffers };
    const answer = await fromPage('PUT', `${base}/consents?externalId=${b.externalId}`, tokenA, consents);
    expect([200, 400]).toContain(answer.status);
    for (const trace of traces()) expect(answer.text).not.toContain(trace);
    if (answer.status === 200) expect(JSON.parse(answer.text)).toMatchObject(consents);
    // B's own view of their consents is untouched.
    expect((await fromPage('GET', `${base}/consents`, tokenB)).text).toBe(consentsOfB);
    // A redemption with A's token spends A's points.
    const rewards = JSON.parse((await fromPage('GET', `${base}/rewards`, tokenA)).text) as { data: { id: string; pointsCost: number; affordable: boolean }[] };
    const affordable = rewards.data.find((reward) => reward.affordable)!;
    const redeemed = await fromPage('POST', `${base}/redemptions?externalId=${b.externalId}`, tokenA, { rewardId: affordable.id });
    expect(redeemed.status).toBe(201);
    for (const trace of traces()) expect(redeemed.text).not.toContain(trace);
    expect((await member(a.externalId)).balance.available).toBe(a.balance.available - affordable.pointsCost);
    // And B's balance did not move.
    expect((await member(b.externalId)).balance).toEqual(b.balance);
  });

  it("a token whose subject was changed to B's is refused", async () => {
    const [header, payload, signature] = tokenA.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, sub: b.externalId })).toString('base64url'), signature].join('.');
    const answer = await fromPage('GET', `/v1/portal/${trouw.portal.slug}/me`, forged);
    expect(answer.status).toBe(401);
    expect((JSON.parse(answer.text) as { code: string }).code).toBe('portal_token_invalid');
    for (const trace of traces()) expect(answer.text).not.toContain(trace);
  });
});
