/**
 * The review queues over HTTP (`POST /v1/referrals/{id}/approve|reject`, `POST /v1/referrals/{id}/retry-reward`),
 * on every dialect. Flagged referrals
 * are made by the real referral flow: the referral programme set through its service, the friend's sign-up
 * started by the lifecycle's `startReferral` from the referrer's own device (the fraud check flags it), the
 * qualifying purchase recorded as an event. Error cases check status, media type, code and pointer, and that
 * nothing was written: the referral row, the outbox and the ledger are compared before and after.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import { recordFingerprints } from '../../src/services/fraud/referral-fraud.js';
import type { ReferralView } from '../../src/services/referrals/views.js';
import { enrolMember, getBalance } from '../../src/services/members.service.js';
import { loadReferralProgram, startReferral } from '../../src/services/referrals/lifecycle.js';
import { putReferralProgram } from '../../src/services/referrals/settings.service.js';
import { findProgram } from '../../src/storage/repositories/programs.repository.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReferralProgram, givenReward, uniqueId } from '../support/factories.js';

const SHARED_DEVICE = { deviceId: 'dev-shared-tablet', ip: '203.0.113.50' };
const REFERRER_CONTEXT = { deviceId: SHARED_DEVICE.deviceId, ip: '198.51.100.4' };

async function referralProgramOn(ctx: ServiceContext, programId: string) {
  await putReferralProgram(ctx, programId, {
    enabled: true,
    referrerReward: { points: 500 },
    friendReward: { points: 250 },
    qualification: { minOrderTotal: 2000, afterReturnWindow: false },
    validityDays: 30,
    fraud: { reviewAbove: 40, rejectAbove: 80 },
    landingUrl: 'https://koffie.example/welkom',
  });
}

/** A friend signed up on the referrer's code from the referrer's own device: the fraud check flags it (70). */
async function flaggedReferral(ctx: ServiceContext, programId: string) {
  const referrer = await givenMember(ctx, programId, { email: 'anna@example.nl' });
  const friend = await givenMember(ctx, programId, { email: 'bram@example.nl' });
  const row = await inTransaction(ctx.storage, async (trx) => {
    const now = ctx.clock.now();
    await recordFingerprints(ctx, trx, programId, referrer.id, REFERRER_CONTEXT, now);
    const program = await findProgram(trx, programId);
    const referralProgram = await loadReferralProgram(trx, programId);
    if (!program || !referralProgram) throw new Error('no referral programme');
    return startReferral(ctx, trx, program, referralProgram, { referrerMemberId: referrer.id, friendMemberId: friend.id, code: referrer.referralCode, context: SHARED_DEVICE }, now);
  });
  expect(row.status).toBe('flagged');
  return { referrer, friend, referralId: row.id };
}

/** What a refused review must leave untouched: the referral, the outbox and the ledger. */
async function written(db: TestDatabase, referralId: string) {
  const storage = db.ctx.storage.db;
  const count = async (table: 'outboxMessages' | 'ledgerEntries' | 'ledgerTransactions') =>
    Number((await storage.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst())?.n ?? 0);
  return {
    referral: await storage.selectFrom('referrals').selectAll().where('id', '=', referralId).executeTakeFirst(),
    outbox: await count('outboxMessages'),
    entries: await count('ledgerEntries'),
    transactions: await count('ledgerTransactions'),
  };
}

async function outboxOf(db: TestDatabase, type: string) {
  const rows = await db.ctx.storage.db.selectFrom('outboxMessages').selectAll().where('type', '=', type).orderBy('id').execute();
  return rows.map((row) => JSON.parse(row.data) as Record<string, unknown>);
}

