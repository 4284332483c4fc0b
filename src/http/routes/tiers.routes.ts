import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import {
  createMembershipPlan,
  getMembership,
  getMembershipPlan,
  listMembershipPlans,
  listMemberships,
  recordMembership,
  renewMembership,
} from '../../services/memberships.service.js';
import { getTierConfiguration, listTierHistory, putTierConfiguration } from '../../services/tiers.service.js';
import { programOf } from '../plugins/auth.js';
import { IdempotencyHeaders, IdParams, Page, PageQuery, problems } from '../schemas.js';
import {
  Membership, MembershipBody, MembershipPlan, MembershipPlanBody, RenewMembershipBody, TierConfiguration, TierConfigurationBody,
  TierHistoryEntry,
} from './tiers.schemas.js';

export function tierRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/v1/tiers', {
    config: { scope: 'tiers:read' },
    schema: { tags: ['tiers'], summary: "The programme's tiers", response: { 200: TierConfiguration, ...problems(401, 403, 404) } },
  }, async (request) => getTierConfiguration(ctx, programOf(request)));

  r.put('/v1/tiers', {
    config: { scope: 'tiers:write' },
    schema: {
      tags: ['tiers'],
      summary: "Replace the programme's tiers",
      description:
        'Applies from now on. Members keep a qualified level that still exists (and its review date); members whose level no longer exists, or who have none, are placed at once by their metric (tier history reason `configuration`).',
      body: TierConfigurationBody,
      response: { 200: TierConfiguration, ...problems(400, 401, 403) },
    },
  }, async (request) => putTierConfiguration(ctx, programOf(request), request.body));

  r.get('/v1/members/:id/tier-history', {
    config: { scope: 'members:read' },
    schema: {
      tags: ['tiers'],
      summary: "A member's tier changes, newest first, each with its reason",
      params: IdParams,
      querystring: Type.Object(PageQuery),
      response: { 200: Page(TierHistoryEntry), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => listTierHistory(ctx, programOf(request), request.params.id, request.query));

  r.get('/v1/membership-plans', {
    config: { scope: 'members:read' },
    schema: {
      tags: ['memberships'],
      summary: 'List the membership plans, oldest first',
      querystring: Type.Object(PageQuery),
      response: { 200: Page(MembershipPlan), ...problems(400, 401, 403) },
    },
  }, async (request) => listMembershipPlans(ctx, programOf(request), request.query));

  r.post('/v1/membership-plans', {
    config: { scope: 'memberships:write' },
    schema: {
      tags: ['memberships'],
      summary: 'Create a membership plan (a paid programme that grants a level and perks)',
      body: MembershipPlanBody,
      response: { 201: MembershipPlan, ...problems(400, 401, 403) },
    },
  }, async (request, reply) => reply.code(201).send(await createMembershipPlan(ctx, programOf(request), request.body)));

  r.get('/v1/membership-plans/:id', {
    config: { scope: 'members:read' },
    schema: { tags: ['memberships'], summary: 'Get a membership plan', params: IdParams, response: { 200: MembershipPlan, ...problems(401, 403, 404) } },
  }, async (request) => getMembershipPlan(ctx, programOf(request), request.params.id));

  r.post('/v1/memberships', {
    config: { scope: 'memberships:write' },
    schema: {
      tags: ['memberships'],
      summary: 'Record a paid membership billed elsewhere',
      description:
        'Active from `startsAt` to `endsAt`; ends by itself. A membership of the same member and plan that overlaps or abuts one that has not ended extends that one (200, same id) instead of creating another (201). Retries are safe with an Idempotency-Key.',
      headers: IdempotencyHeaders,
      body: MembershipBody,
      response: { 201: Membership, 200: Membership, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request, reply) => {
    const outcome = await recordMembership(ctx, programOf(request), request.body, request.headers['idempotency-key']);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.created && !outcome.replayed ? 201 : 200).send(outcome.membership);
  });

  r.get('/v1/memberships/:id', {
    config: { scope: 'members:read' },
    schema: { tags: ['memberships'], summary: 'Get a membership', params: IdParams, response: { 200: Membership, ...problems(401, 403, 404) } },
  }, async (request) => getMembership(ctx, programOf(request), request.params.id));

  r.post('/v1/memberships/:id/renew', {
    config: { scope: 'memberships:write' },
    schema: {
      tags: ['memberships'],
      summary: 'Extend a membership that has not ended to a later endsAt',
      params: IdParams,
      body: RenewMembershipBody,
      response: { 200: Membership, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => renewMembership(ctx, programOf(request), request.params.id, request.body));

  r.get('/v1/members/:id/memberships', {
    config: { scope: 'members:read' },
    schema: {
      tags: ['memberships'],
      summary: "A member's memberships, oldest first",
      params: IdParams,
      querystring: Type.Object(PageQuery),
      response: { 200: Page(Membership), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => listMemberships(ctx, programOf(request), request.params.id, request.query));
}
