/**
 * The earn-rule engine: given the programme's rules, an event and the member, which rules award how many points.
 * Pure: the caller supplies `now`, the programme's timezone and the per-member usage counters, and records the
 * awards and usage increments it gets back.
 *
 * Semantics:
 * - Only rules that are `active`, whose `trigger` equals the event's type, and whose window contains the event's
 *   `occurredAt` (`validFrom` inclusive, `validUntil` exclusive) are considered. The window is about when the
 *   member acted, not when the event reached us.
 * - Order: higher `priority` first; ties by rule id ascending (by code unit, not locale), so the outcome never
 *   depends on the order the rules were loaded in.
 * - Limits: `usage` maps `usageKey(ruleId, periodKey)` to how often the rule already awarded this member in the
 *   period (`periodKey` from periods.ts) containing the event's `occurredAt` in the programme's timezone; fetch
 *   exactly those counters with `limitedPeriodKeys`. A rule at its `limits.perMember.count` is skipped, as if
 *   it did not match: it neither awards nor stops later rules.
 * - Condition: a null condition matches; a condition that fails to evaluate does not match.
 * - Stacking: a matching rule with `stackable: false` is exclusive: rules after it in the order are not
 *   evaluated; rules before it still apply.
 * - Points effects: `{amount}` awards `amount`; `{amount, perSpend}` awards `floor(spend / perSpend) * amount`,
 *   where spend is `event.data.total` (minor units), or with `itemCondition` the sum of `quantity * unitPrice`
 *   over the matching lines of `event.data.items`. A missing or non-numeric total awards 0 from that effect.
 *   A rule's points effects add up to its base points.
 * - Multipliers: once all base points of the matched rules are known, each matched rule's multiplier effects,
 *   in the same order, turn the running total `t` into `floor(t * factor)` (factor 1 to 100); the rule is
 *   awarded the difference. So multipliers compound, rounded down at each step (2× then 1.5× on 100 points is
 *   300), and a multiplier with no base points awards nothing. A rule with both kinds of effect contributes base
 *   points first and multiplies later.
 * - Awards: one per rule whose points (base plus its multiplier difference) are not zero: rules with base points
 *   first, then rules with only multiplier points, each group in evaluation order. The awards sum to the final
 *   running total, which is never negative.
 * - Usage: each awarding rule that has a per-member limit yields one usage increment `{ruleId, periodKey}`; a
 *   rule whose points come to 0 does not count towards its limit.
 * - Failures (cost.ts): each rule evaluates against its own `EvaluationBudget` (its condition and its item
 *   conditions together). A rule that exhausts it, or a stored rule that no longer passes the checks made on
 *   save (`compileStoredRule`), fails alone: it is treated as not matching (it neither awards, nor counts
 *   towards its limit, nor stops later rules) and is listed in `failures` with the reason, for the caller to
 *   record on the rule.
 */
import { DomainError, isDomainError } from '../errors.js';
import { invariant } from '../invariant.js';
import { limitPeriods, periodKey } from '../periods.js';
import { compileCondition, conditionContext, type CompiledCondition } from './condition.js';
import { EvaluationBudget } from './cost.js';
import { compileEffects, multiplyPoints, pointsFromEffect, type CompiledEffect } from './effects.js';
import type { EventFacts, MemberFacts, RuleAward, RuleDefinition } from './rule.js';

export interface CompiledRule {
  readonly definition: RuleDefinition;
  readonly condition: CompiledCondition | null;
  readonly effects: readonly CompiledEffect[];
  /** Why a stored rule cannot run (it fails whenever it is a candidate), or null. */
  readonly unusable: string | null;
}

/** The parts of a rule that are checked when it is saved; id, version and name are the caller's. */
export type RuleBody = Pick<RuleDefinition, 'condition' | 'effects' | 'validFrom' | 'validUntil' | 'limits'>;

/** One per-member usage counter: a rule and the period it counts in (`month:2025-12`). */
export interface RuleUsagePeriod {
  ruleId: string;
  periodKey: string;
}

