/**
 * Model-based test of the points ledger (the shape of TigerBeetle's auditor): random sequences of purchases,
 * refunds, adjustments, redemptions and their cancellations, clock moves and job runs (including the coupon
 * expiry job, which may refund) are applied both to the real services and to a small
 * in-memory model written independently from the domain code. After every step the member balances and
 * lifetime totals must agree, rejected commands must be rejected by both, and at the end `trouw verify`'s
 * invariants must hold. fast-check prints the seed and the shrunk command list of any failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { isDomainError } from '../../src/domain/errors.js';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent } from '../../src/services/events.service.js';
import { enrolMember, getMember } from '../../src/services/members.service.js';
import { expireLots, releasePendingPoints } from '../../src/services/points-jobs.service.js';
import { createProgram, updateProgram } from '../../src/services/programs.service.js';
import { expireCoupons } from '../../src/services/rewards/coupon-expiry.js';
import { cancelRedemption, redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { createReward, getReward } from '../../src/services/rewards/rewards.service.js';
import { verifyLedger } from '../../src/storage/verify.js';
import { forEachDialect } from '../support/dialects.js';

type Command =
  | { kind: 'purchase'; member: number; total: number }
  | { kind: 'refund'; order: number; amount: number | null }
  | { kind: 'adjust'; member: number; points: number }
  | { kind: 'redeem'; member: number; reward: number }
  | { kind: 'cancel'; redemption: number }
  | { kind: 'advance'; days: number }
  | { kind: 'jobs' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('purchase' as const), member: fc.nat(2), total: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), order: fc.nat(50), amount: fc.option(fc.integer({ min: 1, max: 12_000 }), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('adjust' as const), member: fc.nat(2), points: fc.integer({ min: -400, max: 400 }).filter((p) => p !== 0) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('redeem' as const), member: fc.nat(2), reward: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), redemption: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'jobs' as const }) },
);

interface ModelLot { seq: number; remaining: number; availableAt: number; released: boolean; expiresAt: number | null }
/** The model's catalogue: what each reward costs and how much stock it starts with (null: unlimited). */
const modelRewards = [
  { pointsCost: 10, stock: null },
  { pointsCost: 40, stock: 3 },
  { pointsCost: 150, stock: null },
] as const;

interface ModelRedemption {
  member: number;
  reward: number;
  taken: { points: number; expiresAt: number | null }[];
  state: 'completed' | 'cancelled' | 'refunded';
  couponExpiresAt: number;
  couponExpired: boolean;
}
interface ModelOrder { member: number; total: number; refunded: number; earned: number; recovered: number; lot: ModelLot | null }

/**
 * The model: plain arrays, the rules of DESIGN.md and the issue written out again without the domain code.
 * Expiry is a fact of time (DESIGN.md §4.7): a lot counts, and can be spent or clawed back, only while `now`
 * is before its expiry — whether or not the expiry job has run. The job's run changes nothing the model shows.
 */
class LedgerModel {
  lots: ModelLot[][] = [[], [], []];
  lifetime = [0, 0, 0];
  orders: ModelOrder[] = [];
  redemptions: ModelRedemption[] = [];
  stock: (number | null)[] = modelRewards.map((r) => r.stock);
  private seq = 0;
  constructor(readonly pendingDays: number, readonly expiryMonths: number | null, readonly timezone: string, readonly refundExpiredCoupons = false) {}

  private static live(lot: ModelLot, now: number): boolean {
    return lot.expiresAt === null || now < lot.expiresAt;
  }

  balance(member: number, now: number) {
    const lots = (this.lots[member] ?? []).filter((l) => LedgerModel.live(l, now));
    return {
      available: lots.filter((l) => l.released).reduce((s, l) => s + l.remaining, 0),
      pending: lots.filter((l) => !l.released).reduce((s, l) => s + l.remaining, 0),
    };
  }

  private newLot(member: number, points: number, now: number, pendingDays: number): ModelLot {
    const availableAt = DateTime.fromMillis(now, { zone: this.timezone }).plus({ days: pendingDays }).toMillis();
    const expiresAt = this.expiryMonths === null ? null : DateTime.fromMillis(now, { zone: this.timezone }).plus({ months: this.expiryMonths }).toMillis();
    const lot = { seq: this.seq++, remaining: points, availableAt, released: availableAt <= now, expiresAt };
    this.lots[member]?.push(lot);
    return lot;
  }

