/** The API's shape of a referral, built from its row; shared by the referral services and their outbox messages. */
import type { PayoutFailure } from '../../domain/referrals/payout.js';
import type { ReferralStatus } from '../../domain/referrals/referral.js';
import type { ReferralRow } from '../../storage/repositories/referrals.repository.js';
import { iso } from '../views.js';

export interface ReferralView {
  id: string;
  referrerId: string;
  friendId: string;
  code: string;
  status: ReferralStatus;
  score: number;
  signals: JsonObject[];
  qualifyingOrderId: string | null;
  qualifyingTotal: number | null;
  expiresAt: string | null;
  qualifiedAt: string | null;
  rewardDueAt: string | null;
  rewardedAt: string | null;
  endedAt: string | null;
  reason: string | null;
  review: JsonObject | null;
  referrerReward: JsonObject | null;
  friendReward: JsonObject | null;
  /** Why the reward could not be given, per side, while the referral is reward_failed. */
  payoutFailure: PayoutFailure | null;
  createdAt: string;
  updatedAt: string;
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
type JsonObject = Record<string, unknown>;
const jsonOrNull = (text: string | null): JsonObject | null => (text === null ? null : (JSON.parse(text) as JsonObject));

export function referralView(row: ReferralRow): ReferralView {
  return {
    id: row.id,
    referrerId: row.referrerMemberId,
    friendId: row.friendMemberId,
    code: row.code,
    status: row.status,
    score: row.score,
    signals: JSON.parse(row.signals) as JsonObject[],
    qualifyingOrderId: row.qualifyingOrderId,
    qualifyingTotal: row.qualifyingTotalMinor,
    expiresAt: isoOrNull(row.expiresAt),
    qualifiedAt: isoOrNull(row.qualifiedAt),
    rewardDueAt: isoOrNull(row.rewardDueAt),
    rewardedAt: isoOrNull(row.rewardedAt),
    endedAt: isoOrNull(row.endedAt),
    reason: row.reason,
    review: jsonOrNull(row.review),
    referrerReward: jsonOrNull(row.referrerReward),
    friendReward: jsonOrNull(row.friendReward),
    payoutFailure: row.payoutFailure === null ? null : (JSON.parse(row.payoutFailure) as PayoutFailure),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
