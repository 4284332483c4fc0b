/**
 * The tier multiplier on earned points. Order: the earn rules run first with their own multipliers
 * (rules/evaluate.ts: each rule multiplier compounds on the running total, rounded down at each step); then the
 * member's tier multiplier applies once to the event's total, rounded down. The tier is the effective level the
 * member had when the event arrived, before any upgrade the event itself causes. The difference is a separate
 * award line with no rule (the tier bonus), so the ledger shows rule points and tier points apart.
 */
import { multiplyPoints } from '../rules/effects.js';

export interface TierBonus {
  /** The event's points after the tier multiplier. */
  total: number;
  /** What the multiplier added (0 when it is 1 or there were no points). */
  bonus: number;
}

/** Applies a multiplier of 1 or more to an event's non-negative rule total, rounded down (exact decimal math). */
export function applyTierMultiplier(rulePoints: number, multiplier: number): TierBonus {
  if (rulePoints <= 0 || multiplier === 1) return { total: rulePoints, bonus: 0 };
  const total = multiplyPoints(rulePoints, multiplier);
  if (!Number.isSafeInteger(total)) return { total: rulePoints, bonus: 0 };
  return { total, bonus: total - rulePoints };
}
