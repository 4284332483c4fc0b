/**
 * Coupons. State changes are conditional updates on the current status (`where status = 'active'`), so of two
 * concurrent uses, or a use racing a cancel or the expiry job, exactly one changes the row; the other matches
 * nothing and reads what happened instead.
 */
import type { Insertable } from 'kysely';
import type { Storage } from '../db.js';
import type { CouponsTable } from '../rewards.schema.js';
import { claimRows, type Trx } from '../transaction.js';

/** Rows per insert statement: far under both dialects' bound-parameter limits (14 columns a row). */
const ROWS_PER_INSERT = 500;

export async function insertCoupons(trx: Trx, coupons: Insertable<CouponsTable>[]): Promise<void> {
  for (let i = 0; i < coupons.length; i += ROWS_PER_INSERT) {
    await trx.insertInto('coupons').values(coupons.slice(i, i + ROWS_PER_INSERT)).execute();
  }
}

export async function findCoupon(db: Trx, programId: string, code: string) {
  return db.selectFrom('coupons').selectAll().where('programId', '=', programId).where('code', '=', code).executeTakeFirst();
}

/** Which of `codes` are coupons of the programme already. */
export async function findExistingCodes(db: Trx, programId: string, codes: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < codes.length; i += ROWS_PER_INSERT) {
    const rows = await db
      .selectFrom('coupons')
      .select('code')
      .where('programId', '=', programId)
      .where('code', 'in', codes.slice(i, i + ROWS_PER_INSERT))
      .execute();
    for (const row of rows) found.add(row.code);
  }
  return found;
}

/** Marks an active, unexpired coupon used by an order; false when it was not (any more) usable. */
export async function markCouponUsed(trx: Trx, programId: string, code: string, orderId: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('coupons')
    .set({ status: 'used', orderId, usedAt: now })
    .where('programId', '=', programId)
    .where('code', '=', code)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Cancels an unused coupon (active, or expired without a refund); false when it was used or already ended. */
export async function cancelCoupon(trx: Trx, programId: string, code: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('coupons')
    .set({ status: 'cancelled', endedAt: now })
    .where('programId', '=', programId)
    .where('code', '=', code)
    .where('status', 'in', ['active', 'expired'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Marks an active coupon expired; false when it no longer was active. */
export async function markCouponExpired(trx: Trx, programId: string, code: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('coupons')
    .set({ status: 'expired', endedAt: now })
    .where('programId', '=', programId)
    .where('code', '=', code)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Claims a batch of active coupons past their expiry, across programmes (on PostgreSQL with SKIP LOCKED, so
 * workers running the job at once take disjoint batches). Ordered so every worker locks in the same order.
 */
export async function claimDueCoupons(trx: Trx, storage: Storage, now: number, limit: number) {
  const query = trx
    .selectFrom('coupons')
    .select(['programId', 'code', 'redemptionId', 'memberId'])
    .where('status', '=', 'active')
    .where('expiresAt', 'is not', null)
    .where('expiresAt', '<=', now)
    .orderBy('expiresAt')
    .limit(limit);
  return claimRows(query, storage).execute();
}
