/**
 * Table types of tiers, tier history, membership plans and memberships (migration 0004). Instants are epoch
 * milliseconds; JSON is text.
 */
type Instant = number;

/** One row per programme that has tiers: the configuration of DESIGN.md §2 Tier (domain/tiers/tier.ts). */
export interface TierConfigsTable {
  programId: string;
  metric: string;
  /** JSON: `{type: "rolling", months} | {type: "calendar_year"} | {type: "lifetime"}`. */
  qualifyingWindow: string;
  reviewMonths: number;
  graceDays: number;
  /** JSON: `[{name, threshold, multiplier, perks}]`, ordered by threshold. */
  levels: string;
  /** Bumped on every change. */
  version: number;
  createdAt: Instant;
  updatedAt: Instant;
}

/**
 * A member's qualifying activity in one calendar month of the programme's timezone (`YYYY-MM`), net of refunds.
 * Summed over the tier window; kept whether or not the programme has tiers yet, so a first configuration can
 * place members on their history.
 */
export interface TierMetricMonthsTable {
  programId: string;
  memberId: string;
  month: string;
  pointsEarned: number;
  spendMinor: number;
  purchases: number;
}

/** A member's tier state beside `members.tier` (the effective level). No row: no level, no review, no membership. */
export interface MemberTiersTable {
  programId: string;
  memberId: string;
  /** The level the member's metric earned them (kept until a review takes it down). */
  qualifiedTier: string | null;
  /** When the member reached or last requalified for the qualified level. */
  reachedAt: Instant | null;
  /** The review date of the qualified level; null when there is nothing to review. */
  reviewAt: Instant | null;
  /** The highest level granted by the member's active paid memberships. */
  membershipTier: string | null;
  updatedAt: Instant;
}

/** Every change of a member's level, with its reason; never updated. */
export interface TierHistoryTable {
  programId: string;
  id: string;
  memberId: string;
  /** The effective level before and after (`members.tier`). */
  previousTier: string | null;
  tier: string | null;
  /** The qualified level after the change. */
  qualifiedTier: string | null;
  /** upgrade, requalified, downgrade, review_upgrade, membership_started, membership_ended, enrolment, configuration */
  reason: string;
  eventId: string | null;
  membershipId: string | null;
  reviewAt: Instant | null;
  createdAt: Instant;
}

export interface MembershipPlansTable {
  programId: string;
  id: string;
  name: string;
  /** The level the plan grants while a membership is active; null for perks only. */
  tier: string | null;
  /** JSON array of texts. */
  perks: string;
  createdAt: Instant;
}

/** A paid membership billed elsewhere: scheduled until `startsAt`, active until `endsAt`, then ended. */
export interface MembershipsTable {
  programId: string;
  id: string;
  memberId: string;
  planId: string;
  status: string;
  startsAt: Instant;
  endsAt: Instant;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface TierTables {
  tierConfigs: TierConfigsTable;
  tierMetricMonths: TierMetricMonthsTable;
  memberTiers: MemberTiersTable;
  tierHistory: TierHistoryTable;
  membershipPlans: MembershipPlansTable;
  memberships: MembershipsTable;
}
