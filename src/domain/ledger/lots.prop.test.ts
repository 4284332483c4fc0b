/**
 * Properties of the lot arithmetic over random lots and times: postings balance, spending takes exactly what
 * was asked from live available lots only, a clawback never takes more than was asked nor from an expired lot,
 * and expiry empties exactly the lots whose time has come (DESIGN.md §4.2, §4.7).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import { allocateClawback, allocateSpend, dueExpiry, earnPosting, expiryPostingOfLots, isPastExpiry, takePosting, type Lot } from './lots.js';

const lotArb = (i: number) =>
  fc.record({
    remaining: fc.integer({ min: 0, max: 1_000 }),
    extra: fc.integer({ min: 0, max: 100 }),
    released: fc.boolean(),
    expiresAt: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    createdAt: fc.integer({ min: 0, max: 100 }),
  }).map((l): Lot => ({
    id: `lot${i}`, memberId: 'm', amount: l.remaining + l.extra, remaining: l.remaining, availableAt: 0,
    releasedAt: l.released ? 0 : null, expiresAt: l.expiresAt, createdAt: l.createdAt,
  }));
const lotsArb = fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => lotArb(i))));
const nowArb = fc.integer({ min: 0, max: 110 });

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const spendable = (lots: readonly Lot[], now: number) => sum(lots.filter((l) => l.releasedAt !== null && !isPastExpiry(l, now)).map((l) => l.remaining));

describe('lots', () => {
  it('a spend takes exactly the points asked, from released lots not past expiry, or is refused when they hold fewer', () => {
    fc.assert(
      fc.property(lotsArb, fc.integer({ min: 1, max: 3_000 }), nowArb, (lots, points, now) => {
        const live = spendable(lots, now);
        let takes;
        try {
          takes = allocateSpend(lots, points, now);
        } catch (error) {
          expect(isDomainError(error) && error.code === 'insufficient_points').toBe(true);
          expect(live).toBeLessThan(points);
          return;
        }
        expect(sum(takes.map((t) => t.points))).toBe(points);
        for (const take of takes) {
          const lot = lots.find((l) => l.id === take.lotId)!;
          expect(lot.releasedAt).not.toBeNull();
          expect(isPastExpiry(lot, now)).toBe(false);
          expect(take.points).toBeGreaterThan(0);
          expect(take.points).toBeLessThanOrEqual(lot.remaining);
        }
        expect(sum(takePosting('redemption', 'm', takes, 'redeemed').entries.map((e) => e.amount))).toBe(0);
      }),
    );
  });

  it('a spend uses the soonest expiry first: no lot it skips expires before one it takes', () => {
    fc.assert(
      fc.property(lotsArb, fc.integer({ min: 1, max: 3_000 }), nowArb, (lots, points, now) => {
        if (spendable(lots, now) < points) return;
        const takes = allocateSpend(lots, points, now);
        const taken = new Set(takes.map((t) => t.lotId));
        const lastTaken = lots.find((l) => l.id === takes.at(-1)?.lotId)!;
        for (const lot of lots) {
          if (taken.has(lot.id) || lot.releasedAt === null || lot.remaining === 0 || isPastExpiry(lot, now)) continue;
          expect(lot.expiresAt ?? Infinity).toBeGreaterThanOrEqual(lastTaken.expiresAt ?? Infinity);
        }
      }),
    );
  });

  it('a clawback takes at most what was asked, never from a lot past expiry, and reports the rest as unrecovered', () => {
    fc.assert(
      fc.property(lotsArb, fc.integer({ min: 0, max: 3_000 }), nowArb, fc.nat(9), (lots, points, now, own) => {
        const { takes, unrecovered } = allocateClawback(lots, points, `lot${own}`, now);
        const taken = sum(takes.map((t) => t.points));
        expect(taken + unrecovered).toBe(points);
        expect(unrecovered).toBeGreaterThanOrEqual(0);
        const recoverable = sum(lots.filter((l) => !isPastExpiry(l, now)).map((l) => l.remaining));
        expect(taken).toBe(Math.min(points, recoverable));
        for (const take of takes) {
          const lot = lots.find((l) => l.id === take.lotId)!;
          expect(isPastExpiry(lot, now)).toBe(false);
          expect(take.pending).toBe(lot.releasedAt === null);
          expect(take.points).toBeLessThanOrEqual(lot.remaining);
        }
      }),
    );
  });

  it('expiry empties exactly the lots with points whose expiry has come, in one balanced posting', () => {
    fc.assert(
      fc.property(lotsArb, nowArb, (lots, now) => {
        const due = dueExpiry(lots, now);
        expect(due.map((l) => l.id).sort()).toEqual(lots.filter((l) => l.remaining > 0 && l.expiresAt !== null && l.expiresAt <= now).map((l) => l.id).sort());
        if (due.length === 0) return;
        const { posting, takes } = expiryPostingOfLots('m', due);
        expect(sum(posting.entries.map((e) => e.amount))).toBe(0);
        expect(posting.entries.find((e) => e.account === 'expired')?.amount).toBe(sum(due.map((l) => l.remaining)));
        expect(takes.map((t) => t.points)).toEqual(due.map((l) => l.remaining));
      }),
    );
  });

  it('an earn posting pays its lines into one lot and balances against issuance', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 5 }), fc.boolean(), (points, pending) => {
        const posting = earnPosting('m', 'lot', points.map((p, i) => ({ ruleId: `r${i}`, ruleVersion: 1, points: p })), pending);
        expect(sum(posting.entries.map((e) => e.amount))).toBe(0);
        expect(posting.entries[0]).toMatchObject({ account: 'issuance', amount: -sum(points) });
        for (const e of posting.entries.slice(1)) expect(e).toMatchObject({ account: pending ? 'member_pending' : 'member_available', lotId: 'lot' });
      }),
    );
  });
});
