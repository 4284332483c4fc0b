/**
 * Rewards and redemptions. The stock guard lives here as SQL: `takeRewardStock` decrements only while stock is
 * left (`where stock > 0`), so even a caller that skipped the domain's check cannot sell more than there is, and
 * the CHECK constraint (stock >= 0) refuses whatever slips past both.
 */
import { sql, type Insertable, type Updateable } from 'kysely';
import type { Storage } from '../db.js';
import type { RedemptionsTable, RewardsTable } from '../rewards.schema.js';
import type { Trx } from '../transaction.js';

export async function insertReward(trx: Trx, reward: Insertable<RewardsTable>): Promise<void> {
  await trx.insertInto('rewards').values(reward).execute();
}

export async function findReward(db: Trx, programId: string, rewardId: string) {
  return db.selectFrom('rewards').selectAll().where('programId', '=', programId).where('id', '=', rewardId).executeTakeFirst();
}

/** Reads a reward and, on PostgreSQL, locks it until the transaction ends (after the member's lock). */
export async function lockReward(trx: Trx, storage: Storage, programId: string, rewardId: string) {
  let query = trx.selectFrom('rewards').selectAll().where('programId', '=', programId).where('id', '=', rewardId);
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findRewardsByIds(db: Trx, programId: string, rewardIds: readonly string[]) {
  if (rewardIds.length === 0) return [];
  return db.selectFrom('rewards').selectAll().where('programId', '=', programId).where('id', 'in', [...new Set(rewardIds)]).execute();
}

export async function updateReward(trx: Trx, programId: string, rewardId: string, changes: Updateable<RewardsTable>): Promise<void> {
  await trx.updateTable('rewards').set(changes).where('programId', '=', programId).where('id', '=', rewardId).execute();
}

export async function listRewards(
  db: Trx,
  programId: string,
  filter: { active?: boolean; kind?: string; audience?: string; afterId?: string; limit: number },
) {
  let query = db.selectFrom('rewards').selectAll().where('programId', '=', programId);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active ? 1 : 0);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.audience !== undefined) query = query.where('audience', '=', filter.audience);
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
  return query.orderBy('id').limit(filter.limit + 1).execute();
}

/**
 * Takes one unit of stock (unlimited stock: nothing to take) and counts the redemption. False when no stock
 * was left: the conditional update matched no row.
 */
export async function takeRewardStock(trx: Trx, programId: string, rewardId: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('rewards')
    .set({
      stock: sql`case when stock is null then null else stock - 1 end`,
      redeemedCount: sql`redeemed_count + 1`,
      updatedAt: now,
    })
    .where('programId', '=', programId)
    .where('id', '=', rewardId)
    .where((eb) => eb.or([eb('stock', 'is', null), eb('stock', '>', 0)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Gives a unit back (a cancelled or refunded redemption) and uncounts the redemption. */
export async function returnRewardStock(trx: Trx, programId: string, rewardId: string, now: number): Promise<void> {
  await trx
    .updateTable('rewards')
    .set({
      stock: sql`case when stock is null then null else stock + 1 end`,
      redeemedCount: sql`redeemed_count - 1`,
      updatedAt: now,
    })
    .where('programId', '=', programId)
    .where('id', '=', rewardId)
    .execute();
}

export async function insertRedemption(trx: Trx, redemption: Insertable<RedemptionsTable>): Promise<void> {
  await trx.insertInto('redemptions').values(redemption).execute();
}

export async function findRedemption(db: Trx, programId: string, redemptionId: string) {
  return db.selectFrom('redemptions').selectAll().where('programId', '=', programId).where('id', '=', redemptionId).executeTakeFirst();
}

/** When the member redeemed the reward, for redemptions that still count against the per-member limit. */
export async function listCountingRedemptionTimes(db: Trx, programId: string, memberId: string, rewardId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('redemptions')
    .select('createdAt')
    .where('programId', '=', programId)
    .where('memberId', '=', memberId)
    .where('rewardId', '=', rewardId)
    .where('status', '=', 'completed')
    .execute();
  return rows.map((row) => row.createdAt);
}

/** A member's redemptions, newest first. */
export async function listMemberRedemptions(db: Trx, programId: string, memberId: string, filter: { beforeId?: string; limit: number }) {
  let query = db.selectFrom('redemptions').selectAll().where('programId', '=', programId).where('memberId', '=', memberId);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

/** Ends a completed redemption (cancelled or refunded); false when it was no longer completed. */
export async function endRedemption(
  trx: Trx,
  programId: string,
  redemptionId: string,
  change: { status: 'cancelled' | 'refunded'; returnTransactionId: string; at: number },
): Promise<boolean> {
  const result = await trx
    .updateTable('redemptions')
    .set({ status: change.status, returnTransactionId: change.returnTransactionId, endedAt: change.at })
    .where('programId', '=', programId)
    .where('id', '=', redemptionId)
    .where('status', '=', 'completed')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Replaces the reward's picture and names its version on the reward, in the caller's transaction. */
export async function putRewardImage(
  trx: Trx,
  image: { programId: string; rewardId: string; version: string; contentType: string; dataBase64: string; byteSize: number; createdAt: number },
): Promise<void> {
  await trx.deleteFrom('rewardImages').where('programId', '=', image.programId).where('rewardId', '=', image.rewardId).execute();
  await trx.insertInto('rewardImages').values(image).execute();
  await trx
    .updateTable('rewards')
    .set({ imageVersion: image.version, updatedAt: image.createdAt })
    .where('programId', '=', image.programId)
    .where('id', '=', image.rewardId)
    .execute();
}

export async function deleteRewardImage(trx: Trx, programId: string, rewardId: string, now: number): Promise<void> {
  await trx.deleteFrom('rewardImages').where('programId', '=', programId).where('rewardId', '=', rewardId).execute();
  await trx.updateTable('rewards').set({ imageVersion: null, updatedAt: now }).where('programId', '=', programId).where('id', '=', rewardId).execute();
}

export async function findRewardImage(db: Trx, programId: string, rewardId: string) {
  return db.selectFrom('rewardImages').selectAll().where('programId', '=', programId).where('rewardId', '=', rewardId).executeTakeFirst();
}
