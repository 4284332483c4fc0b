import { describe, expect, it } from 'vitest';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent, recordEventBatch } from '../../src/services/events.service.js';
import { enrolMember, getBalance, getLedger, getMember } from '../../src/services/members.service.js';
import { continueApprovedReferral, rejectReferral } from '../../src/services/referrals/lifecycle.js';
import { expireReferrals, rewardQualifiedReferrals } from '../../src/services/referrals/referral-jobs.js';
import { findReferral } from '../../src/storage/repositories/referrals.repository.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { getReferral, getReferrerView, listReferrals } from '../../src/services/referrals/referrals.service.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReferralProgram, givenReward, uniqueId } from '../support/factories.js';

async function outboxTypes(db: TestDatabase, programId: string): Promise<string[]> {
  const rows = await db.ctx.storage.db.selectFrom('outboxMessages').select(['type']).where('programId', '=', programId).where('type', 'like', 'referral.%').orderBy('id').execute();
  return rows.map((r) => r.type);
}

async function referralOf(db: TestDatabase, programId: string, friendId: string) {
  const page = await listReferrals(db.ctx, programId, {});
  const found = page.data.find((r) => r.friendId === friendId);
  if (!found) throw new Error(`no referral for ${friendId}`);
  return found;
}

/** A referrer and a friend enrolled with the referrer's code. */
async function givenReferredFriend(db: TestDatabase, programId: string, referrer?: { id: string; referralCode: string }) {
  const from = referrer ?? (await givenMember(db.ctx, programId));
  const friend = await enrolMember(db.ctx, programId, { externalId: uniqueId('friend'), referralCode: from.referralCode });
  return { referrer: from, friend };
}

