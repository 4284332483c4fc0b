import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { checkCouponPrefix, checkGeneratedLength, composeCouponCode, isWellFormedCouponCode, normaliseCouponCode } from './coupon-code.js';
import { parseCouponCsv } from './coupon-csv.js';

const now = Date.parse('2026-03-15T12:00:00Z');

function pointerOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.errors[0]?.pointer;
    throw error;
  }
  return undefined;
}

describe('normaliseCouponCode', () => {
  it('upper-cases and strips spaces and dashes of any kind', () => {
    expect(normaliseCouponCode(' abcd-efgh ')).toBe('ABCDEFGH');
    expect(normaliseCouponCode('ab cd\u2013ef\tgh')).toBe('ABCDEFGH');
    expect(normaliseCouponCode('SUMMER-2026-XY')).toBe('SUMMER2026XY');
  });

  it('accepts 4 to 64 letters and digits only', () => {
    expect(isWellFormedCouponCode('ABCD')).toBe(true);
    expect(isWellFormedCouponCode('ABC')).toBe(false);
    expect(isWellFormedCouponCode('A'.repeat(65))).toBe(false);
    expect(isWellFormedCouponCode('ABCD!')).toBe(false);
  });
});

describe('coupon format settings', () => {
  it('normalises a prefix, treats an empty one as none, refuses symbols', () => {
    expect(checkCouponPrefix('sum-mer', '/p')).toBe('SUMMER');
    expect(checkCouponPrefix(' ', '/p')).toBeNull();
    expect(checkCouponPrefix(null, '/p')).toBeNull();
    expect(pointerOf(() => checkCouponPrefix('SUMMER!', '/coupons/prefix'))).toBe('/coupons/prefix');
    expect(pointerOf(() => checkCouponPrefix('A'.repeat(13), '/coupons/prefix'))).toBe('/coupons/prefix');
  });

  it('takes 6 to 32 random characters', () => {
    expect(checkGeneratedLength(10, '/l')).toBe(10);
    expect(pointerOf(() => checkGeneratedLength(5, '/coupons/length'))).toBe('/coupons/length');
    expect(pointerOf(() => checkGeneratedLength(33, '/coupons/length'))).toBe('/coupons/length');
    expect(composeCouponCode('XMAS', 'ABCDEFGH')).toBe('XMASABCDEFGH');
    expect(composeCouponCode(null, 'ABCDEFGH')).toBe('ABCDEFGH');
  });
});

describe('parseCouponCsv', () => {
  it('reads codes with optional expiry, normalised, numbering lines from the header', () => {
    const lines = parseCouponCsv('code,expiresAt\r\nabc-def,2026-06-01T00:00:00Z\n\n"GHIJK",\n', now);
    expect(lines).toEqual([
      { line: 2, code: 'ABCDEF', expiresAt: Date.parse('2026-06-01T00:00:00Z') },
      { line: 4, code: 'GHIJK', expiresAt: null },
    ]);
    expect(parseCouponCsv('Code\nWXYZ1', now)).toEqual([{ line: 2, code: 'WXYZ1', expiresAt: null }]);
  });

  it('names the line of a bad code, a duplicate, a bad or past expiry, and a bad header', () => {
    expect(pointerOf(() => parseCouponCsv('code\nGOOD1\nBAD!', now))).toBe('/line/3');
    expect(pointerOf(() => parseCouponCsv('code\nAAAA1\nBBBB2\naaaa-1', now))).toBe('/line/4');
    expect(pointerOf(() => parseCouponCsv('code,expiresAt\nAAAA1,tomorrow', now))).toBe('/line/2');
    expect(pointerOf(() => parseCouponCsv('code,expiresAt\nAAAA1,2020-01-01T00:00:00Z', now))).toBe('/line/2');
    expect(pointerOf(() => parseCouponCsv('coupon\nAAAA1', now))).toBe('/line/1');
    expect(pointerOf(() => parseCouponCsv('code,color\nAAAA1,red', now))).toBe('/line/1');
    expect(pointerOf(() => parseCouponCsv('code\nAAAA1,extra', now))).toBe('/line/2');
    expect(pointerOf(() => parseCouponCsv('code\n', now))).toBe('/line/2');
  });

  it('takes at most 10,000 codes', () => {
    const codes = Array.from({ length: 10_001 }, (_, i) => `CODE${i}`);
    expect(parseCouponCsv(`code\n${codes.slice(0, 10_000).join('\n')}`, now)).toHaveLength(10_000);
    expect(pointerOf(() => parseCouponCsv(`code\n${codes.join('\n')}`, now))).toBe('/line/10002');
  });
});
