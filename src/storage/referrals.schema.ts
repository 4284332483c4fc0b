/** Table types of the referral programme and its fraud evidence (migration 0007). */
import type { Generated } from 'kysely';
import type { Instant } from './schema.js';

type Flag = number;

export interface ReferralProgramsTable {
  programId: string;
  enabled: Flag;
  /** JSON: the referral programme's settings as `GET /v1/referral-program` shows them. */
  settings: string;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface ReferralClicksTable {
  programId: string;
  id: string;
  referrerMemberId: string;
  code: string;
  /** Keyed hash (blind-index key) of the client IP; never the address itself. */
  ipHash: string | null;
  userAgent: string | null;
  /** JSON: utm_source, utm_medium, utm_campaign, utm_term, utm_content when present. */
  utm: string | null;
  landingUrl: string;
  clickedAt: Instant;
}

export type ReferralStatus = 'signed_up' | 'qualified' | 'rewarded' | 'flagged' | 'rejected' | 'expired' | 'reversed' | 'reward_failed';

export interface ReferralsTable {
  programId: string;
  id: string;
  referrerMemberId: string;
  friendMemberId: string;
  code: string;
  status: ReferralStatus;
  clickId: string | null;
  signupIpHash: string | null;
  signupDeviceHash: string | null;
  score: number;
  /** JSON: the fired signals `[{signal, weight, evidence, stage}]`. */
  signals: string;
  qualifyingOrderId: string | null;
  qualifyingTotalMinor: number | null;
  expiresAt: Instant | null;
  qualifiedAt: Instant | null;
  /** When a qualified referral's reward is due (qualification, plus the return window if the programme waits). */
  rewardDueAt: Instant | null;
  rewardedAt: Instant | null;
  endedAt: Instant | null;
  /** Why it was rejected, expired or reversed, or why its reward could not be given (reward_failed). */
  reason: string | null;
  /** JSON: `{action, reason, at}` of a manual approve/reject. */
  review: string | null;
  /** JSON: what the referrer was given (`{points, transactionId}` or `{rewardId, redemptionId, couponCode}`). */
  referrerReward: string | null;
  friendReward: string | null;
  /** JSON `PayoutFailure` (domain/referrals/payout.ts) while the referral is reward_failed (migration 0015). */
  payoutFailure: Generated<string | null>;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface MemberFingerprintsTable {
  programId: string;
  kind: 'ip' | 'device';
  valueHash: string;
  memberId: string;
  firstSeenAt: Instant;
  lastSeenAt: Instant;
}

export interface ReferralTables {
  referralPrograms: ReferralProgramsTable;
  referralClicks: ReferralClicksTable;
  referrals: ReferralsTable;
  memberFingerprints: MemberFingerprintsTable;
}
