/**
 * Coupons through the services, on every dialect: what validation says a coupon is worth for a basket (and
 * that it changes nothing), using a coupon exactly once, the CSV import (all or nothing, problems by line),
 * generation in the programme's code format, and the expiry of coupons that belong to no member.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { updateProgram } from '../../src/services/programs.service.js';
import { expireCoupons } from '../../src/services/rewards/coupon-expiry.js';
import { generateCoupons, importCoupons, useCoupon, validateCoupon } from '../../src/services/rewards/coupons.service.js';
import { cancelRedemption, redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenReward } from '../support/factories.js';

/** `days` calendar days after `now` in Amsterdam (the programme's timezone): 90 days from mid-March cross DST. */
const daysLater = (now: number, days: number) => DateTime.fromMillis(now, { zone: 'Europe/Amsterdam' }).plus({ days }).toMillis();

async function couponRows(db: TestDatabase, programId: string) {
  return db.ctx.storage.db.selectFrom('coupons').selectAll().where('programId', '=', programId).orderBy('code').execute();
}

async function outboxCount(db: TestDatabase, programId: string, type: string) {
  const rows = await db.ctx.storage.db.selectFrom('outboxMessages').select('id').where('programId', '=', programId).where('type', '=', type).execute();
  return rows.length;
}

