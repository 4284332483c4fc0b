import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkDailyEarn, earnThenRefund, scaleHeldLines } from './earn-abuse.js';

describe('checkDailyEarn', () => {
  it('awards up to the limit and flags the award that would pass it, whole', () => {
    expect(checkDailyEarn(400, 100, 500)).toEqual({ decision: 'award', evidence: { earnedLast24h: 400, award: 100, maxPointsPerDay: 500 } });
    expect(checkDailyEarn(401, 100, 500)?.decision).toBe('flag');
    expect(checkDailyEarn(0, 501, 500)?.decision).toBe('flag');
  });

  it('has nothing to say without a limit or for a take', () => {
    expect(checkDailyEarn(10_000, 100, null)).toBeNull();
    expect(checkDailyEarn(10_000, -50, 500)).toBeNull();
  });
});

describe('earnThenRefund', () => {
  it('fires from three refunds that are at least half the purchases', () => {
    expect(earnThenRefund({ refundedOrders: 3, purchaseCount: 6 })).toEqual({ signal: 'earn_then_refund', evidence: { refundedOrders: 3, purchases: 6 } });
    expect(earnThenRefund({ refundedOrders: 3, purchaseCount: 7 })).toBeNull();
    expect(earnThenRefund({ refundedOrders: 2, purchaseCount: 2 })).toBeNull();
  });
});

describe('scaleHeldLines', () => {
  const rule = (ruleId: string, points: number) => ({ ruleId, ruleVersion: 1, points });

  it('keeps the lines as they are when nothing was refunded, and posts nothing for nothing', () => {
    expect(scaleHeldLines([rule('a', 30), rule('b', 20)], 50)).toEqual([rule('a', 30), rule('b', 20)]);
    expect(scaleHeldLines([rule('a', 30)], 0)).toEqual([]);
  });

  it('scales each line down and puts the rounding remainder on the largest', () => {
    // 40 of 70: a 30→17.1, b 20→11.4, bonus 20→11.4 → floors 17+11+11 = 39, +1 on a.
    expect(scaleHeldLines([rule('a', 30), rule('b', 20), { ruleId: null, ruleVersion: null, points: 20 }], 40)).toEqual([
      rule('a', 18), rule('b', 11), { ruleId: null, ruleVersion: null, points: 11 },
    ]);
    expect(scaleHeldLines([rule('a', 1), rule('b', 1)], 1)).toEqual([rule('a', 1)]);
  });

  it('always adds up to the award exactly and never gives a line more than it had plus the remainder', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), (points, share) => {
        const lines = points.map((p, i) => rule(`r${i}`, p));
        const total = points.reduce((a, b) => a + b, 0);
        const award = Math.floor(total * share);
        const scaled = scaleHeldLines(lines, award);
        expect(scaled.reduce((sum, l) => sum + l.points, 0)).toBe(award);
        for (const line of scaled) expect(line.points).toBeGreaterThan(0);
      }),
    );
  });
});
