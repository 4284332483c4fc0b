/**
 * The referral routes through `app.inject()`, on every dialect: settings with validation (pointer, nothing
 * written), scopes, vanity codes, listing, the referrer's view, stats on a crafted data set, and programme
 * isolation (another programme's referral or member is a 404).
 */
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/api-keys.service.js';
import { recordEvent } from '../../src/services/events.service.js';
import { enrolMember } from '../../src/services/members.service.js';
import { recordClick } from '../../src/services/referrals/clicks.service.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReferralProgram, givenReward, uniqueId } from '../support/factories.js';

const settings = {
  enabled: true,
  referrerReward: { points: 500 },
  friendReward: { points: 250 },
  qualification: { minOrderTotal: 2_000, afterReturnWindow: false },
  validityDays: 30,
  landingUrl: 'https://shop.example/join?lang=nl',
};

forEachDialect('referrals api', (db) => {
  const api = useApi(db);
  const put = (key: string, url: string, payload: unknown) =>
    api.request({ method: 'PUT', url, headers: { authorization: `Bearer ${key}` }, payload: payload as object });

  async function storedSettingsCount(programId: string): Promise<number> {
    return (await db.ctx.storage.db.selectFrom('referralPrograms').select('programId').where('programId', '=', programId).execute()).length;
  }

  describe('PUT/GET /v1/referral-program', () => {
    it('stores the settings with defaults and shows them', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId);
      const response = await put(apiKey, '/v1/referral-program', {
        ...settings,
        friendReward: { rewardId: reward.id },
        ladder: [{ from: 1, points: 500 }, { from: 5, points: 750 }],
        caps: { perReferrer: { count: 10, period: 'month' } },
        messages: { nl: 'Doe mee: {link}' },
      });
      expect(response.statusCode, response.body).toBe(200);
      const got = await api.as(apiKey).get('/v1/referral-program');
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({
        enabled: true,
        friendReward: { rewardId: reward.id },
        fraud: { reviewAbove: 30, rejectAbove: 80 },
        ladder: [{ from: 1, points: 500 }, { from: 5, points: 750 }],
        caps: { perReferrer: { count: 10, period: 'month' } },
        messages: { nl: 'Doe mee: {link}' },
        landingUrl: 'https://shop.example/join?lang=nl',
      });
    });

    it('is 404 before it is set up', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      expectProblem(await api.as(apiKey).get('/v1/referral-program'), 404, 'referral_not_found');
    });

    const invalid: [string, Record<string, unknown>, number, string, string][] = [
      ['an unknown reward', { referrerReward: { rewardId: 'rwd_nope' } }, 404, 'reward_not_found', '/referrerReward/rewardId'],
      ['a landing page that is not http(s)', { landingUrl: 'javascript:alert(1)' }, 400, 'validation_failed', '/landingUrl'],
      ['a ladder out of order', { ladder: [{ from: 5, points: 750 }, { from: 2, points: 500 }] }, 400, 'validation_failed', '/ladder/1/from'],
      ['thresholds in the wrong order', { fraud: { reviewAbove: 80, rejectAbove: 40 } }, 400, 'validation_failed', '/fraud/rejectAbove'],
      ['zero validity', { validityDays: 0 }, 400, 'validation_failed', '/validityDays'],
      ['a message in an unknown locale', { messages: { de: 'Hallo' } }, 400, 'validation_failed', '/messages/de'],
    ];
    for (const [what, change, status, code, pointer] of invalid) {
      it(`refuses ${what} naming the field, and writes nothing`, async () => {
        const { programId, apiKey } = await givenProgram(db.ctx);
        const response = await put(apiKey, '/v1/referral-program', { ...settings, ...change });
        const problem = expectProblem(response, status, code);
        expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
        expect(await storedSettingsCount(programId)).toBe(0);
      });
    }

    it('refuses a reward that cannot be given (inactive, outside its window, out of stock) with 422 naming the side, and writes nothing', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const gift = await givenReward(db.ctx, programId, { audience: 'referral', active: false });
      const sold = await givenReward(db.ctx, programId, { audience: 'referral', stock: 0 });
      const response = await put(apiKey, '/v1/referral-program', { ...settings, friendReward: { rewardId: gift.id }, referrerReward: { rewardId: sold.id } });
      const problem = expectProblem(response, 422, 'reward_not_issuable');
      expect(problem.errors).toEqual([
        { pointer: '/referrerReward/rewardId', detail: `The reward ${sold.id} cannot be given: the reward is out of stock.` },
        { pointer: '/friendReward/rewardId', detail: `The reward ${gift.id} cannot be given: the reward is inactive.` },
      ]);
      expect(await storedSettingsCount(programId)).toBe(0);
      await api.as(apiKey).patch(`/v1/rewards/${gift.id}`, { active: true });
      await api.as(apiKey).patch(`/v1/rewards/${sold.id}`, { stock: 10 });
      expect((await put(apiKey, '/v1/referral-program', { ...settings, friendReward: { rewardId: gift.id }, referrerReward: { rewardId: sold.id } })).statusCode).toBe(200);
    });

    it('needs referrals:write to change and referrals:read to read', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reader = await createApiKey(db.ctx, programId, 'reader', ['referrals:read']);
      expectProblem(await put(reader, '/v1/referral-program', settings), 403, 'insufficient_scope');
      const other = await createApiKey(db.ctx, programId, 'members', ['members:read']);
      expectProblem(await api.as(other).get('/v1/referral-program'), 403, 'insufficient_scope');
      expectProblem(await api.request({ method: 'GET', url: '/v1/referral-program' }), 401, 'unauthenticated');
      expect(await storedSettingsCount(programId)).toBe(0);
    });
  });

  describe('PUT /v1/members/{id}/referral-code', () => {
    it('sets a vanity code once, upper-cased; enrolment then accepts it', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const response = await put(apiKey, `/v1/members/${member.id}/referral-code`, { code: 'koffie26' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ memberId: member.id, referralCode: 'KOFFIE26' });
      const friend = await enrolMember(db.ctx, programId, { externalId: 'f', referralCode: 'Koffie26' });
      expect(friend.referredBy).toBe(member.id);
      expectProblem(await put(apiKey, `/v1/members/${member.id}/referral-code`, { code: 'THEE2026' }), 409, 'referral_code_already_customised');
      const row = await db.ctx.storage.db.selectFrom('members').select('referralCode').where('id', '=', member.id).executeTakeFirstOrThrow();
      expect(row.referralCode).toBe('KOFFIE26');
    });

    const refused: [string, string][] = [
      ['profanity', 'FUCKSALE'],
      ['profanity in leetspeak', 'SH1TDEAL'],
      ['Dutch profanity', 'KUTSHOP'],
      ['too short', 'ABC'],
      ['not letters and digits', 'ANNA-25'],
    ];
    for (const [what, code] of refused) {
      it(`refuses ${what} (${code}) and keeps the old code`, async () => {
        const { programId, apiKey } = await givenProgram(db.ctx);
        const member = await givenMember(db.ctx, programId);
        expectProblem(await put(apiKey, `/v1/members/${member.id}/referral-code`, { code }), 422, 'referral_code_refused', '/code');
        const row = await db.ctx.storage.db.selectFrom('members').select(['referralCode', 'referralCodeCustomisedAt']).where('id', '=', member.id).executeTakeFirstOrThrow();
        expect(row).toEqual({ referralCode: member.referralCode, referralCodeCustomisedAt: null });
      });
    }

    it("refuses another member's code (taken) and a look-alike of it (refused)", async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const anna = await givenMember(db.ctx, programId);
      const other = await givenMember(db.ctx, programId);
      expect((await put(apiKey, `/v1/members/${anna.id}/referral-code`, { code: 'BOB2025' })).statusCode).toBe(200);
      expectProblem(await put(apiKey, `/v1/members/${other.id}/referral-code`, { code: 'bob2025' }), 409, 'referral_code_taken', '/code');
      for (const lookalike of ['B0B2025', '8OB2O25', 'BOBZOZ5']) {
        expectProblem(await put(apiKey, `/v1/members/${other.id}/referral-code`, { code: lookalike }), 422, 'referral_code_refused', '/code');
      }
      expect((await put(apiKey, `/v1/members/${other.id}/referral-code`, { code: 'BOB2026' })).statusCode).toBe(200);
    });

    it("is 404 for another programme's member", async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const { programId: otherProgram } = await givenProgram(db.ctx);
      const stranger = await givenMember(db.ctx, otherProgram);
      expectProblem(await put(apiKey, `/v1/members/${stranger.id}/referral-code`, { code: 'HELLO123' }), 404, 'member_not_found');
    });
  });

  describe('GET /v1/referrals, /v1/referrals/{id}, /v1/members/{id}/referrals', () => {
    it('lists with filters and pages, gets one, and shows the referrer view with share URLs', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const referrer = await givenMember(db.ctx, programId);
      const friends = [];
      for (let i = 0; i < 3; i++) friends.push(await enrolMember(db.ctx, programId, { externalId: uniqueId('f'), referralCode: referrer.referralCode }));
      await givenPurchase(db.ctx, programId, friends[0]?.id as string, 2_500);
      const client = api.as(apiKey);
      const all = await client.get(`/v1/referrals?referrerId=${referrer.id}&limit=2`);
      expect(all.statusCode, all.body).toBe(200);
      const page = all.json<{ data: { id: string; status: string }[]; nextCursor: string | null }>();
      expect(page.data).toHaveLength(2);
      const next = await client.get(`/v1/referrals?referrerId=${referrer.id}&limit=2&cursor=${encodeURIComponent(page.nextCursor as string)}`);
      expect(next.json<{ data: unknown[] }>().data).toHaveLength(1);
      const rewarded = await client.get('/v1/referrals?status=rewarded');
      const rewardedList = rewarded.json<{ data: { id: string; friendId: string }[] }>().data;
      expect(rewardedList.map((r) => r.friendId)).toEqual([friends[0]?.id]);
      const one = await client.get(`/v1/referrals/${rewardedList[0]?.id}`);
      expect(one.json()).toMatchObject({ status: 'rewarded', referrerReward: { points: 500 }, friendReward: { points: 250 } });
      expectProblem(await client.get('/v1/referrals?status=lost'), 400, 'validation_failed');

      const view = await client.get(`/v1/members/${referrer.id}/referrals`);
      expect(view.statusCode, view.body).toBe(200);
      const body = view.json<{ friends: unknown[]; share: { link: string; urls: { whatsapp: string } } }>();
      expect(body.friends).toHaveLength(3);
      expect(body.share.link).toBe(`http://localhost:80/r/${programId}/${referrer.referralCode}`);
      expect(body.share.urls.whatsapp.startsWith('https://wa.me/?text=')).toBe(true);
    });

    it("another programme's referral and member are 404", async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const referrer = await givenMember(db.ctx, programId);
      await enrolMember(db.ctx, programId, { externalId: 'f', referralCode: referrer.referralCode });
      const [referral] = await db.ctx.storage.db.selectFrom('referrals').select('id').where('programId', '=', programId).execute();
      const { apiKey: otherKey } = await givenProgram(db.ctx);
      const other = api.as(otherKey);
      expectProblem(await other.get(`/v1/referrals/${referral?.id}`), 404, 'referral_not_found');
      expectProblem(await other.get(`/v1/members/${referrer.id}/referrals`), 404, 'member_not_found');
      expect((await other.get('/v1/referrals')).json<{ data: unknown[] }>().data).toEqual([]);
    });
  });

  describe('GET /v1/referral-program/stats', () => {
    it('counts the funnel, revenue, cost, share of new members, K and top referrers on a crafted data set', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      // Before the period: 4 members.
      db.clock.set('2026-02-20T12:00:00Z');
      const ann = await givenMember(db.ctx, programId);
      const bob = await givenMember(db.ctx, programId);
      await givenMember(db.ctx, programId);
      await givenMember(db.ctx, programId);
      // In the period (March): 10 clicks, 4 referred sign-ups, 1 plain sign-up; 3 qualify and are rewarded,
      // one of them is refunded (reversed); one friend's order is below the minimum.
      db.clock.set('2026-03-10T12:00:00Z');
      for (let i = 0; i < 6; i++) await recordClick(db.ctx, { programId, code: ann.referralCode, ip: `10.0.0.${i}`, userAgent: 'test', query: {} });
      for (let i = 0; i < 4; i++) await recordClick(db.ctx, { programId, code: bob.referralCode, ip: `10.0.1.${i}`, userAgent: 'test', query: { utm_source: 'mail' } });
      const f1 = await enrolMember(db.ctx, programId, { externalId: 'f1', referralCode: ann.referralCode });
      const f2 = await enrolMember(db.ctx, programId, { externalId: 'f2', referralCode: ann.referralCode });
      const f3 = await enrolMember(db.ctx, programId, { externalId: 'f3', referralCode: bob.referralCode });
      const f4 = await enrolMember(db.ctx, programId, { externalId: 'f4', referralCode: bob.referralCode });
      await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, f1.id, 3_000);
      await givenPurchase(db.ctx, programId, f2.id, 2_000);
      const refunded = await givenPurchase(db.ctx, programId, f3.id, 4_000);
      await givenPurchase(db.ctx, programId, f4.id, 1_000);
      await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: f3.id, data: { orderId: refunded.response.event.data.orderId } });
      // After the period: not counted.
      db.clock.set('2026-04-05T12:00:00Z');
      await enrolMember(db.ctx, programId, { externalId: 'f5', referralCode: ann.referralCode });

      const response = await api.as(apiKey).get('/v1/referral-program/stats?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z');
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-04-01T00:00:00.000Z',
        currency: 'EUR',
        clicks: 10,
        signUps: 4,
        qualified: 3,
        rewarded: 3,
        flagged: 0,
        rejected: 0,
        expired: 0,
        reversed: 1,
        conversion: { clickToSignup: 0.4, signupToQualified: 0.75, qualifiedToRewarded: 1, signupToRewarded: 0.75 },
        revenueOfReferredFriends: 3_000 + 2_000 + 0 + 1_000,
        cost: { points: 3 * 750, coupons: 0, reversedPoints: 750 },
        newMembers: { total: 5, byReferral: 4, share: 0.8 },
        viral: { k: 1, invitesPerMember: 2.5, inviteConversion: 0.4, membersAtStart: 4 },
        topReferrers: [{ memberId: ann.id, rewarded: 2, signUps: 2 }, { memberId: bob.id, rewarded: 1, signUps: 2 }],
      });
      expectProblem(await api.as(apiKey).get('/v1/referral-program/stats?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z'), 400, 'validation_failed', '/to');
    });
  });
});
