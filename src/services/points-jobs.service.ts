/**
 * The scheduled side of the ledger: releasing pending points once the return window has passed, expiring what
 * is left of lots past their expiry, and warning members ahead of expiry.
 *
 * Each batch is one transaction that first claims the members with due lots (`claimMembersWithLotsDue`: locked in
 * the one global order — programme, then member id, member before lots — and on PostgreSQL with SKIP LOCKED, so
 * other workers and writers never wait on a job in the opposite order), then reads their due lots under those
 * locks before posting. So a job run twice, run by two workers at once, or killed half-way and run again never
 * releases, expires or warns twice: a killed batch rolls back as a whole, and a finished one leaves nothing due
 * behind. Members that another transaction holds are left for the next run.
 */
import { expiryPosting, releasePosting } from '../domain/ledger/lots.js';
import type { ServiceContext } from '../context.js';
import { enqueueOutbox, type OutboxMessage } from '../storage/outbox.js';
import {
  claimLotsToWarn,
  claimMembersWithLotsDue,
  listLotsDue,
  markLotReleased,
  markLotsWarned,
  writeMemberPosting,
} from '../storage/repositories/ledger.repository.js';
import { lockMembers } from '../storage/repositories/members.repository.js';
import { listProgramsWarningOfExpiry } from '../storage/repositories/programs.repository.js';
import type { MemberRow } from '../storage/schema.js';
import { inTransaction, type Trx } from '../storage/transaction.js';
import { iso } from './views.js';

export interface JobRun {
  lots: number;
  points: number;
}

/** Members claimed per batch, and lots posted per batch at most (a member's other due lots wait for the next). */
const BATCH = 100;
const LOTS_PER_BATCH = 200;
const DAY_MS = 86_400_000;

/** The claimed members of a batch by programme, in the order they were locked. */
function byProgram(claimed: readonly { programId: string; id: string }[]): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const { programId, id } of claimed) members.set(programId, [...(members.get(programId) ?? []), id]);
  return members;
}

/**
 * What a batch did per member, turned into one outbox message per member: a member whose three lots are
 * released at once hears about it once, with the balance after.
 */
class MemberTotals {
  private readonly totals = new Map<string, { programId: string; member: MemberRow; points: number; available: number; pending: number }>();

  add(programId: string, member: MemberRow, points: number, delta: { available: number; pending: number }): void {
    const key = `${programId}|${member.id}`;
    const total = this.totals.get(key) ?? { programId, member, points: 0, available: member.available, pending: member.pending };
    total.points += points;
    total.available += delta.available;
    total.pending += delta.pending;
    this.totals.set(key, total);
  }

  async enqueue(ctx: ServiceContext, trx: Trx, type: OutboxMessage['type'], now: number): Promise<void> {
    const byProgram = new Map<string, OutboxMessage[]>();
    for (const t of this.totals.values()) {
      const messages = byProgram.get(t.programId) ?? [];
      messages.push({
        type,
        memberId: t.member.id,
        data: { memberId: t.member.id, points: t.points, balance: { available: t.available, pending: t.pending } },
      });
      byProgram.set(t.programId, messages);
    }
    for (const [programId, messages] of byProgram) await enqueueOutbox(trx, ctx.ids, programId, messages, now);
  }
}

/** Runs `batch` in its own transaction until a batch finds nothing due; sums what the committed batches did. */
async function untilDone(ctx: ServiceContext, batch: (trx: Trx, now: number) => Promise<JobRun | null>): Promise<JobRun> {
  const run: JobRun = { lots: 0, points: 0 };
  for (;;) {
    // Counted after commit: a transaction retried after a serialization failure must not count twice.
    const done = await inTransaction(ctx.storage, (trx) => batch(trx, ctx.clock.now()));
    if (done === null) return run;
    run.lots += done.lots;
    run.points += done.points;
  }
}

