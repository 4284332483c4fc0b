/**
 * Lots: each earn (or positive adjustment) creates a lot with an amount, a time it becomes available (pending
 * until the return window has passed) and an optional expiry. This module turns use cases into balanced
 * postings over lots:
 * - spending takes available lots oldest-expiry-first (lots without expiry last), so points that would be lost
 *   soonest are used first;
 * - a refund claws back from the order's own lot first, then other pending lots, then available lots by
 *   expiry; what the member no longer has is reported as unrecovered, never taken below zero;
 * - release moves a due lot from pending to available; expiry moves what is left of a lot to `expired`.
 *
 * Expiry is a fact of time (DESIGN.md §4.7): a lot whose `expiresAt` has passed is expired whether or not the
 * expiry job has run. Spending and clawback never take from it; a write that meets such lots first posts their
 * expiry (`dueExpiry`, `expiryPostingOfLots`) in its own transaction, and a balance read leaves them out.
 */
import { DomainError } from '../errors.js';
import { invariant } from '../invariant.js';
import { addDays, addMonths } from '../periods.js';
import { proportionOf } from './proportion.js';
import { assertBalanced, entry, type Entry, type Posting } from './posting.js';

export interface Lot {
  id: string;
  memberId: string;
  amount: number;
  remaining: number;
  availableAt: number;
  /** Null while the lot's points are pending. */
  releasedAt: number | null;
  expiresAt: number | null;
  createdAt: number;
}

export interface LotTake {
  lotId: string;
  points: number;
  pending: boolean;
}

export interface AwardLine {
  ruleId: string | null;
  ruleVersion: number | null;
  points: number;
}

/**
 * When an earn's lot becomes available and when it expires, from the event's type and time and the programme's
 * points policy: a purchase waits out the return window (`pendingDays`); every earn expires `expiryMonths`
 * after the event, both in the programme's timezone.
 */
export function earnLotTimes(
  policy: { pendingDays: number; expiryMonths: number | null; timezone: string },
  eventType: string,
  occurredAt: number,
): { availableAt: number; expiresAt: number | null } {
  const at = new Date(occurredAt);
  return {
    availableAt: eventType === 'purchase' && policy.pendingDays > 0 ? addDays(at, policy.pendingDays, policy.timezone).getTime() : occurredAt,
    expiresAt: policy.expiryMonths === null ? null : addMonths(at, policy.expiryMonths, policy.timezone).getTime(),
  };
}

/**
 * Earn: issuance pays each award line into the new lot, pending or available. A line may be negative (a
 * multiplier below 1 takes from what other rules gave) as long as the lot ends up with a positive amount.
 */
export function earnPosting(memberId: string, lotId: string, lines: AwardLine[], pending: boolean): Posting {
  const account = pending ? 'member_pending' : 'member_available';
  const entries: Entry[] = [];
  let total = 0;
  for (const line of lines) {
    invariant(Number.isSafeInteger(line.points) && line.points !== 0, 'award lines are non-zero integers');
    entries.push(entry(account, line.points, { memberId, lotId, ruleId: line.ruleId, ruleVersion: line.ruleVersion }));
    total += line.points;
  }
  invariant(total > 0, 'an earn adds points to its lot');
  entries.unshift(entry('issuance', -total));
  const posting: Posting = { kind: lines.every((l) => l.ruleId === null) ? 'adjustment' : 'earn', entries };
  assertBalanced(posting);
  return posting;
}

