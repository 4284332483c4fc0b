/**
 * May this member redeem this reward now? One pure decision, taken by the redemption under the member's and the
 * reward's locks, so what it reads cannot change before the redemption is written. The checks run in a fixed
 * order and the first that fails is the answer: blocked member, a reward only the referral programme gives,
 * reward not available (inactive or outside its window), tier, per-member limit, stock, balance. The database
 * keeps its own guards for stock and balance (a conditional decrement and CHECK constraints); this function is
 * what gives the member a clear reason.
 *
 * `checkIssuable` is the other question: may a reward be given away now (a referral's coupon, at no points
 * cost)? Active, inside its window, and enough stock for the units asked; tier, limits and balance do not apply.
 */
import type { ProblemCode } from '../errors.js';
import { periodKey, type LimitPeriod } from '../periods.js';
import type { RewardDefinition } from './reward.js';

export interface RedeemingMember {
  status: string;
  /** The member's tier name; null: no tier. */
  tier: string | null;
  available: number;
}

export type RedeemRefusal = Extract<
  ProblemCode,
  'member_blocked' | 'member_erased' | 'reward_not_redeemable' | 'reward_not_available' | 'reward_tier_required' | 'reward_limit_reached' | 'reward_out_of_stock' | 'insufficient_points'
>;

export type Redeemable = { ok: true } | { ok: false; code: RedeemRefusal; detail: string };

export interface RedeemCheck {
  member: RedeemingMember;
  reward: Pick<RewardDefinition, 'audience' | 'active' | 'validFrom' | 'validUntil' | 'tiers' | 'limits' | 'stock' | 'pointsCost'>;
  /** When the member redeemed this reward before (redemptions that still count: not cancelled or refunded). */
  earlierRedemptionsAt: readonly number[];
  now: number;
  timezone: string;
}

/** How many of `instants` fall in the same period as `now`, in the programme's timezone. */
export function countInPeriod(instants: readonly number[], period: LimitPeriod, now: number, timezone: string): number {
  const current = periodKey(period, new Date(now), timezone);
  return instants.filter((at) => periodKey(period, new Date(at), timezone) === current).length;
}

/** Whether the reward is active and `now` lies in its validity window (validUntil is exclusive). */
export function isRewardAvailable(reward: Pick<RewardDefinition, 'active' | 'validFrom' | 'validUntil'>, now: number): boolean {
  if (!reward.active) return false;
  if (reward.validFrom !== null && now < reward.validFrom) return false;
  if (reward.validUntil !== null && now >= reward.validUntil) return false;
  return true;
}

/** Whether a reward restricted to some tiers is open to a member in `tier` (no restriction: open to all). */
export function isOpenToTier(reward: Pick<RewardDefinition, 'tiers'>, tier: string | null): boolean {
  return reward.tiers === null || reward.tiers.length === 0 || (tier !== null && reward.tiers.includes(tier));
}

/** Decides whether the member may redeem the reward now, or the first reason they may not. */
export function checkRedeemable({ member, reward, earlierRedemptionsAt, now, timezone }: RedeemCheck): Redeemable {
  if (member.status === 'erased') return { ok: false, code: 'member_erased', detail: 'The member was erased and cannot redeem.' };
  if (member.status !== 'active') return { ok: false, code: 'member_blocked', detail: 'The member is blocked and cannot redeem.' };
  if (reward.audience !== 'catalogue') {
    return { ok: false, code: 'reward_not_redeemable', detail: 'The reward is given by the referral programme only; it cannot be redeemed for points.' };
  }
  if (!isRewardAvailable(reward, now)) {
    return { ok: false, code: 'reward_not_available', detail: 'The reward is inactive or outside its validity window.' };
  }
  if (!isOpenToTier(reward, member.tier)) {
    return {
      ok: false,
      code: 'reward_tier_required',
      detail: `The reward is for members in ${(reward.tiers ?? []).join(', ')}; the member is ${member.tier === null ? 'in no tier' : `in ${member.tier}`}.`,
    };
  }
  const limit = reward.limits?.perMember;
  if (limit !== undefined) {
    const used = countInPeriod(earlierRedemptionsAt, limit.period, now, timezone);
    if (used >= limit.count) {
      return {
        ok: false,
        code: 'reward_limit_reached',
        detail: `The reward may be redeemed ${limit.count} time(s) per member${limit.period === 'lifetime' ? '' : ` per ${limit.period}`}; the member has used them.`,
      };
    }
  }
  if (reward.stock !== null && reward.stock <= 0) return { ok: false, code: 'reward_out_of_stock', detail: 'The reward is out of stock.' };
  if (member.available < reward.pointsCost) {
    return {
      ok: false,
      code: 'insufficient_points',
      detail: `The member has ${member.available} available points; the reward costs ${reward.pointsCost}.`,
    };
  }
  return { ok: true };
}

/** Why a reward cannot be given away now; `reward_not_found` when the reward does not exist (any more). */
export type IssueRefusal = 'reward_not_found' | 'reward_inactive' | 'reward_not_yet_valid' | 'reward_expired' | 'reward_out_of_stock';

export type Issuable = { ok: true } | { ok: false; reason: IssueRefusal; detail: string };

/**
 * Whether `units` of the reward can be given away at `now`: it exists, is active, `now` lies in its window
 * (validUntil exclusive) and its stock covers the units (null stock: unlimited). The first failing check is the
 * answer, with a sentence for the person who has to fix it.
 */
export function checkIssuable(
  reward: Pick<RewardDefinition, 'active' | 'validFrom' | 'validUntil' | 'stock'> | null,
  units: number,
  now: number,
): Issuable {
  if (reward === null) return { ok: false, reason: 'reward_not_found', detail: 'The reward does not exist in this programme.' };
  if (!reward.active) return { ok: false, reason: 'reward_inactive', detail: 'The reward is inactive.' };
  if (reward.validFrom !== null && now < reward.validFrom) {
    return { ok: false, reason: 'reward_not_yet_valid', detail: `The reward is valid only from ${new Date(reward.validFrom).toISOString()}.` };
  }
  if (reward.validUntil !== null && now >= reward.validUntil) {
    return { ok: false, reason: 'reward_expired', detail: `The reward was valid until ${new Date(reward.validUntil).toISOString()}.` };
  }
  if (reward.stock !== null && reward.stock < units) {
    return {
      ok: false,
      reason: 'reward_out_of_stock',
      detail: units === 1 ? 'The reward is out of stock.' : `The reward has ${reward.stock} unit(s) left and ${units} are needed.`,
    };
  }
  return { ok: true };
}
