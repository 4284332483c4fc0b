/**
 * A referral's payout, decided before anything is written: what each side gets, which catalogue rewards that
 * needs, and whether they can be given now.
 *
 * The friend gets the friend reward. The referrer gets the ladder's points for their count of successful
 * referrals (this one included) or the base reward, unless the cap per referrer per period is reached: then only
 * the friend is rewarded. With a catalogue reward for the referrer, a ladder step's points come on top of it.
 *
 * A payout is all or nothing. When a catalogue reward it needs cannot be given (`checkIssuable`: inactive,
 * outside its window, not enough stock), nothing is given and the referral becomes `reward_failed` with a
 * failure per side; a retry decides again with the settings and rewards of its own moment. Paying one side and
 * holding the other was considered and left: it needs a state per side, and the cap and the ladder would then
 * count half-paid referrals. All or nothing keeps `reward_failed` meaning one thing, nothing was given.
 */
import { checkIssuable, type IssueRefusal } from '../rewards/eligibility.js';
import type { RewardDefinition } from '../rewards/reward.js';
import { capReached, referrerPoints } from './referral.js';
import type { ReferralRewardSpec, ReferralSettings } from './settings.js';

export type PayoutSide = 'friend' | 'referrer';

export interface PayoutPlan {
  friend: ReferralRewardSpec;
  /** The referrer's reward and a ladder step's points on top of a catalogue reward; null when capped. */
  referrer: { reward: ReferralRewardSpec; ladderPoints: number | null } | null;
}

export interface ReferrerHistory {
  /** The referrer's earlier rewarded referrals (this one not included). */
  successfulBefore: number;
  /** When those of them that rewarded the referrer (not capped) were rewarded. */
  rewardedReferrerAt: readonly number[];
}

/** What each side gets for a referral rewarded at `now` (the cap is counted in the programme's timezone). */
export function planPayout(settings: ReferralSettings, history: ReferrerHistory, now: number, timezone: string): PayoutPlan {
  if (capReached(settings.caps?.perReferrer ?? null, history.rewardedReferrerAt, now, timezone)) {
    return { friend: settings.friendReward, referrer: null };
  }
  const points = referrerPoints(settings.referrerReward, settings.ladder, history.successfulBefore + 1);
  if ('rewardId' in settings.referrerReward) {
    return { friend: settings.friendReward, referrer: { reward: settings.referrerReward, ladderPoints: points } };
  }
  return { friend: settings.friendReward, referrer: { reward: { points: points ?? settings.referrerReward.points }, ladderPoints: null } };
}

/** The catalogue rewards the plan gives, one entry per side. */
export function catalogueRewardsOf(plan: PayoutPlan): { side: PayoutSide; rewardId: string }[] {
  const needs: { side: PayoutSide; rewardId: string }[] = [];
  if ('rewardId' in plan.friend) needs.push({ side: 'friend', rewardId: plan.friend.rewardId });
  if (plan.referrer && 'rewardId' in plan.referrer.reward) needs.push({ side: 'referrer', rewardId: plan.referrer.reward.rewardId });
  return needs;
}

export interface PayoutFailureSide {
  side: PayoutSide;
  rewardId: string;
  reason: IssueRefusal;
  detail: string;
}

/** Why a referral's reward could not be given, as kept on the referral (`payoutFailure`) while it is reward_failed. */
export interface PayoutFailure {
  /** When the payout failed (RFC 3339). */
  at: string;
  sides: PayoutFailureSide[];
}

type IssuableReward = Pick<RewardDefinition, 'active' | 'validFrom' | 'validUntil' | 'stock'>;

/**
 * The sides whose catalogue reward cannot be given at `now`; empty when the payout can go ahead. A reward both
 * sides get needs stock for two.
 */
export function payoutFailures(
  needs: readonly { side: PayoutSide; rewardId: string }[],
  rewards: ReadonlyMap<string, IssuableReward>,
  now: number,
): PayoutFailureSide[] {
  const units = new Map<string, number>();
  for (const need of needs) units.set(need.rewardId, (units.get(need.rewardId) ?? 0) + 1);
  const failures: PayoutFailureSide[] = [];
  for (const need of needs) {
    const verdict = checkIssuable(rewards.get(need.rewardId) ?? null, units.get(need.rewardId) ?? 1, now);
    if (!verdict.ok) failures.push({ side: need.side, rewardId: need.rewardId, reason: verdict.reason, detail: verdict.detail });
  }
  return failures;
}

/** One sentence for the referral's `reason` and the problem of a failed retry. */
export function describePayoutFailure(sides: readonly PayoutFailureSide[]): string {
  return sides.map((s) => `The ${s.side}'s reward ${s.rewardId} cannot be given: ${s.detail.charAt(0).toLowerCase()}${s.detail.slice(1)}`).join(' ');
}
