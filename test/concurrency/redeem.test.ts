/**
 * Races on redemptions and coupons. On PostgreSQL the calls really run in parallel over a pool of connections
 * and only the row locks (member, then reward) and the conditional updates keep them apart; on SQLite they
 * interleave on the single writer, which the same assertions cover. Each race checks the exact number of
 * winners, the refusals' codes and the balances and stock left over; `trouw verify` runs after each test.
 */
import { describe, expect, it } from 'vitest';
import { getBalance } from '../../src/services/members.service.js';
import { updateProgram } from '../../src/services/programs.service.js';
import { expireCoupons } from '../../src/services/rewards/coupon-expiry.js';
import { useCoupon } from '../../src/services/rewards/coupons.service.js';
import { redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { getReward } from '../../src/services/rewards/rewards.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenReward } from '../support/factories.js';

function codesOf(results: PromiseSettledResult<unknown>[]): string[] {
  return results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code ?? String(r.reason));
}

forEachDialect('redemption races', (db) => {
  describe('parallel redemptions', () => {
    it('of a reward with stock 10 by 100 members: exactly 10 succeed, the rest are out of stock', async () => {
      const { programId } = await givenProgram(db.ctx);
      const members = [];
      for (let i = 0; i < 100; i++) members.push(await givenMember(db.ctx, programId, { points: 500 }));
      const reward = await givenReward(db.ctx, programId, { pointsCost: 200, stock: 10 });
      const results = await Promise.allSettled(members.map((m) => redeemReward(db.ctx, programId, m.id, { rewardId: reward.id })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      expect(codesOf(results)).toEqual(Array.from({ length: 90 }, () => 'reward_out_of_stock'));
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ stock: 0, redeemedCount: 10 });
      const balances = await Promise.all(members.map((m) => getBalance(db.ctx, programId, m.id)));
      expect(balances.filter((b) => b.available === 300)).toHaveLength(10);
      expect(balances.filter((b) => b.available === 500)).toHaveLength(90);
    });

    it('by one member who can afford 3 of 100: exactly 3 succeed and the balance never goes below zero', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { points: 350 });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      const results = await Promise.allSettled(Array.from({ length: 100 }, () => redeemReward(db.ctx, programId, member.id, { rewardId: reward.id })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(codesOf(results)).toEqual(Array.from({ length: 97 }, () => 'insufficient_points'));
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 50, pending: 0 });
      const codes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.redemption.coupon.code] : []));
      expect(new Set(codes).size).toBe(3);
    });

    it('with one Idempotency-Key: one redemption, every caller gets its response', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { points: 1000 });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => redeemReward(db.ctx, programId, member.id, { rewardId: reward.id }, 'same-key')));
      expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
      expect(new Set(outcomes.map((o) => o.redemption.id)).size).toBe(1);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(900);
    });
  });

  describe('parallel coupon uses', () => {
    it('by 20 orders: the coupon is used exactly once, the others are told it was used', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { points: 500 });
      const reward = await givenReward(db.ctx, programId);
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => useCoupon(db.ctx, programId, redemption.coupon.code, { orderId: `order-${i}` })),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      expect(codesOf(results)).toEqual(Array.from({ length: 19 }, () => 'coupon_already_used'));
      const used = await db.ctx.storage.db.selectFrom('outboxMessages').select('id').where('programId', '=', programId).where('type', '=', 'coupon.used').execute();
      expect(used).toHaveLength(1);
    });
  });

  describe('coupon expiry in two workers at once', () => {
    it('expires and refunds each coupon once', async () => {
      const { programId } = await givenProgram(db.ctx);
      await updateProgram(db.ctx, programId, { coupons: { refundExpired: true, validityDays: 5 } });
      const members = [];
      for (let i = 0; i < 8; i++) members.push(await givenMember(db.ctx, programId, { points: 1000 }));
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      for (const member of members) {
        for (let i = 0; i < 5; i++) await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      }
      db.clock.advanceDays(6);
      // Small batches, so the two workers take turns claiming and skip each other's locked rows.
      const [a, b] = await Promise.all([expireCoupons(db.ctx, 3), expireCoupons(db.ctx, 3)]);
      expect(a + b).toBe(40);
      expect(await expireCoupons(db.ctx)).toBe(0);
      for (const member of members) expect((await getBalance(db.ctx, programId, member.id)).available).toBe(1000);
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ redeemedCount: 0 });
      const refunds = await db.ctx.storage.db.selectFrom('ledgerTransactions').select('id').where('programId', '=', programId).where('kind', '=', 'redemption_cancel').execute();
      expect(refunds).toHaveLength(40);
    });
  });
});
