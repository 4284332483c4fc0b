/**
 * The guarded form of a condition (guard.ts) must mean what the admin wrote and cost what the budget says.
 * Meaning: each expression of a corpus that covers every kind of syntax node is evaluated twice on the same
 * contexts, by the library as written and by `compileCondition`, and the answers must agree. Cost: hostile
 * expressions are refused on save, or stop at the budget with a reason, after a bounded number of steps.
 */
import { describe, it, expect } from 'vitest';
import { Environment } from '@marcbachmann/cel-js';
import { DomainError } from '../errors.js';
import { compileCondition, compileItemCondition, conditionContext, type ConditionContext } from './condition.js';
import { EvaluationBudget, maxRuleSteps, valueSize } from './cost.js';
import type { MemberFacts } from './rule.js';

const member: MemberFacts = {
  id: 'mbr_1',
  tier: 'gold',
  attributes: { city: 'Utrecht', tags: ['vip', 'early'] },
  createdAt: new Date('2024-03-01T10:00:00Z'),
  birthDate: '1990-05-17',
  purchaseCount: 7,
  lifetimeEarned: 1200,
};

function context(data: Record<string, unknown>): ConditionContext {
  return conditionContext({ type: 'purchase', occurredAt: new Date('2025-12-15T12:00:00Z'), data }, member, new Date('2025-12-15T12:05:00Z'));
}

