/**
 * Manual adjustments: support gives or takes points with a reason. A positive adjustment is a new lot,
 * available at once; a negative one spends available lots oldest-expiry-first and never takes the available
 * balance below zero. Retries are safe with an Idempotency-Key.
 */
import { DomainError } from '../domain/errors.js';
import { allocateSpend, earnPosting, takePosting } from '../domain/ledger/lots.js';
import { addMonths } from '../domain/periods.js';
import type { ServiceContext } from '../context.js';
import { insertLot, listOpenLots, writeMemberPosting } from '../storage/repositories/ledger.repository.js';
import { lockMember } from '../storage/repositories/members.repository.js';
import { findProgram } from '../storage/repositories/programs.repository.js';
import { enqueueOutbox } from '../storage/outbox.js';
import { runIdempotent } from './idempotency.js';
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

export interface AdjustmentOutcome {
  replayed: boolean;
  adjustment: AdjustmentView;
}

export const maxAdjustmentPoints = 1_000_000_000;

/**
 * Gives (positive) or takes (negative) points with a reason.
 * @throws DomainError member_not_found, insufficient_points, validation_failed,
 *   idempotency_key_reused_with_different_body
 */
export async function adjustPoints(
  ctx: ServiceContext,
  programId: string,
  memberId: string,
  input: AdjustPointsInput,
  idempotencyKey?: string,
): Promise<AdjustmentOutcome> {
  if (!Number.isSafeInteger(input.points) || input.points === 0 || Math.abs(input.points) > maxAdjustmentPoints) {
    throw DomainError.field('validation_failed', '/points', `points is a non-zero whole number between -${maxAdjustmentPoints} and ${maxAdjustmentPoints}.`);
  }
  const reason = input.reason.trim();
  if (reason.length === 0) throw DomainError.field('validation_failed', '/reason', 'An adjustment needs a reason.');
  const request = { key: idempotencyKey, scope: `adjustment:${memberId}`, body: { points: input.points, reason } };
  const { replayed, value: adjustment } = await runIdempotent(ctx, programId, request, async (trx, now) => {
    const member = await lockMember(trx, ctx.storage, programId, { memberId });
    if (!member) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
    const program = await findProgram(trx, programId);
    if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
    const transactionId = ctx.ids.next('ltx');
    const meta = { id: transactionId, memberId, reason, eventId: null, createdAt: now };
    let delta: { available: number; pending: number };
    if (input.points > 0) {
      const lotId = ctx.ids.next('lot');
      await insertLot(trx, {
        programId,
        id: lotId,
        memberId,
        transactionId,
        amount: input.points,
        remaining: input.points,
        availableAt: now,
        releasedAt: now,
        expiresAt: program.expiryMonths === null ? null : addMonths(new Date(now), program.expiryMonths, program.timezone).getTime(),
        createdAt: now,
      });
      delta = await writeMemberPosting(trx, programId, earnPosting(memberId, lotId, [{ ruleId: null, ruleVersion: null, points: input.points }], false), meta);
    } else {
      const takes = allocateSpend(await listOpenLots(trx, programId, memberId), -input.points);
      delta = await writeMemberPosting(trx, programId, takePosting('adjustment', memberId, takes, 'issuance'), meta, { takes });
    }
    const adjustment: AdjustmentView = {
      transactionId,
      memberId,
      points: input.points,
      reason,
      createdAt: iso(now),
      balance: { available: member.available + delta.available, pending: member.pending + delta.pending },
    };
    await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'points.adjusted', memberId, data: { ...adjustment } }], now);
    return adjustment;
  });
  return { replayed, adjustment };
}
