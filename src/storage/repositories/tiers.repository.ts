/**
 * Tier configuration, monthly activity counts, members' tier state and tier history. Functions take `trx` (or
 * `db`) first and `programId` second; writes that ingestion batches return Compilable statements for its
 * WriteBatch instead of running them.
 */
import { sql, type Compilable, type Insertable } from 'kysely';
import type { TierConfiguration, TierWindow, TierLevel, TierMetric } from '../../domain/tiers/tier.js';
import type { TierCounts } from '../../domain/tiers/qualification.js';
import type { Storage } from '../db.js';
import type { MemberTiersTable, TierConfigsTable, TierHistoryTable } from '../tiers.schema.js';
import { claimRows, type Trx } from '../transaction.js';

export interface StoredTierConfiguration {
  config: TierConfiguration;
  version: number;
  updatedAt: number;
}

export async function findTierConfig(db: Trx, programId: string): Promise<StoredTierConfiguration | undefined> {
  const row = await db.selectFrom('tierConfigs').selectAll().where('programId', '=', programId).executeTakeFirst();
  return row === undefined ? undefined : tierConfigOfRow(row);
}

export function tierConfigOfRow(row: TierConfigsTable): StoredTierConfiguration {
  return {
    config: {
      metric: row.metric as TierMetric,
      window: JSON.parse(row.qualifyingWindow) as TierWindow,
      reviewMonths: row.reviewMonths,
      graceDays: row.graceDays,
      levels: JSON.parse(row.levels) as TierLevel[],
    },
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

/** Writes the configuration, bumping its version; the caller holds the programme's members' locks. */
export async function saveTierConfig(trx: Trx, programId: string, config: TierConfiguration, now: number): Promise<number> {
  const existing = await trx.selectFrom('tierConfigs').select('version').where('programId', '=', programId).executeTakeFirst();
  const columns = {
    metric: config.metric,
    qualifyingWindow: JSON.stringify(config.window),
    reviewMonths: config.reviewMonths,
    graceDays: config.graceDays,
    levels: JSON.stringify(config.levels),
    updatedAt: now,
  };
  if (existing) {
    const version = existing.version + 1;
    await trx.updateTable('tierConfigs').set({ ...columns, version }).where('programId', '=', programId).execute();
    return version;
  }
  await trx.insertInto('tierConfigs').values({ programId, ...columns, version: 1, createdAt: now }).execute();
  return 1;
}

/**
 * Members' activity summed over the months from `fromMonth` on (every month when null): of the members named,
 * or of every member of the programme with activity (`memberIds` null, for placing them all at once).
 */
export async function sumTierCounts(db: Trx, programId: string, memberIds: string[] | null, fromMonth: string | null): Promise<Map<string, TierCounts>> {
  const counts = new Map<string, TierCounts>();
  if (memberIds !== null && memberIds.length === 0) return counts;
  let query = db
    .selectFrom('tierMetricMonths')
    .select((eb) => [
      'memberId',
      eb.fn.sum<number>('pointsEarned').as('pointsEarned'),
      eb.fn.sum<number>('spendMinor').as('spendMinor'),
      eb.fn.sum<number>('purchases').as('purchases'),
    ])
    .where('programId', '=', programId);
  if (memberIds !== null) query = query.where('memberId', 'in', memberIds);
  if (fromMonth !== null) query = query.where('month', '>=', fromMonth);
  for (const row of await query.groupBy('memberId').execute()) {
    counts.set(row.memberId, { pointsEarned: Number(row.pointsEarned), spendMinor: Number(row.spendMinor), purchases: Number(row.purchases) });
  }
  return counts;
}

/**
 * Adds activity deltas to monthly counters, many at once (one row per member and month: PostgreSQL refuses
 * an upsert that touches a row twice). Both dialects accept `on conflict … do update set x = table.x + excluded.x`.
 */
export function addTierCounts(
  trx: Trx,
  rows: { programId: string; memberId: string; month: string; pointsEarned: number; spendMinor: number; purchases: number }[],
): Compilable[] {
  const statements: Compilable[] = [];
  for (let i = 0; i < rows.length; i += 4_000) {
    statements.push(
      trx
        .insertInto('tierMetricMonths')
        .values(rows.slice(i, i + 4_000))
        .onConflict((oc) =>
          oc.columns(['programId', 'memberId', 'month']).doUpdateSet((eb) => ({
            pointsEarned: eb('tierMetricMonths.pointsEarned', '+', eb.ref('excluded.pointsEarned')),
            spendMinor: eb('tierMetricMonths.spendMinor', '+', eb.ref('excluded.spendMinor')),
            purchases: eb('tierMetricMonths.purchases', '+', eb.ref('excluded.purchases')),
          })),
        ),
    );
  }
  return statements;
}

export async function findMemberTiers(db: Trx, programId: string, memberIds: string[]) {
  if (memberIds.length === 0) return [];
  return db.selectFrom('memberTiers').selectAll().where('programId', '=', programId).where('memberId', 'in', memberIds).execute();
}

export async function listMemberTiersOfProgram(db: Trx, programId: string) {
  return db.selectFrom('memberTiers').selectAll().where('programId', '=', programId).execute();
}

/** Sets members' qualified level and review date (absolute values computed under their locks), many at once. */
export function saveQualifiedTiers(
  trx: Trx,
  rows: Pick<MemberTiersTable, 'programId' | 'memberId' | 'qualifiedTier' | 'reachedAt' | 'reviewAt' | 'updatedAt'>[],
): Compilable[] {
  const statements: Compilable[] = [];
  for (let i = 0; i < rows.length; i += 4_000) {
    statements.push(
      trx
        .insertInto('memberTiers')
        .values(rows.slice(i, i + 4_000).map((row) => ({ ...row, membershipTier: null })))
        .onConflict((oc) =>
          oc.columns(['programId', 'memberId']).doUpdateSet((eb) => ({
            qualifiedTier: eb.ref('excluded.qualifiedTier'),
            reachedAt: eb.ref('excluded.reachedAt'),
            reviewAt: eb.ref('excluded.reviewAt'),
            updatedAt: eb.ref('excluded.updatedAt'),
          })),
        ),
    );
  }
  return statements;
}

/** Sets the level a member's active memberships grant. */
export async function saveMembershipTier(trx: Trx, programId: string, memberId: string, membershipTier: string | null, now: number): Promise<void> {
  await trx
    .insertInto('memberTiers')
    .values({ programId, memberId, qualifiedTier: null, reachedAt: null, reviewAt: null, membershipTier, updatedAt: now })
    .onConflict((oc) => oc.columns(['programId', 'memberId']).doUpdateSet({ membershipTier, updatedAt: now }))
    .execute();
}

export function insertTierHistory(trx: Trx, rows: Insertable<TierHistoryTable>[]): Compilable[] {
  return rows.length === 0 ? [] : [trx.insertInto('tierHistory').values(rows)];
}

export async function writeTierHistory(trx: Trx, rows: Insertable<TierHistoryTable>[]): Promise<void> {
  if (rows.length > 0) await trx.insertInto('tierHistory').values(rows).execute();
}

/** A member's tier history, newest first (ids are time-ordered); a page of it. */
export async function listTierHistory(db: Trx, programId: string, memberId: string, beforeId: string | undefined, limit: number) {
  let query = db.selectFrom('tierHistory').selectAll().where('programId', '=', programId).where('memberId', '=', memberId);
  if (beforeId !== undefined) query = query.where('id', '<', beforeId);
  return query.orderBy('id', 'desc').limit(limit + 1).execute();
}

/** When the purchase events named here happened (a refund counts against its purchase's month). */
export async function findEventTimes(db: Trx, programId: string, eventIds: string[]): Promise<Map<string, number>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('events')
    .select(['clientEventId', 'occurredAt'])
    .where('programId', '=', programId)
    .where('clientEventId', 'in', eventIds)
    .execute();
  return new Map(rows.map((row) => [row.clientEventId, row.occurredAt]));
}

/**
 * Claims members whose review (plus the programme's grace days) is due, in (programme, id) order, for one job
 * batch. The member rows themselves are claimed (FOR UPDATE SKIP LOCKED on PostgreSQL), which is the member
 * lock every other writer takes first: a worker never waits for a member another writer holds, and never holds
 * a tier row while waiting for a member (no lock-order inversion with ingestion). The caller re-reads the state
 * under the lock, since a concurrent worker may have reviewed a member between this statement's snapshot and
 * its lock.
 */
export async function claimMembersDueForReview(trx: Trx, storage: Storage, now: number, limit: number) {
  const query = trx
    .selectFrom('members')
    .select(['members.programId', 'members.id'])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('memberTiers')
          .innerJoin('tierConfigs', 'tierConfigs.programId', 'memberTiers.programId')
          .select(sql`1`.as('one'))
          .whereRef('memberTiers.programId', '=', 'members.programId')
          .whereRef('memberTiers.memberId', '=', 'members.id')
          .where('memberTiers.reviewAt', '<=', now)
          .where(sql<boolean>`member_tiers.review_at + cast(tier_configs.grace_days as bigint) * 86400000 <= ${now}`),
      ),
    )
    .orderBy('members.programId')
    .orderBy('members.id')
    .limit(limit);
  return claimRows(query, storage).execute();
}

/** Every member of the programme, locked in id order (a configuration change may re-place any of them). */
export async function lockProgramMembers(trx: Trx, storage: Storage, programId: string) {
  let query = trx.selectFrom('members').select(['id', 'tier', 'status']).where('programId', '=', programId).orderBy('id');
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.execute();
}