const plain = new Environment({ unlistedVariablesAreDyn: false })
  .registerVariable('event', 'map')
  .registerVariable('member', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp');

function rejection(compile: () => unknown): DomainError {
  try {
    compile();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the condition to be refused');
}

describe('the guarded form means what was written', () => {
  const corpus = [
    'event.data.total >= 1000 && member.tier == "gold"',
    'event.data.total > 500 || event.data.coupon == "X"',
    '!(event.data.total < 10) && -event.data.total < 0.0',
    'has(event.data.coupon) ? event.data.coupon.startsWith("SUMMER") : false',
    'has(event.data.items) && event.data.items.exists(i, i.category == "coffee")',
    'event.data.items.all(i, i.quantity > 0 && i.unitPrice >= 0)',
    'event.data.items.exists_one(i, i.sku == "A")',
    'event.data.items.map(i, i.quantity * i.unitPrice).filter(p, p > 100.0).size() >= 1',
    'event.data.items.map(i, i.quantity > 1, i.sku).size() == 1',
    'event.data.items.filter(i, i.category in ["tea", "coffee"]).size() == 2',
    '[1, 2, 3].all(a, [1, 2, 3].exists(b, a == b))',
    '{"a": 1, "b": 2}.exists(k, k == "b")',
    'member.attributes.tags.exists(t, t == "vip") && "early" in member.attributes.tags',
    'member.attributes.city + "!" == "Utrecht!" && [1] + [2] == [1, 2]',
    'event.data.coupon == event.data.code',
    'event.data.items[0].sku == "A" && size(event.data.items) == 3 && event.data.items.size() == 3',
    'event.occurredAt.getMonth("Europe/Amsterdam") == 11 && now > event.occurredAt',
    'int(event.data.total) * 2 > 100 && double(event.data.total) / 2.0 < 1e6 && int(event.data.total) % 7 >= 0',
    'string(member.purchaseCount) == "7" && 1u + 2u == 3u && b"ab" == b"ab" && -1.5 < 2.0',
    'event.data.coupon.lowerAscii().contains("mmer") && event.data.coupon.indexOf("M") >= 0',
    'event.data.coupon.matches("^SUM+ER[0-9]*$") && !event.data.coupon.matches("[Ww]inter")',
    'event.data.note.matches("\\\\d{3}-\\\\w+")',
    'event.data.missing == 1',
    'event.data.items.all(i, i.sku.size() == 1)',
    'event.data.total == 1000 ? true : member.lifetimeEarned > 1000',
    '"x\\"y\\n\\u00e9" == "x\\"y\\n\\u00e9" && {"k": [1, 2]}["k"][1] == 2',
  ];
  const datasets: Record<string, unknown>[] = [
    {},
    { total: 2500, coupon: 'SUMMER25', code: 'SUMMER25', note: 'ref 123-abc' },
    {
      total: 999,
      coupon: 'winter',
      code: 'x',
      note: 'none',
      items: [
        { sku: 'A', category: 'coffee', quantity: 2, unitPrice: 450 },
        { sku: 'B', category: 'tea', quantity: 1, unitPrice: 90 },
        { sku: 'C', category: 'cake', quantity: 1, unitPrice: 300 },
      ],
    },
  ];

  it.each(corpus)('%s', (source) => {
    const condition = compileCondition(source, '/condition');
    const written = plain.parse(source);
    for (const data of datasets) {
      let expected: boolean;
      try {
        expected = written(context(data)) === true;
      } catch {
        expected = false;
      }
      const budget = new EvaluationBudget();
      expect(condition.matches(context(data), budget), JSON.stringify(data)).toBe(expected);
      expect(budget.failure).toBeNull();
    }
  });
});

describe('regular expressions run on RE2', () => {
  it('answers a pattern that makes a backtracking engine run for seconds at once', () => {
    // ^(a+)+$ against 28 a's and a "!" is 2^28 backtracking steps for JavaScript's RegExp; RE2 reads it once.
    const condition = compileCondition('event.data.word.matches("^(a+)+$")', '/condition');
    const budget = new EvaluationBudget();
    expect(condition.matches(context({ word: `${'a'.repeat(28)}!` }), budget)).toBe(false);
    expect(condition.matches(context({ word: 'a'.repeat(28) }))).toBe(true);
    expect(budget.failure).toBeNull();
  });

  it('has RE2 syntax, such as inline flags, which JavaScript lacks', () => {
    expect(compileCondition('event.data.word.matches("(?i)^winter$")', '/condition').matches(context({ word: 'WINTER' }))).toBe(true);
  });

  it('searches like CEL: unanchored unless the pattern anchors', () => {
    const condition = compileCondition('event.data.word.matches("b+")', '/condition');
    expect(condition.matches(context({ word: 'abbbc' }))).toBe(true);
    expect(condition.matches(context({ word: 'ac' }))).toBe(false);
  });

  it.each([
    ['a backreference', '(a)\\\\1'],
    ['a lookahead', '(?=a)b'],
    ['a negative lookahead', '(?!a)b'],
    ['a lookbehind', '(?<=a)b'],
    ['a repeat RE2 cannot count', 'a{1001}'],
  ])('refuses %s on save with RE2 named in the reason', (_name, pattern) => {
    const error = rejection(() => compileCondition(`event.data.word.matches("${pattern}")`, '/condition'));
    expect(error.code).toBe('rule_condition_invalid');
    expect(error.errors).toEqual([{ pointer: '/condition', detail: error.detail }]);
    expect(error.detail).toMatch(/RE2/);
  });

  it('refuses a pattern that is not a string literal, and one that is too long', () => {
    expect(rejection(() => compileCondition('"abc".matches(event.data.pattern)', '/condition')).detail).toMatch(/string literal/);
    expect(rejection(() => compileCondition(`"abc".matches("${'a'.repeat(1_001)}")`, '/condition')).detail).toMatch(/at most 1000/);
  });

  it('refuses a bad pattern in an item condition at its own pointer', () => {
    const error = rejection(() => compileItemCondition('item.sku.matches("(a)\\\\1")', '/effects/0/itemCondition'));
    expect(error.errors[0]?.pointer).toBe('/effects/0/itemCondition');
  });

  it('charges the length of the text a pattern reads, and fails the rule above the budget without reading it', () => {
    const condition = compileCondition('event.data.text.matches("(ab)*c")', '/condition');
    const budget = new EvaluationBudget();
    expect(condition.matches(context({ text: 'ab'.repeat(400_000) }), budget)).toBe(false);
    expect(budget.failure).toMatch(/more than 100000 evaluation steps/);
  });
});

describe('static limits on save', () => {
  it('refuses comprehensions nested three deep', () => {
    const source = '[1].all(a, [2].all(b, [3].all(c, a < b)))';
    expect(rejection(() => compileCondition(source, '/condition')).detail).toMatch(/nested at most 2 deep/);
  });

  it('refuses a nested comprehension over event data by its estimated cost, naming the limit', () => {
    const error = rejection(() => compileCondition('event.data.items.all(a, event.data.items.all(b, a == b))', '/condition'));
    expect(error.detail).toMatch(/up to \d+ evaluation steps .* at most 100000/);
  });

  it('accepts a nested comprehension whose inner list is a short literal', () => {
    expect(() => compileCondition('event.data.items.exists(i, ["tea", "coffee"].exists(c, i.category == c))', '/condition')).not.toThrow();
  });

  it('refuses cel.bind, which could double a value once per binding', () => {
    expect(rejection(() => compileCondition('cel.bind(x, event.data.items, x.size() > 0)', '/condition')).detail).toMatch(/cel\.bind/);
  });

  it('refuses an expression above the node limit', () => {
    const source = `event.data.total == ${Array.from({ length: 260 }, () => '1').join(' + ')}`;
    expect(rejection(() => compileCondition(source, '/condition')).detail).toMatch(/maxAstNodes|nodes/i);
  });
});

describe('the budget at evaluation', () => {
  it('stops all() at the next element once the budget is exhausted', () => {
    const condition = compileCondition('event.data.list.all(x, x >= 0.0)', '/condition');
    const budget = new EvaluationBudget();
    expect(condition.matches(context({ list: Array.from({ length: 200_000 }, () => 1) }), budget)).toBe(false);
    expect(budget.failure).toMatch(/evaluation steps/);
    // Each element spends the size of the body (3 steps): the loop stopped within one element of the limit.
    expect(budget.remaining).toBeGreaterThan(-4);
  });

  it('stops exists() even when its body fails on every element (exists swallows those errors)', () => {
    const condition = compileCondition('event.data.list.exists(x, x.missing == 1)', '/condition');
    const budget = new EvaluationBudget();
    expect(condition.matches(context({ list: Array.from({ length: 200_000 }, () => ({})) }), budget)).toBe(false);
    expect(budget.failure).toMatch(/evaluation steps/);
    expect(budget.remaining).toBeGreaterThan(-6);
  });

  it('stops map() and filter() inside a quantifier', () => {
    const condition = compileCondition('[1, 2].exists(n, event.data.list.map(x, x * 2.0).size() < 0)', '/condition');
    const budget = new EvaluationBudget();
    expect(condition.matches(context({ list: Array.from({ length: 150_000 }, () => 1) }), budget)).toBe(false);
    expect(budget.failure).toMatch(/evaluation steps/);
  });

  it('charges comparisons of two large values by their size', () => {
    const big = () => Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i]));
    const condition = compileCondition('event.data.a == event.data.b', '/condition');
    const budget = new EvaluationBudget();
    expect(condition.matches(context({ a: big(), b: big() }), budget)).toBe(false);
    expect(budget.failure).toMatch(/evaluation steps/);
  });

  it('spends a few steps on an ordinary condition, and as many on every evaluation', () => {
    const condition = compileCondition('event.data.total >= 1000 && member.tier == "gold"', '/condition');
    const first = new EvaluationBudget();
    condition.matches(context({ total: 2000 }), first);
    const second = new EvaluationBudget();
    condition.matches(context({ total: 2000 }), second);
    expect(maxRuleSteps - first.remaining).toBeLessThan(20);
    expect(second.remaining).toBe(first.remaining);
  });
});

describe('valueSize', () => {
  it('counts scalars as 1, strings by length, lists and maps by their elements and keys', () => {
    expect(valueSize(5, 100)).toBe(1);
    expect(valueSize('abcd', 100)).toBe(4);
    expect(valueSize([1, 'ab'], 100)).toBe(1 + 1 + 3);
    expect(valueSize({ ab: 1 }, 100)).toBe(1 + 2 + 1);
  });

  it('stops counting above the cap', () => {
    expect(valueSize(Array.from({ length: 100_000 }, () => 1), 10)).toBeGreaterThan(10);
  });
});
