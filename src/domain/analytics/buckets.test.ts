import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketIndex, bucketsOf } from './buckets.js';

const ams = 'Europe/Amsterdam';

describe('bucketsOf', () => {
  it("cuts days at the shop's midnight, 23 hours on the day summer time starts", () => {
    const buckets = bucketsOf(Date.parse('2026-03-28T10:00:00Z'), Date.parse('2026-03-31T00:00:00Z'), 'day', ams) ?? [];
    expect(buckets.map((b) => b.label)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31']);
    expect(buckets[0]?.from).toBe(Date.parse('2026-03-28T10:00:00Z'));
    expect(buckets[1]).toEqual({ label: '2026-03-29', from: Date.parse('2026-03-28T23:00:00Z'), to: Date.parse('2026-03-29T22:00:00Z') });
    expect(buckets.at(-1)?.to).toBe(Date.parse('2026-03-31T00:00:00Z'));
  });

  it('starts weeks on Monday and months on the 1st', () => {
    expect(bucketsOf(Date.parse('2026-03-04T12:00:00Z'), Date.parse('2026-03-20T12:00:00Z'), 'week', ams)?.map((b) => b.label)).toEqual(['2026-03-02', '2026-03-09', '2026-03-16']);
    expect(bucketsOf(Date.parse('2026-01-15T00:00:00Z'), Date.parse('2026-03-02T00:00:00Z'), 'month', ams)?.map((b) => b.label)).toEqual(['2026-01-01', '2026-02-01', '2026-03-01']);
  });

  it('refuses more than 400 buckets', () => {
    expect(bucketsOf(Date.parse('2020-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'), 'day', ams)).toBeNull();
    // Local midnights (UTC+1 in winter): six years of months exactly.
    expect(bucketsOf(Date.parse('2019-12-31T23:00:00Z'), Date.parse('2025-12-31T23:00:00Z'), 'month', ams)).toHaveLength(72);
  });

  it('tiles the period exactly, and bucketIndex finds the bucket of every instant in it', () => {
    const day = 86_400_000;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * day }), fc.integer({ min: 1, max: 90 * day }), fc.constantFrom('day' as const, 'week' as const, 'month' as const), fc.integer({ min: 0, max: 1_000 }), (offset, length, interval, probe) => {
        const from = Date.parse('2025-01-01T00:00:00Z') + offset;
        const to = from + length;
        const buckets = bucketsOf(from, to, interval, ams) ?? [];
        expect(buckets[0]?.from).toBe(from);
        expect(buckets.at(-1)?.to).toBe(to);
        for (let i = 1; i < buckets.length; i++) expect(buckets[i]?.from).toBe(buckets[i - 1]?.to);
        const at = from + Math.floor(((to - from - 1) * probe) / 1_000);
        const index = bucketIndex(buckets, at);
        expect(buckets[index]?.from).toBeLessThanOrEqual(at);
        expect(buckets[index]?.to).toBeGreaterThan(at);
        expect(bucketIndex(buckets, to)).toBe(-1);
      }),
    );
  });
});
