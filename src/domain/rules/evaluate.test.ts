import { describe, it, expect } from 'vitest';
import { DomainError } from '../errors.js';
import { compileRule, compileStoredRule, evaluateRules, limitedPeriodKeys, usageKey, validateRuleDefinition, type RuleBody } from './evaluate.js';
import type { EventFacts, MemberFacts, RuleDefinition } from './rule.js';

const amsterdam = 'Europe/Amsterdam';
const member: MemberFacts = {
  id: 'mbr_1',
  tier: null,
  attributes: {},
  createdAt: new Date('2024-01-01T00:00:00Z'),
  birthDate: null,
  purchaseCount: 0,
  lifetimeEarned: 0,
};

function rule(id: string, overrides: Partial<RuleDefinition> = {}): RuleDefinition {
  return {
    id,
    version: 1,
    name: id,
    trigger: 'purchase',
    condition: null,
    effects: [{ type: 'points', amount: 10 }],
    validFrom: null,
    validUntil: null,
    limits: null,
    priority: 0,
    stackable: true,
    active: true,
    ...overrides,
  };
}

function purchase(data: Record<string, unknown> = {}, occurredAt = new Date('2025-06-15T12:00:00Z')): EventFacts {
  return { type: 'purchase', occurredAt, data };
}

function evaluate(rules: RuleDefinition[], event = purchase(), usage = new Map<string, number>()) {
  return evaluateRules({ rules: rules.map(compileRule), event, member, now: event.occurredAt, timezone: amsterdam, usage });
}

function awardedPoints(rules: RuleDefinition[], event = purchase()): Record<string, number> {
  return Object.fromEntries(evaluate(rules, event).awards.map((award) => [award.ruleId, award.points]));
}

function rejection(body: Partial<RuleBody>): DomainError {
  try {
    validateRuleDefinition({ ...rule('r'), ...body });
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the rule to be rejected');
}

describe('validateRuleDefinition', () => {
  it('accepts a complete rule', () => {
    expect(() =>
      validateRuleDefinition(
        rule('r', {
          condition: 'event.data.total > 0',
          effects: [
            { type: 'points', amount: 1, perSpend: 100, itemCondition: 'item.category == "coffee"' },
            { type: 'multiplier', factor: 2 },
          ],
          limits: { perMember: { count: 1, period: 'month' } },
          validFrom: new Date('2025-12-01T00:00:00Z'),
          validUntil: new Date('2026-01-01T00:00:00Z'),
        }),
      ),
    ).not.toThrow();
  });

  it.each([
    [{ effects: [] }, 'rule_effect_invalid', '/effects'],
    [{ effects: [{ type: 'points', amount: 0 }] }, 'rule_effect_invalid', '/effects/0/amount'],
    [{ effects: [{ type: 'points', amount: 2.5 }] }, 'rule_effect_invalid', '/effects/0/amount'],
    [{ effects: [{ type: 'points', amount: 1_000_001 }] }, 'rule_effect_invalid', '/effects/0/amount'],
    [{ effects: [{ type: 'points', amount: 5, perSpend: 0 }] }, 'rule_effect_invalid', '/effects/0/perSpend'],
    [{ effects: [{ type: 'points', amount: 5, itemCondition: 'true' }] }, 'rule_effect_invalid', '/effects/0/itemCondition'],
    [{ effects: [{ type: 'multiplier', factor: 0 }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'multiplier', factor: 101 }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'multiplier', factor: Number.NaN }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'multiplier', factor: 0.99 }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'multiplier', factor: -2 }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'multiplier', factor: Number.POSITIVE_INFINITY }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'multiplier', factor: '2' }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'points', amount: 1 }, { type: 'points', amount: 1, bogus: true }] }, 'rule_effect_invalid', '/effects/1/bogus'],
    [{ effects: [{ type: 'multiplier', factor: 2, amount: 5 }] }, 'rule_effect_invalid', '/effects/0/amount'],
    [{ effects: [{ type: 'points', amount: 5, factor: 2 }] }, 'rule_effect_invalid', '/effects/0/factor'],
    [{ effects: [{ type: 'points', amount: 5, 'a/b': 1 }] }, 'rule_effect_invalid', '/effects/0/a~1b'],
    [{ limits: { perMember: { count: 0, period: 'day' } } }, 'validation_failed', '/limits/perMember/count'],
    [{ validFrom: new Date('2026-01-01T00:00:00Z'), validUntil: new Date('2026-01-01T00:00:00Z') }, 'validation_failed', '/validUntil'],
    [{ condition: 'event.data.total >' }, 'rule_condition_invalid', '/condition'],
  ] as [Partial<RuleBody>, string, string][])('rejects %j with %s at %s', (body, code, pointer) => {
    const error = rejection(body);
    expect(error.code).toBe(code);
    expect(error.errors[0]?.pointer).toBe(pointer);
  });

  it('rejects an invalid item condition with the parser message at its effect pointer', () => {
    const error = rejection({
      effects: [{ type: 'points', amount: 1 }, { type: 'points', amount: 1, perSpend: 100, itemCondition: 'item.category ==' }],
    });
    expect(error.code).toBe('rule_condition_invalid');
    expect(error.errors[0]?.pointer).toBe('/effects/1/itemCondition');
    expect(error.detail).toMatch(/^Unexpected token/);
  });

  it('accepts a factor of exactly 1 and absent options spelled as null', () => {
    expect(() => validateRuleDefinition(rule('r', { effects: [{ type: 'multiplier', factor: 1 }] }))).not.toThrow();
    const withNulls = [{ type: 'points', amount: 5, perSpend: null, itemCondition: null }] as never;
    expect(() => validateRuleDefinition(rule('r', { effects: withNulls }))).not.toThrow();
  });

  it('rejects an effect of an unknown type at its type pointer', () => {
    const error = rejection({ effects: [{ type: 'badge' } as never] });
    expect(error.errors[0]?.pointer).toBe('/effects/0/type');
  });
});

