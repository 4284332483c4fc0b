/**
 * Redeeming a reward for a coupon, cancelling a redemption, and reading redemptions.
 *
 * `redeemReward` is one transaction: replay if the Idempotency-Key was seen; lock the member, then the reward
 * (always in that order, so redemptions never deadlock on each other); ask the domain whether the member may
 * redeem; take a unit of stock with a conditional decrement; spend the points from available lots oldest expiry
 * first, recording which lots gave how many points and their expiry; write the redemption, its coupon, the
 * outbox messages and the idempotency record. Any refusal throws before the commit, so nothing is written.
 *
 * `cancelRedemption` gives the points back as new lots with the original expiries, unless the coupon was used;
 * its state changes are conditional updates, so a cancel racing a coupon use or the expiry job cannot return
 * points twice or return the points of a used coupon.
 */
import { DomainError } from '../../domain/errors.js';
import { allocateSpend, redemptionPosting, type TakenLot } from '../../domain/ledger/lots.js';
import { checkRedeemable } from '../../domain/rewards/eligibility.js';
import type { ServiceContext } from '../../context.js';
import { cancelCoupon, findCoupon, insertCoupons } from '../../storage/repositories/coupons.repository.js';
import { expireDueLotsOf } from '../expiry-steps.js';
import { listOpenLots, writeMemberPosting } from '../../storage/repositories/ledger.repository.js';
import { findMember, lockMember } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import {
  findRedemption,
  findReward,
  findRewardsByIds,
  insertRedemption,
  listCountingRedemptionTimes,
  listMemberRedemptions,
  lockReward,
  takeRewardStock,
} from '../../storage/repositories/rewards.repository.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import { inTransaction, type Trx } from '../../storage/transaction.js';
import { decodeCursor, encodeCursor, isBeforeCursor } from '../cursor.js';
import { runIdempotent } from '../idempotency.js';
import { iso, type Page } from '../views.js';
import { redemptionView, type RedemptionRow, type RedemptionView } from './reward-views.js';
import { couponExpiresAt, freshCouponCodes, newCoupon, returnRedemptionPoints } from './redemption-steps.js';

export interface RedemptionOutcome {
  replayed: boolean;
  redemption: RedemptionView;
}

/**
 * Spends a member's points on a reward and issues its coupon.
 * @throws DomainError member_not_found, reward_not_found, member_blocked, reward_not_redeemable, reward_not_available,
 *   reward_tier_required, reward_limit_reached, reward_out_of_stock, insufficient_points,
 *   idempotency_key_reused_with_different_body
 */
export async function redeemReward(
  ctx: ServiceContext,
  programId: string,
  memberId: string,
  input: { rewardId: string },
  idempotencyKey?: string,
): Promise<RedemptionOutcome> {
  const request = { key: idempotencyKey, scope: `redemption:${memberId}`, body: { rewardId: input.rewardId } };
  // A unique-key clash also comes from the rare coupon code drawn by two redemptions at once: runIdempotent runs
  // the transaction again, which draws another.
  const { replayed, value: redemption } = await runIdempotent(ctx, programId, request, async (trx, now) => {
    const locked = await lockMember(trx, ctx.storage, programId, { memberId });
    if (!locked) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
    // Points past their expiry are expired now, whether or not the expiry job ran: post that first.
    const member = await expireDueLotsOf(ctx, trx, locked, now);
    const reward = await lockReward(trx, ctx.storage, programId, input.rewardId);
    if (!reward) throw DomainError.field('reward_not_found', '/rewardId', `No reward ${input.rewardId} in this programme.`);
    const program = await findProgram(trx, programId);
    if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);

    const verdict = checkRedeemable({
      member,
      reward: {
        audience: reward.audience === 'catalogue' ? 'catalogue' : 'referral',
        active: reward.active === 1,
        validFrom: reward.validFrom,
        validUntil: reward.validUntil,
        tiers: reward.tiers === null ? null : (JSON.parse(reward.tiers) as string[]),
        limits: reward.limits === null ? null : JSON.parse(reward.limits),
        stock: reward.stock,
        pointsCost: reward.pointsCost,
      },
      earlierRedemptionsAt: await listCountingRedemptionTimes(trx, programId, memberId, reward.id),
      now,
      timezone: program.timezone,
    });
    if (!verdict.ok) throw new DomainError(verdict.code, verdict.detail);
    // The SQL guard under the domain's check: a decrement that only happens while stock is left.
    if (!(await takeRewardStock(trx, programId, reward.id, now))) throw new DomainError('reward_out_of_stock', 'The reward is out of stock.');

    const lots = await listOpenLots(trx, programId, memberId);
    let takes;
    try {
      takes = allocateSpend(lots, reward.pointsCost, now);
    } catch (error) {
      // The points are the member's, not a field of this request: the problem names no pointer.
      if (error instanceof DomainError && error.code === 'insufficient_points') throw new DomainError('insufficient_points', error.detail);
      throw error;
    }
    const expiryOf = new Map(lots.map((lot) => [lot.id, lot.expiresAt]));
    const taken: TakenLot[] = takes.map((take) => ({ lotId: take.lotId, points: take.points, expiresAt: expiryOf.get(take.lotId) ?? null }));
    const id = ctx.ids.next('rdm');
    const transactionId = ctx.ids.next('ltx');
    const delta = await writeMemberPosting(
      trx,
      programId,
      redemptionPosting(memberId, takes),
      { id: transactionId, memberId, reason: `redeemed ${reward.id}`, eventId: null, createdAt: now },
      { takes },
    );
    const [code] = await freshCouponCodes(trx, program, 1);
    const redemptionRow: RedemptionRow = {
      programId,
      id,
      memberId,
      rewardId: reward.id,
      points: reward.pointsCost,
      status: 'completed',
      couponCode: code as string,
      transactionId,
      returnTransactionId: null,
      takenLots: JSON.stringify(taken),
      createdAt: now,
      endedAt: null,
    };
    await insertRedemption(trx, redemptionRow);
    await insertCoupons(trx, [newCoupon({
      programId,
      code: code as string,
      rewardId: reward.id,
      redemptionId: id,
      memberId,
      expiresAt: couponExpiresAt(program, reward.validUntil, now),
      createdAt: now,
    })]);
    const rewardAfter = await findReward(trx, programId, reward.id);
    const coupon = await findCoupon(trx, programId, code as string);
    if (!rewardAfter || !coupon) throw new Error('redemption rows vanished inside their own transaction');
    const balance = { available: member.available + delta.available, pending: member.pending + delta.pending };
    const redemption: RedemptionView = { ...redemptionView(redemptionRow, rewardAfter, coupon), balance };
    await enqueueOutbox(trx, ctx.ids, programId, [
      { type: 'reward.redeemed', memberId, data: { ...redemption } },
      { type: 'points.spent', memberId, data: { memberId, points: reward.pointsCost, transactionId, redemptionId: id, rewardId: reward.id, balance, createdAt: iso(now) } },
    ], now);
    return redemption;
  });
  return { replayed, redemption };
}

