/**
 * Retries of a failed referral payout racing each other, and a retry racing the reward job and a redemption
 * of the last unit. On PostgreSQL the calls run in parallel over a pool of connections and only the row locks
 * (both members, then the reward) and the conditional status update keep them apart; on SQLite they interleave
 * on the single writer. Each race checks that the referral is paid exactly once: one coupon, one lot of points,
 * one referral.rewarded, the stock and redeemedCount moved by one; `trouw verify` runs after each test.
 */
import { describe, expect, it } from 'vitest';
import { enrolMember, getBalance } from '../../src/services/members.service.js';
import { listReferrals } from '../../src/services/referrals/referrals.service.js';
import { retryReferralReward } from '../../src/services/referrals/retry-reward.js';
import { redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { getReward, updateReward } from '../../src/services/rewards/rewards.service.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReferralProgram, givenReward, uniqueId } from '../support/factories.js';

async function givenFailedReferral(db: TestDatabase, rewardInput: { stock: number; audience?: 'catalogue' | 'referral' }) {
  const { programId } = await givenProgram(db.ctx);
  const reward = await givenReward(db.ctx, programId, { audience: 'referral', ...rewardInput });
  await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id } });
  await updateReward(db.ctx, programId, reward.id, { active: false });
  const referrer = await givenMember(db.ctx, programId);
  const friend = await enrolMember(db.ctx, programId, { externalId: uniqueId('friend'), referralCode: referrer.referralCode });
  await givenPurchase(db.ctx, programId, friend.id, 2_500);
  const [referral] = (await listReferrals(db.ctx, programId, {})).data;
  if (!referral || referral.status !== 'reward_failed') throw new Error('expected a failed payout');
  await updateReward(db.ctx, programId, reward.id, { active: true });
  return { programId, reward, referrer, friend, referral };
}

async function paidOnce(db: TestDatabase, programId: string, referrerId: string) {
  const coupons = await db.ctx.storage.db.selectFrom('coupons').select(['code']).where('programId', '=', programId).execute();
  const rewarded = await db.ctx.storage.db.selectFrom('outboxMessages').select(['id']).where('programId', '=', programId).where('type', '=', 'referral.rewarded').execute();
  return { coupons: coupons.length, rewardedMessages: rewarded.length, referrerPoints: (await getBalance(db.ctx, programId, referrerId)).available };
}

forEachDialect('referral payout retries', (db) => {
  describe('parallel retries', () => {
    it('of one failed payout by 12 admins at once: paid once, every caller sees it rewarded', async () => {
      const { programId, reward, referrer, referral } = await givenFailedReferral(db, { stock: 5 });
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => retryReferralReward(db.ctx, programId, referral.id)));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { code?: string }).code ?? r.reason)] : []));
      expect(failures).toEqual([]);
      const views = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(new Set(views.map((v) => v.status))).toEqual(new Set(['rewarded']));
      expect(new Set(views.map((v) => JSON.stringify(v.friendReward))).size).toBe(1);
      expect(await paidOnce(db, programId, referrer.id)).toEqual({ coupons: 1, rewardedMessages: 1, referrerPoints: 500 });
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ stock: 4, redeemedCount: 1 });
    });

    it('racing a redemption of the last unit: the unit goes to exactly one of them', async () => {
      const { programId, reward, referrer, referral } = await givenFailedReferral(db, { stock: 1, audience: 'catalogue' });
      const buyer = await givenMember(db.ctx, programId, { points: 1_000 });
      const [retry, redemption] = await Promise.allSettled([
        retryReferralReward(db.ctx, programId, referral.id),
        redeemReward(db.ctx, programId, buyer.id, { rewardId: reward.id }),
      ]);
      const retried = retry.status === 'fulfilled';
      const redeemed = redemption.status === 'fulfilled';
      expect(retried !== redeemed).toBe(true);
      if (!retried) expect(retry.reason).toMatchObject({ code: 'reward_not_issuable' });
      if (!redeemed) expect(redemption.reason).toMatchObject({ code: 'reward_out_of_stock' });
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ stock: 0, redeemedCount: 1 });
      expect(await paidOnce(db, programId, referrer.id)).toEqual({ coupons: 1, rewardedMessages: retried ? 1 : 0, referrerPoints: retried ? 500 : 0 });
    });
  });
});
