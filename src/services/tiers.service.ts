/**
 * Tiers: the programme's configuration, members' tier history, and the review job.
 *
 * Configuration changes apply from then on. Members keep a qualified level that still exists (matched by name)
 * and its review date; upgrades under new thresholds come with their next event, downgrades with their next
 * review. Members whose qualified level no longer exists, or who have none (a first configuration), are placed
 * at once by their metric under the new configuration, recorded in tier history with reason `configuration`.
 * A membership plan's level that no longer exists grants nothing until the level is configured again.
 *
 * The review (domain/tiers/review.ts) runs as a job: `reviewTiers` takes due members in bounded batches, each
 * batch its own transaction, claiming the member rows (SKIP LOCKED on PostgreSQL) and re-reading their state
 * under the lock, so two runs, or two workers at once, never review a member twice.
 */
import { DomainError } from '../domain/errors.js';
import { effectiveRank, hasReview, metricValue, qualifiedRank, windowStartMonth, zeroCounts } from '../domain/tiers/qualification.js';
import { nextReviewAt, reviewDecision, reviewDueAt, type ReviewOutcome } from '../domain/tiers/review.js';
import { levelName, rankOf, validateTierConfiguration, type TierConfiguration, type TierConfigurationInput } from '../domain/tiers/tier.js';
import type { ServiceContext } from '../context.js';
import { WriteBatch, type Cell } from '../storage/bulk.js';
import { outboxRow, type OutboxRow } from '../storage/outbox.js';
import { findMember, lockMembers } from '../storage/repositories/members.repository.js';
import { findProgram, bumpRulesVersion } from '../storage/repositories/programs.repository.js';
import {
  claimMembersDueForReview,
  findMemberTiers,
  findTierConfig,
  insertTierHistory,
  listMemberTiersOfProgram,
  listTierHistory as listTierHistoryRows,
  lockProgramMembers,
  saveQualifiedTiers,
  saveTierConfig,
  sumTierCounts,
} from '../storage/repositories/tiers.repository.js';
import type { MemberTiersTable, TierHistoryTable } from '../storage/tiers.schema.js';
import { inTransaction, type Trx } from '../storage/transaction.js';
import type { Insertable } from 'kysely';
import { decodeCursor, encodeCursor, isIdCursor } from './cursor.js';
import { tierChangedMessage, tierHistoryRow, type TierChange, type TierChangeReason } from './tiers/tier-changes.js';
import { iso, tierHistoryView, type Page, type TierConfigurationView, type TierHistoryView } from './views.js';

function configurationView(config: TierConfiguration, version: number, updatedAt: number): TierConfigurationView {
  return { ...config, version, updatedAt: iso(updatedAt) };
}

/** @throws DomainError not_found when the programme has no tiers yet */
export async function getTierConfiguration(ctx: ServiceContext, programId: string): Promise<TierConfigurationView> {
  const stored = await findTierConfig(ctx.storage.db, programId);
  if (!stored) throw new DomainError('not_found', 'This programme has no tiers yet; configure them with PUT /v1/tiers.');
  return configurationView(stored.config, stored.version, stored.updatedAt);
}

/** The changes one transaction writes for many members at once. */
class TierWrites {
  qualified: Pick<MemberTiersTable, 'programId' | 'memberId' | 'qualifiedTier' | 'reachedAt' | 'reviewAt' | 'updatedAt'>[] = [];
  history: Insertable<TierHistoryTable>[] = [];
  outbox: OutboxRow[] = [];
  memberTiers: Cell[][] = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly programId: string,
    private readonly now: number,
  ) {}

  change(change: TierChange): void {
    this.history.push(tierHistoryRow(this.ctx, this.programId, change, this.now));
    if (change.previousTier === change.tier) return;
    this.memberTiers.push([
      { value: change.memberId, type: 'text' },
      { value: change.tier, type: 'text' },
      { value: this.now, type: 'bigint' },
    ]);
    this.outbox.push(outboxRow(this.ctx.ids, this.programId, tierChangedMessage(change), this.now));
  }

  async write(trx: Trx): Promise<void> {
    const batch = new WriteBatch(trx)
      .insertMany('outboxMessages', this.outbox)
      .updateMany('members', this.programId, 'id', ['tier', 'updated_at'], this.memberTiers);
    for (const statement of saveQualifiedTiers(trx, this.qualified)) batch.add(statement);
    for (const statement of insertTierHistory(trx, this.history)) batch.add(statement);
    await batch.execute(this.ctx.storage.dialect);
  }
}

/**
 * Replaces the programme's tier configuration; see this module's header for what happens to members.
 * @throws DomainError validation_failed (with the pointer of the field, e.g. /levels/2/threshold), program_not_found
 */
