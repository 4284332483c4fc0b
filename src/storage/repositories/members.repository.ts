import { sql, type Updateable } from 'kysely';
import type { MembersTable, NewMember } from '../schema.js';
import type { Trx } from '../transaction.js';
import type { Storage } from '../db.js';

export async function insertMember(trx: Trx, member: NewMember): Promise<void> {
  await trx.insertInto('members').values(member).execute();
}

export async function findMember(db: Trx, programId: string, memberId: string) {
  return db.selectFrom('members').selectAll().where('programId', '=', programId).where('id', '=', memberId).executeTakeFirst();
}

export async function findMemberByExternalId(db: Trx, programId: string, externalId: string) {
  return db
    .selectFrom('members')
    .selectAll()
    .where('programId', '=', programId)
    .where('externalId', '=', externalId)
    .executeTakeFirst();
}

export async function findMemberByReferralCode(db: Trx, programId: string, referralCode: string) {
  return db
    .selectFrom('members')
    .select(['id', 'referralCode'])
    .where('programId', '=', programId)
    .where('referralCode', '=', referralCode)
    .executeTakeFirst();
}

/**
 * Reads a member and, on PostgreSQL, locks the row until the transaction ends: every change to a member's
 * points takes this lock first, so concurrent postings for one member run one after another. (SQLite's
 * BEGIN IMMEDIATE already serialises writers.)
 */
export async function lockMember(
  trx: Trx,
  storage: Storage,
  programId: string,
  by: { memberId: string } | { externalId: string },
) {
  let query = trx.selectFrom('members').selectAll().where('programId', '=', programId);
  query = 'memberId' in by ? query.where('id', '=', by.memberId) : query.where('externalId', '=', by.externalId);
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateMember(trx: Trx, programId: string, memberId: string, changes: Updateable<MembersTable>): Promise<void> {
  await trx.updateTable('members').set(changes).where('programId', '=', programId).where('id', '=', memberId).execute();
}

/**
 * Applies a posting's effect on the materialised balance in the same transaction as its entries. The CHECK
 * constraints (available >= 0, pending >= 0) refuse any result below zero even if a caller got it wrong.
 */
export async function applyBalanceDelta(
  trx: Trx,
  programId: string,
  memberId: string,
  delta: { available: number; pending: number; lifetimeEarned?: number; purchases?: number },
  now: number,
): Promise<void> {
  await trx
    .updateTable('members')
    .set({
      available: sql`available + ${delta.available}`,
      pending: sql`pending + ${delta.pending}`,
      lifetimeEarned: sql`lifetime_earned + ${delta.lifetimeEarned ?? 0}`,
      purchaseCount: sql`purchase_count + ${delta.purchases ?? 0}`,
      updatedAt: now,
    })
    .where('programId', '=', programId)
    .where('id', '=', memberId)
    .execute();
}

export async function listMembers(
  db: Trx,
  programId: string,
  filter: { externalId?: string; emailIndex?: string; nameTermIndexes?: readonly string[]; afterId?: string; limit: number },
) {
  let query = db.selectFrom('members').selectAll().where('programId', '=', programId);
  if (filter.externalId !== undefined) query = query.where('externalId', '=', filter.externalId);
  if (filter.emailIndex !== undefined) query = query.where('emailIndex', '=', filter.emailIndex);
  const terms = filter.nameTermIndexes;
  if (terms !== undefined) {
    // Members holding every term of the search.
    query = query.where('id', 'in', (eb) =>
      eb
        .selectFrom('memberNameTerms')
        .select('memberId')
        .where('programId', '=', programId)
        .where('termIndex', 'in', terms.length > 0 ? [...terms] : [''])
        .groupBy('memberId')
        .having((having) => having.fn.count('termIndex').distinct(), '=', terms.length),
    );
  }
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
  return query.orderBy('id').limit(filter.limit + 1).execute();
}

/**
 * Reads and (on PostgreSQL) locks every member a group of events names, in id order: two groups that share
 * members then lock them in the same order and cannot deadlock on each other.
 */
export async function lockMembers(
  trx: Trx,
  storage: Storage,
  programId: string,
  memberIds: string[],
  externalIds: string[],
  /** For a job that already holds other rows: take only the members no one holds, and never wait (no deadlock). */
  options: { skipLocked?: boolean } = {},
) {
  if (memberIds.length === 0 && externalIds.length === 0) return [];
  let query = trx
    .selectFrom('members')
    .selectAll()
    .where('programId', '=', programId)
    .where((eb) => {
      const named = [];
      if (memberIds.length > 0) named.push(eb('id', 'in', memberIds));
      if (externalIds.length > 0) named.push(eb('externalId', 'in', externalIds));
      return eb.or(named);
    })
    .orderBy('id');
  if (storage.dialect === 'postgres') query = options.skipLocked ? query.forUpdate().skipLocked() : query.forUpdate();
  return query.execute();
}

/** Replaces the member's name terms (keyed hashes) with `termIndexes`; none removes them. */
export async function replaceMemberNameTerms(trx: Trx, programId: string, memberId: string, termIndexes: readonly string[]): Promise<void> {
  await trx.deleteFrom('memberNameTerms').where('programId', '=', programId).where('memberId', '=', memberId).execute();
  if (termIndexes.length === 0) return;
  await trx
    .insertInto('memberNameTerms')
    .values([...new Set(termIndexes)].map((termIndex) => ({ programId, termIndex, memberId })))
    .execute();
}

/** Members with a name but no terms: those enrolled before names were searchable, a batch at a time. */
export async function listMembersWithoutNameTerms(db: Trx, limit: number, afterKey?: { programId: string; id: string }) {
  let query = db
    .selectFrom('members as m')
    .select(['m.programId', 'm.id', 'm.nameCipher'])
    .where('m.nameCipher', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('memberNameTerms as t').select('t.memberId').whereRef('t.programId', '=', 'm.programId').whereRef('t.memberId', '=', 'm.id'))),
    );
  if (afterKey) {
    query = query.where(({ or, and, eb }) =>
      or([eb('m.programId', '>', afterKey.programId), and([eb('m.programId', '=', afterKey.programId), eb('m.id', '>', afterKey.id)])]),
    );
  }
  return query.orderBy('m.programId').orderBy('m.id').limit(limit).execute();
}
