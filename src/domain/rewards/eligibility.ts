/**
 * May this member redeem this reward now? One pure decision, taken by the redemption under the member's and the
 * reward's locks, so what it reads cannot change before the redemption is written. The checks run in a fixed
 * order and the first that fails is the answer: blocked member, reward not available (inactive or outside its
 * window), tier, per-member limit, stock, balance. The database keeps its own guards for stock and balance
 * (a conditional decrement and CHECK constraints); this function is what gives the member a clear reason.
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
  'member_blocked' | 'member_erased' | 'reward_not_available' | 'reward_tier_required' | 'reward_limit_reached' | 'reward_out_of_stock' | 'insufficient_points'
>;

export type Redeemable = { ok: true } | { ok: false; code: RedeemRefusal; detail: string };

export interface RedeemCheck {
  member: RedeemingMember;
  reward: Pick<RewardDefinition, 'active' | 'validFrom' | 'validUntil' | 'tiers' | 'limits' | 'stock' | 'pointsCost'>;
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
