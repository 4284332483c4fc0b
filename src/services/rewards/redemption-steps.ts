/**
 * Steps that several rewards use cases share inside their own transaction (services do not call services):
 * making a fresh coupon code, a new coupon row, a coupon's expiry, and giving a redemption's points back.
 * None opens a transaction; each runs under the locks its caller took (the member's, for points).
 */
import { redemptionCancelPosting } from '../../domain/ledger/lots.js';
import { composeCouponCode } from '../../domain/rewards/coupon-code.js';
import { addDays } from '../../domain/periods.js';
import { randomCode, type ServiceContext } from '../../context.js';
import { findExistingCodes } from '../../storage/repositories/coupons.repository.js';
import { postDueExpiry } from '../expiry-steps.js';
import { insertLot, writeMemberPosting } from '../../storage/repositories/ledger.repository.js';
import { endRedemption, returnRewardStock } from '../../storage/repositories/rewards.repository.js';
import type { ProgramRow } from '../../storage/schema.js';
import type { CouponsTable } from '../../storage/rewards.schema.js';
import type { Insertable } from 'kysely';
import type { Trx } from '../../storage/transaction.js';
import { takenLotsOf, type RedemptionRow } from './reward-views.js';

/**
 * `count` new codes in the programme's format that are not coupons yet. With 32 symbols per character a
 * collision is rare, so codes that collide (with a stored one or with each other) are drawn again a few times;
 * a concurrent insert of the same code is caught by the primary key and the caller's retry.
 */
export async function freshCouponCodes(trx: Trx, program: ProgramRow, count: number): Promise<string[]> {
  const codes = new Set<string>();
  for (let round = 0; round < 10 && codes.size < count; round++) {
    const drawn = new Set<string>();
    while (drawn.size < count - codes.size) {
      const code = composeCouponCode(program.couponPrefix, randomCode(program.couponLength));
      if (!codes.has(code)) drawn.add(code);
    }
    const taken = await findExistingCodes(trx, program.id, [...drawn]);
    for (const code of drawn) if (!taken.has(code)) codes.add(code);
  }
  if (codes.size < count) throw new Error('could not draw unused coupon codes; the code space of this prefix and length is nearly full');
  return [...codes];
}

/** A new, unused coupon: of a redemption (`redemptionId`, `memberId`), a member's gift, or a bulk batch. */
export function newCoupon(coupon: {
  programId: string;
  code: string;
  rewardId: string;
  expiresAt: number | null;
  createdAt: number;
  redemptionId?: string | null;
  memberId?: string | null;
  batchId?: string | null;
  campaign?: string | null;
  referralId?: string | null;
}): Insertable<CouponsTable> {
  return {
    redemptionId: null,
    memberId: null,
    batchId: null,
    campaign: null,
    referralId: null,
    ...coupon,
    status: 'active',
    usedAt: null,
    orderId: null,
    endedAt: null,
  };
}

/** A redemption's coupon expires after the programme's validity days, or when the reward ends if sooner. */
export function couponExpiresAt(program: ProgramRow, rewardValidUntil: number | null, now: number): number {
  const byValidity = addDays(new Date(now), program.couponValidityDays, program.timezone).getTime();
  return rewardValidUntil === null ? byValidity : Math.min(byValidity, rewardValidUntil);
}

/**
 * Gives a completed redemption's points back as new available lots that keep each original lot's expiry,
 * returns the stock, and ends the redemption. The caller holds the member's lock and has checked the
 * redemption is still completed; `endRedemption` is conditional all the same, so points come back at most once.
 * @returns the change of the member's balance, or null when the redemption was no longer completed.
 */
export async function returnRedemptionPoints(
  ctx: ServiceContext,
  trx: Trx,
  redemption: RedemptionRow,
  status: 'cancelled' | 'refunded',
  reason: string,
  now: number,
): Promise<{ available: number; pending: number } | null> {
  const { programId, memberId } = redemption;
  const transactionId = ctx.ids.next('ltx');
  if (!(await endRedemption(trx, programId, redemption.id, { status, returnTransactionId: transactionId, at: now }))) return null;
  const taken = takenLotsOf(redemption);
  const lotIds = taken.map(() => ctx.ids.next('lot'));
  for (const [i, take] of taken.entries()) {
    await insertLot(trx, {
      programId,
      id: lotIds[i] as string,
      memberId,
      transactionId,
      amount: take.points,
      remaining: take.points,
      availableAt: now,
      releasedAt: now,
      expiresAt: take.expiresAt,
      createdAt: now,
    });
  }
  const delta = await writeMemberPosting(trx, programId, redemptionCancelPosting(memberId, taken, lotIds), {
    id: transactionId,
    memberId,
    reason,
    eventId: null,
    createdAt: now,
  });
  await returnRewardStock(trx, programId, redemption.rewardId, now);
  // A returned lot keeps its original expiry; one that has passed since is expired at once, in this transaction.
  const expired = await postDueExpiry(ctx, trx, programId, memberId, now);
  return { available: delta.available + expired.delta.available, pending: delta.pending + expired.delta.pending };
}
