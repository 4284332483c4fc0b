/**
 * The coupon expiry job. In bounded batches, each its own transaction, it claims active coupons past their
 * expiry (FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers take disjoint batches), marks them expired and,
 * where the programme refunds expired coupons and the coupon came from a redemption, gives the points back as a
 * cancel would (new lots keeping the original expiries). Members are locked in (programme, id) order before any
 * points move, and the coupon's and redemption's states are changed with conditional updates under those locks,
 * so running the job twice, or in two workers at once, never expires or refunds a coupon twice. A worker that
 * dies mid-batch rolls its batch back; the next run takes it again.
 */
import type { ServiceContext } from '../../context.js';
import { claimDueCoupons, markCouponExpired } from '../../storage/repositories/coupons.repository.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { findRedemption } from '../../storage/repositories/rewards.repository.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import { inTransaction } from '../../storage/transaction.js';
import { returnRedemptionPoints } from './redemption-steps.js';
import { iso } from '../views.js';

const BATCH = 200;

/** Expires due coupons (refunding their points where the programme says so); returns how many it expired. */
export async function expireCoupons(ctx: ServiceContext, batchSize = BATCH): Promise<number> {
  let expired = 0;
  for (;;) {
    const inBatch = await inTransaction(ctx.storage, async (trx) => {
      const now = ctx.clock.now();
      const due = await claimDueCoupons(trx, ctx.storage, now, batchSize);
      if (due.length === 0) return { claimed: 0, count: 0 };
      const refunds = new Map<string, boolean>();
      for (const programId of new Set(due.map((c) => c.programId))) {
        refunds.set(programId, (await findProgram(trx, programId))?.refundExpiredCoupons === 1);
      }
      // Lock every member whose points may move, programme by programme in id order, before touching points. The
      // coupons are already held, so the members are taken without waiting (SKIP LOCKED): a member a request holds
      // (a cancel locks member, then coupon) is left with their coupon for the next run, and no deadlock can form.
      const byProgram = new Map<string, string[]>();
      for (const coupon of due) {
        if (coupon.redemptionId === null || coupon.memberId === null || !refunds.get(coupon.programId)) continue;
        byProgram.set(coupon.programId, [...(byProgram.get(coupon.programId) ?? []), coupon.memberId]);
      }
      const locked = new Set<string>();
      for (const programId of [...byProgram.keys()].sort()) {
        for (const member of await lockMembers(trx, ctx.storage, programId, [...new Set(byProgram.get(programId))].sort(), [], { skipLocked: true })) {
          locked.add(`${programId}|${member.id}`);
        }
      }
      let count = 0;
      for (const coupon of due) {
        const refundable = coupon.redemptionId !== null && coupon.memberId !== null && refunds.get(coupon.programId);
        if (refundable && !locked.has(`${coupon.programId}|${coupon.memberId}`)) continue;
        if (!(await markCouponExpired(trx, coupon.programId, coupon.code, now))) continue;
        count += 1;
        if (coupon.redemptionId === null || !refunds.get(coupon.programId)) continue;
        const redemption = await findRedemption(trx, coupon.programId, coupon.redemptionId);
        if (!redemption || redemption.status !== 'completed') continue;
        const delta = await returnRedemptionPoints(ctx, trx, redemption, 'refunded', `coupon ${coupon.code} expired unused`, now);
        if (delta === null) continue;
        await enqueueOutbox(trx, ctx.ids, coupon.programId, [{
          type: 'redemption.cancelled',
          memberId: redemption.memberId,
          data: {
            id: redemption.id,
            memberId: redemption.memberId,
            rewardId: redemption.rewardId,
            points: redemption.points,
            status: 'refunded',
            reason: 'coupon_expired',
            coupon: { code: coupon.code, status: 'expired' },
            endedAt: iso(now),
          },
        }], now);
      }
      return { claimed: due.length, count };
    });
    expired += inBatch.count;
    // A short batch means nothing else is due (or what is left is another worker's claim right now).
    if (inBatch.claimed < batchSize || inBatch.count === 0) return expired;
  }
}
