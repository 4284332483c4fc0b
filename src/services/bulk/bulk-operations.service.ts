/**
 * Bulk operations: importing members (with an optional opening balance) or adjusting many members' points in
 * one request. The request is checked whole — any bad line refuses it all with the line's pointer, and nothing
 * is written — then accepted as an operation whose lines the job runner works off one transaction each
 * (process-bulk-operations.ts). A line that fails there (an unknown member, too few points, an externalId
 * already enrolled) is recorded with its problem and the others go on; progress is on the operation.
 */
import { DomainError } from '../../domain/errors.js';
import type { ServiceContext } from '../../context.js';
import type { BulkItemStatus, BulkOperationKind } from '../../storage/bulk-operations.schema.js';
import {
  findBulkOperation,
  insertBulkOperation,
  listBulkItemRows,
  listBulkOperationRows,
} from '../../storage/repositories/bulk-operations.repository.js';
import { checkAdjustment } from '../adjustment-steps.js';
import { decodeCursor, encodeCursor, isBeforeCursor } from '../cursor.js';
import { runIdempotent } from '../idempotency.js';
import { checkAttributes, type MemberProfileInput } from '../member-steps.js';
import { iso, type Page } from '../views.js';

export const maxBulkItems = 10_000;
export const defaultImportReason = 'Opening balance (import)';

export interface AdjustmentLine {
  externalId: string;
  points: number;
  /** This line's reason; the operation's otherwise. */
  reason?: string;
}

export interface ImportLine extends MemberProfileInput {
  externalId: string;
  /** An opening balance, available at once. */
  points?: number;
}

export type StartBulkOperationInput =
  | { kind: 'points_adjustment'; reason: string; items: AdjustmentLine[] }
  | { kind: 'member_import'; reason?: string; items: ImportLine[] };

export interface BulkOperationView {
  id: string;
  kind: BulkOperationKind;
  status: 'queued' | 'running' | 'completed';
  reason: string | null;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface BulkItemView {
  line: number;
  status: BulkItemStatus;
  input: Record<string, unknown>;
  result: { memberId: string; transactionId: string | null } | null;
  problem: { code: string; detail: string; pointer: string | null } | null;
  processedAt: string | null;
}

type OperationRow = NonNullable<Awaited<ReturnType<typeof findBulkOperation>>>;

function operationView(row: OperationRow): BulkOperationView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    reason: row.reason,
    total: row.total,
    processed: row.processed,
    succeeded: row.succeeded,
    failed: row.failed,
    createdBy: row.createdBy,
    createdAt: iso(row.createdAt),
    startedAt: row.startedAt === null ? null : iso(row.startedAt),
    finishedAt: row.finishedAt === null ? null : iso(row.finishedAt),
  };
}

/**
 * Every line checked before anything is written: points within bounds and, per line, a reason; attributes
 * within size; each externalId once.
 * @throws DomainError validation_failed naming `/items/N/…`
 */
function checkLines(input: StartBulkOperationInput): StartBulkOperationInput {
  if (input.items.length === 0 || input.items.length > maxBulkItems) {
    throw DomainError.field('validation_failed', '/items', `A bulk operation has 1 to ${maxBulkItems} items.`);
  }
  const seen = new Map<string, number>();
  input.items.forEach((item, i) => {
    const earlier = seen.get(item.externalId);
    if (earlier !== undefined) {
      throw DomainError.field('validation_failed', `/items/${i}/externalId`, `externalId ${item.externalId} is also item ${earlier}; each member once per operation.`);
    }
    seen.set(item.externalId, i);
  });
  if (input.kind === 'points_adjustment') {
    const reason = input.reason.trim();
    if (reason.length === 0) throw DomainError.field('validation_failed', '/reason', 'A bulk adjustment needs a reason.');
    const items = input.items.map((item, i) => {
      const checked = checkAdjustment({ points: item.points, reason: item.reason ?? reason }, `/items/${i}`);
      return { externalId: item.externalId, points: checked.points, ...(item.reason === undefined ? {} : { reason: checked.reason }) };
    });
    return { kind: input.kind, reason, items };
  }
  const reason = input.reason?.trim() || defaultImportReason;
  input.items.forEach((item, i) => {
    if (item.attributes !== undefined) {
      try {
        checkAttributes(item.attributes);
      } catch (error) {
        if (error instanceof DomainError) throw DomainError.field('validation_failed', `/items/${i}/attributes`, error.detail);
        throw error;
      }
    }
    if (item.points !== undefined) checkAdjustment({ points: item.points, reason }, `/items/${i}`);
    if (item.points !== undefined && item.points < 0) {
      throw DomainError.field('validation_failed', `/items/${i}/points`, 'An opening balance is positive.');
    }
  });
  return { kind: input.kind, reason, items: input.items };
}

