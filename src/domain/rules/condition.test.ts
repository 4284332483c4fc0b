import { describe, it, expect } from 'vitest';
import { DomainError } from '../errors.js';
import { compileCondition, compileItemCondition, conditionContext, maxConditionLength, type ConditionContext } from './condition.js';
import type { EventFacts, MemberFacts } from './rule.js';

const member: MemberFacts = {
  id: 'mbr_1',
  tier: 'gold',
  attributes: { city: 'Utrecht' },
  createdAt: new Date('2024-03-01T10:00:00Z'),
  birthDate: '1990-05-17',
  purchaseCount: 7,
  lifetimeEarned: 1200,
};

function context(data: Record<string, unknown>, occurredAt = new Date('2025-06-15T12:00:00Z')): ConditionContext {
  const event: EventFacts = { type: 'purchase', occurredAt, data };
  return conditionContext(event, member, new Date('2025-06-15T12:05:00Z'));
}

function rejection(compile: () => unknown): DomainError {
  try {
    compile();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the condition to be rejected');
}

describe('compileCondition', () => {
  it('matches a boolean condition over the event data and the member', () => {
    const condition = compileCondition('event.data.total >= 1000 && member.tier == "gold"', '/condition');
    expect(condition.matches(context({ total: 2500 }))).toBe(true);
    expect(condition.matches(context({ total: 999 }))).toBe(false);
  });

  it('rejects a syntax error with the parser message, its caret excerpt and the given pointer', () => {
    const error = rejection(() => compileCondition('event.data.total >', '/condition'));
    expect(error.code).toBe('rule_condition_invalid');
    expect(error.errors).toEqual([{ pointer: '/condition', detail: error.detail }]);
    expect(error.detail).toMatch(/^Unexpected token: EOF/);
    expect(error.detail).toContain('event.data.total >');
    expect(error.detail).toContain('^');
  });

  it('rejects an expression that is not boolean', () => {
    const error = rejection(() => compileCondition('event.data.total > 1 ? 1 : 2', '/condition'));
    expect(error.code).toBe('rule_condition_invalid');
    expect(error.detail).toContain('evaluates to int');
  });

  it('rejects a variable other than event, member and now', () => {
    const error = rejection(() => compileCondition('customer.tier == "gold"', '/condition'));
    expect(error.detail).toMatch(/^Unknown variable: customer/);
  });

  it('rejects a type error found by the checker', () => {
    const error = rejection(() => compileCondition('member.tier == "gold" && 1 + "a" == 2', '/condition'));
    expect(error.detail).toMatch(/^no such overload/);
  });

  it('rejects an empty condition and one over the length limit', () => {
    expect(rejection(() => compileCondition('  ', '/condition')).detail).toContain('empty');
    const long = `${'true && '.repeat(maxConditionLength / 8)}true`;
    expect(rejection(() => compileCondition(long, '/condition')).detail).toContain(`at most ${maxConditionLength}`);
  });

  it('rejects an expression nested beyond the structural limit', () => {
    const nested = `${'('.repeat(40)}true${')'.repeat(40)}`;
    expect(rejection(() => compileCondition(nested, '/condition')).detail).toMatch(/^Exceeded maxDepth/);
  });

  it('does not match when evaluation fails on a missing key, and has() guards optional fields', () => {
    expect(compileCondition('event.data.coupon == "XMAS"', '/condition').matches(context({}))).toBe(false);
    const guarded = compileCondition('has(event.data.coupon) && event.data.coupon == "XMAS"', '/condition');
    expect(guarded.matches(context({}))).toBe(false);
    expect(guarded.matches(context({ coupon: 'XMAS' }))).toBe(true);
  });

  it('does not match when a dynamic expression evaluates to something other than a boolean', () => {
    const condition = compileCondition('event.data.flag', '/condition');
    expect(condition.matches(context({ flag: 'yes' }))).toBe(false);
    expect(condition.matches(context({ flag: true }))).toBe(true);
  });

  it('does not match when number arithmetic mixes a JSON double with an int literal', () => {
    expect(compileCondition('event.data.total * 2 > 10', '/condition').matches(context({ total: 25 }))).toBe(false);
    expect(compileCondition('event.data.total * 2.0 > 10.0', '/condition').matches(context({ total: 25 }))).toBe(true);
  });

  it('reads the month in the programme timezone: 23:30 UTC on 30 November is December in Amsterdam', () => {
    const december = compileCondition('event.occurredAt.getMonth("Europe/Amsterdam") == 11', '/condition');
    expect(december.matches(context({}, new Date('2025-11-30T23:30:00Z')))).toBe(true);
    expect(december.matches(context({}, new Date('2025-11-30T22:30:00Z')))).toBe(false);
  });

  it('sees member instants as timestamps comparable with now', () => {
    const condition = compileCondition('member.createdAt < now - duration("24h")', '/condition');
    expect(condition.matches(context({}))).toBe(true);
  });

  it('compiles a source once and reuses it', () => {
    expect(compileCondition('member.purchaseCount >= 5', '/condition')).toBe(compileCondition('member.purchaseCount >= 5', '/x'));
  });
});

describe('compileItemCondition', () => {
  it('sees the item beside the event and the member', () => {
    const condition = compileItemCondition('item.category == "coffee" && member.tier == "gold"', '/effects/0/itemCondition');
    expect(condition.matches({ ...context({}), item: { sku: 'A', category: 'coffee' } })).toBe(true);
    expect(condition.matches({ ...context({}), item: { sku: 'B', category: 'tea' } })).toBe(false);
  });

  it('rejects item in a rule condition, where no item exists', () => {
    expect(rejection(() => compileCondition('item.category == "coffee"', '/condition')).detail).toMatch(/^Unknown variable: item/);
  });
});
