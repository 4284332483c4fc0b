/** Membership plans and paid memberships. Functions take `trx` (or `db`) first and `programId` second. */
import { sql, type Insertable, type Updateable } from 'kysely';
import type { Storage } from '../db.js';
import type { MembershipPlansTable, MembershipsTable } from '../tiers.schema.js';
import { claimRows, type Trx } from '../transaction.js';

export async function insertMembershipPlan(trx: Trx, plan: Insertable<MembershipPlansTable>): Promise<void> {
  await trx.insertInto('membershipPlans').values(plan).execute();
}

export async function findMembershipPlan(db: Trx, programId: string, planId: string) {
  return db.selectFrom('membershipPlans').selectAll().where('programId', '=', programId).where('id', '=', planId).executeTakeFirst();
}

export async function listMembershipPlans(db: Trx, programId: string, afterId: string | undefined, limit: number) {
  let query = db.selectFrom('membershipPlans').selectAll().where('programId', '=', programId);
  if (afterId !== undefined) query = query.where('id', '>', afterId);
  return query.orderBy('id').limit(limit + 1).execute();
}

export async function insertMembership(trx: Trx, membership: Insertable<MembershipsTable>): Promise<void> {
  await trx.insertInto('memberships').values(membership).execute();
}

export async function findMembership(db: Trx, programId: string, membershipId: string) {
  return db.selectFrom('memberships').selectAll().where('programId', '=', programId).where('id', '=', membershipId).executeTakeFirst();
}

export async function updateMembership(trx: Trx, programId: string, membershipId: string, changes: Updateable<MembershipsTable>): Promise<void> {
  await trx.updateTable('memberships').set(changes).where('programId', '=', programId).where('id', '=', membershipId).execute();
}

/** A member's memberships, oldest first; a page of them. */
export async function listMembershipsOfMember(db: Trx, programId: string, memberId: string, afterId: string | undefined, limit: number) {
  let query = db.selectFrom('memberships').selectAll().where('programId', '=', programId).where('memberId', '=', memberId);
  if (afterId !== undefined) query = query.where('id', '>', afterId);
  return query.orderBy('id').limit(limit + 1).execute();
}

/** A member's memberships that have not ended, with their plans' tier and perks; read under the member's lock. */
export async function listOpenMembershipsOfMember(db: Trx, programId: string, memberId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('membershipPlans', (join) =>
      join.onRef('membershipPlans.programId', '=', 'memberships.programId').onRef('membershipPlans.id', '=', 'memberships.planId'),
    )
    .selectAll('memberships')
    .select(['membershipPlans.tier as planTier', 'membershipPlans.perks as planPerks'])
    .where('memberships.programId', '=', programId)
    .where('memberships.memberId', '=', memberId)
    .where('memberships.status', '!=', 'ended')
    .orderBy('memberships.id')
    .execute();
}

/**
 * Claims members with a membership due to start or end, in (programme, id) order, for one job batch: the
 * member rows are claimed (FOR UPDATE SKIP LOCKED on PostgreSQL), the lock every writer of a member takes first.
 * The caller re-reads the memberships under the lock.
 */
export async function claimMembersWithDueMemberships(trx: Trx, storage: Storage, now: number, limit: number) {
  const query = trx
    .selectFrom('members')
    .select(['members.programId', 'members.id'])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('memberships')
          .select(sql`1`.as('one'))
          .whereRef('memberships.programId', '=', 'members.programId')
          .whereRef('memberships.memberId', '=', 'members.id')
          .where((w) =>
            w.or([
              w.and([w('memberships.status', '=', 'scheduled'), w('memberships.startsAt', '<=', now)]),
              w.and([w('memberships.status', '=', 'active'), w('memberships.endsAt', '<=', now)]),
            ]),
          ),
      ),
    )
    .orderBy('members.programId')
    .orderBy('members.id')
    .limit(limit);
  return claimRows(query, storage).execute();
}

/** The perks of the plans of these members' active memberships. */
export async function listActivePlanPerksOfMembers(db: Trx, programId: string, memberIds: string[]) {
  if (memberIds.length === 0) return [];
  return db
    .selectFrom('memberships')
    .innerJoin('membershipPlans', (join) =>
      join.onRef('membershipPlans.programId', '=', 'memberships.programId').onRef('membershipPlans.id', '=', 'memberships.planId'),
    )
    .select(['memberships.memberId', 'membershipPlans.perks'])
    .where('memberships.programId', '=', programId)
    .where('memberships.memberId', 'in', memberIds)
    .where('memberships.status', '=', 'active')
    .orderBy('memberships.id')
    .execute();
}
