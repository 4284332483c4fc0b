/**
 * The referral state machine and the arithmetic of rewards: which transitions exist, which ladder step a
 * referrer has reached, whether a cap stops the referrer's reward, and when a qualified referral is due.
 *
 *   signed_up ──► qualified ──► rewarded ──► reversed
 *       │  ▲          │  ▲         ▲
 *       │  └─flagged◄─┘  │         └── reward_failed  (retry; entered from signed_up, qualified or flagged)
 *       ├──► expired      └─ (approve)
 *       └──► rejected  (from signed_up, qualified, flagged or reward_failed)
 *
 * flagged: awaiting review; approval continues where the flow stopped. reward_failed: the reward was due but a
 * catalogue reward could not be given (inactive, outside its window, out of stock); nothing was given, the
 * reason is kept, and an admin's retry rewards it once the reward is fixed.
 * A referral is never deleted; the terminal states (rewarded until reversed, rejected, expired, reversed) keep
 * the evidence and the reason.
 */
import { periodKey, type LimitPeriod } from '../periods.js';
import type { LadderStep, ReferralRewardSpec } from './settings.js';

export type ReferralStatus = 'signed_up' | 'qualified' | 'rewarded' | 'flagged' | 'rejected' | 'expired' | 'reversed' | 'reward_failed';
export const referralStatuses: readonly ReferralStatus[] = ['signed_up', 'qualified', 'rewarded', 'flagged', 'rejected', 'expired', 'reversed', 'reward_failed'];

const transitions: Readonly<Record<ReferralStatus, readonly ReferralStatus[]>> = {
  signed_up: ['qualified', 'rewarded', 'reward_failed', 'flagged', 'rejected', 'expired'],
  qualified: ['rewarded', 'reward_failed', 'flagged', 'rejected'],
  flagged: ['signed_up', 'qualified', 'rewarded', 'reward_failed', 'rejected'],
  reward_failed: ['rewarded', 'rejected'],
  rewarded: ['reversed'],
  rejected: [],
  expired: [],
  reversed: [],
};

export function canTransition(from: ReferralStatus, to: ReferralStatus): boolean {
  return transitions[from].includes(to);
}

/** Statuses from which a referral can still end up rewarded. */
export const openStatuses: readonly ReferralStatus[] = ['signed_up', 'qualified', 'flagged', 'reward_failed'];

/** Statuses from which a reward is paid: the flow's own, and a retry of a failed payout. */
export const rewardableStatuses: readonly ReferralStatus[] = ['qualified', 'flagged', 'signed_up', 'reward_failed'];

/**
 * The referrer's points for the referral that makes `successfulCount` successful referrals (this one
 * included): the highest ladder step whose `from` is reached, else the programme's base points (null when the
 * referrer's reward is a catalogue reward and no step applies).
 */
export function referrerPoints(base: ReferralRewardSpec, ladder: readonly LadderStep[] | null, successfulCount: number): number | null {
  let points: number | null = 'points' in base ? base.points : null;
  for (const step of ladder ?? []) if (successfulCount >= step.from) points = step.points;
  return points;
}

/** Where a referrer stands on the ladder: the count so far and the next step they have not reached. */
export function ladderProgress(ladder: readonly LadderStep[] | null, successfulCount: number): { count: number; nextStep: LadderStep | null } {
  const nextStep = (ladder ?? []).find((step) => step.from > successfulCount) ?? null;
  return { count: successfulCount, nextStep: nextStep ? { ...nextStep } : null };
}

/**
 * True when the referrer already had `cap.count` rewards in the period (programme timezone) that contains
 * `now`: `rewardedAt` are the times of the referrer's earlier referrals that rewarded the referrer.
 */
export function capReached(
  cap: { count: number; period: LimitPeriod } | null,
  rewardedAt: readonly number[],
  now: number,
  timezone: string,
): boolean {
  if (!cap) return false;
  const current = periodKey(cap.period, new Date(now), timezone);
  const inPeriod = rewardedAt.filter((at) => periodKey(cap.period, new Date(at), timezone) === current).length;
  return inPeriod >= cap.count;
}

/**
 * A qualifying order stops qualifying once it is refunded in full, or its net total falls below the minimum:
 * a partial refund that keeps the order above the minimum leaves the referral standing.
 */
export function orderStillQualifies(order: { totalMinor: number; refundedMinor: number }, minOrderTotal: number): boolean {
  if (order.refundedMinor >= order.totalMinor) return false;
  return order.totalMinor - order.refundedMinor >= minOrderTotal;
}