/** Moves due pending lots to available, in batches, until none is due. Outbox: points.released per member. */
export async function releasePendingPoints(ctx: ServiceContext): Promise<JobRun> {
  return untilDone(ctx, async (trx, now) => {
    const claimed = await claimMembersWithLotsDue(trx, ctx.storage, 'release', now, BATCH);
    if (claimed.length === 0) return null;
    const totals = new MemberTotals();
    const done: JobRun = { lots: 0, points: 0 };
    for (const [programId, memberIds] of byProgram(claimed)) {
      // Re-read under the locks the claim took: a statement that sees every commit before them.
      const members = new Map((await lockMembers(trx, ctx.storage, programId, memberIds, [])).map((m) => [m.id, m]));
      for (const lot of await listLotsDue(trx, programId, memberIds, 'release', now, LOTS_PER_BATCH - done.lots)) {
        const member = members.get(lot.memberId);
        if (!member) continue;
        if (lot.remaining > 0) {
          const delta = await writeMemberPosting(trx, programId, releasePosting(lot), {
            id: ctx.ids.next('ltx'),
            memberId: lot.memberId,
            reason: 'return window passed',
            eventId: null,
            createdAt: now,
          });
          totals.add(programId, member, lot.remaining, delta);
          done.points += lot.remaining;
        }
        await markLotReleased(trx, programId, lot.id, now);
        done.lots += 1;
      }
    }
    await totals.enqueue(ctx, trx, 'points.released', now);
    return done;
  });
}

/** Expires what is left of lots past their expiry, in batches, until none is due. Outbox: points.expired per member. */
export async function expireLots(ctx: ServiceContext): Promise<JobRun> {
  return untilDone(ctx, async (trx, now) => {
    const claimed = await claimMembersWithLotsDue(trx, ctx.storage, 'expiry', now, BATCH);
    if (claimed.length === 0) return null;
    const totals = new MemberTotals();
    const done: JobRun = { lots: 0, points: 0 };
    for (const [programId, memberIds] of byProgram(claimed)) {
      const members = new Map((await lockMembers(trx, ctx.storage, programId, memberIds, [])).map((m) => [m.id, m]));
      for (const lot of await listLotsDue(trx, programId, memberIds, 'expiry', now, LOTS_PER_BATCH - done.lots)) {
        const member = members.get(lot.memberId);
        if (!member) continue;
        const delta = await writeMemberPosting(
          trx,
          programId,
          expiryPosting(lot),
          { id: ctx.ids.next('ltx'), memberId: lot.memberId, reason: 'points expired', eventId: null, createdAt: now },
          { takes: [{ lotId: lot.id, points: lot.remaining, pending: lot.releasedAt === null }] },
        );
        totals.add(programId, member, lot.remaining, delta);
        done.lots += 1;
        done.points += lot.remaining;
      }
    }
    await totals.enqueue(ctx, trx, 'points.expired', now);
    return done;
  });
}

/**
 * Writes one points.expiring message per member for lots that expire within the programme's
 * `expiryWarningDays` and were not warned about yet (each lot is warned about once, even if the member
 * spends part of it later). The message lists the lots' remaining points and expiry.
 */
export async function warnExpiringPoints(ctx: ServiceContext): Promise<JobRun> {
  const run: JobRun = { lots: 0, points: 0 };
  for (const program of await listProgramsWarningOfExpiry(ctx.storage.db)) {
    const warningDays = program.expiryWarningDays;
    if (warningDays === null) continue;
    const programRun = await untilDone(ctx, async (trx, now) => {
      const lots = await claimLotsToWarn(trx, ctx.storage, program.id, now, now + warningDays * DAY_MS, BATCH);
      if (lots.length === 0) return null;
      const byMember = new Map<string, { points: number; expiresAt: number; lots: { points: number; expiresAt: string }[] }>();
      for (const lot of lots) {
        const expiresAt = lot.expiresAt ?? 0;
        const warning = byMember.get(lot.memberId) ?? { points: 0, expiresAt, lots: [] };
        warning.points += lot.remaining;
        warning.expiresAt = Math.min(warning.expiresAt, expiresAt);
        warning.lots.push({ points: lot.remaining, expiresAt: iso(expiresAt) });
        byMember.set(lot.memberId, warning);
      }
      const messages: OutboxMessage[] = [...byMember].map(([memberId, w]) => ({
        type: 'points.expiring',
        memberId,
        data: { memberId, points: w.points, firstExpiresAt: iso(w.expiresAt), lots: w.lots },
      }));
      await enqueueOutbox(trx, ctx.ids, program.id, messages, now);
      await markLotsWarned(trx, program.id, lots.map((l) => l.id), now);
      return { lots: lots.length, points: lots.reduce((sum, l) => sum + l.remaining, 0) };
    });
    run.lots += programRun.lots;
    run.points += programRun.points;
  }
  return run;
}