  private static byExpiry(a: ModelLot, b: ModelLot) {
    return (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.seq - b.seq;
  }

  purchase(member: number, total: number, now: number) {
    const earned = Math.floor(total / 100);
    const lot = earned > 0 ? this.newLot(member, earned, now, this.pendingDays) : null;
    this.lifetime[member]! += earned;
    this.orders.push({ member, total, refunded: 0, earned, recovered: 0, lot });
  }

  /** Returns false when the service must refuse the refund. */
  refund(order: ModelOrder, amount: number | null, now: number): boolean {
    const refundable = order.total - order.refunded;
    const refund = amount ?? refundable;
    if (refund === 0 || refund > refundable) return false;
    order.refunded += refund;
    const target = order.total === 0 ? order.earned : Math.floor((order.earned * order.refunded) / order.total);
    let points = target - order.recovered;
    order.recovered = target;
    this.lifetime[order.member]! -= points;
    const lots = (this.lots[order.member] ?? []).filter((l) => LedgerModel.live(l, now));
    const own = order.lot && LedgerModel.live(order.lot, now) ? [order.lot] : [];
    const pending = lots.filter((l) => l !== order.lot && !l.released).sort(LedgerModel.byExpiry);
    const available = lots.filter((l) => l !== order.lot && l.released).sort(LedgerModel.byExpiry);
    for (const lot of [...own, ...pending, ...available]) {
      const take = Math.min(lot.remaining, points);
      lot.remaining -= take;
      points -= take;
    }
    return true;
  }

  /** Returns false when the service must refuse the adjustment (not enough available points). */
  adjust(member: number, points: number, now: number): boolean {
    if (points > 0) {
      this.newLot(member, points, now, 0);
      return true;
    }
    if (this.balance(member, now).available < -points) return false;
    let left = -points;
    for (const lot of (this.lots[member] ?? []).filter((l) => l.released && LedgerModel.live(l, now)).sort(LedgerModel.byExpiry)) {
      const take = Math.min(lot.remaining, left);
      lot.remaining -= take;
      left -= take;
    }
    return true;
  }

  /** The refusal the service must give, or null when the redemption goes through (spending oldest expiry first). */
  redeem(member: number, reward: number, now: number): string | null {
    const { pointsCost } = modelRewards[reward]!;
    const stock = this.stock[reward];
    if (stock === 0) return 'reward_out_of_stock';
    if (this.balance(member, now).available < pointsCost) return 'insufficient_points';
    if (stock !== null && stock !== undefined) this.stock[reward] = stock - 1;
    const taken: ModelRedemption['taken'] = [];
    let left: number = pointsCost;
    for (const lot of (this.lots[member] ?? []).filter((l) => l.released && l.remaining > 0 && LedgerModel.live(l, now)).sort(LedgerModel.byExpiry)) {
      if (left === 0) break;
      const take = Math.min(lot.remaining, left);
      lot.remaining -= take;
      left -= take;
      taken.push({ points: take, expiresAt: lot.expiresAt });
    }
    const couponExpiresAt = DateTime.fromMillis(now, { zone: this.timezone }).plus({ days: 90 }).toMillis();
    this.redemptions.push({ member, reward, taken, state: 'completed', couponExpiresAt, couponExpired: false });
    return null;
  }

  /** Gives a redemption's points back as new available lots with the original expiries; false if it had ended. */
  giveBack(redemption: ModelRedemption, state: 'cancelled' | 'refunded', now: number): boolean {
    if (redemption.state !== 'completed') return false;
    redemption.state = state;
    const stock = this.stock[redemption.reward];
    if (stock !== null && stock !== undefined) this.stock[redemption.reward] = stock + 1;
    for (const part of redemption.taken) {
      this.lots[redemption.member]?.push({ seq: this.seq++, remaining: part.points, availableAt: now, released: true, expiresAt: part.expiresAt });
    }
    return true;
  }

  jobs(now: number) {
    for (const lots of this.lots) {
      for (const lot of lots) if (!lot.released && lot.availableAt <= now) lot.released = true;
      for (const lot of lots) if (lot.expiresAt !== null && lot.expiresAt <= now) lot.remaining = 0;
    }
    for (const redemption of this.redemptions) {
      if (redemption.state !== 'completed' || redemption.couponExpired || redemption.couponExpiresAt > now) continue;
      redemption.couponExpired = true;
      if (this.refundExpiredCoupons) this.giveBack(redemption, 'refunded', now);
    }
  }
}

const settingsArb = fc.record({ pendingDays: fc.constantFrom(0, 14), expiryMonths: fc.constantFrom(null, 6), refundExpiredCoupons: fc.boolean() });

/** Sequences centred on redemptions: members start with points, and time moves far enough for coupons to expire. */
const redemptionCommandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('redeem' as const), member: fc.nat(2), reward: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), redemption: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'jobs' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purchase' as const), member: fc.nat(2), total: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('adjust' as const), member: fc.nat(2), points: fc.integer({ min: -200, max: 200 }).filter((p) => p !== 0) }) },
);