forEachDialect('referral reviews api', (db) => {
  const api = useApi(db);

  async function setup() {
    const { programId, apiKey } = await givenProgram(db.ctx);
    await referralProgramOn(db.ctx, programId);
    const flagged = await flaggedReferral(db.ctx, programId);
    return { programId, apiKey, client: api.as(apiKey), ...flagged };
  }

  describe('POST /v1/referrals/{id}/approve', () => {
    it('puts a referral flagged at sign-up back on track, with the review recorded', async () => {
      const { client, referralId } = await setup();
      const response = await client.post(`/v1/referrals/${referralId}/approve`, { reason: '  Siblings sharing the family tablet  ' });
      expect(response.statusCode, response.body).toBe(200);
      const referral = response.json<ReferralView>();
      expect(referral).toMatchObject({
        id: referralId,
        status: 'signed_up',
        review: { action: 'approve', reason: 'Siblings sharing the family tablet', at: '2026-03-15T12:00:00.000Z' },
        score: 70,
        signals: [{ signal: 'same_device_as_referrer', weight: 70, stage: 'signup' }],
      });
      expect(JSON.stringify(referral)).not.toContain(SHARED_DEVICE.deviceId);
      expect(JSON.stringify(referral)).not.toContain(SHARED_DEVICE.ip);
      const stored = await db.ctx.storage.db.selectFrom('referrals').select(['status', 'review']).where('id', '=', referralId).executeTakeFirstOrThrow();
      expect(stored.status).toBe('signed_up');
      expect(JSON.parse(stored.review ?? 'null')).toEqual(referral.review);
    });

    it('rewards both sides when a referral flagged at qualification is approved, and the messages carry the review', async () => {
      const { client, referralId, referrer, friend, programId } = await setup();
      expect((await client.post(`/v1/referrals/${referralId}/approve`, { reason: 'siblings' })).statusCode).toBe(200);
      db.clock.advanceDays(2);
      await givenPurchase(db.ctx, programId, friend.id, 4500);
      const again = await db.ctx.storage.db.selectFrom('referrals').selectAll().where('id', '=', referralId).executeTakeFirstOrThrow();
      expect(again.status).toBe('flagged');
      const before = { referrer: await getBalance(db.ctx, programId, referrer.id), friend: await getBalance(db.ctx, programId, friend.id) };

      const response = await client.post(`/v1/referrals/${referralId}/approve`, { reason: 'checked the order: real customer' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<ReferralView>()).toMatchObject({
        status: 'rewarded',
        review: { action: 'approve', reason: 'checked the order: real customer', at: '2026-03-17T12:00:00.000Z' },
        referrerReward: { points: 500 },
        friendReward: { points: 250 },
      });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(before.referrer.available + 500);
      expect((await getBalance(db.ctx, programId, friend.id)).available).toBe(before.friend.available + 250);
      const rewarded = await outboxOf(db, 'referral.rewarded');
      expect(rewarded).toHaveLength(1);
      expect(rewarded[0]).toMatchObject({ id: referralId, review: { action: 'approve', reason: 'checked the order: real customer' } });
    });

    it('refuses a second approval: 409 referral_not_reviewable, nothing written', async () => {
      const { client, referralId } = await setup();
      expect((await client.post(`/v1/referrals/${referralId}/approve`, { reason: 'ok' })).statusCode).toBe(200);
      const before = await written(db, referralId);
      const problem = expectProblem(await client.post(`/v1/referrals/${referralId}/approve`, { reason: 'again' }), 409, 'referral_not_reviewable');
      expect(problem.detail).toMatch(/signed_up/);
      expect(await written(db, referralId)).toEqual(before);
    });
  });

  describe('POST /v1/referrals/{id}/reject', () => {
    it('rejects a flagged referral with the reason, recorded on it and in referral.rejected', async () => {
      const { client, referralId, referrer, friend, programId } = await setup();
      const response = await client.post(`/v1/referrals/${referralId}/reject`, { reason: 'Same person, second account' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<ReferralView>()).toMatchObject({
        status: 'rejected',
        reason: 'Same person, second account',
        review: { action: 'reject', reason: 'Same person, second account', at: '2026-03-15T12:00:00.000Z' },
        endedAt: '2026-03-15T12:00:00.000Z',
      });
      const rejected = await outboxOf(db, 'referral.rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ id: referralId, status: 'rejected', review: { action: 'reject', reason: 'Same person, second account' } });
      // A rejected referral stays rejected: the friend's purchase does not qualify it.
      await givenPurchase(db.ctx, programId, friend.id, 4500);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expectProblem(await client.post(`/v1/referrals/${referralId}/approve`, { reason: 'changed my mind' }), 409, 'referral_not_reviewable');
    });
  });

  describe('POST /v1/referrals/{id}/retry-reward', () => {
    /** A referral whose friend reward was switched off after the programme was saved: the payout failed. */
    async function failedPayout() {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const client = api.as(apiKey);
      const gift = await givenReward(db.ctx, programId, { name: 'Welcome gift', audience: 'referral', stock: 3 });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: gift.id } });
      expect((await client.patch(`/v1/rewards/${gift.id}`, { active: false })).statusCode).toBe(200);
      const referrer = await givenMember(db.ctx, programId);
      const friend = await enrolMember(db.ctx, programId, { externalId: uniqueId('friend'), referralCode: referrer.referralCode });
      await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const queue = (await client.get('/v1/referrals?status=reward_failed')).json<{ data: ReferralView[] }>().data;
      expect(queue).toHaveLength(1);
      const referral = queue[0] as ReferralView;
      expect(referral).toMatchObject({ status: 'reward_failed', payoutFailure: { sides: [{ side: 'friend', rewardId: gift.id, reason: 'reward_inactive' }] } });
      return { programId, apiKey, client, gift, referrer, friend, referralId: referral.id };
    }

    it('pays the referral once the reward is fixed, and answers a repeat with the same referral', async () => {
      const { client, gift, referrer, friend, referralId, programId } = await failedPayout();
      expect((await client.patch(`/v1/rewards/${gift.id}`, { active: true })).statusCode).toBe(200);
      const response = await client.post(`/v1/referrals/${referralId}/retry-reward`);
      expect(response.statusCode, response.body).toBe(200);
      const paid = response.json<ReferralView>();
      expect(paid).toMatchObject({ id: referralId, status: 'rewarded', reason: null, payoutFailure: null, referrerReward: { points: 500 }, friendReward: { rewardId: gift.id } });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      const coupon = await db.ctx.storage.db.selectFrom('coupons').selectAll().where('code', '=', (paid.friendReward as { couponCode: string }).couponCode).executeTakeFirst();
      expect(coupon).toMatchObject({ memberId: friend.id, status: 'active', referralId });
      expect((await client.get(`/v1/rewards/${gift.id}`)).json()).toMatchObject({ stock: 2, redeemedCount: 1 });

      const before = await written(db, referralId);
      const again = await client.post(`/v1/referrals/${referralId}/retry-reward`);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(paid);
      expect(await written(db, referralId)).toEqual(before);
    });

    it('answers 422 reward_not_issuable with the reason while the reward still cannot be given, nothing written', async () => {
      const { client, gift, referralId } = await failedPayout();
      expect((await client.patch(`/v1/rewards/${gift.id}`, { active: true, stock: 0 })).statusCode).toBe(200);
      const before = await written(db, referralId);
      const problem = expectProblem(await client.post(`/v1/referrals/${referralId}/retry-reward`), 422, 'reward_not_issuable');
      expect(problem.detail).toBe(`The friend's reward ${gift.id} cannot be given: the reward is out of stock.`);
      expect(await written(db, referralId)).toEqual(before);
    });

    it('answers 409 for a referral whose payout did not fail, 404 for another programme, nothing written', async () => {
      const { client, referralId } = await setup();
      const before = await written(db, referralId);
      const problem = expectProblem(await client.post(`/v1/referrals/${referralId}/retry-reward`), 409, 'referral_not_retryable');
      expect(problem.detail).toMatch(/flagged/);
      const other = await givenProgram(db.ctx);
      expectProblem(await api.as(other.apiKey).post(`/v1/referrals/${referralId}/retry-reward`), 404, 'referral_not_found');
      expectProblem(await api.as(other.apiKey).post('/v1/referrals/rfl_unknown/retry-reward'), 404, 'referral_not_found');
      expect(await written(db, referralId)).toEqual(before);
    });

    it('needs referrals:review: 401 without a key, 403 with referrals:read or referrals:write, nothing written', async () => {
      const { programId, gift, client, referralId } = await failedPayout();
      expect((await client.patch(`/v1/rewards/${gift.id}`, { active: true })).statusCode).toBe(200);
      const before = await written(db, referralId);
      expectProblem(await api.request({ method: 'POST', url: `/v1/referrals/${referralId}/retry-reward` }), 401, 'unauthenticated');
      for (const scope of ['referrals:read', 'referrals:write']) {
        const key = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, scope, [scope]));
        expectProblem(await api.as(key).post(`/v1/referrals/${referralId}/retry-reward`), 403, 'insufficient_scope');
      }
      expect(await written(db, referralId)).toEqual(before);
      const reviewer = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'reviewer', ['referrals:review']));
      expect((await api.as(reviewer).post(`/v1/referrals/${referralId}/retry-reward`)).json()).toMatchObject({ status: 'rewarded' });
    });
  });

  describe('bad input and security, for both routes', () => {
    for (const action of ['approve', 'reject'] as const) {
      it(`${action}: refuses a missing, blank, too long or unknown field at its pointer, nothing written`, async () => {
        const { client, referralId } = await setup();
        const before = await written(db, referralId);
        expectProblem(await client.post(`/v1/referrals/${referralId}/${action}`, {}), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/referrals/${referralId}/${action}`, { reason: '' }), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/referrals/${referralId}/${action}`, { reason: '   ' }), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/referrals/${referralId}/${action}`, { reason: 'x'.repeat(1001) }), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/referrals/${referralId}/${action}`, { reason: 42 }), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/referrals/${referralId}/${action}`, { reason: 'ok', score: 0 }), 400, 'validation_failed', '/score');
        expect(await written(db, referralId)).toEqual(before);
      });

      it(`${action}: 404 for an unknown referral and for another programme's, nothing written`, async () => {
        const { referralId } = await setup();
        const other = await givenProgram(db.ctx);
        const before = await written(db, referralId);
        expectProblem(await api.as(other.apiKey).post(`/v1/referrals/${referralId}/${action}`, { reason: 'not mine' }), 404, 'referral_not_found');
        expectProblem(await api.as(other.apiKey).post(`/v1/referrals/rfl_unknown/${action}`, { reason: 'nothing' }), 404, 'referral_not_found');
        expect(await written(db, referralId)).toEqual(before);
      });

      it(`${action}: 401 without a key, 403 without referrals:review (configuring is not reviewing), nothing written`, async () => {
        const { programId, referralId } = await setup();
        const before = await written(db, referralId);
        const anonymous = await api.request({ method: 'POST', url: `/v1/referrals/${referralId}/${action}`, payload: { reason: 'x' } });
        expectProblem(anonymous, 401, 'unauthenticated');
        const readOnly = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'support', ['referrals:read']));
        expectProblem(await api.as(readOnly).post(`/v1/referrals/${referralId}/${action}`, { reason: 'x' }), 403, 'insufficient_scope');
        const configurer = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'manager', ['referrals:write']));
        expectProblem(await api.as(configurer).post(`/v1/referrals/${referralId}/${action}`, { reason: 'x' }), 403, 'insufficient_scope');
        expect(await written(db, referralId)).toEqual(before);
        const writer = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'reviewer', ['referrals:review']));
        expect((await api.as(writer).post(`/v1/referrals/${referralId}/${action}`, { reason: 'reviewed' })).statusCode).toBe(200);
      });
    }
  });
});
