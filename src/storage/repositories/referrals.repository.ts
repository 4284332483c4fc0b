/**
 * Referral programme storage: the settings row, clicks, referrals. Every query filters on `program_id`,
 * except the click link's code lookup, which finds the programme by the code (see `resolveReferralCodes`).
 */
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Storage } from '../db.js';
import type { ReferralClicksTable, ReferralsTable, ReferralStatus } from '../referrals.schema.js';
import { claimRows, type Trx } from '../transaction.js';

export type ReferralRow = Selectable<ReferralsTable>;

export async function findReferralProgram(db: Trx, programId: string) {
  return db.selectFrom('referralPrograms').selectAll().where('programId', '=', programId).executeTakeFirst();
}

export async function findReferralPrograms(db: Trx, programIds: readonly string[]) {
  if (programIds.length === 0) return [];
  return db.selectFrom('referralPrograms').selectAll().where('programId', 'in', programIds).execute();
}

export async function upsertReferralProgram(trx: Trx, programId: string, enabled: boolean, settings: string, now: number): Promise<void> {
  await trx
    .insertInto('referralPrograms')
    .values({ programId, enabled: enabled ? 1 : 0, settings, createdAt: now, updatedAt: now })
    .onConflict((oc) => oc.column('programId').doUpdateSet({ enabled: enabled ? 1 : 0, settings, updatedAt: now }))
    .execute();
}

export async function insertReferral(trx: Trx, row: Insertable<ReferralsTable>): Promise<void> {
  await trx.insertInto('referrals').values(row).execute();
}

export async function findReferral(db: Trx, programId: string, referralId: string) {
  return db.selectFrom('referrals').selectAll().where('programId', '=', programId).where('id', '=', referralId).executeTakeFirst();
}

