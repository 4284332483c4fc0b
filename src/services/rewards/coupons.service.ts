/**
 * Coupons at the checkout and in bulk.
 * - `validateCoupon` answers what a coupon is worth for a basket without changing anything; a coupon that can
 *   no longer be used is an answer (valid: false with a reason), not an error, because the checkout needs it.
 * - `useCoupon` marks a coupon used exactly once: a conditional update on `status = 'active'` decides between
 *   concurrent calls; repeating the winning call (same orderId) returns its result again.
 * - `importCoupons` and `generateCoupons` add coupons that grant a reward without costing points and belong to
 *   no member; an import is all or nothing, and every problem names its line.
 * Codes are compared in normal form (upper case, no spaces or dashes).
 */
import { DomainError } from '../../domain/errors.js';
import { normaliseCouponCode } from '../../domain/rewards/coupon-code.js';
import { parseCouponCsv } from '../../domain/rewards/coupon-csv.js';
import { couponState, couponWorth, type BasketItem, type CouponWorth } from '../../domain/rewards/discount.js';
import type { ServiceContext } from '../../context.js';
import { findCoupon, findExistingCodes, insertCoupons, markCouponUsed } from '../../storage/repositories/coupons.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { findRedemption, findReward } from '../../storage/repositories/rewards.repository.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import type { ProgramRow } from '../../storage/schema.js';
import { inTransaction, isUniqueViolation, type Trx } from '../../storage/transaction.js';
import { iso } from '../views.js';
import { couponView, rewardDefinition, rewardView, type CouponRow, type CouponView, type RewardRow, type RewardView } from './reward-views.js';
import { couponExpiresAt, freshCouponCodes, newCoupon } from './redemption-steps.js';

export type CouponRefusal = 'used' | 'expired' | 'cancelled' | 'refunded' | 'product_not_in_basket';

export interface CouponValidation {
  code: string;
  valid: boolean;
  reason?: CouponRefusal;
  status: CouponView['status'];
  expiresAt: string | null;
  reward: RewardView;
  discount?: CouponWorth['discount'];
  freeProduct?: CouponWorth['freeProduct'];
}

async function mustFindProgram(db: Trx, programId: string): Promise<ProgramRow> {
  const program = await findProgram(db, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  return program;
}

/** `pointer` names the body field that carried the code; a code in the path has none. */
async function mustFindCoupon(db: Trx, programId: string, code: string, pointer?: string): Promise<CouponRow> {
  const coupon = await findCoupon(db, programId, code);
  if (!coupon) {
    const detail = `No coupon ${code} in this programme.`;
    throw pointer === undefined ? new DomainError('coupon_not_found', detail) : DomainError.field('coupon_not_found', pointer, detail);
  }
  return coupon;
}

async function rewardOf(db: Trx, coupon: CouponRow): Promise<RewardRow> {
  const reward = await findReward(db, coupon.programId, coupon.rewardId);
  if (!reward) throw new Error(`coupon ${coupon.code} lost its reward`);
  return reward;
}

/** Why a coupon that is not active cannot be used: its state, with an expiry that refunded the points told apart. */
async function refusalOf(db: Trx, coupon: CouponRow, now: number): Promise<Exclude<CouponRefusal, 'product_not_in_basket'> | null> {
  const state = couponState({ status: coupon.status as CouponView['status'], expiresAt: coupon.expiresAt }, now);
  if (state === 'active') return null;
  if (state === 'expired' && coupon.redemptionId !== null) {
    const redemption = await findRedemption(db, coupon.programId, coupon.redemptionId);
    if (redemption?.status === 'refunded') return 'refunded';
  }
  return state;
}

/**
 * What a coupon is worth for a basket, without using it.
 * @throws DomainError coupon_not_found
 */
export async function validateCoupon(
  ctx: ServiceContext,
  programId: string,
  input: { code: string; orderTotal?: number; items?: BasketItem[] },
): Promise<CouponValidation> {
  const db = ctx.storage.db;
  const code = normaliseCouponCode(input.code);
  const coupon = await mustFindCoupon(db, programId, code, '/code');
  const program = await mustFindProgram(db, programId);
  const reward = await rewardOf(db, coupon);
  const base = { code, status: coupon.status as CouponView['status'], expiresAt: coupon.expiresAt === null ? null : iso(coupon.expiresAt), reward: rewardView(reward) };
  const refusal = await refusalOf(db, coupon, ctx.clock.now());
  if (refusal !== null) return { ...base, valid: false, reason: refusal };
  const worth = couponWorth(rewardDefinition(reward), { orderTotal: input.orderTotal, items: input.items }, program.currency);
  const { notApplicable, ...value } = worth;
  return { ...base, valid: notApplicable === undefined, ...(notApplicable ? { reason: notApplicable } : {}), ...value };
}

export interface CouponUse {
  replayed: boolean;
  coupon: CouponView;
}

/**
 * Marks a coupon used by an order, exactly once. The same orderId again returns the first result.
 * @throws DomainError coupon_not_found, coupon_already_used, coupon_expired, coupon_not_active
 */
export async function useCoupon(ctx: ServiceContext, programId: string, rawCode: string, input: { orderId: string }): Promise<CouponUse> {
  const code = normaliseCouponCode(rawCode);
  const orderId = input.orderId.trim();
  if (orderId.length === 0) throw DomainError.field('validation_failed', '/orderId', 'orderId names the order that uses the coupon.');
  return inTransaction(ctx.storage, async (trx) => {
    const now = ctx.clock.now();
    const used = await markCouponUsed(trx, programId, code, orderId, now);
    const coupon = await mustFindCoupon(trx, programId, code);
    const view = couponView(coupon, await rewardOf(trx, coupon));
    if (used) {
      await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'coupon.used', memberId: coupon.memberId, data: { ...view } }], now);
      return { replayed: false, coupon: view };
    }
    if (coupon.status === 'used') {
      if (coupon.orderId === orderId) return { replayed: true, coupon: view };
      throw new DomainError('coupon_already_used', `The coupon ${code} was used by order ${coupon.orderId ?? ''} at ${iso(coupon.usedAt ?? now)}.`);
    }
    const refusal = await refusalOf(trx, coupon, now);
    if (refusal === 'expired') throw new DomainError('coupon_expired', `The coupon ${code} expired at ${iso(coupon.expiresAt ?? now)}.`);
    throw new DomainError('coupon_not_active', `The coupon ${code} was ${refusal === 'refunded' ? 'refunded on expiry' : 'cancelled'}.`);
  });
}

