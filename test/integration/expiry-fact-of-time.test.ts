/**
 * Expiry is a fact of time, not of the expiry job (DESIGN.md §4.7). Each test lets a lot pass its `expiresAt`
 * without running the job, then checks that no read shows its points and no write spends or claws them back;
 * a write that meets them posts their expiry itself, and the job then finds nothing left to do.
 */
import { describe, expect, it } from 'vitest';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent } from '../../src/services/events.service.js';
import { getBalance, getMember, listMembers } from '../../src/services/members.service.js';
import { expireLots } from '../../src/services/points-jobs.service.js';
import { cancelRedemption, redeemReward } from '../../src/services/rewards/redeem-reward.js';
import type { ServiceContext } from '../../src/context.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReward, uniqueId } from '../support/factories.js';

async function expiredMessages(ctx: ServiceContext, programId: string) {
  const rows = await ctx.storage.db.selectFrom('outboxMessages').select(['data']).where('programId', '=', programId).where('type', '=', 'points.expired').execute();
  return rows.map((row) => JSON.parse(row.data) as { memberId: string; points: number; balance: { available: number; pending: number } });
}

async function postedExpiry(ctx: ServiceContext, programId: string): Promise<number> {
  const rows = await ctx.storage.db.selectFrom('ledgerEntries').select(['amount']).where('programId', '=', programId).where('account', '=', 'expired').execute();
  return rows.reduce((sum, row) => sum + Number(row.amount), 0);
}

forEachDialect('expiry is a fact of time', (db) => {
  /** A member with 100 points expiring in 12 months, and a clock moved one day past that, the job not run. */
  async function memberWithExpiredPoints() {
    const { programId } = await givenProgram(db.ctx, { expiryMonths: 12 });
    const member = await givenMember(db.ctx, programId, { points: 100 });
    db.clock.advanceDays(366);
    return { programId, memberId: member.id };
  }

  describe('reads', () => {
    it('a balance leaves out points past their expiry before the job ran, and lists nothing as expiring', async () => {
      const { programId, memberId } = await memberWithExpiredPoints();
      expect(await getBalance(db.ctx, programId, memberId)).toEqual({ available: 0, pending: 0, lifetimeEarned: 0, expiring: [] });
      expect((await getMember(db.ctx, programId, memberId)).balance).toEqual({ available: 0, pending: 0 });
      expect((await listMembers(db.ctx, programId, {})).data.find((m) => m.id === memberId)?.balance).toEqual({ available: 0, pending: 0 });
      expect(await postedExpiry(db.ctx, programId)).toBe(0);
    });

    it('a lot expiring exactly now is expired', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 1 });
      const member = await givenMember(db.ctx, programId, { points: 40 });
      const [lot] = await db.ctx.storage.db.selectFrom('lots').select(['expiresAt']).where('programId', '=', programId).execute();
      db.clock.current = Number(lot?.expiresAt) - 1;
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(40);
      db.clock.current += 1;
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(0);
    });
  });

  describe('writes', () => {
    it('a redemption cannot spend expired points, and writes nothing when refused', async () => {
      const { programId, memberId } = await memberWithExpiredPoints();
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      await expect(redeemReward(db.ctx, programId, memberId, { rewardId: reward.id })).rejects.toMatchObject({ code: 'insufficient_points' });
      expect(await postedExpiry(db.ctx, programId)).toBe(0);
      expect((await db.ctx.storage.db.selectFrom('redemptions').selectAll().where('programId', '=', programId).execute()).length).toBe(0);
    });

    it('a redemption posts the expiry it meets first, spends only live points, and leaves the job nothing', async () => {
      const { programId, memberId } = await memberWithExpiredPoints();
      await adjustPoints(db.ctx, programId, memberId, { points: 150, reason: 'fresh points' });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 120 });
      const outcome = await redeemReward(db.ctx, programId, memberId, { rewardId: reward.id });
      expect(outcome.redemption.balance).toEqual({ available: 30, pending: 0 });
      expect(await postedExpiry(db.ctx, programId)).toBe(100);
      expect(await expiredMessages(db.ctx, programId)).toEqual([{ memberId, points: 100, balance: { available: 0, pending: 0 } }]);
      expect(await expireLots(db.ctx)).toEqual({ lots: 0, points: 0 });
    });

    it('a negative adjustment cannot take expired points', async () => {
      const { programId, memberId } = await memberWithExpiredPoints();
      await expect(adjustPoints(db.ctx, programId, memberId, { points: -10, reason: 'correction' })).rejects.toMatchObject({ code: 'insufficient_points' });
      const positive = await adjustPoints(db.ctx, programId, memberId, { points: 5, reason: 'goodwill' });
      expect(positive.adjustment.balance).toEqual({ available: 5, pending: 0 });
      expect(await postedExpiry(db.ctx, programId)).toBe(100);
    });

    it('an event reports the balance without expired points, and posts their expiry in its transaction', async () => {
      const { programId, memberId } = await memberWithExpiredPoints();
      const outcome = await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'purchase', memberId, data: { orderId: uniqueId('order'), total: 2500, currency: 'EUR' } });
      expect(outcome.response.balance).toEqual({ available: 25, pending: 0 });
      expect(await postedExpiry(db.ctx, programId)).toBe(100);
      expect(await expireLots(db.ctx)).toEqual({ lots: 0, points: 0 });
    });

    it('a refund never claws back points that had expired: what is gone is unrecovered', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 12 });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 5000, { orderId: 'order-old' });
      db.clock.advanceDays(366);
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('evt'), type: 'refund', memberId: member.id, data: { orderId: 'order-old' } });
      expect(refund.response.clawback).toEqual({ points: 0, unrecovered: 50 });
      expect(await postedExpiry(db.ctx, programId)).toBe(50);
      expect(refund.response.balance).toEqual({ available: 0, pending: 0 });
    });

    it('an event back-dated past the expiry period earns points that expire at once', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 1 });
      const member = await givenMember(db.ctx, programId);
      const occurredAt = new Date(db.clock.now() - 40 * 86_400_000).toISOString();
      const outcome = await givenPurchase(db.ctx, programId, member.id, 3000, { occurredAt });
      expect(outcome.response.balance).toEqual({ available: 0, pending: 0 });
      expect(await postedExpiry(db.ctx, programId)).toBe(30);
    });

    it('a cancelled redemption gives back points whose original expiry has passed as expired', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 12 });
      const member = await givenMember(db.ctx, programId, { points: 100 });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      db.clock.advanceDays(366);
      const cancelled = await cancelRedemption(db.ctx, programId, redemption.id);
      expect(cancelled.balance).toEqual({ available: 0, pending: 0 });
      expect(await postedExpiry(db.ctx, programId)).toBe(100);
      expect(await expireLots(db.ctx)).toEqual({ lots: 0, points: 0 });
    });
  });
});
