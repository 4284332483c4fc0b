import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { adjustPoints } from '../../services/adjustments.service.js';
import { enrolMember, getBalance, getLedger, getMember, listMembers, updateMember } from '../../services/members.service.js';
import { eraseMember } from '../../services/privacy/erase-member.js';
import { programOf } from '../plugins/auth.js';
import {
  Adjustment, AdjustmentBody, Balance, EnrolMemberBody, IdempotencyHeaders, IdParams, LedgerEntry, Member, Page, PageQuery,
  problems, UpdateMemberBody,
} from '../schemas.js';

export function memberRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['members'];

  r.post('/v1/members', {
    config: { scope: 'members:write' },
    schema: { tags, summary: 'Enrol a member', body: EnrolMemberBody, response: { 201: Member, ...problems(400, 401, 403, 409, 422) } },
  }, async (request, reply) => reply.code(201).send(await enrolMember(ctx, programOf(request), request.body)));

  r.get('/v1/members', {
    config: { scope: 'members:read' },
    schema: {
      tags,
      summary: 'List or find members',
      querystring: Type.Object({
        externalId: Type.Optional(Type.String()),
        email: Type.Optional(Type.String()),
        name: Type.Optional(Type.String({ maxLength: 200, description: 'Words of the name, or their beginnings (3+ letters); every word must match' })),
        ...PageQuery,
      }),
      response: { 200: Page(Member), ...problems(400, 401, 403) },
    },
  }, async (request) => listMembers(ctx, programOf(request), request.query));

  r.get('/v1/members/:id', {
    config: { scope: 'members:read' },
    schema: { tags, summary: 'Get a member', params: IdParams, response: { 200: Member, ...problems(401, 403, 404) } },
  }, async (request) => getMember(ctx, programOf(request), request.params.id));

  r.patch('/v1/members/:id', {
    config: { scope: 'members:write' },
    schema: { tags, summary: 'Change a member', params: IdParams, body: UpdateMemberBody, response: { 200: Member, ...problems(400, 401, 403, 404, 409) } },
  }, async (request) => updateMember(ctx, programOf(request), request.params.id, request.body));

  r.get('/v1/members/:id/balance', {
    config: { scope: 'members:read' },
    schema: { tags, summary: "A member's balance and what expires when", params: IdParams, response: { 200: Balance, ...problems(401, 403, 404) } },
  }, async (request) => getBalance(ctx, programOf(request), request.params.id));

  r.get('/v1/members/:id/ledger', {
    config: { scope: 'members:read' },
    schema: {
      tags,
      summary: "A member's ledger entries, newest first, each with its reason",
      params: IdParams,
      querystring: Type.Object(PageQuery),
      response: { 200: Page(LedgerEntry), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => getLedger(ctx, programOf(request), request.params.id, request.query));

  r.post('/v1/members/:id/erase', {
    config: { scope: 'members:write' },
    schema: {
      tags,
      summary: "Erase a member's personal data (GDPR right to erasure), for good",
      description:
        'E-mail, name, phone, birth date, locale, attributes, consents, fingerprints and externalId go; the ledger, events and redemptions stay ' +
        'under the bare member id, and points left are forfeited with the reason. Sends member.erased. A repeat answers with the erased member.',
      params: IdParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ member: Member, pointsForfeited: Type.Integer() }), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => eraseMember(ctx, programOf(request), request.params.id, request.body));

  r.post('/v1/members/:id/adjustments', {
    config: { scope: 'members:write' },
    schema: {
      tags,
      summary: 'Give or take points with a reason',
      params: IdParams,
      headers: IdempotencyHeaders,
      body: AdjustmentBody,
      response: { 201: Adjustment, 200: Adjustment, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request, reply) => {
    const outcome = await adjustPoints(ctx, programOf(request), request.params.id, request.body, request.headers['idempotency-key']);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.replayed ? 200 : 201).send(outcome.adjustment);
  });
}