forEachDialect('ledger model', (db) => {
  let run = 0;

  /** Applies the commands to the services and the model, comparing them after every step. */
  async function agreeWithModel(settings: { pendingDays: number; expiryMonths: number | null; refundExpiredCoupons: boolean }, commands: Command[], startPoints: number) {
      const ctx = db.ctx;
      const { refundExpiredCoupons, ...programSettings } = settings;
      const { program } = await createProgram(ctx, { name: `model ${run++}`, ...programSettings });
      await updateProgram(ctx, program.id, { coupons: { refundExpired: refundExpiredCoupons } });
      const members = [];
      for (let i = 0; i < 3; i++) members.push(await enrolMember(ctx, program.id, { externalId: `m${i}` }));
      const rewards = [];
      for (const [i, reward] of modelRewards.entries()) {
        rewards.push(await createReward(ctx, program.id, { name: `reward ${i}`, kind: 'donation', pointsCost: reward.pointsCost, stock: reward.stock }));
      }
      const redemptionIds: string[] = [];
      const model = new LedgerModel(settings.pendingDays, settings.expiryMonths, program.timezone, refundExpiredCoupons);
      if (startPoints > 0) {
        for (let i = 0; i < members.length; i++) {
          await adjustPoints(ctx, program.id, members[i]!.id, { points: startPoints, reason: 'model start' });
          model.adjust(i, startPoints, db.clock.now());
        }
      }
      let step = 0;
      for (const command of commands) {
        step++;
        const now = db.clock.now();
        switch (command.kind) {
          case 'purchase': {
            const member = members[command.member]!;
            await recordEvent(ctx, program.id, {
              id: `p${step}`,
              type: 'purchase',
              memberId: member.id,
              data: { orderId: `o${step}`, total: command.total, currency: 'EUR' },
            });
            model.purchase(command.member, command.total, now);
            break;
          }
          case 'refund': {
            if (model.orders.length === 0) break;
            const index = command.order % model.orders.length;
            const order = model.orders[index]!;
            const orderId = `o${orderIdStep(model, index, commands)}`;
            const accepted = model.refund(order, command.amount, now);
            const attempt = recordEvent(ctx, program.id, {
              id: `r${step}`,
              type: 'refund',
              memberId: members[order.member]!.id,
              data: command.amount === null ? { orderId } : { orderId, amount: command.amount },
            });
            if (accepted) await attempt;
            else await expect(attempt).rejects.toMatchObject({ code: 'refund_exceeds_order' });
            break;
          }
          case 'adjust': {
            const accepted = model.adjust(command.member, command.points, now);
            const attempt = adjustPoints(ctx, program.id, members[command.member]!.id, { points: command.points, reason: 'model' });
            if (accepted) await attempt;
            else await expect(attempt).rejects.toSatisfy((e: unknown) => isDomainError(e) && e.code === 'insufficient_points');
            break;
          }
          case 'redeem': {
            const refusal = model.redeem(command.member, command.reward, now);
            const attempt = redeemReward(ctx, program.id, members[command.member]!.id, { rewardId: rewards[command.reward]!.id });
            if (refusal === null) redemptionIds.push((await attempt).redemption.id);
            else await expect(attempt).rejects.toSatisfy((e: unknown) => isDomainError(e) && e.code === refusal);
            break;
          }
          case 'cancel': {
            if (model.redemptions.length === 0) break;
            const index = command.redemption % model.redemptions.length;
            const accepted = model.giveBack(model.redemptions[index]!, 'cancelled', now);
            const attempt = cancelRedemption(ctx, program.id, redemptionIds[index]!);
            if (accepted) await attempt;
            else await expect(attempt).rejects.toSatisfy((e: unknown) => isDomainError(e) && e.code === 'redemption_not_cancellable');
            break;
          }
          case 'advance':
            db.clock.advanceDays(command.days);
            break;
          case 'jobs':
            await releasePendingPoints(ctx);
            await expireLots(ctx);
            await expireCoupons(ctx);
            model.jobs(db.clock.now());
            break;
        }
        for (let i = 0; i < members.length; i++) {
          const actual = await getMember(ctx, program.id, members[i]!.id);
          expect(actual.balance, `member ${i} after step ${step} (${command.kind})`).toEqual(model.balance(i, db.clock.now()));
          expect(actual.lifetimeEarned, `lifetime of member ${i} after step ${step}`).toBe(model.lifetime[i]);
        }
        for (const [i, reward] of rewards.entries()) {
          expect((await getReward(ctx, program.id, reward.id)).stock, `stock of reward ${i} after step ${step}`).toBe(model.stock[i]);
        }
      }
      expect(await verifyLedger(ctx.storage, program.id)).toEqual([]);
  }

  describe('random command sequences', () => {
    it('agree with the in-memory model after every step and keep every invariant', async () => {
      await fc.assert(
        fc.asyncProperty(settingsArb, fc.array(commandArb, { minLength: 1, maxLength: 40 }), (settings, commands) => agreeWithModel(settings, commands, 0)),
        { numRuns: db.dialect === 'sqlite' ? 150 : 60 },
      );
    });

    it('centred on redemptions: redeem, cancel and coupon expiry with refunds agree with the model', async () => {
      await fc.assert(
        fc.asyncProperty(settingsArb, fc.array(redemptionCommandArb, { minLength: 5, maxLength: 40, size: 'medium' }), (settings, commands) =>
          agreeWithModel(settings, commands, 300),
        ),
        { numRuns: db.dialect === 'sqlite' ? 80 : 30 },
      );
    });
  });
});

/** The step number of the n-th purchase in the sequence, which named its order `o<step>`. */
function orderIdStep(_model: LedgerModel, index: number, commands: Command[]): number {
  let seen = -1;
  for (let i = 0; i < commands.length; i++) {
    if (commands[i]!.kind === 'purchase' && ++seen === index) return i + 1;
  }
  throw new Error('order index out of range');
}
