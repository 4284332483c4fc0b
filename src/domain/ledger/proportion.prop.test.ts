import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refundClawbackPoints } from './lots.js';
import { proportionOf } from './proportion.js';

const safeTotal = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const safePoints = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe('proportionOf', () => {
  it('a full refund of a large order claws back every point it earned (floating point left one behind)', () => {
    // 608,025,761 points on an order of 990,636,829 minor units: the product passes 2^53.
    const order = { pointsEarned: 608_025_761, totalMinor: 990_636_829, refundedMinor: 0, pointsClawedBack: 0, pointsUnrecovered: 0 };
    expect(Math.floor((order.pointsEarned * order.totalMinor) / order.totalMinor)).toBe(608_025_760); // the bug this replaces
    expect(refundClawbackPoints(order, order.totalMinor)).toBe(608_025_761);
    expect(proportionOf(608_025_761, 990_636_828, 990_636_829)).toBe(608_025_760);
  });

  it('is exact floor(amount × part / whole) for every safe total, checked against BigInt', () => {
    fc.assert(
      fc.property(safePoints, safeTotal, fc.double({ min: 0, max: 1, noNaN: true }), (amount, whole, share) => {
        const part = Math.min(whole, Math.floor(whole * share));
        const expected = (BigInt(amount) * BigInt(part)) / BigInt(whole);
        expect(BigInt(proportionOf(amount, part, whole))).toBe(expected);
      }),
    );
  });

  it('the whole gives the amount back exactly, and a share never exceeds it', () => {
    fc.assert(
      fc.property(safePoints, safeTotal, fc.nat(), (amount, whole, seed) => {
        expect(proportionOf(amount, whole, whole)).toBe(amount);
        const part = seed % (whole + 1);
        const share = proportionOf(amount, part, whole);
        expect(share).toBeGreaterThanOrEqual(0);
        expect(share).toBeLessThanOrEqual(amount);
      }),
    );
  });

  it('rounds a negative amount toward minus infinity, like Math.floor', () => {
    expect(proportionOf(-7, 1, 2)).toBe(-4);
    expect(proportionOf(-8, 1, 2)).toBe(-4);
    expect(proportionOf(7, 1, 2)).toBe(3);
  });
});

describe('refund clawback', () => {
  it('refunding an order in any parts claws back exactly what it earned, for every total up to MAX_SAFE_INTEGER', () => {
    fc.assert(
      fc.property(safeTotal, safePoints, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (totalMinor, pointsEarned, cuts) => {
        let order = { pointsEarned, totalMinor, refundedMinor: 0, pointsClawedBack: 0, pointsUnrecovered: 0 };
        let clawedBack = 0;
        for (const cut of cuts) {
          const amount = Math.floor((totalMinor - order.refundedMinor) * cut);
          if (amount === 0) continue;
          const points = refundClawbackPoints(order, amount);
          expect(points).toBeGreaterThanOrEqual(0);
          clawedBack += points;
          expect(clawedBack).toBeLessThanOrEqual(pointsEarned);
          order = { ...order, refundedMinor: order.refundedMinor + amount, pointsClawedBack: order.pointsClawedBack + points };
        }
        const rest = totalMinor - order.refundedMinor;
        if (rest > 0) clawedBack += refundClawbackPoints(order, rest);
        expect(clawedBack).toBe(pointsEarned);
      }),
    );
  });
});
