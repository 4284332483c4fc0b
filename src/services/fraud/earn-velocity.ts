/**
 * Earn abuse beyond referrals, for the places that award points and for the member view: the daily earn limit
 * (domain/fraud/earn-abuse.ts, a rolling 24 hours) and the earn-then-refund counter (`members.refunded_orders`,
 * kept by refund ingestion). Both run in the caller's transaction; neither opens one.
 */
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { checkDailyEarn, earnThenRefund, type DailyEarnCheck, type EarnThenRefundSignal } from '../../domain/fraud/earn-abuse.js';
import { sumPointsEarnedSince } from '../../storage/repositories/fraud.repository.js';
import { findMember } from '../../storage/repositories/members.repository.js';
import type { Trx } from '../../storage/transaction.js';

const DAY_MS = 86_400_000;

/**
 * Whether an award of `points` keeps the member within `maxPointsPerDay` over the last 24 hours; null when the
 * programme sets no limit. The caller flags (holds) a `flag` award instead of posting it.
 */
export async function checkEarnVelocity(trx: Trx, programId: string, memberId: string, points: number, maxPointsPerDay: number | null, now: number): Promise<DailyEarnCheck | null> {
  if (maxPointsPerDay === null) return null;
  return checkDailyEarn(await sumPointsEarnedSince(trx, programId, memberId, now - DAY_MS), points, maxPointsPerDay);
}

export interface MemberFraudView {
  refundedOrders: number;
  purchases: number;
  earnedLast24h: number;
  signals: EarnThenRefundSignal[];
}

/**
 * A member's earn-abuse picture for support and reviews: the earn-then-refund counter and signal, and what
 * they earned in the last 24 hours.
 * @throws DomainError member_not_found
 */
export async function memberFraudView(ctx: ServiceContext, programId: string, memberId: string): Promise<MemberFraudView> {
  const db = ctx.storage.db;
  const member = await findMember(db, programId, memberId);
  if (!member) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const signal = earnThenRefund(member);
  return {
    refundedOrders: member.refundedOrders,
    purchases: member.purchaseCount,
    earnedLast24h: await sumPointsEarnedSince(db, programId, memberId, ctx.clock.now() - DAY_MS),
    signals: signal ? [signal] : [],
  };
}
