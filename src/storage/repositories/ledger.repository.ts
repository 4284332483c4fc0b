import type { Insertable } from 'kysely';
import { balanceDelta, type Posting } from '../../domain/ledger/posting.js';
import { applyBalanceDelta } from './members.repository.js';
import type { LotsTable } from '../schema.js';
import { claimRows, type Trx } from '../transaction.js';
import type { Storage } from '../db.js';
import type { Lot, LotTake } from '../../domain/ledger/lots.js';

/** The columns that make a domain Lot. */
const lotColumns = ['id', 'memberId', 'amount', 'remaining', 'availableAt', 'releasedAt', 'expiresAt', 'createdAt'] as const;

export interface LedgerTransactionMeta {
  id: string;
  memberId: string | null;
  reason: string | null;
  eventId: string | null;
  createdAt: number;
}

/** The rows of one ledger transaction and its entries, for a single insert here or a bulk insert by ingestion. */
export function postingRows(programId: string, posting: Posting, meta: LedgerTransactionMeta) {
  return {
    transaction: {
      programId,
      id: meta.id,
      memberId: meta.memberId,
      kind: posting.kind,
      reason: meta.reason,
      eventId: meta.eventId,
      createdAt: meta.createdAt,
    },
    entries: posting.entries.map((e, line) => ({
      programId,
      transactionId: meta.id,
      line,
      account: e.account,
      memberId: e.memberId,
      lotId: e.lotId,
      ruleId: e.ruleId,
      ruleVersion: e.ruleVersion,
      amount: e.amount,
      createdAt: meta.createdAt,
    })),
  };
}

/** Writes one ledger transaction and its entries (one multi-row insert). Entries are never updated or deleted. */
export async function insertPosting(trx: Trx, programId: string, posting: Posting, meta: LedgerTransactionMeta): Promise<void> {
  const rows = postingRows(programId, posting, meta);
  await trx.insertInto('ledgerTransactions').values(rows.transaction).execute();
  await trx.insertInto('ledgerEntries').values(rows.entries).execute();
}

export async function insertLot(trx: Trx, lot: Insertable<LotsTable>): Promise<void> {
  await trx.insertInto('lots').values(lot).execute();
}

/** The member's lots that still hold points; read under the member's lock. */
export async function listOpenLots(trx: Trx, programId: string, memberId: string): Promise<Lot[]> {
  return listOpenLotsOfMembers(trx, programId, [memberId]);
}

export async function markLotReleased(trx: Trx, programId: string, lotId: string, at: number): Promise<void> {
  await trx.updateTable('lots').set({ releasedAt: at }).where('programId', '=', programId).where('id', '=', lotId).execute();
}

/**
 * Claims, across programmes, up to `limit` members that have lots due for release (pending, return window
 * passed) or for expiry (points left past `expiresAt`): the members are locked, not the lots, so the jobs take
 * locks in the one order every writer uses — programme, then member id, member before lots — and on PostgreSQL
 * with SKIP LOCKED, so workers running a job at once take different members and none waits for another. The
 * due lots are read under those locks (`listLotsDue`). The inner query walks the jobs' partial indexes.
 */
export async function claimMembersWithLotsDue(trx: Trx, storage: Storage, due: 'release' | 'expiry', now: number, limit: number) {
  const lots = trx.selectFrom('lots').select(['lots.programId', 'lots.memberId']);
  const dueLots =
    due === 'release'
      ? lots.where('lots.releasedAt', 'is', null).where('lots.availableAt', '<=', now).orderBy('lots.availableAt')
      : lots.where('lots.expiresAt', 'is not', null).where('lots.expiresAt', '<=', now).where('lots.remaining', '>', 0).orderBy('lots.expiresAt');
  const query = trx
    .selectFrom('members')
    .select(['members.programId', 'members.id'])
    .where(({ eb, refTuple }) => eb(refTuple('members.programId', 'members.id'), 'in', dueLots.limit(limit * 4).$asTuple('programId', 'memberId')))
    .orderBy('members.programId')
    .orderBy('members.id')
    .limit(limit);
  return claimRows(query, storage).execute();
}

/** Up to `limit` lots of locked members that are due for release or expiry at `now`, oldest due first. */
export async function listLotsDue(trx: Trx, programId: string, memberIds: readonly string[], due: 'release' | 'expiry', now: number, limit: number): Promise<Lot[]> {
  if (memberIds.length === 0 || limit <= 0) return [];
  const lots = trx.selectFrom('lots').select(lotColumns).where('programId', '=', programId).where('memberId', 'in', memberIds);
  const dueLots =
    due === 'release'
      ? lots.where('releasedAt', 'is', null).where('availableAt', '<=', now).orderBy('availableAt')
      : lots.where('expiresAt', 'is not', null).where('expiresAt', '<=', now).where('remaining', '>', 0).orderBy('expiresAt');
  return dueLots.orderBy('id').limit(limit).execute();
}

/** Claims a batch of a programme's lots that expire before `until` and have not been warned about. */
export async function claimLotsToWarn(trx: Trx, storage: Storage, programId: string, now: number, until: number, limit: number) {
  const query = trx
    .selectFrom('lots')
    .select(['programId', 'id', 'memberId', 'remaining', 'expiresAt'])
    .where('programId', '=', programId)
    .where('expiresAt', 'is not', null)
    .where('expiresAt', '>', now)
    .where('expiresAt', '<=', until)
    .where('remaining', '>', 0)
    .where('expiryWarnedAt', 'is', null)
    .orderBy('expiresAt')
    .limit(limit);
  return claimRows(query, storage).execute();
}

