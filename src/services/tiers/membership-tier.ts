/**
 * A member's level after their memberships changed: the highest level granted by their active memberships is
 * stored beside the qualified level, and the effective level (`members.tier`) is the higher of the two. Shared
 * by the membership service and its job; runs in the caller's transaction under the member's lock.
 */
import { effectiveRank } from '../../domain/tiers/qualification.js';
import { levelName, rankOf, type TierConfiguration } from '../../domain/tiers/tier.js';
import type { ServiceContext } from '../../context.js';
import { listOpenMembershipsOfMember } from '../../storage/repositories/memberships.repository.js';
import { findMemberTiers, findTierConfig, saveMembershipTier } from '../../storage/repositories/tiers.repository.js';
import type { Trx } from '../../storage/transaction.js';
import { recordTierChange, type TierChangeReason } from './tier-changes.js';

/** The highest level among the plans of active memberships, by the configuration's order. */
export function membershipLevel(config: TierConfiguration | null, planTiers: readonly (string | null)[]): string | null {
  if (!config) return null;
  const rank = Math.max(-1, ...planTiers.map((tier) => rankOf(config.levels, tier)));
  return levelName(config.levels, rank);
}

/**
 * Re-derives the member's membership level and effective level after their memberships changed; records a tier
 * change (with the membership that caused it) when the effective level moved.
 */
export async function syncMembershipTier(
  ctx: ServiceContext,
  trx: Trx,
  programId: string,
  member: { id: string; tier: string | null },
  cause: { reason: TierChangeReason; membershipId: string },
  now: number,
): Promise<string | null> {
  const config = (await findTierConfig(trx, programId))?.config ?? null;
  const open = await listOpenMembershipsOfMember(trx, programId, member.id);
  const granted = membershipLevel(config, open.filter((m) => m.status === 'active').map((m) => m.planTier));
  const [state] = await findMemberTiers(trx, programId, [member.id]);
  if ((state?.membershipTier ?? null) !== granted) await saveMembershipTier(trx, programId, member.id, granted, now);
  if (!config) return member.tier;
  const qualifiedTier = state?.qualifiedTier ?? null;
  const tier = levelName(config.levels, effectiveRank(rankOf(config.levels, qualifiedTier), rankOf(config.levels, granted)));
  if (tier !== member.tier) {
    await recordTierChange(
      ctx,
      trx,
      programId,
      { memberId: member.id, previousTier: member.tier, tier, qualifiedTier, reason: cause.reason, membershipId: cause.membershipId, reviewAt: state?.reviewAt ?? null },
      now,
    );
  }
  return tier;
}
