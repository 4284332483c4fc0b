/**
 * The bulk operations job: works off accepted member imports and bulk adjustments, one line per transaction.
 * A line's work (the member, the posting, the outbox messages) and its recorded outcome commit together, so a
 * worker killed mid-way leaves the line pending and the next run does it once. A line that the domain refuses
 * is rolled back and recorded as failed with its problem in a second transaction; the operation goes on. Lines
 * are claimed with `claimRows`, so several workers on PostgreSQL take different lines of one operation.
 */
import { performance } from 'node:perf_hooks';
import type { ServiceContext } from '../../context.js';
import { DomainError, isDomainError } from '../../domain/errors.js';
import { lockMember } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { claimBulkItem, finishBulkItem, listOpenBulkOperations } from '../../storage/repositories/bulk-operations.repository.js';
import type { BulkOperationKind } from '../../storage/bulk-operations.schema.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import { inTransaction, isUniqueViolation, type Trx } from '../../storage/transaction.js';
import { postAdjustment } from '../adjustment-steps.js';
import { insertEnrolledMember } from '../member-steps.js';
import { iso } from '../views.js';
import type { AdjustmentLine, ImportLine } from './bulk-operations.service.js';

interface OpenOperation {
  programId: string;
  id: string;
  kind: BulkOperationKind;
  reason: string | null;
}

type LineResult = { memberId: string; transactionId: string | null };

async function applyLine(ctx: ServiceContext, trx: Trx, operation: OpenOperation, input: unknown, now: number): Promise<LineResult> {
  const program = await findProgram(trx, operation.programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${operation.programId}.`);
  if (operation.kind === 'points_adjustment') {
    const line = input as AdjustmentLine;
    const member = await lockMember(trx, ctx.storage, program.id, { externalId: line.externalId });
    if (!member) throw DomainError.field('member_not_found', '/externalId', `No member with externalId ${line.externalId} in this programme.`);
    const reason = line.reason ?? operation.reason ?? '';
    const adjustment = await postAdjustment(ctx, trx, program, member, { points: line.points, reason }, now);
    return { memberId: member.id, transactionId: adjustment.transactionId };
  }
  const { points, ...profile } = input as ImportLine;
  const member = await insertEnrolledMember(ctx, trx, program, ctx.ids.next('mbr'), profile, now);
  if (points === undefined) return { memberId: member.id, transactionId: null };
  const opening = await postAdjustment(ctx, trx, program, member, { points, reason: operation.reason ?? '' }, now);
  return { memberId: member.id, transactionId: opening.transactionId };
}

async function completed(ctx: ServiceContext, trx: Trx, row: Awaited<ReturnType<typeof finishBulkItem>>, now: number): Promise<void> {
  if (row.status !== 'completed') return;
  await enqueueOutbox(trx, ctx.ids, row.programId, [{
    type: 'bulk_operation.completed',
    memberId: null,
    data: { id: row.id, kind: row.kind, total: row.total, succeeded: row.succeeded, failed: row.failed, finishedAt: iso(now) },
  }], now);
}

/** Does one line of the operation; false when none was left to claim. */
async function processNextLine(ctx: ServiceContext, operation: OpenOperation): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    let claimedLine: number | null = null;
    try {
      return await inTransaction(ctx.storage, async (trx) => {
        const item = await claimBulkItem(trx, ctx.storage, operation.programId, operation.id);
        if (!item) return false;
        claimedLine = item.line;
        const now = ctx.clock.now();
        const result = await applyLine(ctx, trx, operation, JSON.parse(item.input), now);
        const row = await finishBulkItem(trx, operation.programId, operation.id, item.line, { status: 'succeeded', result }, now);
        await completed(ctx, trx, row, now);
        return true;
      });
    } catch (error) {
      const line = claimedLine as number | null;
      // A concurrent enrolment took the externalId, or a random code collided: the next attempt sees which.
      if (line !== null && isUniqueViolation(error) && attempt < 3) continue;
      if (line === null || !isDomainError(error)) throw error;
      await inTransaction(ctx.storage, async (trx) => {
        if (!(await claimBulkItem(trx, ctx.storage, operation.programId, operation.id, line))) return;
        const now = ctx.clock.now();
        const pointer = error.errors[0]?.pointer;
        const problem = { code: error.code, detail: error.detail, pointer: pointer === undefined ? null : `/items/${line - 1}${pointer}` };
        const row = await finishBulkItem(trx, operation.programId, operation.id, line, { status: 'failed', problem }, now);
        await completed(ctx, trx, row, now);
      });
      return true;
    }
  }
}

export interface ProcessBulkOptions {
  /** Stop taking new lines after this long, so one big import does not hold up the runner's other jobs. */
  budgetMs?: number;
}

/** Works off open bulk operations, oldest first; returns how many lines it did. */
export async function processBulkOperations(ctx: ServiceContext, options: ProcessBulkOptions = {}): Promise<{ lines: number }> {
  // Wall time, not ctx.clock: the budget is about this process's time, not about the programme's calendar.
  const deadline = options.budgetMs === undefined ? Infinity : performance.now() + options.budgetMs;
  let lines = 0;
  for (const operation of await listOpenBulkOperations(ctx.storage.db, 20)) {
    while (performance.now() < deadline && (await processNextLine(ctx, operation))) lines += 1;
    if (performance.now() >= deadline) break;
  }
  return { lines };
}
