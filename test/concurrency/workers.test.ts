/**
 * Two workers on one database. Method: many due lots across many members, then the same job started twice at
 * once (two workers with their own connections to the database, as two `trouw worker` processes have), and a worker that
 * dies half-way through a batch (its id generator throws after some postings were written, so the batch's
 * transaction aborts the way a killed process's does). Afterwards every lot must have been released or
 * expired exactly once: one ledger transaction per lot, the balances equal to the lots, the ledger invariants
 * (checked after every test) intact.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { openStorage } from '../../src/storage/db.js';
import { expireLots, releasePendingPoints } from '../../src/services/points-jobs.service.js';
import { recordYearlyTriggers } from '../../src/services/yearly-triggers.service.js';
import { recordEventBatch } from '../../src/services/events.service.js';
import { createRule } from '../../src/services/rules.service.js';
import { enrolMember } from '../../src/services/members.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

const MEMBERS = 40;
const PURCHASES_PER_MEMBER = 8;

async function givenManyPendingLots(ctx: ServiceContext) {
  const { programId } = await givenProgram(ctx, { pendingDays: 14, expiryMonths: 1 });
  const members = [];
  for (let i = 0; i < MEMBERS; i++) members.push(await givenMember(ctx, programId));
  const events = members.flatMap((member, m) =>
    Array.from({ length: PURCHASES_PER_MEMBER }, (_, p) => ({
      id: `evt-${m}-${p}`,
      type: 'purchase',
      memberId: member.id,
      data: { orderId: `order-${m}-${p}`, total: 1000 + 100 * p, currency: 'EUR' },
    })),
  );
  const results = await recordEventBatch(ctx, programId, events);
  expect(results.every((r) => r.ok)).toBe(true);
  return { programId, lots: MEMBERS * PURCHASES_PER_MEMBER };
}

async function ledgerTransactions(ctx: ServiceContext, programId: string, kind: string) {
  const rows = await ctx.storage.db
    .selectFrom('ledgerEntries as e')
    .innerJoin('ledgerTransactions as t', (join) => join.onRef('t.programId', '=', 'e.programId').onRef('t.id', '=', 'e.transactionId'))
    .select(['e.lotId', 't.id'])
    .where('e.programId', '=', programId)
    .where('t.kind', '=', kind)
    .where('e.account', 'in', ['member_available', 'member_pending'])
    .execute();
  return rows;
}

/** A context whose id generator fails after `calls` ids: the batch's transaction aborts half-written. */
function dyingAfter(ctx: ServiceContext, calls: number): ServiceContext {
  let left = calls;
  return {
    ...ctx,
    ids: {
      next: (prefix) => {
        if (left-- <= 0) throw new Error('worker killed');
        return ctx.ids.next(prefix);
      },
    },
  };
}

forEachDialect('workers', (db) => {
  /**
   * A second worker. On PostgreSQL it has its own connection pool to the database, like another process. On
   * SQLite only one process runs jobs (the runner's lease), so the second worker is a second caller in the same
   * process: a second connection there would block the event loop waiting for the first one's write lock.
   */
  async function withSecondWorker<T>(fn: (worker: ServiceContext) => Promise<T>): Promise<T> {
    if (db.dialect === 'sqlite') return fn(db.ctx);
    const storage = openStorage({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath, poolSize: 4 });
    try {
      return await fn({ ...db.ctx, storage });
    } finally {
      await storage.close();
    }
  }

  describe('two workers', () => {
    it('release each due lot exactly once between them', async () => {
      const { programId, lots } = await givenManyPendingLots(db.ctx);
      db.clock.advanceDays(14);
      const [a, b] = await withSecondWorker((other) => Promise.all([releasePendingPoints(db.ctx), releasePendingPoints(other)]));
      expect(a.lots + b.lots).toBe(lots);
      const releases = await ledgerTransactions(db.ctx, programId, 'release');
      // A release has two entries per lot (pending out, available in).
      expect(releases).toHaveLength(2 * lots);
      expect(new Set(releases.map((r) => r.lotId)).size).toBe(lots);
      const released = await db.ctx.storage.db.selectFrom('lots').select('id').where('programId', '=', programId).where('releasedAt', 'is', null).execute();
      expect(released).toEqual([]);
    });

    it('expire each due lot exactly once between them', async () => {
      const { programId, lots } = await givenManyPendingLots(db.ctx);
      db.clock.advanceDays(14);
      await releasePendingPoints(db.ctx);
      db.clock.advanceDays(40);
      const [a, b] = await withSecondWorker((other) => Promise.all([expireLots(db.ctx), expireLots(other)]));
      expect(a.lots + b.lots).toBe(lots);
      const expiries = await ledgerTransactions(db.ctx, programId, 'expiry');
      expect(expiries).toHaveLength(lots);
      expect(new Set(expiries.map((r) => r.id)).size).toBe(lots);
      const members = await db.ctx.storage.db.selectFrom('members').select(['available', 'pending']).where('programId', '=', programId).execute();
      for (const m of members) expect(m).toEqual({ available: 0, pending: 0 });
    });

    it('record each birthday once between them', async () => {
      const { programId } = await givenProgram(db.ctx, { timezone: 'UTC' });
      await createRule(db.ctx, programId, { name: 'birthday', trigger: 'birthday', effects: [{ type: 'points', amount: 100 }] });
      for (let i = 0; i < 30; i++) await enrolMember(db.ctx, programId, { externalId: `b-${i}`, birthDate: '1990-03-20' });
      db.clock.set('2026-03-20T09:00:00Z');
      const [a, b] = await withSecondWorker((other) => Promise.all([recordYearlyTriggers(db.ctx), recordYearlyTriggers(other)]));
      expect(a.birthday + b.birthday).toBe(30);
      const members = await db.ctx.storage.db.selectFrom('members').select('available').where('programId', '=', programId).execute();
      expect(members.map((m) => m.available)).toEqual(Array.from({ length: 30 }, () => 100));
    });
  });

  describe('a worker killed mid-batch', () => {
    it('leaves nothing half-done: the next run releases every lot once', async () => {
      const { programId, lots } = await givenManyPendingLots(db.ctx);
      db.clock.advanceDays(14);
      await expect(releasePendingPoints(dyingAfter(db.ctx, 25))).rejects.toThrow('worker killed');
      expect(await ledgerTransactions(db.ctx, programId, 'release')).toEqual([]);
      expect((await releasePendingPoints(db.ctx)).lots).toBe(lots);
      expect(new Set((await ledgerTransactions(db.ctx, programId, 'release')).map((r) => r.lotId)).size).toBe(lots);
      expect((await releasePendingPoints(db.ctx)).lots).toBe(0);
    });

    it('does not expire twice after a restart', async () => {
      const { programId, lots } = await givenManyPendingLots(db.ctx);
      db.clock.advanceDays(14);
      await releasePendingPoints(db.ctx);
      db.clock.advanceDays(40);
      // The first batch (200 lots) commits; the worker dies inside the second.
      await expect(expireLots(dyingAfter(db.ctx, 200 + 30))).rejects.toThrow('worker killed');
      const afterCrash = await ledgerTransactions(db.ctx, programId, 'expiry');
      expect(afterCrash).toHaveLength(200);
      expect((await expireLots(db.ctx)).lots).toBe(lots - 200);
      expect(await ledgerTransactions(db.ctx, programId, 'expiry')).toHaveLength(lots);
    });
  });
});
