/**
 * The steps of a manual adjustment, shared by the single adjustment (adjustments.service.ts) and the bulk
 * operations that adjust or import many members (bulk/): checking the input, and posting it for a member the
 * caller has already locked, in the caller's transaction. A positive adjustment is a new lot, available at once;
 * a negative one spends available lots oldest-expiry-first and never takes the available balance below zero.
 */
import { DomainError } from '../domain/errors.js';
import { checkPointsBounds } from '../domain/ledger/bounds.js';
import { allocateSpend, earnLotTimes, earnPosting, takePosting } from '../domain/ledger/lots.js';
import type { ServiceContext } from '../context.js';
import { insertLot, listOpenLots, writeMemberPosting } from '../storage/repositories/ledger.repository.js';
import { enqueueOutbox } from '../storage/outbox.js';
import { expireDueLotsOf } from './expiry-steps.js';
import type { MemberRow, ProgramRow } from '../storage/schema.js';
import type { Trx } from '../storage/transaction.js';
import { iso } from './views.js';

export interface AdjustPointsInput {
  points: number;
  reason: string;
}

export interface AdjustmentView {
  transactionId: string;
  memberId: string;
  points: number;
  reason: string;
  createdAt: string;
  balance: { available: number; pending: number };
}

/** A manual adjustment is narrower than a ledger entry may be: support corrects, it does not mint fortunes. */
export const maxAdjustmentPoints = 1_000_000_000;

/**
 * The adjustment as it will be posted (reason trimmed), or the first thing wrong with it; `pointer` is where the
 * input sits in the caller's request.
 * @throws DomainError validation_failed
 */
export function checkAdjustment(input: AdjustPointsInput, pointer = ''): AdjustPointsInput {
  if (!Number.isSafeInteger(input.points) || input.points === 0 || Math.abs(input.points) > maxAdjustmentPoints) {
    throw DomainError.field('validation_failed', `${pointer}/points`, `points is a non-zero whole number between -${maxAdjustmentPoints} and ${maxAdjustmentPoints}.`);
  }
  const reason = input.reason.trim();
  if (reason.length === 0) throw DomainError.field('validation_failed', `${pointer}/reason`, 'An adjustment needs a reason.');
  return { points: input.points, reason };
}

/**
 * Posts a checked adjustment for a member locked by the caller, with its `points.adjusted` outbox message.
 * @throws DomainError insufficient_points, member_erased
 */
export async function postAdjustment(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  locked: MemberRow,
  adjustment: AdjustPointsInput,
  now: number,
): Promise<AdjustmentView> {
  if (locked.status === 'erased') throw new DomainError('member_erased', `Member ${locked.id} was erased; their points were forfeited for good.`);
  // Points past their expiry are expired now, whether or not the expiry job ran: post that first.
  const member = await expireDueLotsOf(ctx, trx, locked, now);
  if (adjustment.points > 0) checkPointsBounds(adjustment.points, member, '/points');
  const programId = program.id;
  const memberId = member.id;
  const transactionId = ctx.ids.next('ltx');
  const meta = { id: transactionId, memberId, reason: adjustment.reason, eventId: null, createdAt: now };
  let delta: { available: number; pending: number };
  if (adjustment.points > 0) {
    const lotId = ctx.ids.next('lot');
    // Not an event: available at once whatever the return window, expiring like any other earn.
    const { expiresAt } = earnLotTimes(program, 'adjustment', now);
    await insertLot(trx, {
      programId,
      id: lotId,
      memberId,
      transactionId,
      amount: adjustment.points,
      remaining: adjustment.points,
      availableAt: now,
      releasedAt: now,
      expiresAt,
      createdAt: now,
    });
    delta = await writeMemberPosting(trx, programId, earnPosting(memberId, lotId, [{ ruleId: null, ruleVersion: null, points: adjustment.points }], false), meta);
  } else {
    const takes = allocateSpend(await listOpenLots(trx, programId, memberId), -adjustment.points, now);
    delta = await writeMemberPosting(trx, programId, takePosting('adjustment', memberId, takes, 'issuance'), meta, { takes });
  }
  const view: AdjustmentView = {
    transactionId,
    memberId,
    points: adjustment.points,
    reason: adjustment.reason,
    createdAt: iso(now),
    balance: { available: member.available + delta.available, pending: member.pending + delta.pending },
  };
  await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'points.adjusted', memberId, data: { ...view } }], now);
  return view;
}
