/**
 * Properties of the rule engine over random programmes: random rule sets (points, per-spend and multiplier
 * effects, limits, priorities, stacking), random purchases and random usage counters. Each property restates
 * one line of the semantics in evaluate.ts in a form that does not repeat its algorithm.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { limitPeriods } from '../periods.js';
import { multiplyPoints } from './effects.js';
import { compileRule, evaluateRules, limitedPeriodKeys, usageKey, type CompiledRule } from './evaluate.js';
import type { EventFacts, MemberFacts, RuleDefinition, RuleEffect } from './rule.js';

const timezone = 'Europe/Amsterdam';
const member: MemberFacts = {
  id: 'mbr_1',
  tier: 'gold',
  attributes: {},
  createdAt: new Date('2024-01-01T00:00:00Z'),
  birthDate: null,
  purchaseCount: 3,
  lifetimeEarned: 500,
};

const pointsEffect = fc.oneof(
  fc.record({ type: fc.constant('points' as const), amount: fc.integer({ min: 1, max: 1_000 }) }),
  fc.record({
    type: fc.constant('points' as const),
    amount: fc.integer({ min: 1, max: 20 }),
    perSpend: fc.integer({ min: 1, max: 5_000 }),
  }),
);
const multiplierEffect = fc.record({
  type: fc.constant('multiplier' as const),
  factor: fc.oneof(fc.constantFrom(1, 1.1, 1.15, 1.5, 2, 3), fc.double({ min: 1, max: 100, noNaN: true })),
});

function ruleSet(effect: fc.Arbitrary<RuleEffect>): fc.Arbitrary<RuleDefinition[]> {
  const rule = fc.record({
    priority: fc.integer({ min: 0, max: 3 }),
    stackable: fc.boolean(),
    active: fc.boolean(),
    trigger: fc.constantFrom('purchase', 'purchase', 'review'),
    condition: fc.constantFrom(null, 'event.data.total > 500', 'event.data.coupon == "X"'),
    effects: fc.array(effect, { minLength: 1, maxLength: 3 }),
    limits: fc.option(
      fc.record({
        perMember: fc.record({ count: fc.integer({ min: 1, max: 3 }), period: fc.constantFrom(...limitPeriods) }),
      }),
      { nil: null },
    ),
  });
  return fc.array(rule, { maxLength: 6 }).map((rules) =>
    rules.map((fields, index) => ({ id: `rul_${index}`, version: 1, name: `rule ${index}`, validFrom: null, validUntil: null, ...fields })),
  );
}

const purchase: fc.Arbitrary<EventFacts> = fc.record({
  type: fc.constant('purchase'),
  occurredAt: fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }),
  data: fc.record({ total: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constant('12.50')) }, { requiredKeys: [] }),
});

/** Random counters for the limited rules this event can trigger, some below and some at or over the cap. */
function usageFor(rules: CompiledRule[], event: EventFacts, counts: number[]): Map<string, number> {
  const keys = limitedPeriodKeys(rules, event, timezone);
  return new Map(keys.map((key, index) => [usageKey(key.ruleId, key.periodKey), counts[index] ?? 0]));
}

