/**
 * A day of referrals through the real flow, on every dialect: 1,000 honest referrals and 200 crafted abusive
 * ones. Goal: the honest ones are all rewarded (no signal above the review threshold, at sign-up or at
 * qualification), no honest one is rejected, and at least 95 % of the abusive ones end flagged or rejected.
 *
 * Method: the referral programme is set through its service; every friend enrols with the referrer's code and
 * a client context (IP, device) through `enrolMember`, which records fingerprints and runs the sign-up check;
 * two days later every friend buys for €45 through `recordEvent`, which runs the qualification check and
 * rewards clean referrals at once. Sign-ups come one a minute, honest and abusive interleaved (every sixth is
 * abusive), honest referrers' friends round-robin, so one code sees a friend every few hours.
 *
 * The honest population has the things that trip naive checks: 10 % of friends share their referrer's home IP,
 * 10 % sign up from a few shared campus IPs over the day, Gmail users with dots and +tags who are different
 * people. The abuse: 50 self-referrals by an address variant of the referrer's own (on a fresh device and IP),
 * 50 friends on disposable domains (fresh device and IP), 5 people making 10 accounts each on their own device
 * (fresh IPs), and 10 rings of 5 accounts each referring the next, from one home IP with a fresh device id each.
 *
 * The programme's policy: review above 30, reject above 80 — one circumstantial signal (30) passes, a
 * disposable address (40) is reviewed.
 */
import { expect, it } from 'vitest';
import { enrolMember } from '../../src/services/members.service.js';
import { putReferralProgram } from '../../src/services/referrals/settings.service.js';
import { recordEvent } from '../../src/services/events.service.js';
import type { ClientContext } from '../../src/services/fraud/referral-fraud.js';
import type { MemberView } from '../../src/services/views.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';

type Kind = 'honest' | 'self_referral_email_variant' | 'disposable_domain' | 'one_device_many_accounts' | 'ring_of_5';

interface SignUp {
  kind: Kind;
  email: string;
  context: ClientContext;
  /** The referrer, or (for rings) a function of the accounts made so far. */
  referrer: () => MemberView;
  /** Called with the friend once enrolled (rings: the next account is referred by it). */
  then?: (friend: MemberView) => void;
}

const HONEST_REFERRERS = 200;
const HONEST_PER_REFERRER = 5;
const disposableDomains = ['mailinator.com', 'yopmail.com', 'guerrillamail.com', '10minutemail.com', 'trashmail.com', 'sharklasers.com', 'dispostable.com', 'maildrop.cc', 'getnada.com', 'temp-mail.org'];
const providers = ['gmail.com', 'outlook.com', 'ziggo.nl', 'icloud.com', 'kpnmail.nl', 'proton.me', 'hotmail.com', 'xs4all.nl'];

/** Runs `fn` over the items a few at a time, results in input order. */
async function inBatches<T, R>(items: T[], fn: (item: T) => Promise<R>, size = 4): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

const ipOf = (block: number, n: number) => `10.${block}.${(n >> 8) & 255}.${n & 255}`;

