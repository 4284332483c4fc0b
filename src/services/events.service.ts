/**
 * Event ingestion: the business tells us what a member did; we store it once (idempotent on the client's event
 * id), evaluate the programme's earn rules and post the points; a refund claws back the points of its order in
 * proportion to the money refunded. The work is done set-based for groups of events (events/ingest.ts):
 * concurrent single events are grouped into one transaction (events/group-commit.ts), a batch is one group.
 */
import { isDomainError, type DomainError } from '../domain/errors.js';
import { checkClientEventId, checkEventDataLimits } from '../domain/events/event-data.js';
import type { ServiceContext } from '../context.js';
import { inTransaction, isUniqueViolation } from '../storage/transaction.js';
import { submitEvent } from './events/group-commit.js';
import { ingestEvents, type EventOutcome, type IngestOutcome, type RecordEventInput } from './events/ingest.js';

export type { EventAward, EventOutcome, EventResponse, RecordEventInput } from './events/ingest.js';
export type BatchItemOutcome = IngestOutcome;

/**
 * Records one event and posts what it earns (or, for a refund, claws back).
 * @throws DomainError validation_failed, unknown_currency, currency_mismatch, member_not_found,
 *   event_id_reused_with_different_body, order_already_recorded, order_not_found, refund_exceeds_order,
 *   occurred_at_in_future, program_not_found, event_data_too_large
 */
export async function recordEvent(ctx: ServiceContext, programId: string, input: RecordEventInput): Promise<EventOutcome> {
  checkClientEventId(input.id);
  checkEventDataLimits(input.data);
  return submitEvent(ctx, programId, input);
}

/**
 * Records up to 1,000 events in one transaction; each succeeds or fails on its own, in input order, as if
 * sent one by one. An item that already failed its shape check upstream comes in as its DomainError.
 */
export async function recordEventBatch(
  ctx: ServiceContext,
  programId: string,
  batch: readonly (RecordEventInput | DomainError)[],
): Promise<BatchItemOutcome[]> {
  const inputs = batch.map((input) => {
    if (isDomainError(input)) return input;
    try {
      checkClientEventId(input.id, '/id');
      checkEventDataLimits(input.data);
      return input;
    } catch (error) {
      if (isDomainError(error)) return error;
      throw error;
    }
  });
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(ctx.storage, (trx) => ingestEvents(ctx, trx, programId, inputs));
    } catch (error) {
      // A concurrent writer recorded one of these event ids or orders first: run again to replay or refuse it.
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}
