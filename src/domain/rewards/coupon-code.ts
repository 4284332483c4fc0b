/**
 * Coupon codes. A code is compared in its normal form: upper case, without spaces or dashes, so `abcd-efgh`
 * typed at a till finds `ABCDEFGH`. Generated codes are the programme's prefix followed by random symbols from
 * an alphabet without look-alikes (the randomness is the caller's: the domain has none); imported codes may
 * use any letters and digits. What this module guarantees: every stored code is normalised and well formed.
 */
import { DomainError } from '../errors.js';

export const couponCodeLimits = { minLength: 4, maxLength: 64 } as const;
/** Random symbols per generated code: 6 (32^6 ≈ 10^9) is the least that stays unguessable behind rate limits. */
export const generatedLengthLimits = { min: 6, max: 32, default: 10 } as const;
export const maxPrefixLength = 12;

/** Upper case, no whitespace, no dashes (of any kind). */
export function normaliseCouponCode(input: string): string {
  return input.toUpperCase().replace(/[\s\-\u2010-\u2015\u2212]/g, '');
}

export function isWellFormedCouponCode(code: string): boolean {
  return code.length >= couponCodeLimits.minLength && code.length <= couponCodeLimits.maxLength && /^[A-Z0-9]+$/.test(code);
}

/**
 * A programme's code prefix in normal form, or null for none.
 * @throws DomainError validation_failed (pointer `pointer`)
 */
export function checkCouponPrefix(prefix: string | null, pointer: string): string | null {
  if (prefix === null) return null;
  const normal = normaliseCouponCode(prefix);
  if (normal.length === 0) return null;
  if (normal.length > maxPrefixLength || !/^[A-Z0-9]+$/.test(normal)) {
    throw DomainError.field('validation_failed', pointer, `The prefix is 1 to ${maxPrefixLength} letters or digits (dashes and spaces are ignored).`);
  }
  return normal;
}

/** @throws DomainError validation_failed (pointer `pointer`) */
export function checkGeneratedLength(length: number, pointer: string): number {
  if (!Number.isInteger(length) || length < generatedLengthLimits.min || length > generatedLengthLimits.max) {
    throw DomainError.field('validation_failed', pointer, `The code length is ${generatedLengthLimits.min} to ${generatedLengthLimits.max} random characters.`);
  }
  return length;
}

/** A generated code: the prefix and the random part, in normal form. */
export function composeCouponCode(prefix: string | null, random: string): string {
  return `${prefix ?? ''}${random}`;
}