describe('evaluateRules: which rules are considered', () => {
  it('ignores inactive rules and rules for another event type', () => {
    expect(awardedPoints([rule('a', { active: false }), rule('b', { trigger: 'review' }), rule('c')])).toEqual({ c: 10 });
  });

  it('includes the first instant of the window and excludes its end', () => {
    const window = { validFrom: new Date('2025-12-01T00:00:00Z'), validUntil: new Date('2026-01-01T00:00:00Z') };
    const at = (iso: string) => awardedPoints([rule('a', window)], purchase({}, new Date(iso)));
    expect(at('2025-11-30T23:59:59.999Z')).toEqual({});
    expect(at('2025-12-01T00:00:00.000Z')).toEqual({ a: 10 });
    expect(at('2025-12-31T23:59:59.999Z')).toEqual({ a: 10 });
    expect(at('2026-01-01T00:00:00.000Z')).toEqual({});
  });

  it('skips a rule whose condition fails to evaluate and still applies the others', () => {
    expect(awardedPoints([rule('a', { condition: 'event.data.coupon == "X"' }), rule('b')])).toEqual({ b: 10 });
  });
});

describe('evaluateRules: order and stacking', () => {
  it('evaluates higher priority first and breaks ties by rule id', () => {
    const result = evaluate([rule('b'), rule('c', { priority: 5 }), rule('a')]);
    expect(result.awards.map((award) => award.ruleId)).toEqual(['c', 'a', 'b']);
  });

  it('stops at a matching non-stackable rule but keeps the rules before it', () => {
    const rules = [rule('first', { priority: 3 }), rule('exclusive', { priority: 2, stackable: false }), rule('later', { priority: 1 })];
    expect(awardedPoints(rules)).toEqual({ first: 10, exclusive: 10 });
  });

  it('does not let a non-stackable rule that does not match stop later rules', () => {
    const rules = [rule('exclusive', { priority: 2, stackable: false, condition: 'event.data.total > 100' }), rule('later')];
    expect(awardedPoints(rules, purchase({ total: 50 }))).toEqual({ later: 10 });
  });
});