forEachDialect('referral simulation', (db) => {
  it('rewards 1,000 honest referrals and stops at least 95 % of 200 abusive ones', { timeout: 180_000 }, async () => {
    const started = Date.now();
    const { programId } = await givenProgram(db.ctx);
    await putReferralProgram(db.ctx, programId, {
      enabled: true,
      referrerReward: { points: 500 },
      friendReward: { points: 250 },
      qualification: { minOrderTotal: 2000, afterReturnWindow: false },
      validityDays: 30,
      fraud: { reviewAbove: 30, rejectAbove: 80 },
      landingUrl: 'https://koffie.example/welkom',
    });
    let externalId = 0;
    const enrol = (email: string, context: ClientContext, referrer?: MemberView) =>
      enrolMember(db.ctx, programId, { externalId: `c-${++externalId}`, email, context, referralCode: referrer?.referralCode });

    // Referrers: honest ones, the self-referrers, coupon-site posters (disposable friends), device farmers, ring seeds.
    const honestReferrers = await inBatches(Array.from({ length: HONEST_REFERRERS }, (_, r) => r), (r) =>
      enrol(`referrer.${r}@${providers[r % providers.length]}`, { ip: ipOf(1, r), deviceId: `ref-dev-${r}` }),
    );
    const selfReferrers: MemberView[] = [];
    for (let i = 0; i < 50; i++) selfReferrers.push(await enrol(`sam.sloper${i}@gmail.com`, { ip: ipOf(2, i), deviceId: `self-dev-${i}` }));
    const posters: MemberView[] = [];
    for (let i = 0; i < 10; i++) posters.push(await enrol(`deals.poster${i}@outlook.com`, { ip: ipOf(3, i), deviceId: `poster-dev-${i}` }));
    const farmers: MemberView[] = [];
    for (let i = 0; i < 5; i++) farmers.push(await enrol(`farmer${i}@ziggo.nl`, { ip: ipOf(4, i), deviceId: `farm-dev-${i}` }));
    const ringHomes = Array.from({ length: 10 }, (_, i) => ipOf(5, i));
    const ringSeeds: MemberView[] = [];
    for (let i = 0; i < 10; i++) ringSeeds.push(await enrol(`ring.seed${i}@example.nl`, { ip: ringHomes[i] as string, deviceId: `ring-${i}-dev-0` }));

    // The honest sign-ups, round-robin over referrers.
    const honest: SignUp[] = [];
    for (let h = 0; h < HONEST_REFERRERS * HONEST_PER_REFERRER; h++) {
      const r = h % HONEST_REFERRERS;
      const referrer = honestReferrers[r] as MemberView;
      const ip = h % 10 === 0 ? ipOf(1, r) : h % 10 === 1 ? ipOf(9, h % 7) : ipOf(6, h);
      const email = h % 3 === 0 ? `jan.de.vries.${h}+shop@gmail.com` : `friend${h}@${providers[h % providers.length]}`;
      honest.push({ kind: 'honest', email, context: { ip, deviceId: `friend-dev-${h}` }, referrer: () => referrer });
    }

    // The abusive sign-ups, in the order they happen.
    const abusive: SignUp[] = [];
    for (let i = 0; i < 50; i++) {
      const referrer = selfReferrers[i] as MemberView;
      abusive.push({ kind: 'self_referral_email_variant', email: `Sam.Sloper${i}+${i % 2 ? 'ref' : 'x'}@googlemail.com`, context: { ip: ipOf(7, i), deviceId: `self-new-dev-${i}` }, referrer: () => referrer });
    }
    for (let i = 0; i < 50; i++) {
      const referrer = posters[i % posters.length] as MemberView;
      abusive.push({ kind: 'disposable_domain', email: `deal${i}@${disposableDomains[i % disposableDomains.length]}`, context: { ip: ipOf(8, i), deviceId: `throwaway-dev-${i}` }, referrer: () => referrer });
    }
    for (let i = 0; i < 50; i++) {
      const farmer = Math.floor(i / 10);
      const referrer = farmers[farmer] as MemberView;
      abusive.push({ kind: 'one_device_many_accounts', email: `farm${farmer}.acct${i}@outlook.com`, context: { ip: ipOf(10, i), deviceId: `farm-dev-${farmer}` }, referrer: () => referrer });
    }
    for (let ring = 0; ring < 10; ring++) {
      let last = ringSeeds[ring] as MemberView;
      for (let k = 1; k <= 5; k++) {
        abusive.push({
          kind: 'ring_of_5',
          email: `ring${ring}.member${k}@example.nl`,
          context: { ip: ringHomes[ring] as string, deviceId: `ring-${ring}-dev-${k}` },
          referrer: () => last,
          then: (friend) => { last = friend; },
        });
      }
    }
    expect(honest).toHaveLength(1000);
    expect(abusive).toHaveLength(200);

    // Sign-ups, one a minute, every sixth abusive.
    const kindOf = new Map<string, Kind>();
    const friends: MemberView[] = [];
    let h = 0;
    let a = 0;
    for (let slot = 0; slot < 1200; slot++) {
      const signUp = (slot % 6 === 5 ? abusive[a++] : honest[h++]) as SignUp;
      const friend = await enrol(signUp.email, signUp.context, signUp.referrer());
      signUp.then?.(friend);
      kindOf.set(friend.id, signUp.kind);
      friends.push(friend);
      db.clock.current += 60_000;
    }

    // Two days later every friend buys; the qualification check runs, clean referrals are rewarded at once. The
    // purchases are independent of each other (the clock stands still), so they go a few at a time.
    db.clock.advanceDays(2);
    await inBatches([...friends.entries()], ([i, friend]) =>
      recordEvent(db.ctx, programId, { id: `sim-order-${i}`, type: 'purchase', memberId: friend.id, data: { orderId: `sim-${i}`, total: 4500, currency: 'EUR' } }),
    );

    const rows = await db.ctx.storage.db.selectFrom('referrals').select(['friendMemberId', 'status', 'score', 'signals']).where('programId', '=', programId).execute();
    expect(rows).toHaveLength(1200);
    const matrix: Record<Kind, Record<string, number>> = {
      honest: {}, self_referral_email_variant: {}, disposable_domain: {}, one_device_many_accounts: {}, ring_of_5: {},
    };
    const honestNotRewarded: unknown[] = [];
    const abusiveRewarded: unknown[] = [];
    for (const row of rows) {
      const kind = kindOf.get(row.friendMemberId) as Kind;
      matrix[kind][row.status] = (matrix[kind][row.status] ?? 0) + 1;
      if (kind === 'honest' && row.status !== 'rewarded') honestNotRewarded.push(row);
      if (kind !== 'honest' && row.status !== 'flagged' && row.status !== 'rejected') abusiveRewarded.push({ kind, ...row });
    }
    const statuses = ['rewarded', 'flagged', 'rejected'];
    const line = (label: string, counts: Record<string, number>) => `${label.padEnd(28)}${statuses.map((s) => String(counts[s] ?? 0).padStart(10)).join('')}`;
    const abusiveTotals: Record<string, number> = {};
    for (const kind of Object.keys(matrix) as Kind[]) {
      if (kind === 'honest') continue;
      for (const [status, n] of Object.entries(matrix[kind])) abusiveTotals[status] = (abusiveTotals[status] ?? 0) + n;
    }
    console.log([
      `referral simulation [${db.dialect}] in ${((Date.now() - started) / 1000).toFixed(1)} s — confusion matrix (rows: truth, columns: outcome)`,
      `${''.padEnd(28)}${statuses.map((s) => s.padStart(10)).join('')}`,
      line('honest', matrix.honest),
      line('abusive (all)', abusiveTotals),
      ...(Object.keys(matrix) as Kind[]).filter((k) => k !== 'honest').map((k) => line(`  ${k}`, matrix[k])),
    ].join('\n'));

    expect(honestNotRewarded, 'every honest referral is rewarded').toEqual([]);
    expect(matrix.honest.rejected ?? 0).toBe(0);
    const stopped = (abusiveTotals.flagged ?? 0) + (abusiveTotals.rejected ?? 0);
    expect(stopped / 200, JSON.stringify(abusiveRewarded.slice(0, 5))).toBeGreaterThanOrEqual(0.95);
  });
});
