/**
 * The rewards catalogue and redemptions through the services, on every dialect: what a redemption takes from
 * which lots, every refusal (and that a refusal writes nothing), cancellation giving points back with their
 * original expiry, and the coupon expiry job with and without refunds, run twice.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { getBalance, getLedger, updateMember } from '../../src/services/members.service.js';
import { updateProgram } from '../../src/services/programs.service.js';
import { expireCoupons } from '../../src/services/rewards/coupon-expiry.js';
import { useCoupon } from '../../src/services/rewards/coupons.service.js';
import { cancelRedemption, getRedemption, listRedemptions, redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { getReward, listRewards, updateReward } from '../../src/services/rewards/rewards.service.js';
import { verifyLedger } from '../../src/storage/verify.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenReward } from '../support/factories.js';

/** Counts of everything a redemption writes, to prove a refusal wrote nothing. */
async function footprint(db: TestDatabase, programId: string) {
  const raw = db.ctx.storage.db.withoutPlugins();
  const count = async (table: string) =>
    Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)} where program_id = ${programId}`.execute(raw)).rows[0]?.n);
  return {
    redemptions: await count('redemptions'),
    coupons: await count('coupons'),
    ledgerTransactions: await count('ledger_transactions'),
    lots: await count('lots'),
    outbox: await count('outbox_messages'),
    idempotency: await count('idempotency_keys'),
    rewards: (await sql<{ stock: number | null; redeemed_count: number }>`select stock, redeemed_count from rewards where program_id = ${programId} order by id`.execute(raw)).rows,
    members: (await sql<{ available: number }>`select id, available, pending from members where program_id = ${programId} order by id`.execute(raw)).rows,
  };
}

async function outboxTypes(db: TestDatabase, programId: string): Promise<string[]> {
  const rows = await db.ctx.storage.db.selectFrom('outboxMessages').select('type').where('programId', '=', programId).orderBy('id').execute();
  return rows.map((r) => r.type);
}

forEachDialect('rewards', (db) => {
  async function setup(points = 1000) {
    const { programId } = await givenProgram(db.ctx);
    const member = await givenMember(db.ctx, programId, { points });
    return { programId, member };
  }

  /** Runs `attempt`, expects it to fail with `code`, and checks nothing was written. */
  async function expectRefusal(programId: string, attempt: () => Promise<unknown>, code: string) {
    const before = await footprint(db, programId);
    await expect(attempt()).rejects.toMatchObject({ code });
    expect(await footprint(db, programId)).toEqual(before);
  }

  describe('catalogue', () => {
    it('creates, reads, changes and lists rewards with their stock and redeemed count', async () => {
      const { programId } = await setup();
      const coffee = await givenReward(db.ctx, programId, {
        name: { en: 'Free coffee', nl: 'Gratis koffie' },
        kind: 'free_product',
        value: undefined,
        sku: 'COFFEE',
        pointsCost: 50,
        stock: 20,
      });
      expect(coffee).toMatchObject({ name: { en: 'Free coffee', nl: 'Gratis koffie' }, kind: 'free_product', sku: 'COFFEE', stock: 20, redeemedCount: 0, active: true, currency: null });
      expect(coffee.id).toMatch(/^rwd_/);
      const percent = await givenReward(db.ctx, programId, { kind: 'discount_percent', value: 10, maxDiscount: 1500, active: false });
      expect(await getReward(db.ctx, programId, coffee.id)).toEqual(coffee);
      const changed = await updateReward(db.ctx, programId, coffee.id, { stock: 5, description: 'Any size' });
      expect(changed).toMatchObject({ stock: 5, description: 'Any size', sku: 'COFFEE' });
      expect((await listRewards(db.ctx, programId)).data.map((r) => r.id)).toEqual([coffee.id, percent.id]);
      expect((await listRewards(db.ctx, programId, { active: false })).data.map((r) => r.id)).toEqual([percent.id]);
      expect((await listRewards(db.ctx, programId, { kind: 'free_product' })).data.map((r) => r.id)).toEqual([coffee.id]);
      const first = await listRewards(db.ctx, programId, { limit: 1 });
      expect(first.data).toHaveLength(1);
      expect((await listRewards(db.ctx, programId, { limit: 1, cursor: first.nextCursor ?? '' })).data.map((r) => r.id)).toEqual([percent.id]);
    });

    it('checks a change as a whole: a kind change must clear what the new kind does not use', async () => {
      const { programId } = await setup();
      const reward = await givenReward(db.ctx, programId);
      await expect(updateReward(db.ctx, programId, reward.id, { kind: 'free_product', sku: 'X' })).rejects.toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/value' }] });
      expect(await getReward(db.ctx, programId, reward.id)).toEqual(reward);
      expect(await updateReward(db.ctx, programId, reward.id, { kind: 'free_product', sku: 'X', value: null })).toMatchObject({ kind: 'free_product', value: null, currency: null });
    });

    it("hides another programme's rewards", async () => {
      const { programId } = await setup();
      const other = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, other.programId);
      await expect(getReward(db.ctx, programId, reward.id)).rejects.toMatchObject({ code: 'reward_not_found' });
      await expect(updateReward(db.ctx, programId, reward.id, { stock: 1 })).rejects.toMatchObject({ code: 'reward_not_found' });
    });
  });

  describe('redeeming', () => {
    it('spends points oldest expiry first, issues a coupon, counts the stock and writes the outbox', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 12 });
      const member = await givenMember(db.ctx, programId, { points: 100 });
      db.clock.advanceDays(40);
      await adjustPoints(db.ctx, programId, member.id, { points: 200, reason: 'later lot' });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 150, stock: 3 });
      const outcome = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      const redemption = outcome.redemption;
      expect(outcome.replayed).toBe(false);
      expect(redemption).toMatchObject({ memberId: member.id, points: 150, status: 'completed', balance: { available: 150, pending: 0 } });
      expect(redemption.id).toMatch(/^rdm_/);
      expect(redemption.reward).toMatchObject({ id: reward.id, stock: 2, redeemedCount: 1 });
      expect(redemption.coupon.code).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{10}$/);
      // 90 days of validity from now, in the programme's timezone.
      expect(redemption.coupon).toMatchObject({ status: 'active', expiresAt: new Date(db.clock.now() + 90 * 86_400_000).toISOString(), usedAt: null });
      const lots = await db.ctx.storage.db.selectFrom('lots').select(['remaining', 'expiresAt']).where('memberId', '=', member.id).orderBy('expiresAt').execute();
      expect(lots.map((l) => l.remaining)).toEqual([0, 150]);
      const spent = (await getLedger(db.ctx, programId, member.id, {})).data.filter((e) => e.kind === 'redemption');
      expect(spent.map((e) => e.points).sort()).toEqual([-100, -50]);
      expect(await outboxTypes(db, programId)).toEqual(expect.arrayContaining(['reward.redeemed', 'points.spent']));
      expect(await getRedemption(db.ctx, programId, redemption.id)).toEqual({ ...redemption, balance: undefined, reward: { ...redemption.reward } });
      expect((await listRedemptions(db.ctx, programId, member.id)).data.map((r) => r.id)).toEqual([redemption.id]);
    });

    it('caps the coupon at the reward validUntil', async () => {
      const { programId, member } = await setup();
      const reward = await givenReward(db.ctx, programId, { validUntil: '2026-04-01T00:00:00Z' });
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      expect(redemption.coupon.expiresAt).toBe('2026-04-01T00:00:00.000Z');
    });

    it('refuses a blocked member, an unavailable reward, a missing tier, a reached limit, no stock and too few points, writing nothing', async () => {
      const { programId, member } = await setup(1000);
      const plain = await givenReward(db.ctx, programId);
      await updateMember(db.ctx, programId, member.id, { status: 'blocked' });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: plain.id }), 'member_blocked');
      await updateMember(db.ctx, programId, member.id, { status: 'active' });

      const inactive = await givenReward(db.ctx, programId, { active: false });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: inactive.id }), 'reward_not_available');
      const future = await givenReward(db.ctx, programId, { validFrom: '2026-04-01T00:00:00Z' });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: future.id }), 'reward_not_available');
      const past = await givenReward(db.ctx, programId, { validUntil: '2026-03-01T00:00:00Z' });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: past.id }), 'reward_not_available');

      const gold = await givenReward(db.ctx, programId, { tiers: ['Gold'] });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: gold.id }), 'reward_tier_required');
      await db.ctx.storage.db.updateTable('members').set({ tier: 'Gold' }).where('id', '=', member.id).execute();
      await redeemReward(db.ctx, programId, member.id, { rewardId: gold.id });

      const once = await givenReward(db.ctx, programId, { limits: { perMember: { count: 1, period: 'month' } } });
      await redeemReward(db.ctx, programId, member.id, { rewardId: once.id });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: once.id }), 'reward_limit_reached');

      const soldOut = await givenReward(db.ctx, programId, { stock: 0 });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: soldOut.id }), 'reward_out_of_stock');

      const dear = await givenReward(db.ctx, programId, { pointsCost: 801 });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: dear.id }), 'insufficient_points');
      await expect(redeemReward(db.ctx, programId, member.id, { rewardId: dear.id })).rejects.toSatisfy(
        (e: { errors: unknown[] }) => e.errors.length === 0,
      );
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: 'rwd_nope' }), 'reward_not_found');
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, 'mbr_nope', { rewardId: plain.id }), 'member_not_found');
    });

    it('counts the limit per calendar period in the programme timezone, and not cancelled redemptions', async () => {
      const { programId, member } = await setup(1000);
      const monthly = await givenReward(db.ctx, programId, { limits: { perMember: { count: 1, period: 'month' } } });
      db.clock.set('2026-03-31T21:30:00Z'); // 23:30 in Amsterdam: still March
      const first = await redeemReward(db.ctx, programId, member.id, { rewardId: monthly.id });
      db.clock.set('2026-03-31T22:30:00Z'); // 00:30 on 1 April in Amsterdam
      await redeemReward(db.ctx, programId, member.id, { rewardId: monthly.id });
      await expect(redeemReward(db.ctx, programId, member.id, { rewardId: monthly.id })).rejects.toMatchObject({ code: 'reward_limit_reached' });
      db.clock.set('2026-03-31T21:45:00Z');
      await cancelRedemption(db.ctx, programId, first.redemption.id);
      await redeemReward(db.ctx, programId, member.id, { rewardId: monthly.id });
    });

    it('replays a repeat with the same Idempotency-Key and refuses the key for another reward', async () => {
      const { programId, member } = await setup(1000);
      const reward = await givenReward(db.ctx, programId);
      const other = await givenReward(db.ctx, programId);
      const first = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id }, 'key-1');
      const again = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id }, 'key-1');
      expect(again).toEqual({ replayed: true, redemption: first.redemption });
      await expectRefusal(programId, () => redeemReward(db.ctx, programId, member.id, { rewardId: other.id }, 'key-1'), 'idempotency_key_reused_with_different_body');
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(900);
    });
  });

  describe('cancelling', () => {
    it('gives the points back as new lots with the original expiries, available at once, and returns the stock', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 6 });
      const member = await givenMember(db.ctx, programId, { points: 60 });
      db.clock.advanceDays(10);
      await adjustPoints(db.ctx, programId, member.id, { points: 100, reason: 'second lot' });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100, stock: 1 });
      const lifetimeBefore = (await getBalance(db.ctx, programId, member.id)).lifetimeEarned;
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      const expiriesBefore = await db.ctx.storage.db.selectFrom('lots').select(['id', 'expiresAt']).where('memberId', '=', member.id).orderBy('expiresAt').execute();
      db.clock.advanceDays(3);
      const cancelled = await cancelRedemption(db.ctx, programId, redemption.id);
      expect(cancelled).toMatchObject({ status: 'cancelled', balance: { available: 160, pending: 0 }, coupon: { status: 'cancelled' }, endedAt: new Date(db.clock.now()).toISOString() });
      expect(cancelled.reward).toMatchObject({ stock: 1, redeemedCount: 0 });
      const returned = await db.ctx.storage.db
        .selectFrom('lots').select(['amount', 'remaining', 'expiresAt', 'releasedAt']).where('memberId', '=', member.id).where('createdAt', '=', db.clock.now())
        .orderBy('expiresAt').execute();
      expect(returned).toEqual([
        { amount: 60, remaining: 60, expiresAt: expiriesBefore[0]?.expiresAt, releasedAt: db.clock.now() },
        { amount: 40, remaining: 40, expiresAt: expiriesBefore[1]?.expiresAt, releasedAt: db.clock.now() },
      ]);
      expect(await outboxTypes(db, programId)).toContain('redemption.cancelled');
      await expect(cancelRedemption(db.ctx, programId, redemption.id)).rejects.toMatchObject({ code: 'redemption_not_cancellable' });
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(160);
      // The member's lifetime earnings are untouched by spending and getting points back.
      expect((await getBalance(db.ctx, programId, member.id)).lifetimeEarned).toBe(lifetimeBefore);
    });

    it('refuses once the coupon was used, writing nothing', async () => {
      const { programId, member } = await setup();
      const reward = await givenReward(db.ctx, programId);
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      await useCoupon(db.ctx, programId, redemption.coupon.code, { orderId: 'order-1' });
      await expectRefusal(programId, () => cancelRedemption(db.ctx, programId, redemption.id), 'redemption_not_cancellable');
      await expectRefusal(programId, () => cancelRedemption(db.ctx, programId, 'rdm_nope'), 'redemption_not_found');
    });

    it("hides another programme's redemptions", async () => {
      const { programId, member } = await setup();
      const other = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId);
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      await expect(getRedemption(db.ctx, other.programId, redemption.id)).rejects.toMatchObject({ code: 'redemption_not_found' });
      await expect(cancelRedemption(db.ctx, other.programId, redemption.id)).rejects.toMatchObject({ code: 'redemption_not_found' });
      await expect(listRedemptions(db.ctx, other.programId, member.id)).rejects.toMatchObject({ code: 'member_not_found' });
      await expect(redeemReward(db.ctx, other.programId, member.id, { rewardId: reward.id })).rejects.toMatchObject({ code: 'member_not_found' });
    });
  });

  describe('coupon expiry job', () => {
    it('expires due coupons once, keeping the points when the programme does not refund', async () => {
      const { programId, member } = await setup(1000);
      const reward = await givenReward(db.ctx, programId);
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      expect(await expireCoupons(db.ctx)).toBe(0);
      db.clock.advanceDays(90);
      expect(await expireCoupons(db.ctx)).toBe(1);
      expect(await expireCoupons(db.ctx)).toBe(0);
      expect(await getRedemption(db.ctx, programId, redemption.id)).toMatchObject({ status: 'completed', coupon: { status: 'expired' } });
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(900);
      await expect(useCoupon(db.ctx, programId, redemption.coupon.code, { orderId: 'late' })).rejects.toMatchObject({ code: 'coupon_expired' });
      // An expired coupon that was not refunded can still be cancelled by support: the points come back once.
      await cancelRedemption(db.ctx, programId, redemption.id);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(1000);
    });

    it('refunds expired coupons from redemptions when the programme says so, once, in batches', async () => {
      const { programId, member } = await setup(1000);
      await updateProgram(db.ctx, programId, { coupons: { refundExpired: true, validityDays: 10 } });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100, stock: 10 });
      const redemptions = [];
      for (let i = 0; i < 5; i++) redemptions.push((await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id })).redemption);
      await useCoupon(db.ctx, programId, redemptions[0]!.coupon.code, { orderId: 'used-one' });
      db.clock.advanceDays(10);
      expect(await expireCoupons(db.ctx, 2)).toBe(4);
      expect(await expireCoupons(db.ctx, 2)).toBe(0);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(900);
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ stock: 9, redeemedCount: 1 });
      const refunded = await getRedemption(db.ctx, programId, redemptions[1]!.id);
      expect(refunded).toMatchObject({ status: 'refunded', coupon: { status: 'expired' } });
      await expect(cancelRedemption(db.ctx, programId, refunded.id)).rejects.toMatchObject({ code: 'redemption_not_cancellable' });
      await expect(useCoupon(db.ctx, programId, refunded.coupon.code, { orderId: 'x' })).rejects.toMatchObject({ code: 'coupon_not_active' });
      expect((await outboxTypes(db, programId)).filter((t) => t === 'redemption.cancelled')).toHaveLength(4);
    });

    it('re-checks the redemption under the lock: one already cancelled is not refunded again', async () => {
      const { programId, member } = await setup(1000);
      await updateProgram(db.ctx, programId, { coupons: { refundExpired: true } });
      const reward = await givenReward(db.ctx, programId);
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      await cancelRedemption(db.ctx, programId, redemption.id);
      // The coupon looks active again, as a claim read before the cancel committed would have seen it.
      const coupon = () => db.ctx.storage.db.updateTable('coupons').where('code', '=', redemption.coupon.code);
      await coupon().set({ status: 'active', endedAt: null }).execute();
      db.clock.advanceDays(91);
      expect(await expireCoupons(db.ctx)).toBe(1);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(1000);
      expect(await getReward(db.ctx, programId, reward.id)).toMatchObject({ redeemedCount: 0 });
      await coupon().set({ status: 'cancelled' }).execute();
    });
  });

  describe('trouw verify', () => {
    it('names a redemption whose points are not on the ledger, a coupon out of step and a miscounted reward', async () => {
      const { programId, member } = await setup(1000);
      const reward = await givenReward(db.ctx, programId);
      const { redemption } = await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id });
      const raw = db.ctx.storage.db.withoutPlugins();
      const invariants = async () => (await verifyLedger(db.ctx.storage, programId)).map((v) => v.invariant);
      await sql`update redemptions set points = points + 1 where id = ${redemption.id}`.execute(raw);
      expect(await invariants()).toEqual(["a redemption's points are on the ledger, and given back once if it ended"]);
      await sql`update redemptions set points = points - 1 where id = ${redemption.id}`.execute(raw);
      await sql`update coupons set status = 'cancelled' where code = ${redemption.coupon.code}`.execute(raw);
      expect(await invariants()).toEqual(["a redemption's coupon agrees with it"]);
      await sql`update coupons set status = 'active' where code = ${redemption.coupon.code}`.execute(raw);
      await sql`update rewards set redeemed_count = 5 where id = ${reward.id}`.execute(raw);
      expect(await invariants()).toEqual(['a reward counts the redemptions that stand']);
      await sql`update rewards set redeemed_count = 1 where id = ${reward.id}`.execute(raw);
      expect(await invariants()).toEqual([]);
    });
  });
});