describe('evaluateRules: per-member limits', () => {
  const limited = rule('monthly', { limits: { perMember: { count: 2, period: 'month' } } });

  it('awards below the cap and returns one usage increment for the period', () => {
    const result = evaluate([limited], purchase(), new Map([[usageKey('monthly', 'month:2025-06'), 1]]));
    expect(result.awards).toEqual([{ ruleId: 'monthly', ruleVersion: 1, points: 10 }]);
    expect(result.usageIncrements).toEqual([{ ruleId: 'monthly', periodKey: 'month:2025-06' }]);
  });

  it('skips a rule at its cap', () => {
    const result = evaluate([limited], purchase(), new Map([[usageKey('monthly', 'month:2025-06'), 2]]));
    expect(result).toEqual({ awards: [], usageIncrements: [], failures: [] });
  });

  it('counts in the programme timezone: 23:30 UTC on 30 November uses December in Amsterdam', () => {
    const event = purchase({}, new Date('2025-11-30T23:30:00Z'));
    const novemberFull = new Map([[usageKey('monthly', 'month:2025-11'), 2]]);
    expect(evaluate([limited], event, novemberFull).usageIncrements).toEqual([{ ruleId: 'monthly', periodKey: 'month:2025-12' }]);
    const decemberFull = new Map([[usageKey('monthly', 'month:2025-12'), 2]]);
    expect(evaluate([limited], event, decemberFull).awards).toEqual([]);
  });

  it('does not let a rule at its cap stop later rules even when it is non-stackable', () => {
    const exclusive = rule('exclusive', { priority: 1, stackable: false, limits: { perMember: { count: 1, period: 'lifetime' } } });
    const usage = new Map([[usageKey('exclusive', 'lifetime'), 1]]);
    expect(evaluate([exclusive, rule('later')], purchase(), usage).awards.map((award) => award.ruleId)).toEqual(['later']);
  });

  it('names exactly the counters of the limited rules the event can trigger', () => {
    const daily = rule('daily', { trigger: 'review', limits: { perMember: { count: 1, period: 'day' } } });
    const rules = [limited, daily, rule('free')].map(compileRule);
    expect(limitedPeriodKeys(rules, purchase({}, new Date('2025-11-30T23:30:00Z')), amsterdam)).toEqual([
      { ruleId: 'monthly', periodKey: 'month:2025-12' },
    ]);
  });
});

describe('evaluateRules: points effects', () => {
  it('awards amount per whole perSpend of the total, rounded down', () => {
    const perEuro = rule('a', { effects: [{ type: 'points', amount: 2, perSpend: 100 }] });
    expect(awardedPoints([perEuro], purchase({ total: 2599 }))).toEqual({ a: 50 });
  });

  it('awards nothing, and counts no usage, when the total is missing, not a number, or below perSpend', () => {
    const perEuro = rule('a', {
      effects: [{ type: 'points', amount: 1, perSpend: 100 }],
      limits: { perMember: { count: 5, period: 'day' } },
    });
    for (const data of [{}, { total: '2500' }, { total: 99 }]) {
      expect(evaluate([perEuro], purchase(data))).toEqual({ awards: [], usageIncrements: [], failures: [] });
    }
  });

  it('counts only the items matching the item condition', () => {
    const coffee = rule('coffee', { effects: [{ type: 'points', amount: 1, perSpend: 100, itemCondition: 'item.category == "coffee"' }] });
    const items = [
      { sku: 'espresso', category: 'coffee', quantity: 2, unitPrice: 250 },
      { sku: 'croissant', category: 'bakery', quantity: 3, unitPrice: 300 },
      { sku: 'beans', category: 'coffee', quantity: 1, unitPrice: 1299 },
      { sku: 'mug' },
    ];
    expect(awardedPoints([coffee], purchase({ total: 2699, items }))).toEqual({ coffee: 17 });
  });

  it('sums several points effects of one rule into one award', () => {
    const effects = [{ type: 'points', amount: 50 }, { type: 'points', amount: 1, perSpend: 100 }] as const;
    expect(awardedPoints([rule('a', { effects: [...effects] })], purchase({ total: 1000 }))).toEqual({ a: 60 });
  });
});

describe('evaluateRules: multipliers', () => {
  const base = rule('base', { priority: 10, effects: [{ type: 'points', amount: 100 }] });
  const double = rule('double', { priority: 5, effects: [{ type: 'multiplier', factor: 2 }] });
  const oneAndHalf = rule('oneAndHalf', { priority: 4, effects: [{ type: 'multiplier', factor: 1.5 }] });

  it('compounds in priority order: 2× then 1.5× on 100 points is 300', () => {
    expect(evaluate([oneAndHalf, double, base]).awards).toEqual([
      { ruleId: 'base', ruleVersion: 1, points: 100 },
      { ruleId: 'double', ruleVersion: 1, points: 100 },
      { ruleId: 'oneAndHalf', ruleVersion: 1, points: 100 },
    ]);
  });

  it('rounds down at each step', () => {
    const five = rule('base', { effects: [{ type: 'points', amount: 5 }] });
    const again = rule('again', { priority: 3, effects: [{ type: 'multiplier', factor: 1.5 }] });
    // 5 → floor(7.5) = 7 → floor(10.5) = 10, where multiplying once by 2.25 would give 11.
    expect(awardedPoints([five, oneAndHalf, again])).toEqual({ base: 5, oneAndHalf: 2, again: 3 });
  });

  it('multiplies by the decimal factor as written: 1.15 × 100 is 115', () => {
    expect(awardedPoints([base, rule('m', { effects: [{ type: 'multiplier', factor: 1.15 }] })])).toEqual({ base: 100, m: 15 });
  });

  it('awards nothing and counts no usage for a multiplier without base points', () => {
    const limitedDouble = { ...double, limits: { perMember: { count: 1, period: 'day' as const } } };
    expect(evaluate([limitedDouble])).toEqual({ awards: [], usageIncrements: [], failures: [] });
  });

  it('lists points awards before multiplier awards even when the multiplier runs first', () => {
    const early = rule('early', { priority: 20, effects: [{ type: 'multiplier', factor: 3 }] });
    expect(evaluate([early, base]).awards.map((award) => [award.ruleId, award.points])).toEqual([
      ['base', 100],
      ['early', 200],
    ]);
  });


  it('gives a rule with points and a multiplier one award: its points, then its share of the multiplying', () => {
    const both = rule('both', { effects: [{ type: 'points', amount: 10 }, { type: 'multiplier', factor: 2 }] });
    expect(evaluate([base, both]).awards).toEqual([
      { ruleId: 'base', ruleVersion: 1, points: 100 },
      { ruleId: 'both', ruleVersion: 1, points: 120 },
    ]);
  });
});