function evaluate(rules: CompiledRule[], event: EventFacts, usage: ReadonlyMap<string, number>) {
  return evaluateRules({ rules, event, member, now: event.occurredAt, timezone, usage });
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('evaluateRules properties', () => {
  it('awards non-zero whole points that never sum below zero, each rule at most once', () => {
    fc.assert(
      fc.property(ruleSet(fc.oneof(pointsEffect, multiplierEffect)), purchase, fc.array(fc.nat(4)), (definitions, event, counts) => {
        const rules = definitions.map(compileRule);
        const { awards, usageIncrements } = evaluate(rules, event, usageFor(rules, event, counts));
        for (const award of awards) expect(Number.isSafeInteger(award.points) && award.points !== 0).toBe(true);
        expect(sum(awards.map((award) => award.points))).toBeGreaterThanOrEqual(0);
        expect(new Set(awards.map((award) => award.ruleId)).size).toBe(awards.length);
        // Only awarding rules count towards a limit.
        const awarded = new Set(awards.map((award) => award.ruleId));
        for (const increment of usageIncrements) expect(awarded.has(increment.ruleId)).toBe(true);
      }),
    );
  });

  it('never awards a limited rule whose counter is at its cap', () => {
    fc.assert(
      fc.property(ruleSet(fc.oneof(pointsEffect, multiplierEffect)), purchase, (definitions, event) => {
        const rules = definitions.map(compileRule);
        const atCap = new Map(
          limitedPeriodKeys(rules, event, timezone).map((key) => {
            const count = definitions.find((rule) => rule.id === key.ruleId)?.limits?.perMember?.count ?? 0;
            return [usageKey(key.ruleId, key.periodKey), count];
          }),
        );
        const { awards, usageIncrements } = evaluate(rules, event, atCap);
        const limited = new Set(definitions.filter((rule) => rule.limits !== null).map((rule) => rule.id));
        expect(awards.filter((award) => limited.has(award.ruleId))).toEqual([]);
        expect(usageIncrements).toEqual([]);
      }),
    );
  });

  it('awards a single per-spend rule floor(total / perSpend) * amount: never more, and less than one step short', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        (total, perSpend, amount) => {
          const rule = compileRule({
            id: 'rul_spend',
            version: 1,
            name: 'per spend',
            trigger: 'purchase',
            condition: null,
            effects: [{ type: 'points', amount, perSpend }],
            validFrom: null,
            validUntil: null,
            limits: null,
            priority: 0,
            stackable: true,
            active: true,
          });
          const event: EventFacts = { type: 'purchase', occurredAt: new Date('2025-06-01T00:00:00Z'), data: { total } };
          const points = sum(evaluate([rule], event, new Map()).awards.map((award) => award.points));
          expect(points % amount).toBe(0);
          expect((points / amount) * perSpend).toBeLessThanOrEqual(total);
          expect((points / amount + 1) * perSpend).toBeGreaterThan(total);
        },
      ),
    );
  });

  it('with only factors of at least 1, ends between the base points and the base times every factor', () => {
    const growing = fc.record({ type: fc.constant('multiplier' as const), factor: fc.double({ min: 1, max: 3, noNaN: true }) });
    fc.assert(
      fc.property(ruleSet(fc.oneof(pointsEffect, growing)), purchase, (definitions, event) => {
        const rules = definitions.map(compileRule);
        const withoutMultipliers = rules.map((rule) => ({ ...rule, effects: rule.effects.filter((effect) => effect.type === 'points') }));
        const base = sum(evaluate(withoutMultipliers, event, new Map()).awards.map((award) => award.points));
        // Every factor is at least 1, so the product over all rules bounds the product over the matched ones.
        const factors = rules.flatMap((rule) => rule.effects.flatMap((effect) => (effect.type === 'multiplier' ? [effect.factor] : [])));
        const total = sum(evaluate(rules, event, new Map()).awards.map((award) => award.points));
        expect(total).toBeGreaterThanOrEqual(base);
        expect(total).toBeLessThanOrEqual(Math.ceil(base * factors.reduce((product, factor) => product * factor, 1)));
      }),
    );
  });

  it('does not depend on the order the rules are given in', () => {
    fc.assert(
      fc.property(ruleSet(fc.oneof(pointsEffect, multiplierEffect)), purchase, (definitions, event) => {
        const rules = definitions.map(compileRule);
        expect(evaluate([...rules].reverse(), event, new Map())).toEqual(evaluate(rules, event, new Map()));
      }),
    );
  });
});

describe('multiplyPoints properties', () => {
  it('rounds down: within one point below the exact product and never above it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.double({ min: 1e-9, max: 100, noNaN: true }), (points, factor) => {
        const product = multiplyPoints(points, factor);
        // Float tolerance only for the comparison; multiplyPoints itself is exact on the factor's decimal digits.
        const exact = points * factor;
        expect(Number.isSafeInteger(product)).toBe(true);
        expect(product).toBeLessThanOrEqual(exact * (1 + 1e-12));
        expect(product).toBeGreaterThan(exact * (1 - 1e-12) - 1);
      }),
    );
  });
});
