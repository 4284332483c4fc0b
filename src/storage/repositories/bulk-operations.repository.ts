/**
 * Bulk operations and their items (migration 0011). Every query filters on `program_id`, but for the job's
 * scan of open operations, which crosses programmes as the other jobs do.
 */
import { sql } from 'kysely';
import type { BulkItemStatus, BulkOperationKind } from '../bulk-operations.schema.js';
import type { Storage } from '../db.js';
import { claimRows, type Trx } from '../transaction.js';

/** Items per multi-row insert: five parameters each stays far below SQLite's 32,766. */
const ITEMS_PER_INSERT = 1_000;

export async function insertBulkOperation(
  trx: Trx,
  operation: { programId: string; id: string; kind: BulkOperationKind; reason: string | null; createdBy: string; createdAt: number },
  inputs: readonly unknown[],
): Promise<void> {
  await trx
    .insertInto('bulkOperations')
    .values({ ...operation, status: 'queued', total: inputs.length, processed: 0, succeeded: 0, failed: 0, startedAt: null, finishedAt: null })
    .execute();
  for (let start = 0; start < inputs.length; start += ITEMS_PER_INSERT) {
    const rows = inputs.slice(start, start + ITEMS_PER_INSERT).map((input, i) => ({
      programId: operation.programId,
      operationId: operation.id,
      line: start + i + 1,
      input: JSON.stringify(input),
      status: 'pending' as const,
      result: null,
      problem: null,
      processedAt: null,
    }));
    await trx.insertInto('bulkOperationItems').values(rows).execute();
  }
}

export async function findBulkOperation(db: Trx, programId: string, operationId: string) {
  return db.selectFrom('bulkOperations').selectAll().where('programId', '=', programId).where('id', '=', operationId).executeTakeFirst();
}

/** A programme's operations, newest first, one more than `limit` (the caller's next-page test). */
export async function listBulkOperationRows(db: Trx, programId: string, query: { beforeId?: string; limit: number }) {
  let q = db.selectFrom('bulkOperations').selectAll().where('programId', '=', programId);
  if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
  return q.orderBy('id', 'desc').limit(query.limit + 1).execute();
}

/** An operation's items in line order, one more than `limit`. */
export async function listBulkItemRows(db: Trx, programId: string, operationId: string, query: { status?: BulkItemStatus; afterLine?: number; limit: number }) {
  let q = db.selectFrom('bulkOperationItems').selectAll().where('programId', '=', programId).where('operationId', '=', operationId);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.afterLine !== undefined) q = q.where('line', '>', query.afterLine);
  return q.orderBy('line').limit(query.limit + 1).execute();
}

/** Operations with lines left to do, oldest first, across programmes: the job's worklist. */
export async function listOpenBulkOperations(db: Trx, limit: number) {
  return db
    .selectFrom('bulkOperations')
    .select(['programId', 'id', 'kind', 'reason'])
    .where('status', 'in', ['queued', 'running'])
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Claims the operation's next pending line (on PostgreSQL skipping lines other workers hold), or with `line`
 * that line if it is still pending.
 */
export async function claimBulkItem(trx: Trx, storage: Storage, programId: string, operationId: string, line?: number) {
  let q = trx
    .selectFrom('bulkOperationItems')
    .select(['line', 'input'])
    .where('programId', '=', programId)
    .where('operationId', '=', operationId)
    .where('status', '=', 'pending');
  if (line !== undefined) q = q.where('line', '=', line);
  return claimRows(q.orderBy('line').limit(1), storage).executeTakeFirst();
}

/**
 * Records a line's outcome and counts it on its operation, which starts running with its first line and
 * completes with its last. Returns the operation as it now stands.
 */
export async function finishBulkItem(
  trx: Trx,
  programId: string,
  operationId: string,
  line: number,
  outcome: { status: 'succeeded'; result: unknown } | { status: 'failed'; problem: unknown },
  now: number,
) {
  await trx
    .updateTable('bulkOperationItems')
    .set({
      status: outcome.status,
      result: outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : null,
      problem: outcome.status === 'failed' ? JSON.stringify(outcome.problem) : null,
      processedAt: now,
    })
    .where('programId', '=', programId)
    .where('operationId', '=', operationId)
    .where('line', '=', line)
    .execute();
  const succeeded = outcome.status === 'succeeded' ? 1 : 0;
  await trx
    .updateTable('bulkOperations')
    .set({
      processed: sql`processed + 1`,
      succeeded: sql`succeeded + ${succeeded}`,
      failed: sql`failed + ${1 - succeeded}`,
      startedAt: sql`coalesce(started_at, cast(${now} as bigint))`,
      status: sql`case when processed + 1 = total then 'completed' else 'running' end`,
      finishedAt: sql`case when processed + 1 = total then cast(${now} as bigint) else null end`,
    })
    .where('programId', '=', programId)
    .where('id', '=', operationId)
    .execute();
  return trx.selectFrom('bulkOperations').selectAll().where('programId', '=', programId).where('id', '=', operationId).executeTakeFirstOrThrow();
}
