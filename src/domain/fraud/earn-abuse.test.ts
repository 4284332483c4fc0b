import { describe, expect, it } from 'vitest';
import { checkDailyEarn, earnThenRefund } from './earn-abuse.js';

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
