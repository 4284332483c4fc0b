import { describe, expect, it } from 'vitest';
import { allocateClawback, allocateSpend, dueExpiry, earnLotTimes, isPastExpiry, refundClawbackPoints, type Lot } from './lots.js';

const lot = (id: string, remaining: number, fields: Partial<Lot> = {}): Lot => ({
  id, memberId: 'm', amount: remaining, remaining, availableAt: 0, releasedAt: 0, expiresAt: null, createdAt: 0, ...fields,
});

describe('expiry is a fact of time', () => {
  it('a lot is past expiry from the instant of its expiresAt on; a lot without expiry never is', () => {
    expect(isPastExpiry({ expiresAt: 1000 }, 999)).toBe(false);
    expect(isPastExpiry({ expiresAt: 1000 }, 1000)).toBe(true);
    expect(isPastExpiry({ expiresAt: null }, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('a spend skips a lot past expiry even when it would expire first', () => {
    const lots = [lot('gone', 50, { expiresAt: 100 }), lot('live', 80, { expiresAt: 500 })];
    expect(allocateSpend(lots, 60, 200)).toEqual([{ lotId: 'live', points: 60, pending: false }]);
    expect(() => allocateSpend(lots, 100, 200)).toThrow(expect.objectContaining({ code: 'insufficient_points' }));
    expect(allocateSpend(lots, 100, 99)).toEqual([{ lotId: 'gone', points: 50, pending: false }, { lotId: 'live', points: 50, pending: false }]);
  });

  it('a clawback does not take back from the order\'s own lot once it expired: that is unrecovered', () => {
    const lots = [lot('order', 30, { expiresAt: 100 }), lot('other', 10, { expiresAt: 900 })];
    expect(allocateClawback(lots, 30, 'order', 100)).toEqual({ takes: [{ lotId: 'other', points: 10, pending: false }], unrecovered: 20 });
  });

  it('dueExpiry lists only lots with points left whose expiry has come, soonest first', () => {
    const lots = [lot('b', 5, { expiresAt: 20 }), lot('a', 5, { expiresAt: 10 }), lot('empty', 0, { expiresAt: 5 }), lot('later', 5, { expiresAt: 30 })];
    expect(dueExpiry(lots, 20).map((l) => l.id)).toEqual(['a', 'b']);
  });
});

describe('lot times', () => {
  it('a purchase waits out the return window in the programme\'s timezone; other earns are available at once', () => {
    const at = Date.parse('2026-03-28T12:00:00Z'); // the weekend the Netherlands moves to summer time
    const policy = { pendingDays: 1, expiryMonths: 1, timezone: 'Europe/Amsterdam' };
    expect(earnLotTimes(policy, 'purchase', at)).toEqual({ availableAt: Date.parse('2026-03-29T11:00:00Z'), expiresAt: Date.parse('2026-04-28T11:00:00Z') });
    expect(earnLotTimes(policy, 'review', at).availableAt).toBe(at);
    expect(earnLotTimes({ ...policy, expiryMonths: null }, 'review', at).expiresAt).toBeNull();
  });
});

describe('refund clawback points', () => {
  it('parts of a refund end where one full refund would', () => {
    const order = { pointsEarned: 99, totalMinor: 1000, refundedMinor: 0, pointsClawedBack: 0, pointsUnrecovered: 0 };
    const first = refundClawbackPoints(order, 333);
    const second = refundClawbackPoints({ ...order, refundedMinor: 333, pointsClawedBack: first }, 333);
    const third = refundClawbackPoints({ ...order, refundedMinor: 666, pointsClawedBack: first + second }, 334);
    expect([first, second, third]).toEqual([32, 33, 34]);
    expect(first + second + third).toBe(99);
  });
});
