/**
 * The reads and writes of referral fraud prevention: member fingerprints (keyed hashes of IPs and device ids),
 * the counts behind the velocity signals, the referral chain around a referral, and the review decision.
 * Every query filters on `program_id`.
 */
import type { Storage } from '../db.js';
import type { Trx } from '../transaction.js';

export type FingerprintKind = 'ip' | 'device';

/** Records that a member was seen with a fingerprint; a repeat only moves `last_seen_at`. */
export async function upsertFingerprints(
  trx: Trx,
  programId: string,
  memberId: string,
  fingerprints: { kind: FingerprintKind; valueHash: string }[],
  now: number,
): Promise<void> {
  if (fingerprints.length === 0) return;
  await trx
    .insertInto('memberFingerprints')
    .values(fingerprints.map((f) => ({ programId, kind: f.kind, valueHash: f.valueHash, memberId, firstSeenAt: now, lastSeenAt: now })))
    .onConflict((oc) => oc.columns(['programId', 'kind', 'valueHash', 'memberId']).doUpdateSet({ lastSeenAt: now }))
    .execute();
}

export async function listMemberFingerprints(db: Trx, programId: string, memberId: string) {
  return db
    .selectFrom('memberFingerprints')
    .select(['kind', 'valueHash', 'firstSeenAt', 'lastSeenAt'])
    .where('programId', '=', programId)
    .where('memberId', '=', memberId)
    .orderBy('kind')
    .orderBy('valueHash')
    .execute();
}

/**
 * Which of `memberIds` were seen with one of the given fingerprints: through the primary key
 * (program_id, kind, value_hash, …), so a popular IP costs rows only for the members asked about.
 */
export async function findSharedFingerprints(
  db: Trx,
  programId: string,
  memberIds: readonly string[],
  values: { ips: readonly string[]; deviceIds: readonly string[] },
): Promise<{ memberId: string; kind: FingerprintKind }[]> {
  if (memberIds.length === 0 || (values.ips.length === 0 && values.deviceIds.length === 0)) return [];
  return db
    .selectFrom('memberFingerprints')
    .select(['memberId', 'kind'])
    .where('programId', '=', programId)
    .where('memberId', 'in', [...memberIds])
    .where((eb) => {
      const byKind = [];
      if (values.ips.length > 0) byKind.push(eb.and([eb('kind', '=', 'ip'), eb('valueHash', 'in', [...values.ips])]));
      if (values.deviceIds.length > 0) byKind.push(eb.and([eb('kind', '=', 'device'), eb('valueHash', 'in', [...values.deviceIds])]));
      return eb.or(byKind);
    })
    .execute();
}

/** Referrals on a referrer's code created in [from, to], leaving out the friend being assessed. */
export async function countReferralsOfReferrer(db: Trx, programId: string, referrerMemberId: string, from: number, to: number, exceptFriendId: string): Promise<number> {
  const row = await db
    .selectFrom('referrals')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('programId', '=', programId)
    .where('referrerMemberId', '=', referrerMemberId)
    .where('createdAt', '>=', from)
    .where('createdAt', '<=', to)
    .where('friendMemberId', '!=', exceptFriendId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Referrals signed up from one (hashed) IP in [from, to], leaving out the friend being assessed. */
export async function countReferralsFromIp(db: Trx, programId: string, ipHash: string, from: number, to: number, exceptFriendId: string): Promise<number> {
  const row = await db
    .selectFrom('referrals')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('programId', '=', programId)
    .where('signupIpHash', '=', ipHash)
    .where('createdAt', '>=', from)
    .where('createdAt', '<=', to)
    .where('friendMemberId', '!=', exceptFriendId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Members whose canonical e-mail identity has this keyed hash, apart from the ones named. */
export async function findMembersByEmailIdentity(db: Trx, programId: string, identityIndex: string, except: readonly string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('members')
    .select('id')
    .where('programId', '=', programId)
    .where('emailIdentityIndex', '=', identityIndex)
    .where('id', 'not in', [...except])
    .orderBy('id')
    .limit(20)
    .execute();
  return rows.map((r) => r.id);
}

export async function findChainMember(db: Trx, programId: string, memberId: string) {
  return db
    .selectFrom('members')
    .select(['id', 'referredByMemberId', 'createdAt'])
    .where('programId', '=', programId)
    .where('id', '=', memberId)
    .executeTakeFirst();
}

/** The members referred by any of `memberIds`, at most `limit`. */
export async function listReferredMembers(db: Trx, programId: string, memberIds: readonly string[], limit: number) {
  if (memberIds.length === 0) return [];
  return db
    .selectFrom('members')
    .select(['id', 'referredByMemberId', 'createdAt'])
    .where('programId', '=', programId)
    .where('referredByMemberId', 'in', [...memberIds])
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function findReferral(db: Trx, programId: string, referralId: string) {
  return db.selectFrom('referrals').selectAll().where('programId', '=', programId).where('id', '=', referralId).executeTakeFirst();
}

export async function findReferralOfFriend(db: Trx, programId: string, friendMemberId: string) {
  return db.selectFrom('referrals').selectAll().where('programId', '=', programId).where('friendMemberId', '=', friendMemberId).executeTakeFirst();
}

/** Reads a referral and, on PostgreSQL, locks it until the transaction ends (SQLite's BEGIN IMMEDIATE serialises). */
export async function lockReferral(trx: Trx, storage: Storage, programId: string, referralId: string) {
  let query = trx.selectFrom('referrals').selectAll().where('programId', '=', programId).where('id', '=', referralId);
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Records a reviewer's decision (`{action, reason, at}` as JSON) on the referral. */
export async function setReferralReview(trx: Trx, programId: string, referralId: string, review: string, now: number): Promise<void> {
  await trx.updateTable('referrals').set({ review, updatedAt: now }).where('programId', '=', programId).where('id', '=', referralId).execute();
}

/** Forgets the keyed hashes of the addresses and devices a member was seen with (erasure). */
export async function deleteMemberFingerprints(trx: Trx, programId: string, memberId: string): Promise<void> {
  await trx.deleteFrom('memberFingerprints').where('programId', '=', programId).where('memberId', '=', memberId).execute();
}
