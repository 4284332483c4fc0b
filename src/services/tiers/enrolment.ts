/**
 * A new member starts in the level every metric reaches (a level with threshold 0), when the programme has
 * one: recorded in tier history with reason `enrolment`, like every level change. Runs in the enrolment's
 * transaction.
 */
import { qualifiedRank } from '../../domain/tiers/qualification.js';
import { nextReviewAt } from '../../domain/tiers/review.js';
import { levelName } from '../../domain/tiers/tier.js';
import type { ServiceContext } from '../../context.js';
import { findTierConfig, saveQualifiedTiers } from '../../storage/repositories/tiers.repository.js';
import type { ProgramRow } from '../../storage/schema.js';
import type { Trx } from '../../storage/transaction.js';
import { recordTierChange } from './tier-changes.js';

export async function placeEnrolledMember(ctx: ServiceContext, trx: Trx, program: ProgramRow, memberId: string, now: number): Promise<void> {
  const config = (await findTierConfig(trx, program.id))?.config;
  if (!config) return;
  const rank = qualifiedRank(config.levels, 0);
  const tier = levelName(config.levels, rank);
  if (tier === null) return;
  const reviewAt = nextReviewAt(config, rank, now, program.timezone);
  for (const statement of saveQualifiedTiers(trx, [{ programId: program.id, memberId, qualifiedTier: tier, reachedAt: now, reviewAt, updatedAt: now }])) {
    await trx.executeQuery(statement.compile());
  }
  await recordTierChange(ctx, trx, program.id, { memberId, previousTier: null, tier, qualifiedTier: tier, reason: 'enrolment', reviewAt }, now);
}
