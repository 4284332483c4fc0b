/**
 * The one place where a share of points is computed: floor(amount × part / whole), exactly.
 *
 * Why integers: a refund claws back `earned × refunded / total` points. In floating point the product passes
 * 2^53 for large orders (a €9.5 M order earning 950 M points: 9.5e8 × 9.5e8 ≈ 9e17) and loses its last digits,
 * so a full refund left a point behind. BigInt keeps every digit; the result fits a safe integer again because
 * it is at most |amount|.
 */
import { invariant } from '../invariant.js';

/**
 * floor(amount × part / whole) for safe integers with 0 ≤ part ≤ whole and whole > 0 (rounded toward minus
 * infinity, so a negative amount's share is never larger in size than its exact value allows).
 */
export function proportionOf(amount: number, part: number, whole: number): number {
  invariant(Number.isSafeInteger(amount) && Number.isSafeInteger(part) && Number.isSafeInteger(whole), 'a proportion takes safe integers');
  invariant(whole > 0 && part >= 0 && part <= whole, `a proportion takes 0 ≤ part ≤ whole, whole > 0 (got ${part}/${whole})`);
  if (part === whole) return amount;
  const product = BigInt(amount) * BigInt(part);
  const divisor = BigInt(whole);
  let quotient = product / divisor; // BigInt division truncates toward zero
  if (product % divisor !== 0n && product < 0n) quotient -= 1n;
  return Number(quotient);
}
