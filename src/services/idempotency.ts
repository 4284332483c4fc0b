/**
 * Writes a client may retry take an `Idempotency-Key` (DESIGN.md §4, rule 1). The first request's result is
 * stored with its change, in the same transaction; a repeat with the same body gets that result back and
 * changes nothing; a repeat with a different body is refused. Two first uses racing on one key meet at the
 * record's primary key: the loser's transaction fails on it and runs again, now replaying the winner's result.
 */
import { DomainError } from '../domain/errors.js';
import type { ServiceContext } from '../context.js';
import { findIdempotencyRecord, insertIdempotencyRecord } from '../storage/repositories/idempotency.repository.js';
import { inTransaction, isUniqueViolation, type Trx } from '../storage/transaction.js';
import { requestHash } from './request-hash.js';

export interface IdempotentRequest {
  /** The client's Idempotency-Key; without one the work simply runs once. */
  key: string | undefined;
  /** What the request is about (e.g. `redemption:<member>`), part of the fingerprint. */
  scope: string;
  /** The request's meaning: two bodies that mean the same must give equal values here. */
  body: unknown;
}

/**
 * Runs `work` in one transaction, or replays the result stored under the key. `work` returns the value to
 * answer with; a unique-key violation inside it (the race above, or any rare collision of a random code) runs
 * the whole transaction again, at most three times.
 * @throws DomainError idempotency_key_reused_with_different_body, and whatever `work` throws
 */
export async function runIdempotent<T>(
  ctx: ServiceContext,
  programId: string,
  request: IdempotentRequest,
  work: (trx: Trx, now: number) => Promise<T>,
  statusOf: (value: T) => number = () => 201,
): Promise<{ replayed: boolean; value: T }> {
  const hash = requestHash({ scope: request.scope, body: request.body });
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(ctx.storage, async (trx) => {
        if (request.key !== undefined) {
          const seen = await findIdempotencyRecord(trx, programId, request.key);
          if (seen) {
            if (seen.requestHash !== hash) {
              throw new DomainError('idempotency_key_reused_with_different_body', `Idempotency-Key ${request.key} was used for a different request.`);
            }
            return { replayed: true, value: JSON.parse(seen.response) as T };
          }
        }
        const now = ctx.clock.now();
        const value = await work(trx, now);
        if (request.key !== undefined) {
          await insertIdempotencyRecord(trx, {
            programId,
            key: request.key,
            scope: request.scope,
            requestHash: hash,
            statusCode: statusOf(value),
            response: JSON.stringify(value),
            createdAt: now,
          });
        }
        return { replayed: false, value };
      });
    } catch (error) {
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}
