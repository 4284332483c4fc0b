import { describe, expect, it } from 'vitest';
import { disableAfterFailingMs, isSuccessStatus, maxAttemptsPerRound, nextAttemptAfterFailure, retryDelaysMs, shouldDisableEndpoint } from './delivery-policy.js';
import { checkSubscription, subscribesTo } from './subscription.js';
import { DomainError } from '../errors.js';

describe('retry schedule', () => {
  it('retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failure, then gives up', () => {
    const now = 1_000_000;
    const waits = [];
    for (let attempt = 1; attempt <= maxAttemptsPerRound; attempt++) {
      const next = nextAttemptAfterFailure(attempt, now);
      waits.push(next === null ? null : next - now);
    }
    expect(waits).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, null]);
  });

  it('covers more than a day between the first and the last attempt', () => {
    expect(retryDelaysMs.reduce((a, b) => a + b, 0)).toBeGreaterThan(86_400_000);
  });
});

describe('disabling', () => {
  it('disables after five days of failing, not before, and never a healthy endpoint', () => {
    expect(shouldDisableEndpoint(null, 10 * 86_400_000)).toBe(false);
    expect(shouldDisableEndpoint(0, disableAfterFailingMs - 1)).toBe(false);
    expect(shouldDisableEndpoint(0, disableAfterFailingMs)).toBe(true);
  });

  it('counts only 2xx as success', () => {
    expect([200, 204, 299].map(isSuccessStatus)).toEqual([true, true, true]);
    expect([null, 199, 301, 302, 400, 500].map(isSuccessStatus)).toEqual([false, false, false, false, false, false]);
  });
});

describe('subscriptions', () => {
  it('"*" subscribes to every type; a list to its members', () => {
    expect(subscribesTo(['*'], 'points.earned')).toBe(true);
    expect(subscribesTo(['member.created'], 'points.earned')).toBe(false);
    expect(subscribesTo(['member.created', 'points.earned'], 'points.earned')).toBe(true);
  });

  it('names the first unknown type by its index', () => {
    try {
      checkSubscription(['member.created', 'points.earned', 'points.stolen']);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).errors).toEqual([{ pointer: '/eventTypes/2', detail: expect.stringContaining('points.stolen') }]);
    }
  });
});