/**
 * Cancels a redemption: the points come back as new lots that keep each original lot's expiry (available at
 * once), the stock comes back, the coupon is cancelled.
 * @throws DomainError redemption_not_found, redemption_not_cancellable
 */
export async function cancelRedemption(ctx: ServiceContext, programId: string, redemptionId: string): Promise<RedemptionView> {
  return inTransaction(ctx.storage, async (trx) => {
    const unlocked = await findRedemption(trx, programId, redemptionId);
    if (!unlocked) throw new DomainError('redemption_not_found', `No redemption ${redemptionId} in this programme.`);
    const member = await lockMember(trx, ctx.storage, programId, { memberId: unlocked.memberId });
    if (!member) throw new DomainError('redemption_not_found', `No redemption ${redemptionId} in this programme.`);
    // Read again under the member's lock: every change of a redemption's status happens under it.
    const redemption = await findRedemption(trx, programId, redemptionId);
    if (!redemption || redemption.status !== 'completed') {
      throw new DomainError('redemption_not_cancellable', `The redemption ${redemptionId} was already ${redemption?.status ?? 'ended'}.`);
    }
    const now = ctx.clock.now();
    if (!(await cancelCoupon(trx, programId, redemption.couponCode, now))) {
      throw new DomainError('redemption_not_cancellable', `The coupon ${redemption.couponCode} was used; the redemption stands.`);
    }
    const delta = await returnRedemptionPoints(ctx, trx, redemption, 'cancelled', `cancelled ${redemption.id}`, now);
    if (delta === null) throw new DomainError('redemption_not_cancellable', `The redemption ${redemptionId} was already ended.`);
    const view: RedemptionView = {
      ...(await viewOf(trx, programId, redemptionId)),
      balance: { available: member.available + delta.available, pending: member.pending + delta.pending },
    };
    await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'redemption.cancelled', memberId: member.id, data: { ...view, reason: 'cancelled' } }], now);
    return view;
  });
}

/** @throws DomainError redemption_not_found */
export async function getRedemption(ctx: ServiceContext, programId: string, redemptionId: string): Promise<RedemptionView> {
  return viewOf(ctx.storage.db, programId, redemptionId);
}


/** A member's redemptions, newest first. @throws DomainError member_not_found, invalid_cursor */
export async function listRedemptions(
  ctx: ServiceContext,
  programId: string,
  memberId: string,
  query: { cursor?: string; limit?: number } = {},
): Promise<Page<RedemptionView>> {
  const db = ctx.storage.db;
  if (!(await findMember(db, programId, memberId))) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const limit = query.limit ?? 50;
  const beforeId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isBeforeCursor).before;
  const rows = await listMemberRedemptions(db, programId, memberId, { beforeId, limit });
  const page = rows.slice(0, limit);
  const rewards = new Map((await findRewardsByIds(db, programId, page.map((r) => r.rewardId))).map((r) => [r.id, r]));
  const data: RedemptionView[] = [];
  for (const row of page) {
    const reward = rewards.get(row.rewardId);
    const coupon = await findCoupon(db, programId, row.couponCode);
    if (!reward || !coupon) throw new Error(`redemption ${row.id} lost its reward or coupon`);
    data.push(redemptionView(row, reward, coupon));
  }
  const last = page.at(-1);
  return { data, nextCursor: rows.length > limit && last ? encodeCursor({ before: last.id }) : null };
}

async function viewOf(db: Trx, programId: string, redemptionId: string): Promise<RedemptionView> {
  const row = await findRedemption(db, programId, redemptionId);
  if (!row) throw new DomainError('redemption_not_found', `No redemption ${redemptionId} in this programme.`);
  const reward = await findReward(db, programId, row.rewardId);
  const coupon = await findCoupon(db, programId, row.couponCode);
  if (!reward || !coupon) throw new Error(`redemption ${row.id} lost its reward or coupon`);
  return redemptionView(row, reward, coupon);
}
