/** Table types of earn abuse beyond referrals (migration 0008): awards held by the daily earn limit. */
import type { Instant } from './schema.js';

export type EarnHoldStatus = 'held' | 'approved' | 'rejected';

export interface EarnHoldsTable {
  programId: string;
  id: string;
  memberId: string;
  /** The client's id of the event whose award is held. */
  eventId: string;
  eventType: string;
  /** The purchase's order, so refunds before the review reduce what an approval awards. */
  orderId: string | null;
  /** What the event would have earned: the rules' lines and the tier bonus, in total. */
  points: number;
  /** JSON: `[{ruleId, ruleVersion, points}]`, the lines an approval posts (a tier bonus has null rule). */
  lines: string;
  occurredAt: Instant;
  /** JSON: `{earnedLast24h, award, maxPointsPerDay}` when the award was held. */
  evidence: string;
  status: EarnHoldStatus;
  /** What the approval posted (less than `points` when the order was partly refunded meanwhile). */
  pointsAwarded: number | null;
  transactionId: string | null;
  /** JSON: `{action, reason, at}` of the reviewer's decision. */
  review: string | null;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface FraudTables {
  earnHolds: EarnHoldsTable;
}
