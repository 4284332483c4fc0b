/**
 * Earn abuse beyond referrals, decided without I/O:
 * - a daily earn limit: a member may earn at most `maxPointsPerDay` points in any 24 hours (a rolling window, so
 *   there is no midnight to game by earning just before and just after it). An award that would pass the limit
 *   is flagged for review instead of awarded, whole: splitting it would award part of an order for reasons the
 *   member cannot see.
 * - earn then refund: a member whose refunded orders reach `minRefunds` and half of their purchases keeps
 *   buying to earn and returning — a signal for the member view and for reviews, not a block by itself.
 */
import { proportionOf } from '../ledger/proportion.js';

export interface DailyEarnCheck {
  decision: 'award' | 'flag';
  evidence: { earnedLast24h: number; award: number; maxPointsPerDay: number };
}

/** Whether an award fits the member's daily limit; null limit: always award. */
export function checkDailyEarn(earnedLast24h: number, award: number, maxPointsPerDay: number | null): DailyEarnCheck | null {
  if (maxPointsPerDay === null || award <= 0) return null;
  const decision = earnedLast24h + award > maxPointsPerDay ? 'flag' : 'award';
  return { decision, evidence: { earnedLast24h, award, maxPointsPerDay } };
}

export interface EarnThenRefundSignal {
  signal: 'earn_then_refund';
  evidence: { refundedOrders: number; purchases: number };
}

export const earnThenRefundPolicy = { minRefunds: 3, minShare: 0.5 } as const;

/** The earn-then-refund signal of a member, or null when their refunds look like ordinary returns. */
export function earnThenRefund(member: { refundedOrders: number; purchaseCount: number }, policy: { minRefunds: number; minShare: number } = earnThenRefundPolicy): EarnThenRefundSignal | null {
  const { refundedOrders, purchaseCount } = member;
  if (refundedOrders < policy.minRefunds || refundedOrders < policy.minShare * purchaseCount) return null;
  return { signal: 'earn_then_refund', evidence: { refundedOrders, purchases: purchaseCount } };
}

export interface HeldLine {
  ruleId: string | null;
  ruleVersion: number | null;
  points: number;
}

/**
 * The lines an approved hold posts when refunds took part of its order meanwhile: each line scaled to
 * `award / total` and rounded down, the remainder on the largest line, so the lines add up to `award` exactly
 * and each rule keeps its share of the credit. Lines that come to nothing are left out.
 */
export function scaleHeldLines(lines: readonly HeldLine[], award: number): HeldLine[] {
  const total = lines.reduce((sum, line) => sum + line.points, 0);
  if (award <= 0 || total <= 0) return [];
  if (award >= total) return lines.map((line) => ({ ...line }));
  const scaled = lines.map((line) => ({ ...line, points: proportionOf(line.points, award, total) }));
  const largest = scaled.reduce((best, line, i) => (line.points > (scaled[best]?.points ?? -Infinity) ? i : best), 0);
  const target = scaled[largest];
  if (target) target.points += award - scaled.reduce((sum, line) => sum + line.points, 0);
  return scaled.filter((line) => line.points !== 0);
}
