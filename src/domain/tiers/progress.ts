/**
 * A member's progress as the member view shows it: the metric in the current window, the next level above the
 * effective one and how much is still needed to reach it, and the review date of the qualified level. Perks are
 * those of the effective level plus those of the member's active paid memberships.
 */
import type { TierConfiguration, TierLevel, TierMetric } from './tier.js';

export interface TierProgress {
  metric: TierMetric;
  current: number;
  /** What is still missing to reach `nextTier`; 0 at the top level. */
  needed: number;
  nextTier: string | null;
  /** The qualified level, which may be below `member.tier` while a paid membership grants more. */
  qualifiedTier: string | null;
  reviewAt: number | null;
}

export function tierProgress(input: {
  config: TierConfiguration;
  value: number;
  effectiveRank: number;
  qualifiedRank: number;
  reviewAt: number | null;
}): TierProgress {
  const { config, value } = input;
  const next: TierLevel | undefined = config.levels[input.effectiveRank + 1];
  return {
    metric: config.metric,
    current: value,
    needed: next ? Math.max(0, next.threshold - value) : 0,
    nextTier: next?.name ?? null,
    qualifiedTier: config.levels[input.qualifiedRank]?.name ?? null,
    reviewAt: input.reviewAt,
  };
}

/** The perks a member has: their effective level's, then their memberships' plans', each once, in that order. */
export function memberPerks(levels: readonly TierLevel[], effectiveRank: number, planPerks: readonly (readonly string[])[]): string[] {
  return [...new Set([...(levels[effectiveRank]?.perks ?? []), ...planPerks.flat()])];
}
