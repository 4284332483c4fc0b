/**
 * The referral jobs, for the job runner. Each works in bounded batches, each batch its own transaction that
 * claims its rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so workers running at once take disjoint rows), and
 * changes a referral only with a conditional update on the status it leaves — running a job twice, or in two
 * workers at once, never expires or rewards a referral twice.
 * - expireReferrals: signed-up referrals past their validity become expired (referral.expired). No points
 *   move, so no member locks are needed.
 * - rewardQualifiedReferrals: qualified referrals whose reward is due (the return window passed) are rewarded
 *   on both sides, under both members' locks (programme by programme, members in id order), after checking
 *   again under the locks that the referral is still qualified and its order still qualifies (a refund rejects
 *   it instead). A referral whose catalogue reward cannot be given becomes reward_failed (referral.reward_failed)
 *   and leaves the job's queue: the job does not try it again every run; an admin retries it once the reward
 *   is fixed.
 */
import { orderStillQualifies } from '../../domain/referrals/referral.js';
import type { ServiceContext } from '../../context.js';
import { findOrders } from '../../storage/repositories/events.repository.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import {
  claimReferralsDueForExpiry,
  listReferralsDueForReward,
  findReferral,
  updateReferral,
} from '../../storage/repositories/referrals.repository.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import { inTransaction } from '../../storage/transaction.js';
import { endOnRefund, loadReferralProgram, rewardReferral } from './lifecycle.js';
import { referralView } from './views.js';

const BATCH = 200;

/** Expires signed-up referrals past their validity; returns how many it expired. */
export async function expireReferrals(ctx: ServiceContext, batchSize = BATCH): Promise<number> {
  let expired = 0;
  for (;;) {
    const batch = await inTransaction(ctx.storage, async (trx) => {
      const now = ctx.clock.now();
      const due = await claimReferralsDueForExpiry(trx, ctx.storage, now, batchSize);
      let count = 0;
      for (const referral of due) {
        const changed = await updateReferral(trx, referral.programId, referral.id, ['signed_up'], {
          status: 'expired',
          reason: 'not qualified within the validity days',
          endedAt: now,
          updatedAt: now,
        });
        if (!changed) continue;
        count += 1;
        const row = await findReferral(trx, referral.programId, referral.id);
        if (row) await enqueueOutbox(trx, ctx.ids, row.programId, [{ type: 'referral.expired', memberId: row.referrerMemberId, data: { ...referralView(row) } }], now);
      }
      return { claimed: due.length, count };
    });
    expired += batch.count;
    if (batch.claimed < batchSize || batch.count === 0) return expired;
  }
}

/** Rewards qualified referrals whose reward is due; returns how many it rewarded (not those that became reward_failed). */
export async function rewardQualifiedReferrals(ctx: ServiceContext, batchSize = BATCH): Promise<number> {
  let rewarded = 0;
  for (;;) {
    const batch = await inTransaction(ctx.storage, async (trx) => {
      const now = ctx.clock.now();
      const due = await listReferralsDueForReward(trx, now, batchSize);
      const byProgram = new Map<string, typeof due>();
      for (const referral of due) byProgram.set(referral.programId, [...(byProgram.get(referral.programId) ?? []), referral]);
      let count = 0;
      let ended = 0;
      for (const programId of [...byProgram.keys()].sort()) {
        const referrals = byProgram.get(programId) ?? [];
        const memberIds = [...new Set(referrals.flatMap((r) => [r.referrerMemberId, r.friendMemberId]))].sort();
        // Members first (the one lock order): the due referrals were read without a lock, and are read again below
        // under the members' locks, so two workers never reward one twice.
        await lockMembers(trx, ctx.storage, programId, memberIds, []);
        const program = await findProgram(trx, programId);
        const referralProgram = await loadReferralProgram(trx, programId);
        if (!program || !referralProgram) continue;
        const orders = new Map(
          (await findOrders(trx, programId, referrals.flatMap((r) => (r.qualifyingOrderId === null ? [] : [r.qualifyingOrderId])))).map((o) => [o.orderId, o]),
        );
        for (const claimed of referrals) {
          // Again under the members' locks: an event or a review may have moved it since the claim.
          const referral = await findReferral(trx, programId, claimed.id);
          if (!referral || referral.status !== 'qualified') continue;
          const order = referral.qualifyingOrderId === null ? undefined : orders.get(referral.qualifyingOrderId);
          if (!order || !orderStillQualifies(order, referralProgram.settings.qualification.minOrderTotal)) {
            if (await endOnRefund(ctx, trx, referral, referral.qualifyingOrderId ?? 'unknown', now)) ended += 1;
            continue;
          }
          const outcome = await rewardReferral(ctx, trx, program, referralProgram, referral, now);
          if (outcome?.outcome === 'rewarded') count += 1;
          else if (outcome?.outcome === 'reward_failed') ended += 1;
        }
      }
      return { claimed: due.length, count, ended };
    });
    rewarded += batch.count;
    if (batch.claimed < batchSize || batch.count + batch.ended === 0) return rewarded;
  }
}