/** On PostgreSQL the row stays locked until the transaction ends. */
export async function lockReferral(trx: Trx, storage: Storage, programId: string, referralId: string) {
  let query = trx.selectFrom('referrals').selectAll().where('programId', '=', programId).where('id', '=', referralId);
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findReferralsOfFriends(db: Trx, programId: string, friendIds: readonly string[]) {
  if (friendIds.length === 0) return [];
  return db.selectFrom('referrals').selectAll().where('programId', '=', programId).where('friendMemberId', 'in', friendIds).execute();
}

/** The referrals whose qualifying order is one of `orderIds`. */
export async function findReferralsByOrders(db: Trx, programId: string, orderIds: readonly string[]) {
  if (orderIds.length === 0) return [];
  return db.selectFrom('referrals').selectAll().where('programId', '=', programId).where('qualifyingOrderId', 'in', orderIds).execute();
}

/**
 * The referrers of the named members' referrals, read without locks before ingestion locks its members, so
 * the referrers can be locked with them in one id-ordered statement.
 */
export async function findReferrerIdsOfMembers(db: Trx, programId: string, memberIds: readonly string[], externalIds: readonly string[]) {
  if (memberIds.length === 0 && externalIds.length === 0) return [];
  const rows = await db
    .selectFrom('referrals as r')
    .innerJoin('members as m', (join) => join.onRef('m.programId', '=', 'r.programId').onRef('m.id', '=', 'r.friendMemberId'))
    .select('r.referrerMemberId')
    .where('r.programId', '=', programId)
    .where((eb) => {
      const named = [];
      if (memberIds.length > 0) named.push(eb('m.id', 'in', memberIds));
      if (externalIds.length > 0) named.push(eb('m.externalId', 'in', externalIds));
      return eb.or(named);
    })
    .execute();
  return rows.map((r) => r.referrerMemberId);
}

export async function findMembersByReferralCodes(db: Trx, programId: string, codes: readonly string[]) {
  if (codes.length === 0) return [];
  return db.selectFrom('members').select(['id', 'referralCode']).where('programId', '=', programId).where('referralCode', 'in', codes).execute();
}

/**
 * Changes a referral only while it is in one of `from`: the guard that makes every transition happen once,
 * whatever runs concurrently (a job, a review, an event). False when the referral had moved on.
 */
export async function updateReferral(
  trx: Trx,
  programId: string,
  referralId: string,
  from: readonly ReferralStatus[],
  changes: Updateable<ReferralsTable>,
): Promise<boolean> {
  const result = await trx
    .updateTable('referrals')
    .set(changes)
    .where('programId', '=', programId)
    .where('id', '=', referralId)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function listReferrals(
  db: Trx,
  programId: string,
  filter: { referrerId?: string; status?: ReferralStatus; beforeId?: string; limit: number },
) {
  let query = db.selectFrom('referrals').selectAll().where('programId', '=', programId);
  if (filter.referrerId !== undefined) query = query.where('referrerMemberId', '=', filter.referrerId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

/** A referrer's referrals, newest first. */
export async function listReferralsOfReferrer(db: Trx, programId: string, referrerId: string) {
  return db
    .selectFrom('referrals')
    .selectAll()
    .where('programId', '=', programId)
    .where('referrerMemberId', '=', referrerId)
    .orderBy('id', 'desc')
    .execute();
}

/** Claims signed-up referrals past their validity, across programmes (partial index referrals_due_expiry_ix). */
export async function claimReferralsDueForExpiry(trx: Trx, storage: Storage, now: number, limit: number) {
  const query = trx
    .selectFrom('referrals')
    .select(['programId', 'id', 'friendMemberId', 'referrerMemberId'])
    .where('status', '=', 'signed_up')
    .where('expiresAt', '<=', now)
    .orderBy('expiresAt')
    .limit(limit);
  return claimRows(query, storage).execute();
}

/**
 * Qualified referrals whose reward is due (the return window passed), across programmes, read without a lock:
 * the reward job locks their members next (members before referrals, the one lock order) and reads each again.
 */
export async function listReferralsDueForReward(trx: Trx, now: number, limit: number) {
  return trx
    .selectFrom('referrals')
    .selectAll()
    .where('status', '=', 'qualified')
    .where('rewardDueAt', '<=', now)
    .orderBy('rewardDueAt')
    .orderBy('id')
    .limit(limit)
    .execute();
}

const ROWS_PER_INSERT = 1_000;

export async function insertClicks(trx: Trx, rows: Insertable<ReferralClicksTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await trx.insertInto('referralClicks').values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
  }
}

/**
 * The members (with their programme's referral settings) whose code is one of `codes`, in programmes whose
 * referral programme is on; `programId` narrows to one programme (the canonical link names it).
 */
export async function resolveReferralCodes(db: Trx, codes: readonly string[], programId?: string) {
  if (codes.length === 0) return [];
  let query = db
    .selectFrom('members as m')
    .innerJoin('referralPrograms as p', 'p.programId', 'm.programId')
    .select(['m.programId', 'm.id', 'm.referralCode', 'm.status', 'p.settings'])
    .where('p.enabled', '=', 1)
    .where('m.referralCode', 'in', codes);
  if (programId !== undefined) query = query.where('m.programId', '=', programId);
  return query.execute();
}

/** Members of the programme other than `memberId` whose code has the look-alike skeleton `skeleton`. */
export async function findCodesWithSkeleton(db: Trx, programId: string, memberId: string, skeleton: string) {
  // The same folds as domain/referrals/codes.ts `codeSkeleton`, in SQL both dialects know (nested replace).
  const folded = sql<string>`replace(replace(replace(replace(replace(replace(referral_code, '0', 'O'), '1', 'I'), 'L', 'I'), '5', 'S'), '8', 'B'), '2', 'Z')`;
  return db
    .selectFrom('members')
    .select(['id', 'referralCode'])
    .where('programId', '=', programId)
    .where('id', '!=', memberId)
    .where(folded, '=', skeleton)
    .limit(1)
    .execute();
}

export async function setMemberReferralCode(trx: Trx, programId: string, memberId: string, code: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('members')
    .set({ referralCode: code, referralCodeCustomisedAt: now, updatedAt: now })
    .where('programId', '=', programId)
    .where('id', '=', memberId)
    .where('referralCodeCustomisedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Links a member to their referrer, unless they already have one. */
export async function setReferredBy(trx: Trx, programId: string, memberId: string, referrerId: string, now: number): Promise<void> {
  await trx
    .updateTable('members')
    .set({ referredByMemberId: referrerId, updatedAt: now })
    .where('programId', '=', programId)
    .where('id', '=', memberId)
    .where('referredByMemberId', 'is', null)
    .execute();
}

/**
 * Takes a unit of a reward's stock for a coupon a referral gives (unlimited stock: nothing to take) and counts
 * the coupon in `redeemed_count`, as a redemption is counted. False when no stock was left.
 */
export async function takeRewardUnit(trx: Trx, programId: string, rewardId: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('rewards')
    .set({ stock: sql`case when stock is null then null else stock - 1 end`, redeemedCount: sql`redeemed_count + 1`, updatedAt: now })
    .where('programId', '=', programId)
    .where('id', '=', rewardId)
    .where((eb) => eb.or([eb('stock', 'is', null), eb('stock', '>', 0)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Gives back the unit of a referral coupon that was cancelled unused, and uncounts it. */
export async function returnRewardUnit(trx: Trx, programId: string, rewardId: string, now: number): Promise<void> {
  await trx
    .updateTable('rewards')
    .set({ stock: sql`case when stock is null then null else stock + 1 end`, redeemedCount: sql`redeemed_count - 1`, updatedAt: now })
    .where('programId', '=', programId)
    .where('id', '=', rewardId)
    .execute();
}
