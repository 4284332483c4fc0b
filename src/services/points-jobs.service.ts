/**
 * The scheduled side of the ledger: releasing pending points once the return window has passed, and expiring
 * what is left of lots past their expiry. Each lot is re-read under its member's lock before it is posted, so
 * running a job twice, or in two processes at once, never releases or expires a lot twice.
 */
import { expiryPosting, releasePosting } from '../domain/ledger/lots.js';
import type { ServiceContext } from '../context.js';
import {
  findLot,
  findLotsDueForExpiry,
  findLotsDueForRelease,
  markLotReleased,
  writeMemberPosting,
} from '../storage/repositories/ledger.repository.js';
import { lockMember } from '../storage/repositories/members.repository.js';
import { inTransaction } from '../storage/transaction.js';

export interface JobRun {
  lots: number;
  points: number;
}

const BATCH = 200;

/** Moves due pending lots to available, in batches, until none is due. */
export async function releasePendingPoints(ctx: ServiceContext): Promise<JobRun> {
  const run: JobRun = { lots: 0, points: 0 };
  for (;;) {
    const now = ctx.clock.now();
    const due = await findLotsDueForRelease(ctx.storage.db, now, BATCH);
    if (due.length === 0) return run;
    for (const { programId, id, memberId } of due) {
      await inTransaction(ctx.storage, async (trx) => {
        if (!(await lockMember(trx, ctx.storage, programId, { memberId }))) return;
        const lot = await findLot(trx, programId, id);
        if (!lot || lot.releasedAt !== null || lot.availableAt > now) return;
        if (lot.remaining > 0) {
          await writeMemberPosting(trx, programId, releasePosting(lot), {
            id: ctx.ids.next('ltx'),
            memberId,
            reason: 'return window passed',
            eventId: null,
            createdAt: now,
          });
          run.points += lot.remaining;
        }
        await markLotReleased(trx, programId, id, now);
        run.lots += 1;
      });
    }
  }
}

/** Expires what is left of lots past their expiry, in batches, until none is due. */
export async function expireLots(ctx: ServiceContext): Promise<JobRun> {
  const run: JobRun = { lots: 0, points: 0 };
  for (;;) {
    const now = ctx.clock.now();
    const due = await findLotsDueForExpiry(ctx.storage.db, now, BATCH);
    if (due.length === 0) return run;
    for (const { programId, id, memberId } of due) {
      await inTransaction(ctx.storage, async (trx) => {
        if (!(await lockMember(trx, ctx.storage, programId, { memberId }))) return;
        const lot = await findLot(trx, programId, id);
        if (!lot || lot.remaining === 0 || lot.expiresAt === null || lot.expiresAt > now) return;
        const posting = expiryPosting(lot);
        await writeMemberPosting(
          trx,
          programId,
          posting,
          { id: ctx.ids.next('ltx'), memberId, reason: 'points expired', eventId: null, createdAt: now },
          { takes: [{ lotId: lot.id, points: lot.remaining, pending: lot.releasedAt === null }] },
        );
        run.lots += 1;
        run.points += lot.remaining;
      });
    }
  }
}