forEachDialect('coupons', (db) => {
  async function redeemed(input: Parameters<typeof givenReward>[2] = {}) {
    const { programId } = await givenProgram(db.ctx);
    const member = await givenMember(db.ctx, programId, { points: 1000 });
    const reward = await givenReward(db.ctx, programId, input);
    const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
    return { programId, member, reward, redemption, code: redemption.coupon.code };
  }

  describe('validate', () => {
    it('tells a fixed discount, capped at the order total, for a code typed in lower case with dashes', async () => {
      const { programId, code, reward } = await redeemed({ value: 750 });
      const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`;
      const before = await couponRows(db, programId);
      expect(await validateCoupon(db.ctx, programId, { code: typed, orderTotal: 5000 })).toMatchObject({
        code, valid: true, status: 'active', reward: { id: reward.id }, discount: { amount: 750, currency: 'EUR' },
      });
      expect((await validateCoupon(db.ctx, programId, { code, orderTotal: 500 })).discount).toEqual({ amount: 500, currency: 'EUR' });
      expect(await couponRows(db, programId)).toEqual(before);
    });

    it('computes a percentage on the total or the items, capped; a free product needs its sku in the basket', async () => {
      const percent = await redeemed({ kind: 'discount_percent', value: 20, maxDiscount: 1000 });
      expect((await validateCoupon(db.ctx, percent.programId, { code: percent.code, orderTotal: 3333 })).discount?.amount).toBe(666);
      expect((await validateCoupon(db.ctx, percent.programId, { code: percent.code, orderTotal: 9000 })).discount?.amount).toBe(1000);
      expect((await validateCoupon(db.ctx, percent.programId, { code: percent.code, items: [{ sku: 'A', quantity: 2, unitPrice: 1000 }] })).discount?.amount).toBe(400);
      const free = await redeemed({ kind: 'free_product', value: undefined, sku: 'CROISSANT' });
      expect(await validateCoupon(db.ctx, free.programId, { code: free.code, items: [{ sku: 'CROISSANT', quantity: 2, unitPrice: 195 }] })).toMatchObject({
        valid: true, freeProduct: { sku: 'CROISSANT', quantity: 1 }, discount: { amount: 195, currency: 'EUR' },
      });
      expect(await validateCoupon(db.ctx, free.programId, { code: free.code, items: [{ sku: 'BREAD', quantity: 1, unitPrice: 300 }] })).toMatchObject({
        valid: false, reason: 'product_not_in_basket',
      });
    });

    it('answers used, cancelled and expired coupons with valid false and a reason; an unknown code is coupon_not_found', async () => {
      const used = await redeemed();
      await useCoupon(db.ctx, used.programId, used.code, { orderId: 'o-1' });
      expect(await validateCoupon(db.ctx, used.programId, { code: used.code })).toMatchObject({ valid: false, reason: 'used', status: 'used' });
      const cancelled = await redeemed();
      await cancelRedemption(db.ctx, cancelled.programId, cancelled.redemption.id);
      expect(await validateCoupon(db.ctx, cancelled.programId, { code: cancelled.code })).toMatchObject({ valid: false, reason: 'cancelled' });
      const expiring = await redeemed();
      db.clock.advanceDays(90);
      // Past its expiry before the job ran, and after.
      expect(await validateCoupon(db.ctx, expiring.programId, { code: expiring.code })).toMatchObject({ valid: false, reason: 'expired', status: 'active' });
      await expireCoupons(db.ctx);
      expect(await validateCoupon(db.ctx, expiring.programId, { code: expiring.code })).toMatchObject({ valid: false, reason: 'expired', status: 'expired' });
      await expect(validateCoupon(db.ctx, used.programId, { code: 'NOSUCHCODE' })).rejects.toMatchObject({ code: 'coupon_not_found', errors: [{ pointer: '/code' }] });
      // Another programme's code is unknown here.
      await expect(validateCoupon(db.ctx, used.programId, { code: expiring.code })).rejects.toMatchObject({ code: 'coupon_not_found' });
    });
  });

  describe('use', () => {
    it('marks the coupon used once; the same order again replays; another order is coupon_already_used', async () => {
      const { programId, code, member } = await redeemed();
      const first = await useCoupon(db.ctx, programId, code.toLowerCase(), { orderId: 'order-7' });
      expect(first).toMatchObject({ replayed: false, coupon: { code, status: 'used', orderId: 'order-7', usedAt: new Date(db.clock.now()).toISOString(), memberId: member.id } });
      db.clock.advanceDays(1);
      expect(await useCoupon(db.ctx, programId, code, { orderId: 'order-7' })).toEqual({ replayed: true, coupon: first.coupon });
      await expect(useCoupon(db.ctx, programId, code, { orderId: 'order-8' })).rejects.toMatchObject({ code: 'coupon_already_used' });
      expect(await outboxCount(db, programId, 'coupon.used')).toBe(1);
      expect((await couponRows(db, programId))[0]).toMatchObject({ status: 'used', orderId: 'order-7' });
    });

    it('refuses an expired coupon (coupon_expired), a cancelled one (coupon_not_active) and an unknown one, changing nothing', async () => {
      const expired = await redeemed();
      db.clock.advanceDays(90);
      const before = await couponRows(db, expired.programId);
      await expect(useCoupon(db.ctx, expired.programId, expired.code, { orderId: 'o' })).rejects.toMatchObject({ code: 'coupon_expired' });
      expect(await couponRows(db, expired.programId)).toEqual(before);
      const cancelled = await redeemed();
      await cancelRedemption(db.ctx, cancelled.programId, cancelled.redemption.id);
      await expect(useCoupon(db.ctx, cancelled.programId, cancelled.code, { orderId: 'o' })).rejects.toMatchObject({ code: 'coupon_not_active' });
      await expect(useCoupon(db.ctx, cancelled.programId, 'UNKNOWN1', { orderId: 'o' })).rejects.toMatchObject({ code: 'coupon_not_found' });
      await expect(useCoupon(db.ctx, cancelled.programId, expired.code, { orderId: 'o' })).rejects.toMatchObject({ code: 'coupon_not_found' });
      expect(await outboxCount(db, cancelled.programId, 'coupon.used')).toBe(0);
    });
  });

  describe('import', () => {
    it('imports codes for a reward, normalised, with their expiry (capped at the reward) or the default validity', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId, { validUntil: '2026-12-31T00:00:00Z' });
      const batch = await importCoupons(db.ctx, programId, { rewardId: reward.id, campaign: 'Spring' },
        'code,expiresAt\nspring-0001,2026-05-01T00:00:00Z\nSPRING0002,\nSPRING0003,2027-06-01T00:00:00Z\n');
      expect(batch).toMatchObject({ rewardId: reward.id, campaign: 'Spring', count: 3 });
      expect(batch.batchId).toMatch(/^cpb_/);
      const rows = await couponRows(db, programId);
      expect(rows.map((r) => [r.code, r.expiresAt, r.memberId, r.redemptionId, r.campaign, r.batchId, r.status])).toEqual([
        ['SPRING0001', Date.parse('2026-05-01T00:00:00Z'), null, null, 'Spring', batch.batchId, 'active'],
        ['SPRING0002', daysLater(db.clock.now(), 90), null, null, 'Spring', batch.batchId, 'active'],
        ['SPRING0003', Date.parse('2026-12-31T00:00:00Z'), null, null, 'Spring', batch.batchId, 'active'],
      ]);
      expect(await validateCoupon(db.ctx, programId, { code: 'spring 0001', orderTotal: 2000 })).toMatchObject({ valid: true, discount: { amount: 500 } });
      expect((await useCoupon(db.ctx, programId, 'SPRING0001', { orderId: 'o1' })).coupon).toMatchObject({ memberId: null, redemptionId: null, campaign: 'Spring' });
    });

    it('is all or nothing: a bad line, a duplicate or an existing code names its line and writes nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId);
      await importCoupons(db.ctx, programId, { rewardId: reward.id }, 'code\nEXISTING1');
      const before = await couponRows(db, programId);
      const refused = (csv: string) => importCoupons(db.ctx, programId, { rewardId: reward.id }, csv);
      await expect(refused('code\nGOOD0001\nbad code!')).rejects.toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/line/3' }] });
      await expect(refused('code\nGOOD0001\nGOOD0002\ngood-0001')).rejects.toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/line/4' }] });
      await expect(refused('code\nGOOD0001\nexisting-1')).rejects.toMatchObject({ code: 'coupon_code_taken', errors: [{ pointer: '/line/3' }] });
      await expect(refused(`code\n${Array.from({ length: 10_001 }, (_, i) => `C${i}XYZ`).join('\n')}`)).rejects.toMatchObject({ errors: [{ pointer: '/line/10002' }] });
      await expect(importCoupons(db.ctx, programId, { rewardId: 'rwd_nope' }, 'code\nGOOD0001')).rejects.toMatchObject({ code: 'reward_not_found' });
      expect(await couponRows(db, programId)).toEqual(before);
    });

    it('takes 10,000 codes in one call', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId);
      const batch = await importCoupons(db.ctx, programId, { rewardId: reward.id }, `code\n${Array.from({ length: 10_000 }, (_, i) => `BULK${i}`).join('\n')}`);
      expect(batch.count).toBe(10_000);
      expect(await couponRows(db, programId)).toHaveLength(10_000);
    });
  });

  describe('generate', () => {
    it("draws unique codes in the programme's format, belonging to no member", async () => {
      const { programId } = await givenProgram(db.ctx);
      await updateProgram(db.ctx, programId, { coupons: { prefix: 'xmas-', length: 8, validityDays: 30 } });
      const reward = await givenReward(db.ctx, programId);
      const batch = await generateCoupons(db.ctx, programId, { rewardId: reward.id, count: 500, campaign: 'Christmas' });
      expect(batch).toMatchObject({ rewardId: reward.id, campaign: 'Christmas', count: 500, expiresAt: new Date(daysLater(db.clock.now(), 30)).toISOString() });
      expect(new Set(batch.codes).size).toBe(500);
      for (const code of batch.codes) expect(code).toMatch(/^XMAS[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
      expect(await couponRows(db, programId)).toHaveLength(500);
      const chosen = await generateCoupons(db.ctx, programId, { rewardId: reward.id, count: 1, expiresAt: '2026-04-01T00:00:00Z' });
      expect(chosen.expiresAt).toBe('2026-04-01T00:00:00.000Z');
    });

    it('refuses a past expiry, a bad count and an unknown reward, writing nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId);
      await expect(generateCoupons(db.ctx, programId, { rewardId: reward.id, count: 1, expiresAt: '2026-01-01T00:00:00Z' })).rejects.toMatchObject({ errors: [{ pointer: '/expiresAt' }] });
      await expect(generateCoupons(db.ctx, programId, { rewardId: reward.id, count: 0 })).rejects.toMatchObject({ errors: [{ pointer: '/count' }] });
      await expect(generateCoupons(db.ctx, programId, { rewardId: 'rwd_nope', count: 1 })).rejects.toMatchObject({ code: 'reward_not_found' });
      expect(await couponRows(db, programId)).toEqual([]);
    });
  });

  describe('expiry', () => {
    it('expires imported and generated coupons without touching any points, even when refunds are on', async () => {
      const { programId } = await givenProgram(db.ctx);
      await updateProgram(db.ctx, programId, { coupons: { refundExpired: true } });
      const reward = await givenReward(db.ctx, programId);
      await generateCoupons(db.ctx, programId, { rewardId: reward.id, count: 3, expiresAt: '2026-03-20T00:00:00Z' });
      await importCoupons(db.ctx, programId, { rewardId: reward.id }, 'code,expiresAt\nLATER001,2026-06-01T00:00:00Z');
      db.clock.set('2026-03-21T00:00:00Z');
      expect(await expireCoupons(db.ctx)).toBe(3);
      expect((await couponRows(db, programId)).map((r) => r.status).sort()).toEqual(['active', 'expired', 'expired', 'expired']);
      expect(await outboxCount(db, programId, 'redemption.cancelled')).toBe(0);
    });
  });
});
