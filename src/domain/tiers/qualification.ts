/**
 * Qualification: which level a member's metric earns them, and when an event upgrades them.
 *
 * Counting (what the metric is):
 * - Activity is kept per member per calendar month of the programme's timezone (`monthKey`): points earned
 *   from events (rule awards plus the tier bonus), money spent (purchase totals, minor units) and purchases.
 *   Refunds subtract from the month of the purchase they refund (points clawed back, money refunded, and the
 *   purchase itself once the order is refunded in full), so a refund of a purchase that has already left the
 *   window changes nothing, and a month never goes below zero. Expiry and redemptions do not touch these counts:
 *   the metric is what was earned, never the balance.
 * - The window is whole months: `rolling` N months is the current month and the N-1 before it; `calendar_year`
 *   is January to now of the current year; `lifetime` is everything. Months are compared as `YYYY-MM` keys.
 *
 * Levels: the qualified level is the highest whose threshold the metric reaches. The effective level (what
 * `member.tier` shows, and whose multiplier and perks apply) is the higher of the qualified level and the
 * highest level granted by the member's active paid memberships.
 */
import { DateTime } from 'luxon';
import type { TierConfiguration, TierLevel, TierMetric, TierWindow } from './tier.js';

export interface TierCounts {
  pointsEarned: number;
  spendMinor: number;
  purchases: number;
}

export const zeroCounts = (): TierCounts => ({ pointsEarned: 0, spendMinor: 0, purchases: 0 });

/** The calendar month containing `at` in the programme's timezone, as `YYYY-MM`. */
export function monthKey(at: number, timezone: string): string {
  return DateTime.fromMillis(at, { zone: timezone }).toFormat('yyyy-MM');
}

/** The first month the window counts at `now`, or null for a lifetime window (every month counts). */
export function windowStartMonth(window: TierWindow, now: number, timezone: string): string | null {
  const local = DateTime.fromMillis(now, { zone: timezone }).startOf('month');
  switch (window.type) {
    case 'rolling':
      return local.minus({ months: window.months - 1 }).toFormat('yyyy-MM');
    case 'calendar_year':
      return local.toFormat('yyyy-01');
    case 'lifetime':
      return null;
  }
}

/** Whether a month's activity counts in a window that starts at `start` (months after now cannot exist yet). */
export function inWindow(month: string, start: string | null): boolean {
  return start === null || month >= start;
}

export function metricValue(counts: TierCounts, metric: TierMetric): number {
  switch (metric) {
    case 'points_earned':
      return counts.pointsEarned;
    case 'spend':
      return counts.spendMinor;
    case 'purchases':
      return counts.purchases;
  }
}

/** The rank of the highest level whose threshold `value` reaches; -1 when it reaches none. */
export function qualifiedRank(levels: readonly TierLevel[], value: number): number {
  let rank = -1;
  for (let i = 0; i < levels.length; i++) {
    if (value >= (levels[i] as TierLevel).threshold) rank = i;
  }
  return rank;
}

/** The level whose multiplier and perks apply: the higher of the qualified and the membership-granted level. */
export function effectiveRank(qualified: number, membership: number): number {
  return Math.max(qualified, membership);
}

/**
 * The level an event lifts the member's qualified level to, possibly several levels up at once, or null when
 * it lifts nothing. Upgrades never wait for a review; downgrades only happen at one (review.ts).
 */
export function upgradeTarget(config: TierConfiguration, currentRank: number, value: number): number | null {
  const rank = qualifiedRank(config.levels, value);
  return rank > currentRank ? rank : null;
}

/**
 * Whether a member at `rank` has anything to lose at a review. The lowest level with threshold 0 cannot be
 * lost (every metric reaches it), and below the lowest level there is nothing to lose: no review date then.
 */
export function hasReview(levels: readonly TierLevel[], rank: number): boolean {
  const level = levels[rank];
  return rank >= 0 && level !== undefined && level.threshold > 0;
}
