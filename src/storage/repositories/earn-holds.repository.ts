/**
 * The reads and writes of the daily earn limit: what members earned in the last 24 hours, and the awards it
 * held for review (`earn_holds`). Every query filters on `program_id`.
 */
import type { Storage } from '../db.js';
import type { EarnHoldStatus } from '../fraud.schema.js';
import type { Trx } from '../transaction.js';

/** Points each member earned from events (ledger transactions of kind `earn`) since `since`, by member id. */
export async function sumPointsEarnedSinceOfMembers(db: Trx, programId: string, memberIds: readonly string[], since: number): Promise<Map<string, number>> {
  if (memberIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('ledgerEntries as e')
    .innerJoin('ledgerTransactions as t', (join) => join.onRef('t.programId', '=', 'e.programId').onRef('t.id', '=', 'e.transactionId'))
    .select(['e.memberId', (eb) => eb.fn.sum<number | string>('e.amount').as('points')])
    .where('e.programId', '=', programId)
    .where('e.memberId', 'in', [...memberIds])
    .where('e.account', 'in', ['member_available', 'member_pending'])
    .where('e.amount', '>', 0)
    .where('t.kind', '=', 'earn')
    .where('e.createdAt', '>', since)
    .groupBy('e.memberId')
    .execute();
  return new Map(rows.flatMap((r) => (r.memberId === null ? [] : [[r.memberId, Number(r.points)]])));
}

export async function findEarnHold(db: Trx, programId: string, holdId: string) {
  return db.selectFrom('earnHolds').selectAll().where('programId', '=', programId).where('id', '=', holdId).executeTakeFirst();
}

/** Reads a hold and, on PostgreSQL, locks it until the transaction ends (SQLite's BEGIN IMMEDIATE serialises). */
export async function lockEarnHold(trx: Trx, storage: Storage, programId: string, holdId: string) {
  let query = trx.selectFrom('earnHolds').selectAll().where('programId', '=', programId).where('id', '=', holdId);
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Holds of a programme, newest first, one more than `limit` (the caller's next-page test). */
export async function listEarnHoldRows(db: Trx, programId: string, query: { status?: EarnHoldStatus; memberId?: string; beforeId?: string; limit: number }) {
  let q = db.selectFrom('earnHolds').selectAll().where('programId', '=', programId);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.memberId !== undefined) q = q.where('memberId', '=', query.memberId);
  if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
  return q.orderBy('id', 'desc').limit(query.limit + 1).execute();
}

/** Counts of a member's holds by status. */
export async function countEarnHoldsOfMember(db: Trx, programId: string, memberId: string): Promise<Record<EarnHoldStatus, number>> {
  const rows = await db
    .selectFrom('earnHolds')
    .select(['status', (eb) => eb.fn.countAll<number | string | bigint>().as('n')])
    .where('programId', '=', programId)
    .where('memberId', '=', memberId)
    .groupBy('status')
    .execute();
  const counts: Record<EarnHoldStatus, number> = { held: 0, approved: 0, rejected: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

export async function decideEarnHold(
  trx: Trx,
  programId: string,
  holdId: string,
  decision: { status: 'approved' | 'rejected'; review: string; pointsAwarded: number | null; transactionId: string | null },
  now: number,
): Promise<void> {
  await trx.updateTable('earnHolds').set({ ...decision, updatedAt: now }).where('programId', '=', programId).where('id', '=', holdId).execute();
}

/** Settles a held purchase's order after the review: its points become earned (approved) or are dropped. */
export async function settleHeldOrder(
  trx: Trx,
  programId: string,
  orderId: string,
  settled: { pointsEarned: number; pointsClawedBack: number; lotId: string | null },
): Promise<void> {
  await trx.updateTable('orders').set({ ...settled, heldPoints: 0 }).where('programId', '=', programId).where('orderId', '=', orderId).execute();
}
