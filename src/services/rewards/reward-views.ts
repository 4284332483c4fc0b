/**
 * The API's shape of rewards, redemptions and coupons, built from rows. Shared by the rewards services (and the
 * CLI, later), so every answer shows a reward the same way.
 */
import type { LocalisedText, RewardAudience, RewardDefinition, RewardKind, RewardLimits } from '../../domain/rewards/reward.js';
import type { TakenLot } from '../../domain/ledger/lots.js';
import type { CouponStatus } from '../../domain/rewards/discount.js';
import type { Selectable } from 'kysely';
import type { CouponsTable, RedemptionsTable, RewardsTable } from '../../storage/rewards.schema.js';
import { iso } from '../views.js';

export type RewardRow = Selectable<RewardsTable>;
export type RedemptionRow = Selectable<RedemptionsTable>;
export type CouponRow = Selectable<CouponsTable>;

/** A reward as the API shows it: its definition with instants as RFC 3339 strings, plus id, count and times. */
export interface RewardView extends Omit<RewardDefinition, 'validFrom' | 'validUntil'> {
  id: string;
  redeemedCount: number;
  /** Where the reward's picture is served (a path on this server, public); null: no picture. */
  imageUrl: string | null;
  validFrom: string | null;
  validUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export type RedemptionStatus = 'completed' | 'cancelled' | 'refunded';

export interface RedemptionView {
  id: string;
  memberId: string;
  reward: RewardView;
  points: number;
  status: RedemptionStatus;
  coupon: CouponSummary;
  createdAt: string;
  /** When it was cancelled, or refunded on its coupon's expiry. */
  endedAt: string | null;
  /** The member's balance right after the call (on the responses of redeem and cancel only). */
  balance?: { available: number; pending: number };
}

export interface CouponSummary {
  code: string;
  status: CouponStatus;
  expiresAt: string | null;
  usedAt: string | null;
  orderId: string | null;
}

export interface CouponView extends CouponSummary {
  reward: RewardView;
  memberId: string | null;
  redemptionId: string | null;
  campaign: string | null;
  createdAt: string;
}

/** A stored reward as the domain takes it. */
export function rewardDefinition(row: RewardRow): RewardDefinition {
  return {
    name: JSON.parse(row.name) as LocalisedText,
    description: row.description === null ? null : (JSON.parse(row.description) as LocalisedText),
    pointsCost: row.pointsCost,
    kind: row.kind as RewardKind,
    value: row.value,
    currency: row.currency,
    maxDiscount: row.maxDiscount,
    sku: row.sku,
    stock: row.stock,
    limits: row.limits === null ? null : (JSON.parse(row.limits) as RewardLimits),
    tiers: row.tiers === null ? null : (JSON.parse(row.tiers) as string[]),
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    active: row.active === 1,
    partnerId: row.partnerId,
    audience: row.audience as RewardAudience,
  };
}

/** The stored columns of a checked definition. */
export function rewardColumns(definition: RewardDefinition) {
  return {
    name: JSON.stringify(definition.name),
    description: definition.description === null ? null : JSON.stringify(definition.description),
    pointsCost: definition.pointsCost,
    kind: definition.kind,
    value: definition.value,
    currency: definition.currency,
    maxDiscount: definition.maxDiscount,
    sku: definition.sku,
    stock: definition.stock,
    limits: definition.limits === null ? null : JSON.stringify(definition.limits),
    tiers: definition.tiers === null ? null : JSON.stringify(definition.tiers),
    validFrom: definition.validFrom,
    validUntil: definition.validUntil,
    active: definition.active ? 1 : 0,
    partnerId: definition.partnerId,
    audience: definition.audience,
  };
}

/**
 * The public path of a reward's picture. It names the picture's version, so it can be cached forever and a new
 * picture has a new path; it is outside /v1 because an <img> on a member's page sends no credentials.
 */
export function rewardImagePath(programId: string, rewardId: string, version: string): string {
  return `/media/${encodeURIComponent(programId)}/rewards/${encodeURIComponent(rewardId)}/${version}`;
}

export function rewardView(row: RewardRow): RewardView {
  const definition = rewardDefinition(row);
  return {
    id: row.id,
    ...definition,
    redeemedCount: row.redeemedCount,
    imageUrl: row.imageVersion === null ? null : rewardImagePath(row.programId, row.id, row.imageVersion),
    validFrom: row.validFrom === null ? null : iso(row.validFrom),
    validUntil: row.validUntil === null ? null : iso(row.validUntil),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function couponSummary(row: CouponRow): CouponSummary {
  return {
    code: row.code,
    status: row.status as CouponStatus,
    expiresAt: row.expiresAt === null ? null : iso(row.expiresAt),
    usedAt: row.usedAt === null ? null : iso(row.usedAt),
    orderId: row.orderId,
  };
}

export function couponView(row: CouponRow, reward: RewardRow): CouponView {
  return {
    ...couponSummary(row),
    reward: rewardView(reward),
    memberId: row.memberId,
    redemptionId: row.redemptionId,
    campaign: row.campaign,
    createdAt: iso(row.createdAt),
  };
}

export function redemptionView(row: RedemptionRow, reward: RewardRow, coupon: CouponRow): RedemptionView {
  return {
    id: row.id,
    memberId: row.memberId,
    reward: rewardView(reward),
    points: row.points,
    status: row.status as RedemptionStatus,
    coupon: couponSummary(coupon),
    createdAt: iso(row.createdAt),
    endedAt: row.endedAt === null ? null : iso(row.endedAt),
  };
}

export function takenLotsOf(row: RedemptionRow): TakenLot[] {
  return JSON.parse(row.takenLots) as TakenLot[];
}