export async function markLotsWarned(trx: Trx, programId: string, lotIds: string[], at: number): Promise<void> {
  if (lotIds.length === 0) return;
  await trx.updateTable('lots').set({ expiryWarnedAt: at }).where('programId', '=', programId).where('id', 'in', lotIds).execute();
}

/** Lots with points that expire after `now`, soonest first, for the balance's `expiring` list. */
export async function listExpiringLots(db: Trx, programId: string, memberId: string, now: number) {
  return db
    .selectFrom('lots')
    .select(['remaining', 'expiresAt'])
    .where('programId', '=', programId)
    .where('memberId', '=', memberId)
    .where('remaining', '>', 0)
    .where('expiresAt', 'is not', null)
    .where('expiresAt', '>', now)
    .orderBy('expiresAt')
    .execute();
}

/** The member's ledger entries, newest transaction first, with the transaction's kind and reason. */
export async function listMemberEntries(
  db: Trx,
  programId: string,
  memberId: string,
  after: { transactionId: string; line: number } | undefined,
  limit: number,
) {
  let query = db
    .selectFrom('ledgerEntries as e')
    .innerJoin('ledgerTransactions as t', (join) =>
      join.onRef('t.programId', '=', 'e.programId').onRef('t.id', '=', 'e.transactionId'),
    )
    .select([
      'e.transactionId', 'e.line', 'e.account', 'e.amount', 'e.lotId', 'e.ruleId', 'e.ruleVersion', 'e.createdAt',
      't.kind', 't.reason', 't.eventId',
    ])
    .where('e.programId', '=', programId)
    .where('e.memberId', '=', memberId);
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('e.transactionId', '<', after.transactionId),
        eb.and([eb('e.transactionId', '=', after.transactionId), eb('e.line', '>', after.line)]),
      ]),
    );
  }
  return query.orderBy('e.transactionId', 'desc').orderBy('e.line').limit(limit + 1).execute();
}

export async function takeFromLot(trx: Trx, programId: string, lotId: string, points: number): Promise<void> {
  await trx
    .updateTable('lots')
    .set((eb) => ({ remaining: eb('remaining', '-', points) }))
    .where('programId', '=', programId)
    .where('id', '=', lotId)
    .execute();
}

export async function findLot(trx: Trx, programId: string, lotId: string): Promise<Lot | undefined> {
  return trx
    .selectFrom('lots')
    .select(lotColumns)
    .where('programId', '=', programId)
    .where('id', '=', lotId)
    .executeTakeFirst();
}

/**
 * Writes a posting that moves one member's points, with everything that must change with it in the same
 * transaction: the lots it takes from and the member's materialised balance (DESIGN.md §4.2).
 */
export async function writeMemberPosting(
  trx: Trx,
  programId: string,
  posting: Posting,
  meta: LedgerTransactionMeta & { memberId: string },
  effects: { takes?: readonly LotTake[]; lifetimeEarned?: number; purchases?: number } = {},
): Promise<{ available: number; pending: number }> {
  await insertPosting(trx, programId, posting, meta);
  for (const take of effects.takes ?? []) await takeFromLot(trx, programId, take.lotId, take.points);
  const delta = balanceDelta(posting, meta.memberId);
  await applyBalanceDelta(trx, programId, meta.memberId, { ...delta, lifetimeEarned: effects.lifetimeEarned, purchases: effects.purchases }, meta.createdAt);
  return delta;
}

/** The open lots of several members, read under their locks (refunds in a group of events need them). */
export async function listOpenLotsOfMembers(trx: Trx, programId: string, memberIds: string[]): Promise<Lot[]> {
  if (memberIds.length === 0) return [];
  return trx
    .selectFrom('lots')
    .select(lotColumns)
    .where('programId', '=', programId)
    .where('memberId', 'in', memberIds)
    .where('remaining', '>', 0)
    .execute();
}

/** A member's lots that still hold points past their expiry (read under the member's lock to post their expiry). */
export async function listDueExpiryLots(trx: Trx, programId: string, memberIds: readonly string[], now: number): Promise<Lot[]> {
  if (memberIds.length === 0) return [];
  return trx
    .selectFrom('lots')
    .select(lotColumns)
    .where('programId', '=', programId)
    .where('memberId', 'in', memberIds)
    .where('remaining', '>', 0)
    .where('expiresAt', '<=', now)
    .execute();
}

/**
 * Points of each member that lie in lots past their expiry whose expiry is not posted yet, split by account: a
 * balance read subtracts them, since expiry is a fact of time and not of the expiry job (DESIGN.md §4.7).
 */
export async function sumDueExpiryOfMembers(db: Trx, programId: string, memberIds: readonly string[], now: number): Promise<Map<string, { available: number; pending: number }>> {
  const due = new Map<string, { available: number; pending: number }>();
  if (memberIds.length === 0) return due;
  const rows = await db
    .selectFrom('lots')
    .select(['memberId', 'remaining', 'releasedAt'])
    .where('programId', '=', programId)
    .where('memberId', 'in', memberIds)
    .where('remaining', '>', 0)
    .where('expiresAt', '<=', now)
    .execute();
  for (const row of rows) {
    const sum = due.get(row.memberId) ?? { available: 0, pending: 0 };
    if (row.releasedAt === null) sum.pending += row.remaining;
    else sum.available += row.remaining;
    due.set(row.memberId, sum);
  }
  return due;
}