/** A rule that failed on an event (module header, Failures): it awarded nothing, and says why. */
export interface RuleFailure {
  ruleId: string;
  ruleVersion: number;
  reason: string;
}

export interface RuleEvaluation {
  awards: RuleAward[];
  usageIncrements: RuleUsagePeriod[];
  failures: RuleFailure[];
}

/**
 * Checks a rule body before it is saved. Throws `rule_effect_invalid`, `rule_condition_invalid` or
 * `validation_failed` with a JSON pointer into the body (`/effects/0/amount`, `/condition`, `/validUntil`).
 */
export function validateRuleDefinition(input: RuleBody): void {
  compileBody(input);
}

/**
 * Prepares a rule for evaluation; conditions are parsed once per distinct source. Throws the same codes as
 * `validateRuleDefinition`, which only a rule stored without validation can reach.
 */
export function compileRule(definition: RuleDefinition): CompiledRule {
  return { definition, ...compileBody(definition), unusable: null };
}

/**
 * Prepares a stored rule for evaluation. A rule saved before a check it now fails (a pattern RE2 refuses, a
 * cost above the budget, a factor below 1) is not refused here, where refusing would fail every event of its
 * programme: it comes back unusable, and fails alone whenever it is a candidate. Throws no problem codes.
 */
export function compileStoredRule(definition: RuleDefinition): CompiledRule {
  try {
    return compileRule(definition);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    const where = error.errors[0]?.pointer;
    const reason = `The rule no longer passes the checks made on save${where ? ` (${where})` : ''}: ${error.detail}`;
    return { definition, condition: null, effects: [], unusable: reason };
  }
}

/** The key of a per-member usage counter in the `usage` map given to `evaluateRules`. */
export function usageKey(ruleId: string, periodKey: string): string {
  return `${ruleId}|${periodKey}`;
}

/** The usage counters `evaluateRules` will read for this event, so the caller fetches exactly those. */
export function limitedPeriodKeys(
  rules: readonly CompiledRule[],
  event: EventFacts,
  timezone: string,
): RuleUsagePeriod[] {
  return candidateRules(rules, event).flatMap((rule) => {
    const key = limitPeriodKey(rule, event, timezone);
    return key === null ? [] : [{ ruleId: rule.definition.id, periodKey: key }];
  });
}

/** Decides the awards for one event; the semantics are in this module's header. Throws no problem codes. */
export function evaluateRules(input: {
  rules: readonly CompiledRule[];
  event: EventFacts;
  member: MemberFacts;
  now: Date;
  timezone: string;
  usage: ReadonlyMap<string, number>;
}): RuleEvaluation {
  const { event, timezone, usage } = input;
  const context = conditionContext(event, input.member, input.now);

  const matched: { rule: CompiledRule; basePoints: number; multiplierPoints: number; periodKey: string | null }[] = [];
  const failures: RuleFailure[] = [];
  const fail = (rule: CompiledRule, reason: string) =>
    failures.push({ ruleId: rule.definition.id, ruleVersion: rule.definition.version, reason });
  for (const rule of candidateRules(input.rules, event)) {
    const key = limitPeriodKey(rule, event, timezone);
    const limit = rule.definition.limits?.perMember;
    if (key !== null && limit && (usage.get(usageKey(rule.definition.id, key)) ?? 0) >= limit.count) continue;
    if (rule.unusable !== null) {
      fail(rule, rule.unusable);
      continue;
    }
    const budget = new EvaluationBudget();
    const matches = rule.condition === null || rule.condition.matches(context, budget);
    const basePoints = matches
      ? rule.effects.reduce((sum, effect) => (effect.type === 'points' ? sum + pointsFromEffect(effect, context, budget) : sum), 0)
      : 0;
    if (budget.failure !== null) {
      fail(rule, budget.failure);
      continue;
    }
    if (!matches) continue;
    matched.push({ rule, basePoints, multiplierPoints: 0, periodKey: key });
    if (!rule.definition.stackable) break;
  }

  let total = matched.reduce((sum, match) => sum + match.basePoints, 0);
  for (const match of matched) {
    for (const effect of match.rule.effects) {
      if (effect.type !== 'multiplier') continue;
      const next = multiplyPoints(total, effect.factor);
      // Compounding many large factors could leave the range of exact integers; such a step awards nothing.
      if (!Number.isSafeInteger(next)) continue;
      match.multiplierPoints += next - total;
      total = next;
    }
  }

  const ordered = [
    ...matched.filter((match) => match.basePoints > 0),
    ...matched.filter((match) => match.basePoints === 0),
  ];
  const awarding = ordered.filter((match) => match.basePoints + match.multiplierPoints !== 0);
  const awards = awarding.map((match) => ({
    ruleId: match.rule.definition.id,
    ruleVersion: match.rule.definition.version,
    points: match.basePoints + match.multiplierPoints,
  }));
  const usageIncrements = awarding.flatMap((match) =>
    match.periodKey === null ? [] : [{ ruleId: match.rule.definition.id, periodKey: match.periodKey }],
  );

  invariant(total >= 0, `the points of an event must not be negative, got ${total}`);
  invariant(awards.reduce((sum, award) => sum + award.points, 0) === total, 'awards must add up to the running total');
  return { awards, usageIncrements, failures };
}

