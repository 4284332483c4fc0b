import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { getBulkOperation, listBulkItems, listBulkOperations, startBulkOperation } from '../../services/bulk/bulk-operations.service.js';
import { actorOf, programOf } from '../plugins/auth.js';
import { IdempotencyHeaders, IdParams, Page, PageQuery, problems } from '../schemas.js';
import { BulkItem, BulkItemsQuery, BulkOperation, MemberImportBody, PointsAdjustmentBody } from './bulk-operations.schemas.js';

/** 10,000 import lines with a profile each stay under this. */
const BULK_BODY_LIMIT = 8 * 1024 * 1024;

/** Member imports and bulk adjustments: accepted at once (202), worked off by the job runner, progress by GET. */
export function bulkOperationRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['bulk operations'];

  const accepted =
    'Up to 10,000 items. The whole request is checked first: a bad item refuses it all (400 naming `/items/N/…`) and nothing is written. ' +
    'Then 202 with the operation; the job runner does each item in its own transaction and records its outcome, and an item that fails ' +
    'does not stop the others. Follow `processed` of GET /v1/bulk-operations/{id}; the failed items are at `/items?status=failed`; ' +
    '`bulk_operation.completed` is sent when it ends. Safe to retry with an Idempotency-Key.';

  r.post('/v1/bulk-operations/member-import', {
    config: { scope: 'members:write' },
    bodyLimit: BULK_BODY_LIMIT,
    schema: {
      tags,
      summary: 'Enrol many members, each with an optional opening balance, in the background',
      description: `${accepted} An item fails alone when its externalId is already enrolled.`,
      headers: IdempotencyHeaders,
      body: MemberImportBody,
      response: { 202: BulkOperation, 200: BulkOperation, ...problems(400, 401, 403, 409, 413) },
    },
  }, async (request, reply) => {
    const outcome = await startBulkOperation(ctx, programOf(request), { kind: 'member_import', ...request.body }, actorOf(request), request.headers['idempotency-key']);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.replayed ? 200 : 202).send(outcome.operation);
  });

  r.post('/v1/bulk-operations/points-adjustment', {
    config: { scope: 'members:write' },
    bodyLimit: BULK_BODY_LIMIT,
    schema: {
      tags,
      summary: "Give or take points of many members, by externalId, in the background",
      description: `${accepted} An item fails alone when its member is unknown or has fewer available points than it takes.`,
      headers: IdempotencyHeaders,
      body: PointsAdjustmentBody,
      response: { 202: BulkOperation, 200: BulkOperation, ...problems(400, 401, 403, 409, 413) },
    },
  }, async (request, reply) => {
    const outcome = await startBulkOperation(ctx, programOf(request), { kind: 'points_adjustment', ...request.body }, actorOf(request), request.headers['idempotency-key']);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.replayed ? 200 : 202).send(outcome.operation);
  });

  r.get('/v1/bulk-operations', {
    config: { scope: 'members:read' },
    schema: {
      tags,
      summary: "The programme's bulk operations, newest first",
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: { 200: Page(BulkOperation), ...problems(400, 401, 403) },
    },
  }, async (request) => listBulkOperations(ctx, programOf(request), request.query));

  r.get('/v1/bulk-operations/:id', {
    config: { scope: 'members:read' },
    schema: { tags, summary: 'A bulk operation and its progress', params: IdParams, response: { 200: BulkOperation, ...problems(401, 403, 404) } },
  }, async (request) => getBulkOperation(ctx, programOf(request), request.params.id));

  r.get('/v1/bulk-operations/:id/items', {
    config: { scope: 'members:read' },
    schema: {
      tags,
      summary: "A bulk operation's items in order, with each one's result or problem",
      params: IdParams,
      querystring: BulkItemsQuery,
      response: { 200: Page(BulkItem), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => listBulkItems(ctx, programOf(request), request.params.id, request.query));
}
