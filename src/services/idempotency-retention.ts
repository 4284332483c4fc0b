/**
 * How long an Idempotency-Key is remembered: `idempotencyRetentionDays` (30) after the first request. Within
 * that time a retry with the same key replays the first response (DESIGN.md §4.1); after it, the key is free
 * again. Without pruning the records grew for ever, one per retried-safe write. Deletes go in small batches, each
 * its own transaction, so the job never holds the write lock for long. Event ids are not affected: an event's
 * id is part of the event, which is kept.
 */
import type { ServiceContext } from '../context.js';
import { deleteIdempotencyRecordsBefore } from '../storage/repositories/idempotency.repository.js';
import { inTransaction } from '../storage/transaction.js';

export const idempotencyRetentionDays = 30;
const BATCH = 1_000;
const DAY_MS = 86_400_000;

/** Deletes idempotency records older than the retention; returns how many. */
export async function pruneIdempotencyRecords(ctx: ServiceContext, retentionDays = idempotencyRetentionDays): Promise<{ records: number }> {
  const cutoff = ctx.clock.now() - retentionDays * DAY_MS;
  let records = 0;
  for (;;) {
    const deleted = await inTransaction(ctx.storage, (trx) => deleteIdempotencyRecordsBefore(trx, cutoff, BATCH));
    records += deleted;
    if (deleted < BATCH) return { records };
  }
}
