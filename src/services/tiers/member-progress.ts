/**
 * What the member view shows about tiers: progress towards the next level, the review date, and perks. Read
 * set-based for a page of members: four queries whatever the page's size.
 */
import { memberPerks, tierProgress } from '../../domain/tiers/progress.js';
import { metricValue, windowStartMonth, zeroCounts } from '../../domain/tiers/qualification.js';
import { rankOf } from '../../domain/tiers/tier.js';
import { listActivePlanPerksOfMembers } from '../../storage/repositories/memberships.repository.js';
import { findMemberTiers, findTierConfig, sumTierCounts } from '../../storage/repositories/tiers.repository.js';
import type { MemberRow, ProgramRow } from '../../storage/schema.js';
import type { Trx } from '../../storage/transaction.js';
import { iso, type TierProgressView } from '../views.js';

export interface MemberTierView {
  tierProgress: TierProgressView | null;
  perks: string[];
}

export async function readTierViews(db: Trx, program: ProgramRow, members: readonly MemberRow[], now: number): Promise<Map<string, MemberTierView>> {
  const views = new Map<string, MemberTierView>();
  if (members.length === 0) return views;
  const ids = members.map((m) => m.id);
  const stored = await findTierConfig(db, program.id);
  const planPerks = new Map<string, string[][]>();
  for (const row of await listActivePlanPerksOfMembers(db, program.id, ids)) {
    planPerks.set(row.memberId, [...(planPerks.get(row.memberId) ?? []), JSON.parse(row.perks) as string[]]);
  }
  if (!stored) {
    for (const member of members) views.set(member.id, { tierProgress: null, perks: memberPerks([], -1, planPerks.get(member.id) ?? []) });
    return views;
  }
  const { config } = stored;
  const counts = await sumTierCounts(db, program.id, ids, windowStartMonth(config.window, now, program.timezone));
  const states = new Map((await findMemberTiers(db, program.id, ids)).map((row) => [row.memberId, row]));
  for (const member of members) {
    const state = states.get(member.id);
    const effective = rankOf(config.levels, member.tier);
    const progress = tierProgress({
      config,
      value: metricValue(counts.get(member.id) ?? zeroCounts(), config.metric),
      effectiveRank: effective,
      qualifiedRank: rankOf(config.levels, state?.qualifiedTier ?? null),
      reviewAt: state?.reviewAt ?? null,
    });
    views.set(member.id, {
      tierProgress: { ...progress, reviewAt: progress.reviewAt === null ? null : iso(progress.reviewAt) },
      perks: memberPerks(config.levels, effective, planPerks.get(member.id) ?? []),
    });
  }
  return views;
}

export async function readTierView(db: Trx, program: ProgramRow, member: MemberRow, now: number): Promise<MemberTierView> {
  return (await readTierViews(db, program, [member], now)).get(member.id) as MemberTierView;
}