export interface StartOutcome {
  replayed: boolean;
  operation: BulkOperationView;
}

/**
 * Accepts a member import or bulk adjustment for the job runner; `createdBy` names who sent it. Safe to retry
 * with an Idempotency-Key: the repeat returns the operation as first accepted.
 * @throws DomainError validation_failed, idempotency_key_reused_with_different_body
 */
export async function startBulkOperation(
  ctx: ServiceContext,
  programId: string,
  input: StartBulkOperationInput,
  createdBy: string,
  idempotencyKey?: string,
): Promise<StartOutcome> {
  const checked = checkLines(input);
  const request = { key: idempotencyKey, scope: 'bulk-operation', body: checked };
  const { replayed, value } = await runIdempotent(ctx, programId, request, async (trx, now) => {
    const id = ctx.ids.next('bop');
    await insertBulkOperation(trx, { programId, id, kind: checked.kind, reason: checked.reason ?? null, createdBy, createdAt: now }, checked.items);
    const row = await findBulkOperation(trx, programId, id);
    if (!row) throw new Error('bulk operation vanished inside its own transaction');
    return operationView(row);
  }, () => 202);
  return { replayed, operation: value };
}

/** @throws DomainError bulk_operation_not_found */
export async function getBulkOperation(ctx: ServiceContext, programId: string, operationId: string): Promise<BulkOperationView> {
  const row = await findBulkOperation(ctx.storage.db, programId, operationId);
  if (!row) throw new DomainError('bulk_operation_not_found', `No bulk operation ${operationId} in this programme.`);
  return operationView(row);
}

/** The programme's bulk operations, newest first. @throws DomainError invalid_cursor */
export async function listBulkOperations(ctx: ServiceContext, programId: string, query: { cursor?: string; limit?: number }): Promise<Page<BulkOperationView>> {
  const limit = query.limit ?? 20;
  const beforeId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isBeforeCursor).before;
  const rows = await listBulkOperationRows(ctx.storage.db, programId, { beforeId, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(operationView), nextCursor: rows.length > limit && last ? encodeCursor({ before: last.id }) : null };
}

const isLineCursor = (v: unknown): v is { line: number } =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as { line?: unknown }).line);

/**
 * An operation's lines in order, with what each did or why it failed (`?status=failed`: the lines to fix).
 * @throws DomainError bulk_operation_not_found, invalid_cursor
 */
export async function listBulkItems(
  ctx: ServiceContext,
  programId: string,
  operationId: string,
  query: { status?: BulkItemStatus; cursor?: string; limit?: number },
): Promise<Page<BulkItemView>> {
  const db = ctx.storage.db;
  if (!(await findBulkOperation(db, programId, operationId))) {
    throw new DomainError('bulk_operation_not_found', `No bulk operation ${operationId} in this programme.`);
  }
  const limit = query.limit ?? 50;
  const afterLine = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isLineCursor).line;
  const rows = await listBulkItemRows(db, programId, operationId, { status: query.status, afterLine, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map((row) => ({
      line: row.line,
      status: row.status,
      input: JSON.parse(row.input) as Record<string, unknown>,
      result: row.result === null ? null : (JSON.parse(row.result) as BulkItemView['result']),
      problem: row.problem === null ? null : (JSON.parse(row.problem) as BulkItemView['problem']),
      processedAt: row.processedAt === null ? null : iso(row.processedAt),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ line: last.line }) : null,
  };
}
