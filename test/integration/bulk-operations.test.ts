/**
 * Bulk operations on a real database: a member import and a bulk adjustment are checked whole, accepted, and
 * worked off by the job line by line. Each line is applied exactly once (a re-run, a worker killed mid-way, two
 * workers at once), a line the domain refuses fails alone with its problem, and the operation's counters always
 * agree with its lines and with the ledger.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { isDomainError } from '../../src/domain/errors.js';
import { getBulkOperation, listBulkItems, startBulkOperation } from '../../src/services/bulk/bulk-operations.service.js';
import { processBulkOperations } from '../../src/services/bulk/process-bulk-operations.js';
import { getBalance, getLedger, listMembers } from '../../src/services/members.service.js';
import { openStorage } from '../../src/storage/db.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

async function rowCounts(ctx: ServiceContext, programId: string) {
  const count = async (table: 'members' | 'ledgerTransactions' | 'bulkOperations' | 'bulkOperationItems' | 'outboxMessages') =>
    Number((await ctx.storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('programId', '=', programId).executeTakeFirstOrThrow()).n);
  return {
    members: await count('members'),
    ledgerTransactions: await count('ledgerTransactions'),
    bulkOperations: await count('bulkOperations'),
    items: await count('bulkOperationItems'),
    outbox: await count('outboxMessages'),
  };
}

/** A context whose id generator fails after `calls` ids: the line's transaction aborts as a killed worker's does. */
function dyingAfter(ctx: ServiceContext, calls: number): ServiceContext {
  let left = calls;
  return { ...ctx, ids: { next: (prefix) => { if (left-- <= 0) throw new Error('worker killed'); return ctx.ids.next(prefix); } } };
}