export interface CouponBatch {
  batchId: string;
  rewardId: string;
  campaign: string | null;
  count: number;
}

function checkCampaign(campaign: string | undefined, pointer: string): string | null {
  if (campaign === undefined) return null;
  const trimmed = campaign.trim();
  if (trimmed.length === 0 || trimmed.length > 100) throw DomainError.field('validation_failed', pointer, 'campaign is a name of 1 to 100 characters.');
  return trimmed;
}

/** A bulk coupon's expiry: the one given, else the programme's validity; never after the reward ends. */
function bulkExpiresAt(program: ProgramRow, reward: RewardRow, given: number | null, now: number): number {
  const expiresAt = given ?? couponExpiresAt(program, null, now);
  return reward.validUntil === null ? expiresAt : Math.min(expiresAt, reward.validUntil);
}

/**
 * Imports existing codes from CSV (header `code`, optional `expiresAt`): all or nothing.
 * @throws DomainError validation_failed (pointer /line/N), coupon_code_taken (pointer /line/N), reward_not_found
 */
export async function importCoupons(
  ctx: ServiceContext,
  programId: string,
  input: { rewardId: string; campaign?: string },
  csv: string,
): Promise<CouponBatch> {
  const campaign = checkCampaign(input.campaign, '/querystring/campaign');
  const now = ctx.clock.now();
  const lines = parseCouponCsv(csv, now);
  const batchId = ctx.ids.next('cpb');
  try {
    return await inTransaction(ctx.storage, async (trx) => {
      const reward = await findReward(trx, programId, input.rewardId);
      if (!reward) throw DomainError.field('reward_not_found', '/querystring/rewardId', `No reward ${input.rewardId} in this programme.`);
      const program = await mustFindProgram(trx, programId);
      const taken = await findExistingCodes(trx, programId, lines.map((l) => l.code));
      const clash = lines.find((l) => taken.has(l.code));
      if (clash) throw DomainError.field('coupon_code_taken', `/line/${clash.line}`, `Line ${clash.line}: the code ${clash.code} is already a coupon of this programme.`);
      await insertCoupons(trx, lines.map((l) => bulkRow(programId, reward, batchId, campaign, l.code, bulkExpiresAt(program, reward, l.expiresAt, now), now)));
      return { batchId, rewardId: reward.id, campaign, count: lines.length };
    });
  } catch (error) {
    // Another import added one of these codes between our check and our insert.
    if (isUniqueViolation(error)) throw new DomainError('coupon_code_taken', 'A code of this file became a coupon while it was imported; nothing was imported.');
    throw error;
  }
}

/**
 * Generates `count` new codes in the programme's format for a reward.
 * @throws DomainError validation_failed, reward_not_found
 */
export async function generateCoupons(
  ctx: ServiceContext,
  programId: string,
  input: { rewardId: string; count: number; campaign?: string; expiresAt?: string },
): Promise<CouponBatch & { expiresAt: string; codes: string[] }> {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > 10_000) {
    throw DomainError.field('validation_failed', '/count', 'count is a whole number from 1 to 10000.');
  }
  const campaign = checkCampaign(input.campaign, '/campaign');
  const now = ctx.clock.now();
  let given: number | null = null;
  if (input.expiresAt !== undefined) {
    given = Date.parse(input.expiresAt);
    if (Number.isNaN(given)) throw DomainError.field('validation_failed', '/expiresAt', 'An RFC 3339 date-time is expected.');
    if (given <= now) throw DomainError.field('validation_failed', '/expiresAt', 'expiresAt lies in the future.');
  }
  const batchId = ctx.ids.next('cpb');
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(ctx.storage, async (trx) => {
        const reward = await findReward(trx, programId, input.rewardId);
        if (!reward) throw DomainError.field('reward_not_found', '/rewardId', `No reward ${input.rewardId} in this programme.`);
        const program = await mustFindProgram(trx, programId);
        const expiresAt = bulkExpiresAt(program, reward, given, now);
        const codes = await freshCouponCodes(trx, program, input.count);
        await insertCoupons(trx, codes.map((code) => bulkRow(programId, reward, batchId, campaign, code, expiresAt, now)));
        return { batchId, rewardId: reward.id, campaign, count: codes.length, expiresAt: iso(expiresAt), codes };
      });
    } catch (error) {
      // A code drawn here was inserted by someone else at the same moment: draw again.
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

function bulkRow(programId: string, reward: RewardRow, batchId: string, campaign: string | null, code: string, expiresAt: number, now: number) {
  return newCoupon({ programId, code, rewardId: reward.id, batchId, campaign, expiresAt, createdAt: now });
}
