/**
 * The tier side of event ingestion (events/ingest.ts), for one group of events in one transaction, set-based
 * like the rest of it: `load` reads the configuration, the group's members' tier state and their activity in
 * the window (three queries, plus one for the purchase times of refunded orders); the plan then counts each
 * event and upgrades in memory; `statements` hands the writes to the group's WriteBatch.
 *
 * Counting and upgrade rules are in domain/tiers/qualification.ts; the multiplier in domain/tiers/multiplier.ts.
 * Activity is counted whether or not the programme has tiers yet (so a first configuration places members on
 * their history); upgrades and multipliers need a configuration and an active member.
 */
import type { Compilable, Insertable } from 'kysely';
import { effectiveRank, inWindow, metricValue, monthKey, upgradeTarget, windowStartMonth, zeroCounts, type TierCounts } from '../../domain/tiers/qualification.js';
import { nextReviewAt } from '../../domain/tiers/review.js';
import { levelName, rankOf, type TierConfiguration, type TierLevel } from '../../domain/tiers/tier.js';
import type { ServiceContext } from '../../context.js';
import {
  addTierCounts,
  findEventTimes,
  findMemberTiers,
  findTierConfig,
  insertTierHistory,
  saveQualifiedTiers,
  sumTierCounts,
} from '../../storage/repositories/tiers.repository.js';
import type { ProgramRow } from '../../storage/schema.js';
import type { MemberTiersTable, TierHistoryTable } from '../../storage/tiers.schema.js';
import type { Trx } from '../../storage/transaction.js';
import { tierHistoryRow, type TierChange } from './tier-changes.js';

interface MemberTierState {
  /** Activity in the window, as of the events planned so far. */
  counts: TierCounts;
  qualifiedRank: number;
  reachedAt: number | null;
  reviewAt: number | null;
  membershipRank: number;
}

export class GroupTiers {
  private readonly deltas = new Map<string, { memberId: string; month: string } & TierCounts>();
  private readonly qualified = new Map<string, Pick<MemberTiersTable, 'qualifiedTier' | 'reachedAt' | 'reviewAt'>>();
  private readonly history: Insertable<TierHistoryTable>[] = [];

  private constructor(
    readonly config: TierConfiguration | null,
    private readonly program: ProgramRow,
    private readonly now: number,
    private readonly windowStart: string | null,
    private readonly members: Map<string, MemberTierState>,
    /** When purchases happened, by event id: a refund counts against its purchase's month. */
    private readonly purchaseTimes: Map<string, number>,
  ) {}

  static async load(trx: Trx, program: ProgramRow, memberIds: string[], refundedPurchaseEventIds: string[], now: number): Promise<GroupTiers> {
    const stored = await cachedTierConfig(trx, program);
    const purchaseTimes = await findEventTimes(trx, program.id, refundedPurchaseEventIds);
    if (!stored) return new GroupTiers(null, program, now, null, new Map(), purchaseTimes);
    const { config } = stored;
    const windowStart = windowStartMonth(config.window, now, program.timezone);
    const counts = await sumTierCounts(trx, program.id, memberIds, windowStart);
    const rows = new Map((await findMemberTiers(trx, program.id, memberIds)).map((row) => [row.memberId, row]));
    const members = new Map<string, MemberTierState>();
    for (const id of memberIds) {
      const row = rows.get(id);
      members.set(id, {
        counts: counts.get(id) ?? zeroCounts(),
        qualifiedRank: rankOf(config.levels, row?.qualifiedTier ?? null),
        reachedAt: row?.reachedAt ?? null,
        reviewAt: row?.reviewAt ?? null,
        membershipRank: rankOf(config.levels, row?.membershipTier ?? null),
      });
    }
    return new GroupTiers(config, program, now, windowStart, members, purchaseTimes);
  }

  /** The level whose multiplier applies to an event of a member now at `tier`, when it multiplies at all. */
  multiplierLevel(tier: string | null): TierLevel | null {
    if (!this.config) return null;
    const level = this.config.levels[rankOf(this.config.levels, tier)];
    return level && level.multiplier !== 1 ? level : null;
  }

