/**
 * The member portal's storage: the programme's portal settings, its signing secrets, members' consents, and the
 * reads a member's data export needs that no other capability has. Every query filters on `program_id`.
 */
import type { Insertable, Updateable } from 'kysely';
import type { PortalKeysTable } from '../portal.schema.js';
import type { ProgramsTable } from '../schema.js';
import type { Trx } from '../transaction.js';

/** Slugs equal to `base` or starting with `base-`: what a new programme's slug must avoid. */
export async function findSlugsLike(db: Trx, base: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('programs')
    .select('slug')
    .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
    .execute();
  return new Set(rows.map((row) => row.slug));
}

export async function findProgramBySlug(db: Trx, slug: string) {
  return db.selectFrom('programs').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function updatePortalSettings(
  trx: Trx,
  programId: string,
  changes: Pick<Updateable<ProgramsTable>, 'slug' | 'portalIssuer' | 'portalAudience' | 'updatedAt'>,
): Promise<void> {
  await trx.updateTable('programs').set(changes).where('id', '=', programId).execute();
}

export async function insertPortalKey(trx: Trx, key: Insertable<PortalKeysTable>): Promise<void> {
  await trx.insertInto('portalKeys').values(key).execute();
}

export async function listPortalKeys(db: Trx, programId: string) {
  return db.selectFrom('portalKeys').selectAll().where('programId', '=', programId).orderBy('createdAt').orderBy('kid').execute();
}

export async function findActivePortalKey(db: Trx, programId: string, kid: string) {
  return db
    .selectFrom('portalKeys')
    .selectAll()
    .where('programId', '=', programId)
    .where('kid', '=', kid)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
}

/** Revokes an active key; false when there is no such active key. */
export async function revokePortalKey(trx: Trx, programId: string, kid: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('portalKeys')
    .set({ revokedAt: now })
    .where('programId', '=', programId)
    .where('kid', '=', kid)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setMemberConsents(trx: Trx, programId: string, memberId: string, consents: string, now: number): Promise<void> {
  await trx.updateTable('members').set({ consents, updatedAt: now }).where('programId', '=', programId).where('id', '=', memberId).execute();
}

// The export reads everything of one member, oldest first; a member's rows are few enough to read whole.

export async function listAllMemberLots(db: Trx, programId: string, memberId: string) {
  return db.selectFrom('lots').selectAll().where('programId', '=', programId).where('memberId', '=', memberId).orderBy('id').execute();
}

export async function listAllMemberEntries(db: Trx, programId: string, memberId: string) {
  return db
    .selectFrom('ledgerEntries')
    .innerJoin('ledgerTransactions', (join) =>
      join.onRef('ledgerTransactions.programId', '=', 'ledgerEntries.programId').onRef('ledgerTransactions.id', '=', 'ledgerEntries.transactionId'))
    .select([
      'ledgerEntries.transactionId', 'ledgerEntries.line', 'ledgerEntries.account', 'ledgerEntries.amount', 'ledgerEntries.lotId',
      'ledgerEntries.ruleId', 'ledgerEntries.ruleVersion', 'ledgerEntries.createdAt', 'ledgerTransactions.kind', 'ledgerTransactions.reason',
      'ledgerTransactions.eventId',
    ])
    .where('ledgerEntries.programId', '=', programId)
    .where('ledgerEntries.memberId', '=', memberId)
    .orderBy('ledgerEntries.transactionId')
    .orderBy('ledgerEntries.line')
    .execute();
}

export async function listAllMemberEvents(db: Trx, programId: string, memberId: string) {
  return db
    .selectFrom('events')
    .select(['clientEventId', 'type', 'occurredAt', 'receivedAt', 'data'])
    .where('programId', '=', programId)
    .where('memberId', '=', memberId)
    .orderBy('receivedAt')
    .orderBy('clientEventId')
    .execute();
}

export async function listAllMemberRedemptions(db: Trx, programId: string, memberId: string) {
  return db.selectFrom('redemptions').selectAll().where('programId', '=', programId).where('memberId', '=', memberId).orderBy('id').execute();
}

export async function listAllMemberCoupons(db: Trx, programId: string, memberId: string) {
  return db.selectFrom('coupons').selectAll().where('programId', '=', programId).where('memberId', '=', memberId).orderBy('createdAt').orderBy('code').execute();
}

export async function listAllMemberTierHistory(db: Trx, programId: string, memberId: string) {
  return db.selectFrom('tierHistory').selectAll().where('programId', '=', programId).where('memberId', '=', memberId).orderBy('id').execute();
}

/** Referrals where the member is either side. */
export async function listAllMemberReferrals(db: Trx, programId: string, memberId: string) {
  return db
    .selectFrom('referrals')
    .selectAll()
    .where('programId', '=', programId)
    .where((eb) => eb.or([eb('referrerMemberId', '=', memberId), eb('friendMemberId', '=', memberId)]))
    .orderBy('id')
    .execute();
}

export async function listAllMemberMemberships(db: Trx, programId: string, memberId: string) {
  return db.selectFrom('memberships').selectAll().where('programId', '=', programId).where('memberId', '=', memberId).orderBy('id').execute();
}
