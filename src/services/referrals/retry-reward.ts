/**
 * Retrying the payout of a referral whose reward could not be given (`POST /v1/referrals/{id}/retry-reward`).
 * An admin fixes the reward first (activates it, restocks it, widens its window) or points the referral
 * programme at another one; the retry then runs the payout step again (services/referrals/lifecycle.ts) with
 * the settings and rewards of its own moment.
 *
 * Idempotent: both members are locked (id order) and the referral read again under the locks before anything
 * else, and the payout changes the status with a conditional update, so concurrent retries pay once; a retry
 * that finds the referral already rewarded answers it and pays nothing. A retry that still cannot pay writes
 * nothing (the referral keeps its first failure) and answers `reward_not_issuable` with the reason.
 */
import { DomainError } from '../../domain/errors.js';
import { orderStillQualifies } from '../../domain/referrals/referral.js';
import type { ServiceContext } from '../../context.js';
import { findOrders } from '../../storage/repositories/events.repository.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { findReferral } from '../../storage/repositories/referrals.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import { endOnRefund, loadReferralProgram, rewardReferral } from './lifecycle.js';
import { referralView, type ReferralView } from './views.js';

/**
 * Pays a reward_failed referral now that its reward can be given.
 * @throws DomainError referral_not_found, referral_not_retryable (not reward_failed, nor already rewarded),
 *   reward_not_issuable (the reward still cannot be given; nothing written)
 */
export async function retryReferralReward(ctx: ServiceContext, programId: string, referralId: string): Promise<ReferralView> {
  return inTransaction(ctx.storage, async (trx) => {
    const found = await findReferral(trx, programId, referralId);
    if (!found) throw new DomainError('referral_not_found', `No referral ${referralId} in this programme.`);
    await lockMembers(trx, ctx.storage, programId, [found.referrerMemberId, found.friendMemberId].sort(), []);
    // Again under the locks: a concurrent retry may have paid it meanwhile.
    const referral = await findReferral(trx, programId, referralId);
    if (!referral) throw new DomainError('referral_not_found', `No referral ${referralId} in this programme.`);
    if (referral.status === 'rewarded') return referralView(referral);
    if (referral.status !== 'reward_failed') {
      throw new DomainError('referral_not_retryable', `The referral ${referralId} is ${referral.status}; only a referral whose reward failed can be retried.`);
    }
    const now = ctx.clock.now();
    const program = await findProgram(trx, programId);
    const referralProgram = await loadReferralProgram(trx, programId);
    if (!program || !referralProgram) throw new DomainError('referral_not_found', `No referral ${referralId} in this programme.`);
    // A refund of the qualifying order rejects a reward_failed referral when it arrives; checked again here so a
    // retry never pays for an order that no longer qualifies.
    const [order] = referral.qualifyingOrderId === null ? [] : await findOrders(trx, programId, [referral.qualifyingOrderId]);
    if (!order || !orderStillQualifies(order, referralProgram.settings.qualification.minOrderTotal)) {
      await endOnRefund(ctx, trx, referral, referral.qualifyingOrderId ?? 'unknown', now);
      return referralView((await findReferral(trx, programId, referralId)) ?? referral);
    }
    const outcome = await rewardReferral(ctx, trx, program, referralProgram, referral, now);
    if (outcome?.outcome === 'reward_failed') throw new DomainError('reward_not_issuable', outcome.reason);
    const after = await findReferral(trx, programId, referralId);
    if (!after) throw new DomainError('referral_not_found', `No referral ${referralId} in this programme.`);
    return referralView(after);
  });
}
