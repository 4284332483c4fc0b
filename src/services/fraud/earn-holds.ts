/**
 * Earn abuse beyond referrals: the awards the daily earn limit held (events/ingest.ts writes them) and the
 * review that decides them, plus the member's earn-abuse picture for support.
 *
 * An approval posts the held award as the event would have: an `earn` with the rules' lines, a lot that is
 * pending until the event's pending period ends and expires as the event's points would, and the activity in
 * the event's month for tiers. When the held purchase was refunded meanwhile, only what the refunds left is
 * awarded (the order then counts the difference as taken back, so a later refund takes back the rest exactly).
 * A rejection posts nothing. Either decision is final and recorded with its reason.
 *
 * Locks: the member first, then the hold, as every step that moves a member's points does.
 */
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { proportionOf } from '../../domain/ledger/proportion.js';
import { expireDueLotsOf, postDueExpiry } from '../expiry-steps.js';
import { checkPointsBounds } from '../../domain/ledger/bounds.js';
import { earnThenRefund, scaleHeldLines, type EarnThenRefundSignal, type HeldLine } from '../../domain/fraud/earn-abuse.js';
import { earnLotTimes, earnPosting } from '../../domain/ledger/lots.js';
import { monthKey } from '../../domain/tiers/qualification.js';
import type { EarnHoldStatus, EarnHoldsTable } from '../../storage/fraud.schema.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import {
  countEarnHoldsOfMember,
  decideEarnHold,
  findEarnHold,
  listEarnHoldRows,
  lockEarnHold,
  settleHeldOrder,
  sumPointsEarnedSinceOfMembers,
} from '../../storage/repositories/earn-holds.repository.js';
import { findOrders } from '../../storage/repositories/events.repository.js';
import { insertLot, writeMemberPosting } from '../../storage/repositories/ledger.repository.js';
import { findMember, lockMembers } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { addTierCounts } from '../../storage/repositories/tiers.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import { decodeCursor, encodeCursor, isBeforeCursor } from '../cursor.js';
import { iso, type Page } from '../views.js';
import { reviewReason, type ReviewAction, type ReviewInput } from './reviews.js';

const DAY_MS = 86_400_000;

export interface EarnHoldView {
  id: string;
  memberId: string;
  eventId: string;
  eventType: string;
  orderId: string | null;
  points: number;
  reason: 'daily_earn_limit';
  evidence: { earnedLast24h: number; award: number; maxPointsPerDay: number };
  status: EarnHoldStatus;
  /** What the approval posted: `points`, less what refunds of the order took meanwhile. */
  pointsAwarded: number | null;
  transactionId: string | null;
  review: { action: ReviewAction; reason: string; at: string } | null;
  occurredAt: string;
  createdAt: string;
  updatedAt: string;
}

