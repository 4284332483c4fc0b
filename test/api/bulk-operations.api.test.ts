/**
 * Bulk operations over HTTP, on every dialect: `POST /v1/bulk-operations/member-import` and `/points-adjustment`
 * accept (202) or refuse whole (a problem naming the item's field, nothing written); the job runner works the
 * lines off; `GET /v1/bulk-operations/{id}` shows progress and `/items?status=failed` the lines to fix.
 */
import { describe, expect, it } from 'vitest';
import { runAllJobs } from '../../src/jobs/runner.js';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import type { BulkItemView, BulkOperationView } from '../../src/services/bulk/bulk-operations.service.js';
import type { MemberView, Page } from '../../src/services/views.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

async function written(db: TestDatabase) {
  const count = async (table: 'members' | 'bulkOperations' | 'bulkOperationItems' | 'ledgerTransactions' | 'idempotencyKeys') =>
    Number((await db.ctx.storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst())?.n ?? 0);
  return { members: await count('members'), operations: await count('bulkOperations'), items: await count('bulkOperationItems'), transactions: await count('ledgerTransactions'), keys: await count('idempotencyKeys') };
}

forEachDialect('bulk operations api', (db) => {
  const api = useApi(db);

  describe('POST /v1/bulk-operations/member-import', () => {
    it('accepts with 202, and the job enrols the members; progress and failures by GET', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      await givenMember(db.ctx, programId, { externalId: 'taken' });
      const client = api.as(apiKey);
      const response = await client.post('/v1/bulk-operations/member-import', {
        items: [{ externalId: 'c-1', email: 'lotte@example.nl', points: 300 }, { externalId: 'taken' }],
      });
      expect(response.statusCode, response.body).toBe(202);
      const operation = response.json<BulkOperationView>();
      expect(operation).toMatchObject({ id: expect.stringMatching(/^bop_/), kind: 'member_import', status: 'queued', total: 2, processed: 0, createdBy: expect.stringContaining('…') });

      await runAllJobs(db.ctx);
      const progress = await client.get(`/v1/bulk-operations/${operation.id}`);
      expect(progress.json<BulkOperationView>()).toMatchObject({ status: 'completed', total: 2, processed: 2, succeeded: 1, failed: 1 });
      const failed = (await client.get(`/v1/bulk-operations/${operation.id}/items?status=failed`)).json<Page<BulkItemView>>();
      expect(failed.data.map((item) => [item.line, item.problem?.code, item.problem?.pointer])).toEqual([[2, 'member_external_id_taken', '/items/1/externalId']]);
      const lotte = (await client.get('/v1/members?email=lotte@example.nl')).json<Page<MemberView>>().data[0];
      expect((await client.get(`/v1/members/${lotte?.id ?? ''}/balance`)).json()).toMatchObject({ available: 300 });
      const list = (await client.get('/v1/bulk-operations')).json<Page<BulkOperationView>>();
      expect(list.data.map((op) => op.id)).toEqual([operation.id]);
    });

    it('refuses a bad item whole with 400 naming it, and writes nothing', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await written(db);
      const response = await api.as(apiKey).post('/v1/bulk-operations/member-import', {
        items: [{ externalId: 'ok' }, { externalId: 'bad', email: 'not an address' }],
      });
      expectProblem(response, 400, 'validation_failed', '/items/1/email');
      expect(await written(db)).toEqual(before);
    });

    it('refuses an unknown field in an item naming it', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await written(db);
      expectProblem(await api.as(apiKey).post('/v1/bulk-operations/member-import', { items: [{ externalId: 'a', balance: 5 }] }), 400, 'validation_failed', '/items/0/balance');
      expect(await written(db)).toEqual(before);
    });
  });

  describe('POST /v1/bulk-operations/points-adjustment', () => {
    it('replays an Idempotency-Key with 200 and the first operation', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      await givenMember(db.ctx, programId, { externalId: 'm' });
      const client = api.as(apiKey);
      const body = { reason: 'Apology', items: [{ externalId: 'm', points: 25 }] };
      const first = await client.post('/v1/bulk-operations/points-adjustment', body, { 'idempotency-key': 'bulk-1' });
      expect(first.statusCode).toBe(202);
      const again = await client.post('/v1/bulk-operations/points-adjustment', body, { 'idempotency-key': 'bulk-1' });
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expectProblem(await client.post('/v1/bulk-operations/points-adjustment', { ...body, reason: 'Other' }, { 'idempotency-key': 'bulk-1' }), 409, 'idempotency_key_reused_with_different_body');
    });

    it('refuses a string where points are a number, naming the item', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await written(db);
      expectProblem(await api.as(apiKey).post('/v1/bulk-operations/points-adjustment', { reason: 'r', items: [{ externalId: 'm', points: '5' }] }), 400, 'validation_failed', '/items/0/points');
      expectProblem(await api.as(apiKey).post('/v1/bulk-operations/points-adjustment', { reason: 'r', items: [{ externalId: 'm', points: 5 }, { externalId: 'm', points: 6 }] }), 400, 'validation_failed', '/items/1/externalId');
      expect(await written(db)).toEqual(before);
    });

    it('is refused to a key without members:write, and another programme’s operation is 404', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const other = await givenProgram(db.ctx, { name: 'Other' });
      await givenMember(db.ctx, programId, { externalId: 'm' });
      const reader = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'reader', ['members:read']));
      const before = await written(db);
      expectProblem(await api.as(reader).post('/v1/bulk-operations/points-adjustment', { reason: 'r', items: [{ externalId: 'm', points: 5 }] }), 403, 'insufficient_scope');
      expect(await written(db)).toEqual(before);
      const accepted = await api.as(apiKey).post('/v1/bulk-operations/points-adjustment', { reason: 'r', items: [{ externalId: 'm', points: 5 }] });
      const id = accepted.json<BulkOperationView>().id;
      expectProblem(await api.as(other.apiKey).get(`/v1/bulk-operations/${id}`), 404, 'bulk_operation_not_found');
      expectProblem(await api.as(other.apiKey).get(`/v1/bulk-operations/${id}/items`), 404, 'bulk_operation_not_found');
      expect((await api.as(other.apiKey).get('/v1/bulk-operations')).json<Page<BulkOperationView>>().data).toEqual([]);
    });
  });
});
