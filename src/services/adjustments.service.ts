/**
 * Manual adjustments: support gives or takes points with a reason (the posting itself: adjustment-steps.ts).
 * Retries are safe with an Idempotency-Key.
 */
import { DomainError } from '../domain/errors.js';
import type { ServiceContext } from '../context.js';
import { lockMember } from '../storage/repositories/members.repository.js';
import { findProgram } from '../storage/repositories/programs.repository.js';
import { checkAdjustment, postAdjustment, type AdjustmentView, type AdjustPointsInput } from './adjustment-steps.js';
import { runIdempotent } from './idempotency.js';

export type { AdjustmentView, AdjustPointsInput } from './adjustment-steps.js';

export interface AdjustmentOutcome {
  replayed: boolean;
  adjustment: AdjustmentView;
}

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
  const adjustment = checkAdjustment(input);
  const request = { key: idempotencyKey, scope: `adjustment:${memberId}`, body: adjustment };
  const { replayed, value } = await runIdempotent(ctx, programId, request, async (trx, now) => {
    const member = await lockMember(trx, ctx.storage, programId, { memberId });
    if (!member) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
    const program = await findProgram(trx, programId);
    if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
    return postAdjustment(ctx, trx, program, member, adjustment, now);
  });
  return { replayed, adjustment: value };
}