export async function putTierConfiguration(ctx: ServiceContext, programId: string, input: TierConfigurationInput): Promise<TierConfigurationView> {
  const config = validateTierConfiguration(input);
  return inTransaction(ctx.storage, async (trx) => {
    const program = await findProgram(trx, programId);
    if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
    // Every member's lock, in id order: an event being ingested for any of them finishes under the old
    // configuration first, and one arriving later sees the new one.
    const members = await lockProgramMembers(trx, ctx.storage, programId);
    const now = ctx.clock.now();
    const version = await saveTierConfig(trx, programId, config, now);
    // Event ingestion caches the configuration per process by the programme's rules version (like the rules).
    await bumpRulesVersion(trx, programId, now);
    const { levels } = config;
    const states = new Map((await listMemberTiersOfProgram(trx, programId)).map((row) => [row.memberId, row]));
    const counts = await sumTierCounts(trx, programId, null, windowStartMonth(config.window, now, program.timezone));
    const writes = new TierWrites(ctx, programId, now);
    for (const member of members) {
      const state = states.get(member.id);
      const previousQualified = state?.qualifiedTier ?? null;
      let rank = rankOf(levels, previousQualified);
      let reachedAt = state?.reachedAt ?? null;
      let reviewAt = state?.reviewAt ?? null;
      const placed = rank < 0;
      if (placed) {
        rank = qualifiedRank(levels, metricValue(counts.get(member.id) ?? zeroCounts(), config.metric));
        reachedAt = rank < 0 ? null : now;
        reviewAt = nextReviewAt(config, rank, now, program.timezone);
      } else if (!hasReview(levels, rank)) {
        reviewAt = null;
      } else if (reviewAt === null) {
        // The level gained a threshold: its holders are reviewed a full period from now.
        reviewAt = nextReviewAt(config, rank, now, program.timezone);
      }
      const qualifiedTier = levelName(levels, rank);
      if (qualifiedTier !== previousQualified || reviewAt !== (state?.reviewAt ?? null)) {
        writes.qualified.push({ programId, memberId: member.id, qualifiedTier, reachedAt, reviewAt, updatedAt: now });
      }
      const tier = levelName(levels, effectiveRank(rank, rankOf(levels, state?.membershipTier ?? null)));
      if (qualifiedTier !== previousQualified || tier !== member.tier) {
        writes.change({ memberId: member.id, previousTier: member.tier, tier, qualifiedTier, reason: 'configuration', reviewAt });
      }
    }
    await writes.write(trx);
    return configurationView(config, version, now);
  });
}

const isHistoryCursor = isIdCursor;

/**
 * A member's tier changes, newest first, each with its reason.
 * @throws DomainError member_not_found, invalid_cursor
 */
export async function listTierHistory(
  ctx: ServiceContext,
  programId: string,
  memberId: string,
  query: { cursor?: string; limit?: number },
): Promise<Page<TierHistoryView>> {
  const db = ctx.storage.db;
  if (!(await findMember(db, programId, memberId))) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const limit = query.limit ?? 50;
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isHistoryCursor).after;
  const rows = await listTierHistoryRows(db, programId, memberId, before, limit);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(tierHistoryView), nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null };
}

const REVIEW_BATCH = 100;

const reviewReasons: Record<ReviewOutcome, TierChangeReason> = {
  requalified: 'requalified',
  downgraded: 'downgrade',
  upgraded: 'review_upgrade',
};

/**
 * The review job: reviews every member whose review date plus the programme's grace days has passed, in
 * batches, until none is due. Returns how many reviews it made (each is one tier history row).
 */
export async function reviewTiers(ctx: ServiceContext): Promise<number> {
  let reviewed = 0;
  for (;;) {
    // Counted from the committed attempt only: a PostgreSQL retry runs the batch again from the start.
    const batch = await inTransaction(ctx.storage, async (trx) => {
      const now = ctx.clock.now();
      const claims = await claimMembersDueForReview(trx, ctx.storage, now, REVIEW_BATCH);
      const byProgram = new Map<string, string[]>();
      for (const claim of claims) byProgram.set(claim.programId, [...(byProgram.get(claim.programId) ?? []), claim.id]);
      let count = 0;
      for (const [programId, memberIds] of byProgram) count += await reviewMembers(ctx, trx, programId, memberIds, now);
      return { claimed: claims.length, count };
    });
    reviewed += batch.count;
    if (batch.claimed === 0) return reviewed;
  }
}

async function reviewMembers(ctx: ServiceContext, trx: Trx, programId: string, memberIds: string[], now: number): Promise<number> {
  const program = await findProgram(trx, programId);
  const stored = await findTierConfig(trx, programId);
  if (!program || !stored) return 0;
  const { config } = stored;
  // Already locked by the claim; this re-reads the rows in a statement that sees every commit before the lock.
  const members = await lockMembers(trx, ctx.storage, programId, memberIds, []);
  const states = new Map((await findMemberTiers(trx, programId, memberIds)).map((row) => [row.memberId, row]));
  const due = members.filter((m) => {
    const reviewAt = states.get(m.id)?.reviewAt ?? null;
    return reviewAt !== null && reviewDueAt(reviewAt, config.graceDays) <= now;
  });
  if (due.length === 0) return 0;
  const counts = await sumTierCounts(trx, programId, due.map((m) => m.id), windowStartMonth(config.window, now, program.timezone));
  const writes = new TierWrites(ctx, programId, now);
  for (const member of due) {
    const state = states.get(member.id) as MemberTiersTable & { reviewAt: number };
    const currentRank = rankOf(config.levels, state.qualifiedTier);
    const decision = reviewDecision(config, currentRank, metricValue(counts.get(member.id) ?? zeroCounts(), config.metric), state.reviewAt, program.timezone);
    const qualifiedTier = levelName(config.levels, decision.rank);
    const reachedAt = decision.rank < 0 ? null : now;
    writes.qualified.push({ programId, memberId: member.id, qualifiedTier, reachedAt, reviewAt: decision.reviewAt, updatedAt: now });
    const tier = levelName(config.levels, effectiveRank(decision.rank, rankOf(config.levels, state.membershipTier)));
    writes.change({ memberId: member.id, previousTier: member.tier, tier, qualifiedTier, reason: reviewReasons[decision.outcome], reviewAt: decision.reviewAt });
  }
  await writes.write(trx);
  return due.length;
}
