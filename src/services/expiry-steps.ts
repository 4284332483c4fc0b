/**
 * Expiry as a fact of time, as a step inside a caller's transaction (DESIGN.md §4.7): a write that meets a
 * member's lots past their `expiresAt` first posts their expiry, so the points it spends, claws back or reports
 * are never points that had already expired. The expiry job then finds nothing left of those lots. The caller
 * holds the member's lock; the lots are read under it.
 */
import { dueExpiry, expiryPostingOfLots } from '../domain/ledger/lots.js';
import type { ServiceContext } from '../context.js';
import { enqueueOutbox } from '../storage/outbox.js';
import { listDueExpiryLots, sumDueExpiryOfMembers, writeMemberPosting } from '../storage/repositories/ledger.repository.js';
import { findMember } from '../storage/repositories/members.repository.js';
import type { MemberRow } from '../storage/schema.js';
import type { Trx } from '../storage/transaction.js';

/**
 * Posts the expiry of every lot of the member past its expiry at `now` (one ledger transaction and one
 * `points.expired` message, as the expiry job would write them) and returns the points expired and how the
 * member's materialised balance changed. The caller holds the member's lock.
 */
export async function postDueExpiry(
  ctx: ServiceContext,
  trx: Trx,
  programId: string,
  memberId: string,
  now: number,
): Promise<{ points: number; delta: { available: number; pending: number } }> {
  const lots = dueExpiry(await listDueExpiryLots(trx, programId, [memberId], now), now);
  if (lots.length === 0) return { points: 0, delta: { available: 0, pending: 0 } };
  const { posting, takes } = expiryPostingOfLots(memberId, lots);
  const delta = await writeMemberPosting(
    trx,
    programId,
    posting,
    { id: ctx.ids.next('ltx'), memberId, reason: 'points expired', eventId: null, createdAt: now },
    { takes },
  );
  const points = takes.reduce((sum, take) => sum + take.points, 0);
  const member = await findMember(trx, programId, memberId);
  const balance = { available: member?.available ?? 0, pending: member?.pending ?? 0 };
  await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'points.expired', memberId, data: { memberId, points, balance } }], now);
  return { points, delta };
}

/** The member row with the balance after `postDueExpiry`. */
export async function expireDueLotsOf<T extends Pick<MemberRow, 'programId' | 'id' | 'available' | 'pending'>>(ctx: ServiceContext, trx: Trx, member: T, now: number): Promise<T> {
  const { points, delta } = await postDueExpiry(ctx, trx, member.programId, member.id, now);
  return points === 0 ? member : { ...member, available: member.available + delta.available, pending: member.pending + delta.pending };
}

/**
 * Members as a read shows them: the materialised balance less what lies in lots past their expiry that no write
 * has posted yet, so a read never shows expired points as available or pending.
 */
export async function withoutDueExpiry<T extends Pick<MemberRow, 'programId' | 'id' | 'available' | 'pending'>>(db: Trx, rows: readonly T[], now: number): Promise<T[]> {
  const first = rows[0];
  if (!first) return [];
  const due = await sumDueExpiryOfMembers(db, first.programId, rows.map((r) => r.id), now);
  return rows.map((row) => {
    const sum = due.get(row.id);
    return sum ? { ...row, available: row.available - sum.available, pending: row.pending - sum.pending } : row;
  });
}
