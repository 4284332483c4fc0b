/**
 * The scheduled side of the ledger: releasing pending points once the return window has passed, expiring what
 * is left of lots past their expiry, and warning members ahead of expiry.
 *
 * Each batch is one transaction that first claims its lots (`claimRows`: on PostgreSQL other workers skip them
 * until it ends), then locks their members in one global order (programme, then member id) and re-reads every
 * lot under those locks before posting. So a job run twice, run by two workers at once, or killed half-way and
 * run again never releases, expires or warns twice: a killed batch rolls back as a whole, and a finished one
 * leaves nothing due behind.
 */
import { expiryPosting, releasePosting } from '../domain/ledger/lots.js';
import type { ServiceContext } from '../context.js';
import { enqueueOutbox, type OutboxMessage } from '../storage/outbox.js';
import {
  claimLotsDueForExpiry,
  claimLotsDueForRelease,
  claimLotsToWarn,
  findLot,
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

const BATCH = 200;
const DAY_MS = 86_400_000;

type DueLot = { programId: string; id: string; memberId: string };

/** Locks the members of a batch, programme by programme, each programme's members in id order. */
async function lockMembersOf(ctx: ServiceContext, trx: Trx, due: readonly DueLot[]): Promise<Map<string, MemberRow>> {
  const byProgram = new Map<string, Set<string>>();
  for (const lot of due) {
    const ids = byProgram.get(lot.programId) ?? new Set<string>();
    ids.add(lot.memberId);
    byProgram.set(lot.programId, ids);
  }
  const members = new Map<string, MemberRow>();
  for (const programId of [...byProgram.keys()].sort()) {
    for (const row of await lockMembers(trx, ctx.storage, programId, [...(byProgram.get(programId) ?? [])].sort(), [])) {
      members.set(`${programId}|${row.id}`, row);
    }
  }
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
    const due = await claimLotsDueForRelease(trx, ctx.storage, now, BATCH);
    if (due.length === 0) return null;
    const members = await lockMembersOf(ctx, trx, due);
    const totals = new MemberTotals();
    const done: JobRun = { lots: 0, points: 0 };
    for (const { programId, id, memberId } of due) {
      const member = members.get(`${programId}|${memberId}`);
      const lot = await findLot(trx, programId, id);
      if (!member || !lot || lot.releasedAt !== null || lot.availableAt > now) continue;
      if (lot.remaining > 0) {
        const delta = await writeMemberPosting(trx, programId, releasePosting(lot), {
          id: ctx.ids.next('ltx'),
          memberId,
          reason: 'return window passed',
          eventId: null,
          createdAt: now,
        });
        totals.add(programId, member, lot.remaining, delta);
        done.points += lot.remaining;
      }
      await markLotReleased(trx, programId, id, now);
      done.lots += 1;
    }
    await totals.enqueue(ctx, trx, 'points.released', now);
    return done;
  });
}

/** Expires what is left of lots past their expiry, in batches, until none is due. Outbox: points.expired per member. */
export async function expireLots(ctx: ServiceContext): Promise<JobRun> {
  return untilDone(ctx, async (trx, now) => {
    const due = await claimLotsDueForExpiry(trx, ctx.storage, now, BATCH);
    if (due.length === 0) return null;
    const members = await lockMembersOf(ctx, trx, due);
    const totals = new MemberTotals();
    const done: JobRun = { lots: 0, points: 0 };
    for (const { programId, id, memberId } of due) {
      const member = members.get(`${programId}|${memberId}`);
      const lot = await findLot(trx, programId, id);
      if (!member || !lot || lot.remaining === 0 || lot.expiresAt === null || lot.expiresAt > now) continue;
      const delta = await writeMemberPosting(
        trx,
        programId,
        expiryPosting(lot),
        { id: ctx.ids.next('ltx'), memberId, reason: 'points expired', eventId: null, createdAt: now },
        { takes: [{ lotId: lot.id, points: lot.remaining, pending: lot.releasedAt === null }] },
      );
      totals.add(programId, member, lot.remaining, delta);
      done.lots += 1;
      done.points += lot.remaining;
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