forEachDialect('bulk operations', (db) => {
  describe('member import', () => {
    it('enrols each line with its profile and opening balance; a taken externalId fails alone', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 12 });
      await givenMember(db.ctx, programId, { externalId: 'already-here' });
      const { operation } = await startBulkOperation(db.ctx, programId, {
        kind: 'member_import',
        items: [
          { externalId: 'imp-1', email: 'Anna@Example.com', name: 'Anna de Vries', points: 1200 },
          { externalId: 'already-here', name: 'Someone Else' },
          { externalId: 'imp-3', locale: 'nl', attributes: { store: 'Utrecht' } },
        ],
      }, 'owner@example.com');
      expect(operation).toMatchObject({ kind: 'member_import', status: 'queued', total: 3, processed: 0, createdBy: 'owner@example.com', reason: 'Opening balance (import)' });

      expect(await processBulkOperations(db.ctx)).toEqual({ lines: 3 });
      const done = await getBulkOperation(db.ctx, programId, operation.id);
      expect(done).toMatchObject({ status: 'completed', processed: 3, succeeded: 2, failed: 1 });
      expect(done.finishedAt).not.toBeNull();

      const anna = (await listMembers(db.ctx, programId, { email: 'anna@example.com' })).data[0];
      expect(anna).toMatchObject({ externalId: 'imp-1', name: 'Anna de Vries' });
      expect(await getBalance(db.ctx, programId, anna?.id ?? '')).toMatchObject({ available: 1200, pending: 0 });
      const ledger = await getLedger(db.ctx, programId, anna?.id ?? '', {});
      expect(ledger.data.map((e) => [e.kind, e.points, e.reason])).toEqual([['adjustment', 1200, 'Opening balance (import)']]);
      expect((await listMembers(db.ctx, programId, { externalId: 'imp-3' })).data[0]).toMatchObject({ locale: 'nl', attributes: { store: 'Utrecht' } });

      const failed = await listBulkItems(db.ctx, programId, operation.id, { status: 'failed' });
      expect(failed.data).toEqual([
        expect.objectContaining({
          line: 2,
          status: 'failed',
          input: { externalId: 'already-here', name: 'Someone Else' },
          problem: { code: 'member_external_id_taken', detail: expect.stringContaining('already-here'), pointer: '/items/1/externalId' },
        }),
      ]);
      const succeeded = await listBulkItems(db.ctx, programId, operation.id, { status: 'succeeded' });
      expect(succeeded.data.map((item) => [item.line, item.result?.memberId === anna?.id, item.result?.transactionId === null])).toEqual([
        [1, true, false],
        [3, false, true],
      ]);
      // The business hears of each new member and of the end of the import.
      const completed = await db.ctx.storage.db.selectFrom('outboxMessages').select('data').where('programId', '=', programId).where('type', '=', 'bulk_operation.completed').execute();
      expect(completed.map((row) => JSON.parse(row.data) as unknown)).toEqual([
        { id: operation.id, kind: 'member_import', total: 3, succeeded: 2, failed: 1, finishedAt: done.finishedAt },
      ]);
    });
  });

  describe('points adjustment', () => {
    it('gives and takes per line; an unknown member or too few points fail alone and post nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const rich = await givenMember(db.ctx, programId, { externalId: 'rich', points: 500 });
      const poor = await givenMember(db.ctx, programId, { externalId: 'poor', points: 20 });
      const { operation } = await startBulkOperation(db.ctx, programId, {
        kind: 'points_adjustment',
        reason: 'Goodwill after the outage',
        items: [
          { externalId: 'rich', points: -200 },
          { externalId: 'ghost', points: 50 },
          { externalId: 'poor', points: -50 },
        ],
      }, 'support@example.com');
      await processBulkOperations(db.ctx);
      expect(await getBulkOperation(db.ctx, programId, operation.id)).toMatchObject({ status: 'completed', processed: 3, succeeded: 1, failed: 2 });
      expect((await getBalance(db.ctx, programId, rich.id)).available).toBe(300);
      expect((await getBalance(db.ctx, programId, poor.id)).available).toBe(20);
      const failed = await listBulkItems(db.ctx, programId, operation.id, { status: 'failed' });
      expect(failed.data.map((item) => [item.line, item.problem?.code, item.problem?.pointer])).toEqual([
        [2, 'member_not_found', '/items/1/externalId'],
        [3, 'insufficient_points', '/items/2/points'],
      ]);
      const ledger = await getLedger(db.ctx, programId, rich.id, {});
      expect(ledger.data[0]).toMatchObject({ kind: 'adjustment', points: -200, reason: 'Goodwill after the outage' });
    });

    it('uses a line’s own reason over the operation’s', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { externalId: 'm1' });
      await startBulkOperation(db.ctx, programId, { kind: 'points_adjustment', reason: 'Campaign', items: [{ externalId: 'm1', points: 10, reason: 'Store 12 apology' }] }, 'x');
      await processBulkOperations(db.ctx);
      expect((await getLedger(db.ctx, programId, member.id, {})).data[0]).toMatchObject({ points: 10, reason: 'Store 12 apology' });
    });
  });

  describe('checked whole before anything is written', () => {
    it.each([
      ['a zero adjustment', { kind: 'points_adjustment', reason: 'r', items: [{ externalId: 'a', points: 5 }, { externalId: 'b', points: 0 }] }, '/items/1/points'],
      ['an externalId twice', { kind: 'points_adjustment', reason: 'r', items: [{ externalId: 'a', points: 5 }, { externalId: 'a', points: 6 }] }, '/items/1/externalId'],
      ['a blank reason', { kind: 'points_adjustment', reason: '  ', items: [{ externalId: 'a', points: 5 }] }, '/reason'],
      ['a negative opening balance', { kind: 'member_import', items: [{ externalId: 'a' }, { externalId: 'b', points: -5 }] }, '/items/1/points'],
      ['attributes too large', { kind: 'member_import', items: [{ externalId: 'a', attributes: { blob: 'x'.repeat(9_000) } }] }, '/items/0/attributes'],
      ['no items', { kind: 'member_import', items: [] }, '/items'],
    ] as const)('refuses %s naming the field', async (_name, input, pointer) => {
      const { programId } = await givenProgram(db.ctx);
      const before = await rowCounts(db.ctx, programId);
      const error: unknown = await startBulkOperation(db.ctx, programId, structuredClone(input) as never, 'x').catch((e: unknown) => e);
      expect(isDomainError(error) && error.code === 'validation_failed' && error.errors[0]?.pointer).toBe(pointer);
      expect(await rowCounts(db.ctx, programId)).toEqual(before);
    });
  });

  describe('exactly once', () => {
    it('a repeat with the same Idempotency-Key returns the first operation and adds nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenMember(db.ctx, programId, { externalId: 'm1' });
      const input = { kind: 'points_adjustment' as const, reason: 'r', items: [{ externalId: 'm1', points: 10 }] };
      const first = await startBulkOperation(db.ctx, programId, input, 'x', 'key-1');
      const again = await startBulkOperation(db.ctx, programId, input, 'x', 'key-1');
      expect(again).toEqual({ replayed: true, operation: first.operation });
      expect((await rowCounts(db.ctx, programId)).bulkOperations).toBe(1);
      const other = await startBulkOperation(db.ctx, programId, { ...input, reason: 'other' }, 'x', 'key-1').catch((e: unknown) => e);
      expect(isDomainError(other) && other.code).toBe('idempotency_key_reused_with_different_body');
    });

    it('a worker killed mid-way leaves its line pending; the next run finishes without doubling', async () => {
      const { programId } = await givenProgram(db.ctx);
      const members = [];
      for (let i = 0; i < 6; i++) members.push(await givenMember(db.ctx, programId, { externalId: `k-${i}` }));
      const { operation } = await startBulkOperation(db.ctx, programId, {
        kind: 'points_adjustment', reason: 'r', items: members.map((m) => ({ externalId: m.externalId, points: 7 })),
      }, 'x');
      // Three ids per line (ledger transaction, lot, outbox message): the worker dies inside the third line.
      await expect(processBulkOperations(dyingAfter(db.ctx, 3 * 2 + 1))).rejects.toThrow('worker killed');
      expect(await getBulkOperation(db.ctx, programId, operation.id)).toMatchObject({ status: 'running', processed: 2 });
      expect(await processBulkOperations(db.ctx)).toEqual({ lines: 4 });
      expect(await processBulkOperations(db.ctx)).toEqual({ lines: 0 });
      for (const member of members) expect((await getBalance(db.ctx, programId, member.id)).available).toBe(7);
      expect(await getBulkOperation(db.ctx, programId, operation.id)).toMatchObject({ status: 'completed', processed: 6, succeeded: 6, failed: 0 });
    });

    it('two workers at once apply each line once between them', async () => {
      const { programId } = await givenProgram(db.ctx);
      const items = Array.from({ length: 60 }, (_, i) => ({ externalId: `w-${i}`, name: `Member ${i}`, points: 100 + i }));
      const { operation } = await startBulkOperation(db.ctx, programId, { kind: 'member_import', items }, 'x');
      // On PostgreSQL the second worker has its own pool, like a second process; SQLite has one job runner.
      const other = db.dialect === 'postgres' ? openStorage({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath, poolSize: 4 }) : db.ctx.storage;
      try {
        const [a, b] = await Promise.all([processBulkOperations(db.ctx), processBulkOperations({ ...db.ctx, storage: other })]);
        expect(a.lines + b.lines).toBe(60);
      } finally {
        if (other !== db.ctx.storage) await other.close();
      }
      expect(await getBulkOperation(db.ctx, programId, operation.id)).toMatchObject({ status: 'completed', processed: 60, succeeded: 60, failed: 0 });
      const rows = await db.ctx.storage.db.selectFrom('members').select(['externalId', 'available']).where('programId', '=', programId).orderBy('externalId').execute();
      expect(rows).toHaveLength(60);
      expect(rows.reduce((sum, row) => sum + row.available, 0)).toBe(items.reduce((sum, item) => sum + item.points, 0));
    });

    it('a time budget stops between lines and the next run goes on', async () => {
      const { programId } = await givenProgram(db.ctx);
      const items = Array.from({ length: 20 }, (_, i) => ({ externalId: `t-${i}` }));
      const { operation } = await startBulkOperation(db.ctx, programId, { kind: 'member_import', items }, 'x');
      expect(await processBulkOperations(db.ctx, { budgetMs: 0 })).toEqual({ lines: 0 });
      expect(await getBulkOperation(db.ctx, programId, operation.id)).toMatchObject({ status: 'queued', processed: 0, startedAt: null });
      expect(await processBulkOperations(db.ctx)).toEqual({ lines: 20 });
    });
  });
});