forEachDialect('referrals', (db) => {
  describe('the funnel', () => {
    it('a friend who enrols with a code and buys enough rewards both sides with points at once', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const { referrer, friend } = await givenReferredFriend(db, programId);
      expect(friend.referredBy).toBe(referrer.id);
      const signedUp = await referralOf(db, programId, friend.id);
      expect(signedUp).toMatchObject({ status: 'signed_up', referrerId: referrer.id, code: referrer.referralCode, score: 0, signals: [] });
      // 30 days in the programme's timezone (Europe/Amsterdam): summer time started meanwhile.
      expect(signedUp.expiresAt).toBe('2026-04-14T11:00:00.000Z');

      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      expect(purchase.response.referral).toEqual({ id: signedUp.id, status: 'rewarded' });
      const rewarded = await getReferral(db.ctx, programId, signedUp.id);
      expect(rewarded).toMatchObject({ status: 'rewarded', qualifyingOrderId: purchase.response.event.data.orderId, qualifyingTotal: 2_500 });
      expect(rewarded.referrerReward).toMatchObject({ points: 500 });
      expect(rewarded.friendReward).toMatchObject({ points: 250 });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      expect((await getBalance(db.ctx, programId, friend.id)).available).toBe(25 + 250);
      const ledger = await getLedger(db.ctx, programId, referrer.id, {});
      expect(ledger.data[0]).toMatchObject({ kind: 'adjustment', points: 500, reason: `referral ${signedUp.id} (referrer)` });
      expect(await outboxTypes(db, programId)).toEqual(['referral.signed_up', 'referral.qualified', 'referral.rewarded']);
    });

    it('an order below the minimum does not qualify; the next one that reaches it does', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const { referrer, friend } = await givenReferredFriend(db, programId);
      const small = await givenPurchase(db.ctx, programId, friend.id, 1_999);
      expect(small.response.referral).toBeUndefined();
      expect((await referralOf(db, programId, friend.id)).status).toBe('signed_up');
      const big = await givenPurchase(db.ctx, programId, friend.id, 2_000);
      expect(big.response.referral).toMatchObject({ status: 'rewarded' });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      // A third order changes nothing about the referral.
      const third = await givenPurchase(db.ctx, programId, friend.id, 9_000);
      expect(third.response.referral).toBeUndefined();
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
    });

    it('rewards with catalogue rewards: the friend gets a coupon at no points cost, stock taken', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId, { name: 'Welcome €5', pointsCost: 800, stock: 3 });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id }, referrerReward: { rewardId: reward.id } });
      const { referrer, friend } = await givenReferredFriend(db, programId);
      await givenPurchase(db.ctx, programId, friend.id, 3_000);
      const referral = await referralOf(db, programId, friend.id);
      expect(referral.status).toBe('rewarded');
      const friendCoupon = (referral.friendReward as { couponCode: string }).couponCode;
      const coupons = await db.ctx.storage.db.selectFrom('coupons').selectAll().where('programId', '=', programId).orderBy('createdAt').execute();
      expect(coupons).toHaveLength(2);
      expect(coupons.find((c) => c.code === friendCoupon)).toMatchObject({ memberId: friend.id, rewardId: reward.id, status: 'active', redemptionId: null });
      expect(coupons.some((c) => c.memberId === referrer.id)).toBe(true);
      const stock = await db.ctx.storage.db.selectFrom('rewards').select(['stock']).where('id', '=', reward.id).executeTakeFirstOrThrow();
      expect(stock.stock).toBe(1);
      // No points were spent by anyone.
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expect((await getBalance(db.ctx, programId, friend.id)).available).toBe(30);
    });

    it('with afterReturnWindow the reward waits for the return window, then the job gives it once', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 14 });
      await givenReferralProgram(db.ctx, programId, { qualification: { minOrderTotal: 2_000, afterReturnWindow: true } });
      const { referrer, friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      expect(purchase.response.referral).toMatchObject({ status: 'qualified' });
      expect((await referralOf(db, programId, friend.id)).rewardDueAt).toBe('2026-03-29T11:00:00.000Z');
      db.clock.advanceDays(13);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(0);
      db.clock.advanceDays(1);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(1);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(0);
      expect((await referralOf(db, programId, friend.id)).status).toBe('rewarded');
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
    });

    it('a qualified referral whose order is refunded before the window passed is rejected, not rewarded', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 14 });
      await givenReferralProgram(db.ctx, programId, { qualification: { minOrderTotal: 2_000, afterReturnWindow: true } });
      const { referrer, friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: purchase.response.event.data.orderId } });
      expect(refund.response.referral).toMatchObject({ status: 'rejected' });
      db.clock.advanceDays(20);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(0);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expect((await referralOf(db, programId, friend.id)).reason).toContain('refunded');
    });
  });

  describe('ladder and caps', () => {
    it("the referrer's points follow the ladder by their count of successful referrals", async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId, { ladder: [{ from: 2, points: 750 }, { from: 3, points: 1_000 }] });
      const referrer = await givenMember(db.ctx, programId);
      const given: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { friend } = await givenReferredFriend(db, programId, referrer);
        await givenPurchase(db.ctx, programId, friend.id, 2_000);
        given.push(((await referralOf(db, programId, friend.id)).referrerReward as { points: number }).points);
      }
      expect(given).toEqual([500, 750, 1_000]);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(2_250);
      const view = await getReferrerView(db.ctx, programId, referrer.id, 'https://loyalty.example');
      expect(view.ladder).toEqual({ count: 3, nextStep: null });
      expect(view.pointsEarned).toBe(2_250);
    });

    it('over the cap per referrer per month the friend is rewarded and the referrer is not', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId, { caps: { perReferrer: { count: 1, period: 'month' } } });
      const referrer = await givenMember(db.ctx, programId);
      const first = await givenReferredFriend(db, programId, referrer);
      const second = await givenReferredFriend(db, programId, referrer);
      await givenPurchase(db.ctx, programId, first.friend.id, 2_000);
      await givenPurchase(db.ctx, programId, second.friend.id, 2_000);
      const capped = await referralOf(db, programId, second.friend.id);
      expect(capped.status).toBe('rewarded');
      expect(capped.referrerReward).toEqual({ capped: true });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      expect((await getBalance(db.ctx, programId, second.friend.id)).available).toBe(20 + 250);
      // Next month (programme timezone) the cap starts again.
      db.clock.set('2026-04-02T12:00:00Z');
      const third = await givenReferredFriend(db, programId, referrer);
      await givenPurchase(db.ctx, programId, third.friend.id, 2_000);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(1_000);
    });
  });

  describe('validity', () => {
    it('a referral not qualified within validityDays expires, once; a later order does not qualify it', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId, { validityDays: 10 });
      const { referrer, friend } = await givenReferredFriend(db, programId);
      db.clock.advanceDays(9);
      expect(await expireReferrals(db.ctx)).toBe(0);
      db.clock.advanceDays(1);
      expect(await expireReferrals(db.ctx)).toBe(1);
      expect(await expireReferrals(db.ctx)).toBe(0);
      expect((await referralOf(db, programId, friend.id)).status).toBe('expired');
      const late = await givenPurchase(db.ctx, programId, friend.id, 5_000);
      expect(late.response.referral).toBeUndefined();
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expect(await outboxTypes(db, programId)).toEqual(['referral.signed_up', 'referral.expired']);
    });
  });

  describe('reversal', () => {
    it('a refund of the qualifying order reverses both rewards through the ledger', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const { referrer, friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: purchase.response.event.data.orderId } });
      expect(refund.response.referral).toMatchObject({ status: 'reversed' });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expect((await getBalance(db.ctx, programId, friend.id)).available).toBe(0);
      const ledger = await getLedger(db.ctx, programId, referrer.id, {});
      expect(ledger.data.map((e) => [e.kind, e.points])).toEqual([['refund', -500], ['adjustment', 500]]);
      const referral = await referralOf(db, programId, friend.id);
      expect(referral).toMatchObject({ status: 'reversed' });
      expect(referral.reason).toContain('refunded');
      expect((await getMember(db.ctx, programId, friend.id)).referredBy).toBe(referrer.id);
      const refundedOrders = await db.ctx.storage.db.selectFrom('members').select('refundedOrders').where('id', '=', friend.id).executeTakeFirstOrThrow();
      expect(refundedOrders.refundedOrders).toBe(1);
      expect(await outboxTypes(db, programId)).toEqual(['referral.signed_up', 'referral.qualified', 'referral.rewarded', 'referral.reversed']);
    });

    it('points the referrer already spent are reported unrecovered, never taken below zero', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const { referrer, friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      await adjustPoints(db.ctx, programId, referrer.id, { points: -400, reason: 'spent elsewhere' });
      await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: purchase.response.event.data.orderId } });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      const message = await db.ctx.storage.db.selectFrom('outboxMessages').select('data').where('programId', '=', programId).where('type', '=', 'referral.reversed').executeTakeFirstOrThrow();
      expect(JSON.parse(message.data).reversal).toEqual({ referrer: { points: 100, unrecovered: 400 }, friend: { points: 250, unrecovered: 0 } });
    });

    it('a partial refund that keeps the order above the minimum leaves the referral rewarded', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const { referrer, friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 5_000);
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: purchase.response.event.data.orderId, amount: 1_000 } });
      expect(refund.response.referral).toBeUndefined();
      expect((await referralOf(db, programId, friend.id)).status).toBe('rewarded');
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
    });

    it('the coupon of a catalogue reward is cancelled on reversal when unused', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId, { stock: 5 });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id } });
      const { friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const code = ((await referralOf(db, programId, friend.id)).friendReward as { couponCode: string }).couponCode;
      await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: purchase.response.event.data.orderId } });
      const coupon = await db.ctx.storage.db.selectFrom('coupons').select(['status']).where('programId', '=', programId).where('code', '=', code).executeTakeFirstOrThrow();
      expect(coupon.status).toBe('cancelled');
      const stock = await db.ctx.storage.db.selectFrom('rewards').select(['stock']).where('id', '=', reward.id).executeTakeFirstOrThrow();
      expect(stock.stock).toBe(5);
    });
  });

  describe('attribution', () => {
    it("a friend whose first purchase carries the code is referred and qualified in that purchase's transaction", async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const referrer = await givenMember(db.ctx, programId);
      const friend = await givenMember(db.ctx, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500, { data: { orderId: uniqueId('order'), total: 2_500, currency: 'EUR', referralCode: referrer.referralCode.toLowerCase() } });
      expect(purchase.response.referral).toMatchObject({ status: 'rewarded' });
      expect((await getMember(db.ctx, programId, friend.id)).referredBy).toBe(referrer.id);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      expect(await outboxTypes(db, programId)).toEqual(['referral.signed_up', 'referral.qualified', 'referral.rewarded']);
    });

    it("the purchase's context feeds the fraud check: the referrer's own device flags the referral, and the friend's device is recorded as a hash", async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const referrer = await enrolMember(db.ctx, programId, { externalId: uniqueId('customer'), context: { deviceId: 'dev-family-ipad', ip: '198.51.100.7' } });
      const friend = await givenMember(db.ctx, programId);
      const data = { orderId: uniqueId('order'), total: 2_500, currency: 'EUR', referralCode: referrer.referralCode };
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500, { data, context: { deviceId: 'dev-family-ipad', ip: '203.0.113.9' } });
      expect(purchase.response.referral).toMatchObject({ status: 'flagged' });
      const referral = await referralOf(db, programId, friend.id);
      expect(referral.signals).toEqual([expect.objectContaining({ signal: 'same_device_as_referrer', stage: 'signup' })]);
      const fingerprints = await db.ctx.storage.db.selectFrom('memberFingerprints').select(['kind', 'valueHash']).where('memberId', '=', friend.id).orderBy('kind').execute();
      expect(fingerprints.map((f) => f.kind)).toEqual(['device', 'ip']);
      expect(JSON.stringify(fingerprints)).not.toContain('dev-family-ipad');
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      // Without a context the same purchase would have been rewarded at once (the test above).
      const honestFriend = await givenMember(db.ctx, programId);
      const honest = await givenPurchase(db.ctx, programId, honestFriend.id, 2_500, { data: { ...data, orderId: uniqueId('order') }, context: { deviceId: 'dev-other', ip: '203.0.113.10' } });
      expect(honest.response.referral).toMatchObject({ status: 'rewarded' });
    });

    it('existing members cannot be referred: the purchase earns as usual and says why the code was ignored', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const referrer = await givenMember(db.ctx, programId);
      const customer = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, customer.id, 1_000);
      const withCode = await givenPurchase(db.ctx, programId, customer.id, 3_000, { data: { orderId: uniqueId('order'), total: 3_000, currency: 'EUR', referralCode: referrer.referralCode } });
      expect(withCode.response.referral).toEqual({ ignored: 'existing_member' });
      expect(withCode.response.awarded[0]?.points).toBe(30);
      const { friend } = await givenReferredFriend(db, programId);
      // Below the minimum, so the friend's own referral does not qualify on it either.
      const other = await givenPurchase(db.ctx, programId, friend.id, 1_000, { data: { orderId: uniqueId('order'), total: 1_000, currency: 'EUR', referralCode: referrer.referralCode } });
      expect(other.response.referral).toEqual({ ignored: 'already_referred' });
      expect((await listReferrals(db.ctx, programId, { referrerId: referrer.id })).data).toEqual([]);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
    });

    it('a member cannot refer themself; an unknown code is ignored too', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      const own = await givenPurchase(db.ctx, programId, member.id, 3_000, { data: { orderId: uniqueId('order'), total: 3_000, currency: 'EUR', referralCode: member.referralCode } });
      expect(own.response.referral).toEqual({ ignored: 'self_referral' });
      const other = await givenMember(db.ctx, programId);
      const unknown = await givenPurchase(db.ctx, programId, other.id, 3_000, { data: { orderId: uniqueId('order'), total: 3_000, currency: 'EUR', referralCode: 'NOSUCHCODE' } });
      expect(unknown.response.referral).toEqual({ ignored: 'referral_code_unknown' });
      expect((await listReferrals(db.ctx, programId, {})).data).toEqual([]);
    });

    it('with the referral programme off, a code links the member but makes no referral', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId, { enabled: false });
      const { referrer, friend } = await givenReferredFriend(db, programId);
      expect(friend.referredBy).toBe(referrer.id);
      await givenPurchase(db.ctx, programId, friend.id, 5_000);
      expect((await listReferrals(db.ctx, programId, {})).data).toEqual([]);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
    });

    it('a batch with the attributing purchase and its refund ends reversed, as one event after another would', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const referrer = await givenMember(db.ctx, programId);
      const friend = await givenMember(db.ctx, programId);
      const results = await recordEventBatch(db.ctx, programId, [
        { id: uniqueId('evt'), type: 'purchase', memberId: friend.id, data: { orderId: 'o-batch', total: 2_500, currency: 'EUR', referralCode: referrer.referralCode } },
        { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: 'o-batch' } },
      ]);
      expect(results.map((r) => (r.ok ? r.outcome.response.referral : r.error.code))).toEqual([
        expect.objectContaining({ status: 'rewarded' }),
        expect.objectContaining({ status: 'reversed' }),
      ]);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expect((await getBalance(db.ctx, programId, friend.id)).available).toBe(0);
    });
  });

  describe('fraud decisions', () => {
    /** The referrer and a friend whose address is the referrer's, written differently (a same-person signal). */
    async function givenSelfReferral(programId: string, name = 'anna.jansen') {
      const referrer = await enrolMember(db.ctx, programId, { externalId: uniqueId('r'), email: `${name}@gmail.com` });
      const friend = await enrolMember(db.ctx, programId, { externalId: uniqueId('f'), email: `${name.replaceAll('.', '')}+deal@googlemail.com`, referralCode: referrer.referralCode });
      return { referrer, friend };
    }

    async function approve(programId: string, referralId: string) {
      return inTransaction(db.ctx.storage, async (trx) => {
        const row = await findReferral(trx, programId, referralId);
        if (!row) throw new Error('no referral');
        return continueApprovedReferral(db.ctx, trx, row, db.clock.now());
      });
    }

    it('a score above rejectAbove rejects the referral at sign-up, with the signals and their stage', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const { referrer, friend } = await givenSelfReferral(programId);
      const referral = await referralOf(db, programId, friend.id);
      expect(referral).toMatchObject({ status: 'rejected', score: 100 });
      expect(referral.signals).toEqual([expect.objectContaining({ signal: 'same_email_as_referrer', weight: 100, stage: 'signup' })]);
      expect(referral.reason).toContain('fraud score 100');
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 5_000);
      expect(purchase.response.referral).toBeUndefined();
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expect(await outboxTypes(db, programId)).toEqual(['referral.signed_up', 'referral.rejected']);
    });

    it('a score between the thresholds flags; approval continues exactly where the flow stopped', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId, { fraud: { reviewAbove: 40, rejectAbove: 150 } });
      const { referrer, friend } = await givenSelfReferral(programId);
      const flagged = await referralOf(db, programId, friend.id);
      expect(flagged).toMatchObject({ status: 'flagged', score: 100 });
      // Flagged at sign-up: approval makes it signed_up again, nothing is given.
      expect((await approve(programId, flagged.id)).status).toBe('signed_up');
      // The qualification check fires again and flags it; approval now qualifies and rewards at once.
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      expect(purchase.response.referral).toEqual({ id: flagged.id, status: 'flagged' });
      expect((await referralOf(db, programId, friend.id)).signals.map((s) => (s as { stage: string }).stage)).toEqual(['signup', 'qualification']);
      expect((await approve(programId, flagged.id)).status).toBe('rewarded');
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      await expect(approve(programId, flagged.id)).rejects.toMatchObject({ code: 'referral_not_reviewable' });
      expect(await outboxTypes(db, programId)).toEqual([
        'referral.signed_up', 'referral.flagged', 'referral.flagged', 'referral.qualified', 'referral.rewarded',
      ]);
    });

    it('an approved referral qualified behind a return window waits for the job; a rejected one ends', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 14 });
      await givenReferralProgram(db.ctx, programId, { fraud: { reviewAbove: 40, rejectAbove: 150 }, qualification: { minOrderTotal: 2_000, afterReturnWindow: true } });
      const { referrer, friend } = await givenSelfReferral(programId);
      const referral = await referralOf(db, programId, friend.id);
      await approve(programId, referral.id);
      await givenPurchase(db.ctx, programId, friend.id, 2_500);
      expect((await approve(programId, referral.id)).status).toBe('qualified');
      db.clock.advanceDays(14);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(1);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);

      const other = await givenSelfReferral(programId, 'bob.smit');
      const second = await referralOf(db, programId, other.friend.id);
      const rejected = await inTransaction(db.ctx.storage, async (trx) => {
        const row = await findReferral(trx, programId, second.id);
        return rejectReferral(db.ctx, trx, row as NonNullable<typeof row>, 'same person', db.clock.now());
      });
      expect(rejected).toMatchObject({ status: 'rejected', reason: 'same person' });
    });
  });

  describe('the referrer view', () => {
    it('shows friends masked, rewards, ladder progress and share URLs in the member locale', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId, { ladder: [{ from: 5, points: 750 }], messages: { nl: 'Kom erbij via {link}!' } });
      const referrer = await enrolMember(db.ctx, programId, { externalId: 'ref-nl', locale: 'nl' });
      const friend = await enrolMember(db.ctx, programId, { externalId: 'f-1', name: 'Anna de Vries', referralCode: referrer.referralCode });
      await enrolMember(db.ctx, programId, { externalId: 'f-2', email: 'bob@example.com', referralCode: referrer.referralCode });
      await givenPurchase(db.ctx, programId, friend.id, 2_000);
      const view = await getReferrerView(db.ctx, programId, referrer.id, 'https://loyalty.example/');
      expect(view.friends.map((f) => [f.friend, f.status])).toEqual([['b***@example.com', 'signed_up'], ['A*** d*** V***', 'rewarded']]);
      expect(view.ladder).toEqual({ count: 1, nextStep: { from: 5, points: 750 } });
      const link = `https://loyalty.example/r/${programId}/${referrer.referralCode}`;
      expect(view.share).toMatchObject({ link, locale: 'nl', message: `Kom erbij via ${link}!` });
      expect(view.share?.urls.whatsapp).toBe(`https://wa.me/?text=${encodeURIComponent(`Kom erbij via ${link}!`)}`);
      expect(view.share?.urls.facebook).toBe(`https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(link)}`);
      expect(view.share?.urls.x).toContain(`&url=${encodeURIComponent(link)}`);
      expect(view.share?.urls.email).toMatch(/^mailto:\?subject=Een%20cadeautje%20voor%20jou&body=/);
    });
  });

  describe('jobs', () => {
    it('the reward job run by two workers at once rewards each referral once', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 7 });
      await givenReferralProgram(db.ctx, programId, { qualification: { minOrderTotal: 1_000, afterReturnWindow: true } });
      const referrers = await Promise.all([0, 1, 2, 3].map(() => givenMember(db.ctx, programId)));
      for (const [i, referrer] of referrers.entries()) {
        for (let k = 0; k < 3; k++) {
          const { friend } = await givenReferredFriend(db, programId, referrer);
          await givenPurchase(db.ctx, programId, friend.id, 1_000 + i);
        }
      }
      db.clock.advanceDays(7);
      const [a, b] = await Promise.all([rewardQualifiedReferrals(db.ctx, 5), rewardQualifiedReferrals(db.ctx, 5)]);
      expect(a + b).toBe(12);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(0);
      for (const referrer of referrers) expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(1_500);
      const rewardedMessages = (await outboxTypes(db, programId)).filter((t) => t === 'referral.rewarded');
      expect(rewardedMessages).toHaveLength(12);
    });
  });
});