function byExpiryThenAge(a: Lot, b: Lot): number {
  const ae = a.expiresAt ?? Number.POSITIVE_INFINITY;
  const be = b.expiresAt ?? Number.POSITIVE_INFINITY;
  if (ae !== be) return ae - be;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** True when the lot's expiry has come: from then on its points are expired, posted or not. */
export function isPastExpiry(lot: Pick<Lot, 'expiresAt'>, now: number): boolean {
  return lot.expiresAt !== null && lot.expiresAt <= now;
}

/** The lots that still hold points past their expiry: a write that meets them posts their expiry first. */
export function dueExpiry(lots: readonly Lot[], now: number): Lot[] {
  return lots.filter((l) => l.remaining > 0 && isPastExpiry(l, now)).sort(byExpiryThenAge);
}

/**
 * Which available lots a spend of `points` consumes at `now`, oldest expiry first; lots past their expiry are
 * not spendable, whether or not their expiry was posted yet.
 * @throws DomainError insufficient_points when the released, unexpired lots hold fewer points.
 */
export function allocateSpend(lots: readonly Lot[], points: number, now: number): LotTake[] {
  invariant(Number.isSafeInteger(points) && points > 0, 'a spend is a positive integer');
  const candidates = lots.filter((l) => l.releasedAt !== null && l.remaining > 0 && !isPastExpiry(l, now)).sort(byExpiryThenAge);
  const takes: LotTake[] = [];
  let left = points;
  for (const lot of candidates) {
    if (left === 0) break;
    const take = Math.min(lot.remaining, left);
    takes.push({ lotId: lot.id, points: take, pending: false });
    left -= take;
  }
  if (left > 0) {
    const available = points - left;
    throw DomainError.field('insufficient_points', '/points', `The member has ${available} available points; ${points} are needed.`);
  }
  return takes;
}

/**
 * Which lots a refund's clawback of `points` takes at `now`: the order's own lot first, then other pending lots,
 * then available lots by expiry. Never more than the lots hold, and never from a lot past its expiry (those
 * points went to `expired`, not back to the member); the shortfall is returned as `unrecovered`.
 */
export function allocateClawback(lots: readonly Lot[], points: number, orderLotId: string | null, now: number): { takes: LotTake[]; unrecovered: number } {
  const live = lots.filter((l) => !isPastExpiry(l, now));
  const own = live.filter((l) => l.id === orderLotId);
  const otherPending = live.filter((l) => l.id !== orderLotId && l.releasedAt === null).sort(byExpiryThenAge);
  const otherAvailable = live.filter((l) => l.id !== orderLotId && l.releasedAt !== null).sort(byExpiryThenAge);
  const takes: LotTake[] = [];
  let left = points;
  for (const lot of [...own, ...otherPending, ...otherAvailable]) {
    if (left === 0) break;
    if (lot.remaining === 0) continue;
    const take = Math.min(lot.remaining, left);
    takes.push({ lotId: lot.id, points: take, pending: lot.releasedAt === null });
    left -= take;
  }
  return { takes, unrecovered: left };
}

/** Points leave the member's lots and go back to `counterAccount` (issuance for clawbacks and corrections). */
export function takePosting(
  kind: Posting['kind'],
  memberId: string,
  takes: readonly LotTake[],
  counterAccount: 'issuance' | 'expired' | 'redeemed',
): Posting {
  const entries: Entry[] = [];
  let total = 0;
  for (const take of takes) {
    entries.push(entry(take.pending ? 'member_pending' : 'member_available', -take.points, { memberId, lotId: take.lotId }));
    total += take.points;
  }
  entries.push(entry(counterAccount, total));
  const posting: Posting = { kind, entries };
  assertBalanced(posting);
  return posting;
}

/** Release: the lot's remaining points move from pending to available. */
export function releasePosting(lot: Lot): Posting {
  invariant(lot.releasedAt === null && lot.remaining > 0, 'only a pending lot with points is released');
  const posting: Posting = {
    kind: 'release',
    entries: [
      entry('member_pending', -lot.remaining, { memberId: lot.memberId, lotId: lot.id }),
      entry('member_available', lot.remaining, { memberId: lot.memberId, lotId: lot.id }),
    ],
  };
  assertBalanced(posting);
  return posting;
}

/** Expiry: whatever is left of the lot, pending or available, goes to the programme's expired account. */
export function expiryPosting(lot: Lot): Posting {
  return expiryPostingOfLots(lot.memberId, [lot]).posting;
}

/** Expiry of several lots of one member in one ledger transaction, with the takes that empty them. */
export function expiryPostingOfLots(memberId: string, lots: readonly Lot[]): { posting: Posting; takes: LotTake[] } {
  invariant(lots.length > 0 && lots.every((l) => l.remaining > 0 && l.memberId === memberId), 'only lots of the member with points expire');
  const takes = lots.map((l) => ({ lotId: l.id, points: l.remaining, pending: l.releasedAt === null }));
  return { posting: takePosting('expiry', memberId, takes, 'expired'), takes };
}

/**
 * Points a refund claws back, in proportion to the money refunded so far: the target is
 * floor(earned × refunded / total), so refunding an order in parts ends exactly where one full refund would,
 * and the clawback never exceeds what the order earned.
 */
export function refundClawbackPoints(order: {
  pointsEarned: number;
  totalMinor: number;
  refundedMinor: number;
  pointsClawedBack: number;
  pointsUnrecovered: number;
}, refundMinor: number): number {
  const refundedAfter = order.refundedMinor + refundMinor;
  invariant(refundedAfter <= order.totalMinor, 'a refund never exceeds the order');
  const target = order.totalMinor === 0 ? order.pointsEarned : proportionOf(order.pointsEarned, refundedAfter, order.totalMinor);
  const already = order.pointsClawedBack + order.pointsUnrecovered;
  return Math.max(0, target - already);
}

/** Redemption: the reward's cost leaves the member's available lots (from `allocateSpend`) for `redeemed`. */
export function redemptionPosting(memberId: string, takes: readonly LotTake[]): Posting {
  invariant(takes.every((take) => !take.pending), 'a redemption spends available points only');
  return takePosting('redemption', memberId, takes, 'redeemed');
}

/** A lot a redemption took points from, as the redemption records it so a cancel can give them back. */
export interface TakenLot {
  lotId: string;
  points: number;
  expiresAt: number | null;
}

/**
 * Cancelling a redemption: `redeemed` pays the points back into new available lots, one per lot the redemption
 * took from (`returnLotIds[i]` is the new lot for `taken[i]`), so each keeps its original lot's expiry.
 */
export function redemptionCancelPosting(memberId: string, taken: readonly TakenLot[], returnLotIds: readonly string[]): Posting {
  invariant(taken.length === returnLotIds.length && taken.length > 0, 'one new lot per lot taken');
  const entries: Entry[] = [];
  let total = 0;
  taken.forEach((take, i) => {
    entries.push(entry('member_available', take.points, { memberId, lotId: returnLotIds[i] ?? null }));
    total += take.points;
  });
  entries.unshift(entry('redeemed', -total));
  const posting: Posting = { kind: 'redemption_cancel', entries };
  assertBalanced(posting);
  return posting;
}