  notePurchase(eventId: string, occurredAt: number): void {
    this.purchaseTimes.set(eventId, occurredAt);
  }

  /** Counts an event's activity in the month it happened. */
  count(memberId: string, occurredAt: number, delta: TierCounts): void {
    this.add(memberId, monthKey(occurredAt, this.program.timezone), delta);
  }

  /** Counts a refund against the month of the purchase it refunds. */
  countRefund(memberId: string, purchaseEventId: string, delta: TierCounts): void {
    const at = this.purchaseTimes.get(purchaseEventId);
    // Every order has its purchase event; without one (not possible through ingestion) the refund month is used.
    this.add(memberId, monthKey(at ?? this.now, this.program.timezone), delta);
  }

  private add(memberId: string, month: string, delta: TierCounts): void {
    if (delta.pointsEarned === 0 && delta.spendMinor === 0 && delta.purchases === 0) return;
    const key = `${memberId}|${month}`;
    const row = this.deltas.get(key) ?? { memberId, month, ...zeroCounts() };
    row.pointsEarned += delta.pointsEarned;
    row.spendMinor += delta.spendMinor;
    row.purchases += delta.purchases;
    this.deltas.set(key, row);
    const state = this.members.get(memberId);
    if (state && inWindow(month, this.windowStart)) {
      state.counts.pointsEarned += delta.pointsEarned;
      state.counts.spendMinor += delta.spendMinor;
      state.counts.purchases += delta.purchases;
    }
  }

  /**
   * Upgrades the member's qualified level when the activity counted so far reaches a higher one, and returns
   * the change (its history row is recorded here; the caller updates `members.tier` and writes `tier.changed`
   * when the effective level moved). Null when nothing changes.
   */
  upgrade(ctx: ServiceContext, memberId: string, currentTier: string | null, eventId: string): TierChange | null {
    const state = this.members.get(memberId);
    if (!this.config || !state) return null;
    const { levels } = this.config;
    const target = upgradeTarget(this.config, state.qualifiedRank, metricValue(state.counts, this.config.metric));
    if (target === null) return null;
    state.qualifiedRank = target;
    state.reachedAt = this.now;
    state.reviewAt = nextReviewAt(this.config, target, this.now, this.program.timezone);
    const qualifiedTier = levelName(levels, target);
    this.qualified.set(memberId, { qualifiedTier, reachedAt: state.reachedAt, reviewAt: state.reviewAt });
    const change: TierChange = {
      memberId,
      previousTier: currentTier,
      tier: levelName(levels, effectiveRank(target, state.membershipRank)),
      qualifiedTier,
      reason: 'upgrade',
      eventId,
      reviewAt: state.reviewAt,
    };
    this.history.push(tierHistoryRow(ctx, this.program.id, change, this.now));
    return change;
  }

  statements(trx: Trx): Compilable[] {
    const programId = this.program.id;
    return [
      ...addTierCounts(trx, [...this.deltas.values()].map((row) => ({ programId, ...row }))),
      ...saveQualifiedTiers(trx, [...this.qualified].map(([memberId, row]) => ({ programId, memberId, ...row, updatedAt: this.now }))),
      ...insertTierHistory(trx, this.history),
    ];
  }
}

/**
 * The programme's tier configuration, cached per process like its rule set: `putTierConfiguration` bumps the
 * programme's `rulesVersion` in its transaction, so a group that reads a newer version reloads it. Saves a query
 * per group on the ingestion path.
 */
const tierConfigs = new Map<string, { version: number; stored: Awaited<ReturnType<typeof findTierConfig>> }>();

async function cachedTierConfig(trx: Trx, program: ProgramRow) {
  const cached = tierConfigs.get(program.id);
  if (cached && cached.version === program.rulesVersion) return cached.stored;
  const stored = await findTierConfig(trx, program.id);
  tierConfigs.set(program.id, { version: program.rulesVersion, stored });
  return stored;
}
