/**
 * The review (requalification) of a member's qualified level, DESIGN.md §2 Tier retention:
 * - The review date is `reviewMonths` after the member reached or last requalified for the level; the review
 *   happens `graceDays` (whole days of 24 hours) after that date, on the metric as it is then, so the grace
 *   period is time to get back above the threshold.
 * - A member whose metric still reaches their level keeps it; the next review date is `reviewMonths` after the
 *   previous one (anchored to the schedule, so a late job run does not shift it). A metric that reaches a higher
 *   level (possible after the thresholds were lowered) lifts the member there.
 * - Otherwise the member goes down exactly one level, whatever the metric (even zero): one level per review.
 *   Their next review date is again `reviewMonths` after the previous one.
 * - Below the lowest level, or at a level with threshold 0, there is nothing to review (no date).
 */
import { addMonths } from '../periods.js';
import { hasReview, qualifiedRank } from './qualification.js';
import type { TierConfiguration, TierLevel } from './tier.js';

const DAY_MS = 86_400_000;

export type ReviewOutcome = 'requalified' | 'downgraded' | 'upgraded';

export interface ReviewDecision {
  outcome: ReviewOutcome;
  rank: number;
  /** The next review date, or null when the new level has nothing to review. */
  reviewAt: number | null;
}

/** When a review date is acted on: after the grace period. */
export function reviewDueAt(reviewAt: number, graceDays: number): number {
  return reviewAt + graceDays * DAY_MS;
}

/** The review date for a level reached (or requalified for) at `from`; null when there is nothing to review. */
export function nextReviewAt(config: TierConfiguration, rank: number, from: number, timezone: string): number | null {
  return hasReview(config.levels, rank) ? addMonths(new Date(from), config.reviewMonths, timezone).getTime() : null;
}

/** Decides a due review of a member at `currentRank` whose metric is now `value`. */
export function reviewDecision(
  config: TierConfiguration,
  currentRank: number,
  value: number,
  reviewAt: number,
  timezone: string,
): ReviewDecision {
  const reached = qualifiedRank(config.levels, value);
  const outcome: ReviewOutcome = reached > currentRank ? 'upgraded' : reached === currentRank ? 'requalified' : 'downgraded';
  const rank = outcome === 'downgraded' ? currentRank - 1 : reached;
  return { outcome, rank, reviewAt: nextReviewAt(config, rank, reviewAt, timezone) };
}

/** The level a member needs to keep at the review: its threshold, or 0 when there is nothing to keep. */
export function thresholdToKeep(levels: readonly TierLevel[], rank: number): number {
  return levels[rank]?.threshold ?? 0;
}
