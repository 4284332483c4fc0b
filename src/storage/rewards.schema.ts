/**
 * Table types of the rewards catalogue, redemptions and coupons (migration 0003), and the coupon settings that
 * migration adds to `programs`. Texts that may be given per locale (a reward's name and description) are stored
 * as JSON; limits, tiers and the lots a redemption took are JSON too.
 */
import type { Generated } from 'kysely';
import type { Instant } from './schema.js';

type Flag = number;

declare module './schema.js' {
  // The coupon settings live on the programme row (migration 0003 adds the columns); declared here so the
  // rewards capability keeps its storage types in one file.
  interface ProgramsTable {
    /** Letters and digits every generated code starts with; null: none. */
    couponPrefix: string | null;
    /** Random characters per generated code. */
    couponLength: Generated<number>;
    /** Days a redemption's coupon stays valid (capped by the reward's validUntil). */
    couponValidityDays: Generated<number>;
    /** 1: an expired unused coupon from a redemption gives its points back. */
    refundExpiredCoupons: Generated<Flag>;
  }
}

export interface RewardsTable {
  programId: string;
  id: string;
  /** JSON: a text, or a map of locale to text. */
  name: string;
  description: string | null;
  pointsCost: number;
  kind: string;
  value: number | null;
  currency: string | null;
  maxDiscount: number | null;
  sku: string | null;
  /** Units left (CHECK stock >= 0); null: unlimited. */
  stock: number | null;
  /** Redemptions that hold (not cancelled or refunded). */
  redeemedCount: number;
  limits: string | null;
  tiers: string | null;
  validFrom: Instant | null;
  validUntil: Instant | null;
  active: Flag;
  partnerId: string | null;
  /** catalogue (redeemed for points) or referral (given only by the referral programme; migration 0015). */
  audience: Generated<string>;
  /** The content hash of the reward's picture (reward_images, migration 0012); null: no picture. */
  imageVersion: Generated<string | null>;
  createdAt: Instant;
  updatedAt: Instant;
}

/** A reward's picture (migration 0012), base64 so both dialects store it as text. */
export interface RewardImagesTable {
  programId: string;
  rewardId: string;
  version: string;
  contentType: string;
  dataBase64: string;
  byteSize: number;
  createdAt: Instant;
}

export interface RedemptionsTable {
  programId: string;
  id: string;
  memberId: string;
  rewardId: string;
  points: number;
  /** completed, cancelled (by a call) or refunded (its coupon expired unused and the programme refunds). */
  status: string;
  couponCode: string;
  /** The ledger transaction that spent the points. */
  transactionId: string;
  /** The ledger transaction that gave them back, once cancelled or refunded. */
  returnTransactionId: string | null;
  /** JSON `TakenLot[]`: which lots gave how many points, with their expiry. */
  takenLots: string;
  createdAt: Instant;
  endedAt: Instant | null;
}

export interface CouponsTable {
  programId: string;
  /** Normalised: upper case, no spaces or dashes. */
  code: string;
  rewardId: string;
  /** Null for imported or generated coupons, which belong to no member and cost no points. */
  redemptionId: string | null;
  memberId: string | null;
  batchId: string | null;
  campaign: string | null;
  /** The referral that gave this coupon (migration 0015); such coupons count in the reward's redeemed_count. */
  referralId: Generated<string | null>;
  /** active, used, expired or cancelled. */
  status: string;
  expiresAt: Instant | null;
  usedAt: Instant | null;
  orderId: string | null;
  /** When it became expired or cancelled. */
  endedAt: Instant | null;
  createdAt: Instant;
}

export interface RewardTables {
  rewards: RewardsTable;
  redemptions: RedemptionsTable;
  rewardImages: RewardImagesTable;
  coupons: CouponsTable;
}