/** Active rules for the event's type whose window contains it, in evaluation order. */
function candidateRules(rules: readonly CompiledRule[], event: EventFacts): CompiledRule[] {
  const at = event.occurredAt.getTime();
  const ids = new Set<string>();
  const candidates = rules.filter(({ definition: rule }) => {
    if (!rule.active || rule.trigger !== event.type) return false;
    if (rule.validFrom !== null && at < rule.validFrom.getTime()) return false;
    if (rule.validUntil !== null && at >= rule.validUntil.getTime()) return false;
    // Two versions of one rule would share its usage counter and could award twice; the caller passes one.
    invariant(!ids.has(rule.id), `rule ${rule.id} was given more than once`);
    ids.add(rule.id);
    return true;
  });
  return candidates.sort(
    (a, b) => b.definition.priority - a.definition.priority || compareIds(a.definition.id, b.definition.id),
  );
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function limitPeriodKey(rule: CompiledRule, event: EventFacts, timezone: string): string | null {
  const limit = rule.definition.limits?.perMember;
  return limit ? periodKey(limit.period, event.occurredAt, timezone) : null;
}

function compileBody(input: RuleBody): Pick<CompiledRule, 'condition' | 'effects'> {
  const effects = compileEffects(input.effects);
  validateLimits(input.limits);
  validateWindow(input.validFrom, input.validUntil);
  const condition = input.condition === null ? null : compileCondition(input.condition, '/condition');
  return { condition, effects };
}

function validateLimits(limits: RuleBody['limits']): void {
  const perMember = limits?.perMember;
  if (!perMember) return;
  if (!Number.isSafeInteger(perMember.count) || perMember.count <= 0) {
    throw DomainError.field('validation_failed', '/limits/perMember/count', 'count must be a positive whole number.');
  }
  if (!limitPeriods.includes(perMember.period)) {
    const detail = `period must be one of ${limitPeriods.join(', ')}.`;
    throw DomainError.field('validation_failed', '/limits/perMember/period', detail);
  }
}

function validateWindow(validFrom: Date | null, validUntil: Date | null): void {
  if (validFrom !== null && Number.isNaN(validFrom.getTime())) {
    throw DomainError.field('validation_failed', '/validFrom', 'validFrom must be a valid instant.');
  }
  if (validUntil !== null && Number.isNaN(validUntil.getTime())) {
    throw DomainError.field('validation_failed', '/validUntil', 'validUntil must be a valid instant.');
  }
  if (validFrom !== null && validUntil !== null && validFrom.getTime() >= validUntil.getTime()) {
    throw DomainError.field('validation_failed', '/validUntil', 'validUntil must be after validFrom.');
  }
}
