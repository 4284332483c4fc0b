/**
 * Earn rules (DESIGN.md §2, Rule): a trigger (event type), a condition over the event and the member, effects
 * that award points, limits per member per period, a validity window and priority/stacking. These are the
 * stored shapes; `evaluate.ts` gives their meaning.
 */
import type { LimitPeriod } from '../periods.js';

/**
 * Fixed points (`amount`), or `amount` per whole `perSpend` minor units spent. With `itemCondition` the spend is
 * the sum of the matching lines of `event.data.items` instead of `event.data.total`.
 */
export type PointsEffect = { type: 'points'; amount: number; perSpend?: number; itemCondition?: string };

/** Multiplies the points earned by the event so far (rounded down; factor 1 to 100), e.g. double points in December. */
export type MultiplierEffect = { type: 'multiplier'; factor: number };

export type RuleEffect = PointsEffect | MultiplierEffect;

export interface RuleLimits {
  perMember?: { count: number; period: LimitPeriod };
}

export interface RuleDefinition {
  id: string;
  version: number;
  name: string;
  /** The event type that triggers the rule, e.g. `purchase`. */
  trigger: string;
  /** A CEL expression over `event`, `member` and `now`; null matches every event. */
  condition: string | null;
  effects: RuleEffect[];
  /** Inclusive. */
  validFrom: Date | null;
  /** Exclusive. */
  validUntil: Date | null;
  limits: RuleLimits | null;
  /** Higher runs first. */
  priority: number;
  /** False makes the rule exclusive: when it matches, later rules are not evaluated. */
  stackable: boolean;
  active: boolean;
}

export interface EventFacts {
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}

export interface MemberFacts {
  id: string;
  tier: string | null;
  attributes: Record<string, unknown>;
  createdAt: Date;
  /** ISO date (`1990-05-17`), or null when unknown. */
  birthDate: string | null;
  purchaseCount: number;
  lifetimeEarned: number;
}

export interface RuleAward {
  ruleId: string;
  ruleVersion: number;
  /** Positive: a rule's base points plus what its multipliers (factor 1 to 100) added. */
  points: number;
}
