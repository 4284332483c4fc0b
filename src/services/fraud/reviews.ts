/**
 * The review queue of flagged referrals: a support agent approves or rejects one, with a reason. The decision
 * is recorded on the referral (`review: {action, reason, at}`) before the referral moves on, so every outbox
 * message the move writes (referral.approved, then referral.qualified / referral.rewarded after an approval;
 * referral.rejected after a rejection) carries it. Only a flagged referral can be reviewed: anything else is already decided, and a
 * repeated approval must not reward twice.
 *
 * Locks: both members (id order) first, then the referral row, as every referral step that moves points does.
 */
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { findReferral, lockReferral, setReferralReview } from '../../storage/repositories/fraud.repository.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import { inTransaction } from '../../storage/transaction.js';
import { continueApprovedReferral, rejectReferral } from '../referrals/lifecycle.js';
import { referralView, type ReferralView } from '../referrals/views.js';
import { iso } from '../views.js';

export type ReviewAction = 'approve' | 'reject';

export interface ReviewInput {
  reason: string;
}

export interface ReferralReview {
  action: ReviewAction;
  reason: string;
  at: string;
}

export const maxReviewReasonLength = 1_000;

/**
 * Approves a flagged referral: it continues where the fraud check stopped it (signed up again, or qualified
 * and rewarded when due).
 * @throws DomainError referral_not_found, referral_not_reviewable, validation_failed
 */
export async function approveReferral(ctx: ServiceContext, programId: string, referralId: string, input: ReviewInput): Promise<ReferralView> {
  return reviewReferral(ctx, programId, referralId, 'approve', input);
}

/**
 * Rejects a flagged referral with a reason; nobody is rewarded for it.
 * @throws DomainError referral_not_found, referral_not_reviewable, validation_failed
 */
export async function rejectFlaggedReferral(ctx: ServiceContext, programId: string, referralId: string, input: ReviewInput): Promise<ReferralView> {
  return reviewReferral(ctx, programId, referralId, 'reject', input);
}

/** The review's reason, trimmed. @throws DomainError validation_failed at /reason when blank or too long */
export function reviewReason(input: ReviewInput): string {
  const reason = input.reason.trim();
  if (reason.length === 0) throw DomainError.field('validation_failed', '/reason', 'A review needs a reason.');
  if (reason.length > maxReviewReasonLength) {
    throw DomainError.field('validation_failed', '/reason', `A review reason has at most ${maxReviewReasonLength} characters.`);
  }
  return reason;
}

async function reviewReferral(ctx: ServiceContext, programId: string, referralId: string, action: ReviewAction, input: ReviewInput): Promise<ReferralView> {
  const reason = reviewReason(input);
  return inTransaction(ctx.storage, async (trx) => {
    const now = ctx.clock.now();
    const found = await findReferral(trx, programId, referralId);
    if (!found) throw new DomainError('referral_not_found', `No referral ${referralId} in this programme.`);
    await lockMembers(trx, ctx.storage, programId, [found.referrerMemberId, found.friendMemberId].sort(), []);
    const row = await lockReferral(trx, ctx.storage, programId, referralId);
    if (!row) throw new DomainError('referral_not_found', `No referral ${referralId} in this programme.`);
    if (row.status !== 'flagged') {
      throw new DomainError('referral_not_reviewable', `The referral ${referralId} is ${row.status}; only a flagged referral can be approved or rejected.`);
    }
    const review: ReferralReview = { action, reason, at: iso(now) };
    const recorded = { ...row, review: JSON.stringify(review), updatedAt: now };
    await setReferralReview(trx, programId, referralId, recorded.review, now);
    if (action === 'reject') return referralView(await rejectReferral(ctx, trx, recorded, reason, now));
    const after = referralView(await continueApprovedReferral(ctx, trx, recorded, now));
    // An approval at sign-up moves nothing else, so it is told on its own; one at qualification also sends
    // referral.qualified / referral.rewarded.
    await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'referral.approved', memberId: row.referrerMemberId, data: { ...after } }], now);
    return after;
  });
}