describe('evaluateRules: failures', () => {
  const base = rule('base', { priority: 10, effects: [{ type: 'points', amount: 100 }] });
  // The estimate on save counts 1,000 elements for the list split() makes; the budget counted at evaluation
  // sees the 150,000 it really has.
  const costly = rule('costly', { priority: 5, condition: 'event.data.note.split("").exists(c, c == "!")' });
  const tagged = purchase({ note: 'x'.repeat(150_000) });

  it('fails a rule that exhausts its budget alone: the others still award, and the failure names it', () => {
    const after = rule('after', { priority: 1, effects: [{ type: 'points', amount: 7 }] });
    const result = evaluate([base, costly, after], tagged);
    expect(result.awards.map((award) => [award.ruleId, award.points])).toEqual([
      ['base', 100],
      ['after', 7],
    ]);
    expect(result.failures).toEqual([{ ruleId: 'costly', ruleVersion: 1, reason: expect.stringMatching(/more than 100000 evaluation steps/) }]);
  });

  it('does not let a failed exclusive rule stop the rules after it, nor count towards its limit', () => {
    const exclusive = { ...costly, stackable: false, limits: { perMember: { count: 1, period: 'day' as const } } };
    const later = rule('later', { priority: 1 });
    const result = evaluate([exclusive, later], tagged);
    expect(result.awards.map((award) => award.ruleId)).toEqual(['later']);
    expect(result.usageIncrements).toEqual([]);
    expect(result.failures.map((failure) => failure.ruleId)).toEqual(['costly']);
  });

  it('shares one budget between the item conditions of all lines of a basket', () => {
    const perItem = rule('perItem', {
      effects: [{ type: 'points', amount: 1, perSpend: 1, itemCondition: 'item.tags.exists(t, t == "never")' }],
    });
    const items = Array.from({ length: 200 }, () => ({ quantity: 1, unitPrice: 1, tags: Array.from({ length: 1_000 }, () => 'x') }));
    const result = evaluate([perItem], purchase({ items }));
    expect(result.awards).toEqual([]);
    expect(result.failures.map((failure) => failure.ruleId)).toEqual(['perItem']);
  });

  it('compiles a stored rule that no longer passes the checks as unusable, failing whenever it is a candidate', () => {
    const legacy = rule('legacy', { effects: [{ type: 'multiplier', factor: 0.5 }] });
    expect(() => compileRule(legacy)).toThrow(DomainError);
    const compiled = compileStoredRule(legacy);
    expect(compiled.unusable).toMatch(/\/effects\/0\/factor/);
    const result = evaluateRules({
      rules: [compileRule(base), compiled],
      event: purchase(),
      member,
      now: new Date('2025-06-15T12:00:00Z'),
      timezone: amsterdam,
      usage: new Map(),
    });
    expect(result.awards).toEqual([{ ruleId: 'base', ruleVersion: 1, points: 100 }]);
    expect(result.failures).toEqual([{ ruleId: 'legacy', ruleVersion: 1, reason: expect.stringMatching(/factor/) }]);
  });

  it('reports no failure for a condition that merely fails to evaluate (a missing key does not match)', () => {
    const result = evaluate([rule('missing', { condition: 'event.data.coupon == "X"' })]);
    expect(result).toEqual({ awards: [], usageIncrements: [], failures: [] });
  });
});
