/**
 * Referral rewards that cannot silently vanish (issue 12): rewards only the referral programme gives stay out of
 * the catalogue; a referral programme is saved only with rewards that can be given; a payout whose reward cannot
 * be given leaves the referral reward_failed with its reason and a webhook, gives nothing, and an admin's retry
 * pays it once the reward is fixed; referral coupons count in the reward's redeemedCount.
 */
import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/services/events.service.js';
import { enrolMember, getBalance } from '../../src/services/members.service.js';
import { getReferral, listReferrals } from '../../src/services/referrals/referrals.service.js';
import { rewardQualifiedReferrals } from '../../src/services/referrals/referral-jobs.js';
import { retryReferralReward } from '../../src/services/referrals/retry-reward.js';
import { getReferralProgram } from '../../src/services/referrals/settings.service.js';
import { redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { getReward, listRewards, updateReward } from '../../src/services/rewards/rewards.service.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReferralProgram, givenReward, uniqueId } from '../support/factories.js';

async function outboxTypes(db: TestDatabase, programId: string): Promise<string[]> {
  const rows = await db.ctx.storage.db.selectFrom('outboxMessages').select(['type']).where('programId', '=', programId).where('type', 'like', 'referral.%').orderBy('id').execute();
  return rows.map((r) => r.type);
}

async function couponsOf(db: TestDatabase, programId: string) {
  return db.ctx.storage.db.selectFrom('coupons').selectAll().where('programId', '=', programId).orderBy('createdAt').execute();
}

/** A referrer and a friend enrolled with the referrer's code. */
async function givenReferredFriend(db: TestDatabase, programId: string) {
  const referrer = await givenMember(db.ctx, programId);
  const friend = await enrolMember(db.ctx, programId, { externalId: uniqueId('friend'), referralCode: referrer.referralCode });
  return { referrer, friend };
}

async function referralOf(db: TestDatabase, programId: string, friendId: string) {
  const found = (await listReferrals(db.ctx, programId, {})).data.find((r) => r.friendId === friendId);
  if (!found) throw new Error(`no referral for ${friendId}`);
  return found;
}

forEachDialect('referral payouts', (db) => {
  describe('rewards only the referral programme gives', () => {
    it('are left out of the catalogue list, listed for admins on request, and refused for points', async () => {
      const { programId } = await givenProgram(db.ctx);
      const coffee = await givenReward(db.ctx, programId, { name: 'Free coffee' });
      const welcome = await givenReward(db.ctx, programId, { name: 'Welcome gift', audience: 'referral', pointsCost: 10 });
      expect(welcome.audience).toBe('referral');
      expect(coffee.audience).toBe('catalogue');
      expect((await listRewards(db.ctx, programId)).data.map((r) => r.id)).toEqual([coffee.id]);
      expect((await listRewards(db.ctx, programId, { audience: 'referral' })).data.map((r) => r.id)).toEqual([welcome.id]);
      expect((await listRewards(db.ctx, programId, { audience: 'all' })).data.map((r) => r.id)).toEqual([coffee.id, welcome.id]);

      const member = await givenMember(db.ctx, programId, { points: 500 });
      await expect(redeemReward(db.ctx, programId, member.id, { rewardId: welcome.id })).rejects.toMatchObject({ code: 'reward_not_redeemable' });
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(500);
      expect(await couponsOf(db, programId)).toEqual([]);
      expect((await getReward(db.ctx, programId, welcome.id)).redeemedCount).toBe(0);
    });

    it('can be moved into the catalogue and out again by an update', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId, { audience: 'referral' });
      expect((await updateReward(db.ctx, programId, reward.id, { audience: 'catalogue' })).audience).toBe('catalogue');
      expect((await listRewards(db.ctx, programId)).data.map((r) => r.id)).toEqual([reward.id]);
      expect((await updateReward(db.ctx, programId, reward.id, { audience: 'referral' })).audience).toBe('referral');
      expect((await listRewards(db.ctx, programId)).data).toEqual([]);
    });
  });

  describe('saving the referral programme', () => {
    const refusals: [string, (now: number) => Record<string, unknown>, string][] = [
      ['an inactive reward', () => ({ active: false }), 'the reward is inactive'],
      ['a reward not valid yet', (now) => ({ validFrom: new Date(now + 86_400_000).toISOString() }), 'the reward is valid only from'],
      ['a reward past its window', (now) => ({ validFrom: new Date(now - 2 * 86_400_000).toISOString(), validUntil: new Date(now - 86_400_000).toISOString() }), 'the reward was valid until'],
      ['a reward out of stock', () => ({ stock: 0 }), 'the reward is out of stock'],
    ];
    for (const [what, fields, detail] of refusals) {
      it(`refuses ${what} naming the side, and writes nothing`, async () => {
        const { programId } = await givenProgram(db.ctx);
        const reward = await givenReward(db.ctx, programId, { audience: 'referral', ...fields(db.clock.now()) });
        const saving = givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id } });
        await expect(saving).rejects.toMatchObject({ code: 'reward_not_issuable', errors: [{ pointer: '/friendReward/rewardId', detail: expect.stringContaining(detail) }] });
        await expect(getReferralProgram(db.ctx, programId)).rejects.toMatchObject({ code: 'referral_not_found' });
      });
    }

    it('keeps the settings saved before when a later save is refused', async () => {
      const { programId } = await givenProgram(db.ctx);
      const good = await givenReward(db.ctx, programId, { audience: 'referral' });
      const bad = await givenReward(db.ctx, programId, { active: false });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: good.id } });
      await expect(givenReferralProgram(db.ctx, programId, { referrerReward: { rewardId: bad.id } })).rejects.toMatchObject({
        code: 'reward_not_issuable',
        errors: [{ pointer: '/referrerReward/rewardId' }],
      });
      expect(await getReferralProgram(db.ctx, programId)).toMatchObject({ friendReward: { rewardId: good.id }, referrerReward: { points: 500 } });
    });

    it('needs stock for both sides when both get the same reward', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId, { audience: 'referral', stock: 1 });
      await expect(givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id }, referrerReward: { rewardId: reward.id } })).rejects.toMatchObject({
        code: 'reward_not_issuable',
        errors: [{ pointer: '/referrerReward/rewardId' }, { pointer: '/friendReward/rewardId' }],
      });
      await updateReward(db.ctx, programId, reward.id, { stock: 2 });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id }, referrerReward: { rewardId: reward.id } });
    });

    it('accepts a referral reward and a catalogue reward that can be given', async () => {
      const { programId } = await givenProgram(db.ctx);
      const gift = await givenReward(db.ctx, programId, { audience: 'referral', stock: 5 });
      const coffee = await givenReward(db.ctx, programId);
      const saved = await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: gift.id }, referrerReward: { rewardId: coffee.id } });
      expect(saved).toMatchObject({ friendReward: { rewardId: gift.id }, referrerReward: { rewardId: coffee.id } });
    });
  });

  describe('a payout whose reward cannot be given', () => {
    it('leaves the referral reward_failed with the reason and a webhook, and gives neither side anything', async () => {
      const { programId } = await givenProgram(db.ctx);
      const gift = await givenReward(db.ctx, programId, { audience: 'referral', stock: 5 });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: gift.id } });
      await updateReward(db.ctx, programId, gift.id, { active: false });
      const { referrer, friend } = await givenReferredFriend(db, programId);

      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const referral = await referralOf(db, programId, friend.id);
      expect(purchase.response.referral).toEqual({ id: referral.id, status: 'reward_failed' });
      expect(referral).toMatchObject({
        status: 'reward_failed',
        rewardedAt: null,
        friendReward: null,
        referrerReward: null,
        reason: `The friend's reward ${gift.id} cannot be given: the reward is inactive.`,
        payoutFailure: { at: new Date(db.clock.now()).toISOString(), sides: [{ side: 'friend', rewardId: gift.id, reason: 'reward_inactive', detail: 'The reward is inactive.' }] },
      });
      // All or nothing: the referrer's points wait for the friend's reward.
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
      expect((await getBalance(db.ctx, programId, friend.id)).available).toBe(25);
      expect(await couponsOf(db, programId)).toEqual([]);
      expect(await getReward(db.ctx, programId, gift.id)).toMatchObject({ stock: 5, redeemedCount: 0 });
      expect(await outboxTypes(db, programId)).toEqual(['referral.signed_up', 'referral.qualified', 'referral.reward_failed']);
      const message = await db.ctx.storage.db.selectFrom('outboxMessages').select(['data']).where('programId', '=', programId).where('type', '=', 'referral.reward_failed').executeTakeFirstOrThrow();
      expect(JSON.parse(message.data)).toMatchObject({ id: referral.id, status: 'reward_failed', payoutFailure: { sides: [{ reason: 'reward_inactive' }] } });
      // The queue an admin works from.
      expect((await listReferrals(db.ctx, programId, { status: 'reward_failed' })).data.map((r) => r.id)).toEqual([referral.id]);
    });

    it('is out of stock when an earlier referral took the last unit', async () => {
      const { programId } = await givenProgram(db.ctx);
      const gift = await givenReward(db.ctx, programId, { audience: 'referral', stock: 1 });
      await givenReferralProgram(db.ctx, programId, { referrerReward: { rewardId: gift.id } });
      const first = await givenReferredFriend(db, programId);
      await givenPurchase(db.ctx, programId, first.friend.id, 2_500);
      expect((await referralOf(db, programId, first.friend.id)).status).toBe('rewarded');
      const second = await givenReferredFriend(db, programId);
      await givenPurchase(db.ctx, programId, second.friend.id, 2_500);
      const failed = await referralOf(db, programId, second.friend.id);
      expect(failed).toMatchObject({ status: 'reward_failed', payoutFailure: { sides: [{ side: 'referrer', rewardId: gift.id, reason: 'reward_out_of_stock' }] } });
      expect((await getBalance(db.ctx, programId, second.friend.id)).available).toBe(25);
    });

    it('has expired when its window ended after the programme was saved; the reward job does not try it again', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 14 });
      const gift = await givenReward(db.ctx, programId, { audience: 'referral', validUntil: '2026-03-20T00:00:00Z' });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: gift.id }, qualification: { minOrderTotal: 2_000, afterReturnWindow: true } });
      const { friend } = await givenReferredFriend(db, programId);
      await givenPurchase(db.ctx, programId, friend.id, 2_500);
      db.clock.advanceDays(14);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(0);
      const failed = await referralOf(db, programId, friend.id);
      expect(failed).toMatchObject({ status: 'reward_failed', payoutFailure: { sides: [{ reason: 'reward_expired' }] } });
      db.clock.advanceDays(1);
      expect(await rewardQualifiedReferrals(db.ctx)).toBe(0);
      expect((await outboxTypes(db, programId)).filter((t) => t === 'referral.reward_failed')).toHaveLength(1);
    });

    it('is rejected, paying nothing, when its qualifying order is refunded', async () => {
      const { programId } = await givenProgram(db.ctx);
      const gift = await givenReward(db.ctx, programId, { audience: 'referral' });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: gift.id } });
      await updateReward(db.ctx, programId, gift.id, { active: false });
      const { referrer, friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: purchase.response.event.data.orderId } });
      expect(refund.response.referral).toMatchObject({ status: 'rejected' });
      await updateReward(db.ctx, programId, gift.id, { active: true });
      const referral = await referralOf(db, programId, friend.id);
      await expect(retryReferralReward(db.ctx, programId, referral.id)).rejects.toMatchObject({ code: 'referral_not_retryable' });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(0);
    });
  });

  describe('retrying the payout', () => {
    async function givenFailedReferral(options: { stock?: number } = {}) {
      const { programId } = await givenProgram(db.ctx);
      const gift = await givenReward(db.ctx, programId, { audience: 'referral', stock: options.stock ?? 5 });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: gift.id } });
      await updateReward(db.ctx, programId, gift.id, { active: false });
      const { referrer, friend } = await givenReferredFriend(db, programId);
      await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const referral = await referralOf(db, programId, friend.id);
      expect(referral.status).toBe('reward_failed');
      return { programId, gift, referrer, friend, referral };
    }

    it('pays both sides once the reward is fixed; a second retry pays nothing again', async () => {
      const { programId, gift, referrer, friend, referral } = await givenFailedReferral();
      await updateReward(db.ctx, programId, gift.id, { active: true });
      db.clock.advanceDays(1);
      const paid = await retryReferralReward(db.ctx, programId, referral.id);
      expect(paid).toMatchObject({ status: 'rewarded', reason: null, payoutFailure: null, rewardedAt: new Date(db.clock.now()).toISOString(), referrerReward: { points: 500 } });
      const code = (paid.friendReward as { couponCode: string }).couponCode;
      expect(await couponsOf(db, programId)).toEqual([
        expect.objectContaining({ code, memberId: friend.id, rewardId: gift.id, referralId: referral.id, redemptionId: null, status: 'active' }),
      ]);
      expect(await getReward(db.ctx, programId, gift.id)).toMatchObject({ stock: 4, redeemedCount: 1 });
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      expect((await outboxTypes(db, programId)).slice(-2)).toEqual(['referral.reward_failed', 'referral.rewarded']);

      expect(await retryReferralReward(db.ctx, programId, referral.id)).toEqual(paid);
      expect(await couponsOf(db, programId)).toHaveLength(1);
      expect((await getBalance(db.ctx, programId, referrer.id)).available).toBe(500);
      expect((await outboxTypes(db, programId)).filter((t) => t === 'referral.rewarded')).toHaveLength(1);
    });

    it('pays with the reward the programme names now when the admin pointed it at another one', async () => {
      const { programId, referral, friend } = await givenFailedReferral();
      const other = await givenReward(db.ctx, programId, { audience: 'referral' });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: other.id } });
      const paid = await retryReferralReward(db.ctx, programId, referral.id);
      expect(paid.friendReward).toMatchObject({ rewardId: other.id });
      expect((await couponsOf(db, programId)).map((c) => [c.rewardId, c.memberId])).toEqual([[other.id, friend.id]]);
    });

    it('that still cannot pay answers why and writes nothing', async () => {
      const { programId, gift, referral } = await givenFailedReferral();
      await updateReward(db.ctx, programId, gift.id, { active: true, stock: 0 });
      const before = await outboxTypes(db, programId);
      db.clock.advanceDays(1);
      await expect(retryReferralReward(db.ctx, programId, referral.id)).rejects.toMatchObject({
        code: 'reward_not_issuable',
        detail: `The friend's reward ${gift.id} cannot be given: the reward is out of stock.`,
      });
      // The referral keeps the failure it had; no second webhook.
      expect(await getReferral(db.ctx, programId, referral.id)).toEqual(referral);
      expect(await outboxTypes(db, programId)).toEqual(before);
    });

    it('refuses a referral whose payout did not fail, and one of another programme', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const { friend } = await givenReferredFriend(db, programId);
      const open = await referralOf(db, programId, friend.id);
      await expect(retryReferralReward(db.ctx, programId, open.id)).rejects.toMatchObject({ code: 'referral_not_retryable' });
      expect((await getReferral(db.ctx, programId, open.id)).status).toBe('signed_up');
      const { programId: otherProgram } = await givenProgram(db.ctx);
      await expect(retryReferralReward(db.ctx, otherProgram, open.id)).rejects.toMatchObject({ code: 'referral_not_found' });
    });
  });

  describe("a referral's coupons in the reward's redeemedCount", () => {
    it('count while they stand and stop counting when a reversal cancels them', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId, { stock: 10 });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id }, referrerReward: { rewardId: reward.id } });
      const { friend } = await givenReferredFriend(db, programId);
      const purchase = await givenPurchase(db.ctx, programId, friend.id, 2_500);
      const referral = await referralOf(db, programId, friend.id);
      expect((await couponsOf(db, programId)).map((c) => c.referralId)).toEqual([referral.id, referral.id]);
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ stock: 8, redeemedCount: 2 });
      await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: friend.id, data: { orderId: purchase.response.event.data.orderId } });
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ stock: 10, redeemedCount: 0 });
    });
  });
});