function earnHoldView(row: EarnHoldsTable): EarnHoldView {
  return {
    id: row.id,
    memberId: row.memberId,
    eventId: row.eventId,
    eventType: row.eventType,
    orderId: row.orderId,
    points: row.points,
    reason: 'daily_earn_limit',
    evidence: JSON.parse(row.evidence) as EarnHoldView['evidence'],
    status: row.status,
    pointsAwarded: row.pointsAwarded,
    transactionId: row.transactionId,
    review: row.review === null ? null : (JSON.parse(row.review) as EarnHoldView['review']),
    occurredAt: iso(row.occurredAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}


/** The programme's held awards, newest first (`?status=held` is the review queue). @throws DomainError invalid_cursor */
export async function listEarnHolds(
  ctx: ServiceContext,
  programId: string,
  query: { status?: EarnHoldStatus; memberId?: string; cursor?: string; limit?: number },
): Promise<Page<EarnHoldView>> {
  const limit = query.limit ?? 50;
  const beforeId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isBeforeCursor).before;
  const rows = await listEarnHoldRows(ctx.storage.db, programId, { status: query.status, memberId: query.memberId, beforeId, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(earnHoldView), nextCursor: rows.length > limit && last ? encodeCursor({ before: last.id }) : null };
}

/** @throws DomainError earn_hold_not_found */
export async function getEarnHold(ctx: ServiceContext, programId: string, holdId: string): Promise<EarnHoldView> {
  const row = await findEarnHold(ctx.storage.db, programId, holdId);
  if (!row) throw new DomainError('earn_hold_not_found', `No held award ${holdId} in this programme.`);
  return earnHoldView(row);
}

/**
 * Approves a held award: its points are posted now (less what refunds of its order took meanwhile).
 * @throws DomainError earn_hold_not_found, earn_hold_not_reviewable, member_blocked, validation_failed
 */
export async function approveEarnHold(ctx: ServiceContext, programId: string, holdId: string, input: ReviewInput): Promise<EarnHoldView> {
  return decide(ctx, programId, holdId, 'approve', input);
}

/**
 * Rejects a held award: nothing is posted, and the decision with its reason is final.
 * @throws DomainError earn_hold_not_found, earn_hold_not_reviewable, validation_failed
 */
export async function rejectEarnHold(ctx: ServiceContext, programId: string, holdId: string, input: ReviewInput): Promise<EarnHoldView> {
  return decide(ctx, programId, holdId, 'reject', input);
}

async function decide(ctx: ServiceContext, programId: string, holdId: string, action: ReviewAction, input: ReviewInput): Promise<EarnHoldView> {
  const reason = reviewReason(input);
  return inTransaction(ctx.storage, async (trx) => {
    const now = ctx.clock.now();
    const found = await findEarnHold(trx, programId, holdId);
    if (!found) throw new DomainError('earn_hold_not_found', `No held award ${holdId} in this programme.`);
    const [member] = await lockMembers(trx, ctx.storage, programId, [found.memberId], []);
    const hold = await lockEarnHold(trx, ctx.storage, programId, holdId);
    if (!hold || !member) throw new DomainError('earn_hold_not_found', `No held award ${holdId} in this programme.`);
    if (hold.status !== 'held') throw new DomainError('earn_hold_not_reviewable', `The held award ${holdId} was already ${hold.status}.`);
    const review = JSON.stringify({ action, reason, at: iso(now) });
    const [order] = hold.orderId === null ? [] : await findOrders(trx, programId, [hold.orderId]);

    if (action === 'reject') {
      if (order) await settleHeldOrder(trx, programId, order.orderId, { pointsEarned: order.pointsEarned, pointsClawedBack: order.pointsClawedBack, lotId: order.lotId });
      await decideEarnHold(trx, programId, holdId, { status: 'rejected', review, pointsAwarded: null, transactionId: null }, now);
      await enqueueOutbox(trx, ctx.ids, programId, [
        { type: 'points.hold_rejected', memberId: hold.memberId, data: { memberId: hold.memberId, eventId: hold.eventId, holdId, points: hold.points, reason } },
      ], now);
      return earnHoldView({ ...hold, status: 'rejected', review, updatedAt: now });
    }

    if (member.status !== 'active') throw new DomainError('member_blocked', `Member ${member.id} is blocked; unblock them before approving their held award.`);
    const program = await findProgram(trx, programId);
    if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
    // Refunds before the review took their share of the order's money; the award keeps the rest.
    const award = !order || order.totalMinor === 0 ? hold.points : proportionOf(hold.points, order.totalMinor - order.refundedMinor, order.totalMinor);
    const lines = scaleHeldLines(JSON.parse(hold.lines) as HeldLine[], award);
    let transactionId: string | null = null;
    let lotId: string | null = null;
    let status: 'pending' | 'available' = 'available';
    if (award > 0) {
      // Bounds against what the member holds now: points past their expiry are expired first.
      checkPointsBounds(award, await expireDueLotsOf(ctx, trx, member, now), null);
      transactionId = ctx.ids.next('ltx');
      lotId = ctx.ids.next('lot');
      const { availableAt, expiresAt } = earnLotTimes(program, hold.eventType, hold.occurredAt);
      const pending = availableAt > now;
      status = pending ? 'pending' : 'available';
      await writeMemberPosting(
        trx,
        programId,
        earnPosting(hold.memberId, lotId, lines, pending),
        { id: transactionId, memberId: hold.memberId, reason: `${hold.eventType} event ${hold.eventId}; held award ${holdId} approved: ${reason}`, eventId: hold.eventId, createdAt: now },
        { lifetimeEarned: award },
      );
      await insertLot(trx, {
        programId, id: lotId, transactionId, memberId: hold.memberId, amount: award, remaining: award, availableAt, releasedAt: pending ? null : now, expiresAt, createdAt: now,
      });
      for (const statement of addTierCounts(trx, [{ programId, memberId: hold.memberId, month: monthKey(hold.occurredAt, program.timezone), pointsEarned: award, spendMinor: 0, purchases: 0 }])) {
        await trx.executeQuery(statement.compile());
      }
    }
    if (order) {
      await settleHeldOrder(trx, programId, order.orderId, {
        pointsEarned: hold.points,
        pointsClawedBack: order.pointsClawedBack + (hold.points - award),
        lotId: lotId ?? order.lotId,
      });
    }
    await decideEarnHold(trx, programId, holdId, { status: 'approved', review, pointsAwarded: award, transactionId }, now);
    // An award approved after its lot's expiry (the event was long ago) is expired at once, in this transaction.
    await postDueExpiry(ctx, trx, programId, hold.memberId, now);
    if (award > 0) {
      const after = await findMember(trx, programId, hold.memberId);
      await enqueueOutbox(trx, ctx.ids, programId, [{
        type: 'points.earned',
        memberId: hold.memberId,
        data: {
          memberId: hold.memberId, eventId: hold.eventId, eventType: hold.eventType, holdId, points: award, status,
          balance: { available: after?.available ?? 0, pending: after?.pending ?? 0 },
        },
      }], now);
    }
    return earnHoldView({ ...hold, status: 'approved', review, pointsAwarded: award, transactionId, updatedAt: now });
  });
}

export interface MemberFraudView {
  refundedOrders: number;
  purchases: number;
  earnedLast24h: number;
  /** The programme's daily earn limit; null: none. */
  maxPointsPerDay: number | null;
  holds: Record<EarnHoldStatus, number>;
  signals: EarnThenRefundSignal[];
}

/**
 * A member's earn-abuse picture for support and reviews: the earn-then-refund counter and signal, what they
 * earned in the last 24 hours against the daily limit, and their held awards by status.
 * @throws DomainError member_not_found
 */
export async function memberFraudView(ctx: ServiceContext, programId: string, memberId: string): Promise<MemberFraudView> {
  const db = ctx.storage.db;
  const [member, program] = await Promise.all([findMember(db, programId, memberId), findProgram(db, programId)]);
  if (!member || !program) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const signal = earnThenRefund(member);
  const earned = await sumPointsEarnedSinceOfMembers(db, programId, [memberId], ctx.clock.now() - DAY_MS);
  return {
    refundedOrders: member.refundedOrders,
    purchases: member.purchaseCount,
    earnedLast24h: earned.get(memberId) ?? 0,
    maxPointsPerDay: program.maxPointsPerDay,
    holds: await countEarnHoldsOfMember(db, programId, memberId),
    signals: signal ? [signal] : [],
  };
}
