/**
 * Shared steps for every writer of a member's level (event ingestion, the review job, memberships, the
 * configuration): the tier history row, the `tier.changed` outbox message, and writing a change in the caller's
 * transaction. Not a service: it opens no transaction; the caller holds the member's lock.
 */
import type { Insertable } from 'kysely';
import type { ServiceContext } from '../../context.js';
import type { OutboxMessage } from '../../storage/outbox.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import { updateMember } from '../../storage/repositories/members.repository.js';
import { writeTierHistory } from '../../storage/repositories/tiers.repository.js';
import type { TierHistoryTable } from '../../storage/tiers.schema.js';
import type { Trx } from '../../storage/transaction.js';
import { iso } from '../views.js';

export type TierChangeReason =
  | 'enrolment'
  | 'upgrade'
  | 'requalified'
  | 'downgrade'
  | 'review_upgrade'
  | 'membership_started'
  | 'membership_renewed'
  | 'membership_ended'
  | 'configuration';

export interface TierChange {
  memberId: string;
  /** The effective level before and after (`members.tier`). */
  previousTier: string | null;
  tier: string | null;
  qualifiedTier: string | null;
  reason: TierChangeReason;
  eventId?: string | null;
  membershipId?: string | null;
  reviewAt: number | null;
}

export function tierHistoryRow(ctx: ServiceContext, programId: string, change: TierChange, now: number): Insertable<TierHistoryTable> {
  return {
    programId,
    id: ctx.ids.next('tch'),
    memberId: change.memberId,
    previousTier: change.previousTier,
    tier: change.tier,
    qualifiedTier: change.qualifiedTier,
    reason: change.reason,
    eventId: change.eventId ?? null,
    membershipId: change.membershipId ?? null,
    reviewAt: change.reviewAt,
    createdAt: now,
  };
}

/** The webhook message of a change of the effective level. */
export function tierChangedMessage(change: TierChange): OutboxMessage {
  return {
    type: 'tier.changed',
    memberId: change.memberId,
    data: {
      memberId: change.memberId,
      previousTier: change.previousTier,
      tier: change.tier,
      qualifiedTier: change.qualifiedTier,
      reason: change.reason,
      eventId: change.eventId ?? null,
      membershipId: change.membershipId ?? null,
      reviewAt: change.reviewAt === null ? null : iso(change.reviewAt),
    },
  };
}

/**
 * Records a change in the caller's transaction: the history row always; when the effective level moved, also
 * `members.tier` and a `tier.changed` message.
 */
export async function recordTierChange(ctx: ServiceContext, trx: Trx, programId: string, change: TierChange, now: number): Promise<void> {
  await writeTierHistory(trx, [tierHistoryRow(ctx, programId, change, now)]);
  if (change.previousTier === change.tier) return;
  await updateMember(trx, programId, change.memberId, { tier: change.tier, updatedAt: now });
  await enqueueOutbox(trx, ctx.ids, programId, [tierChangedMessage(change)], now);
}
