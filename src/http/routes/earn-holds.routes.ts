import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { approveEarnHold, getEarnHold, listEarnHolds, memberFraudView, rejectEarnHold } from '../../services/fraud/earn-holds.js';
import { programOf } from '../plugins/auth.js';
import { IdParams, Page, problems } from '../schemas.js';
import { EarnHold, EarnHoldListQuery, MemberFraud } from './earn-holds.schemas.js';
import { ReviewBody } from './referral-reviews.schemas.js';

/** The daily earn limit's review queue and a member's earn-abuse picture. */
export function earnHoldRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['fraud'];

  r.get('/v1/earn-holds', {
    config: { scope: 'fraud:read' },
    schema: {
      tags,
      summary: 'List held awards, newest first',
      description: '`?status=held` is the review queue: awards the daily earn limit (`maxPointsPerDay` of `PATCH /v1/program`) held instead of posting.',
      querystring: EarnHoldListQuery,
      response: { 200: Page(EarnHold), ...problems(400, 401, 403) },
    },
  }, async (request) => listEarnHolds(ctx, programOf(request), request.query));

  r.get('/v1/earn-holds/:id', {
    config: { scope: 'fraud:read' },
    schema: { tags, summary: 'Get a held award', params: IdParams, response: { 200: EarnHold, ...problems(401, 403, 404) } },
  }, async (request) => getEarnHold(ctx, programOf(request), request.params.id));

  r.post('/v1/earn-holds/:id/approve', {
    config: { scope: 'fraud:write' },
    schema: {
      tags,
      summary: 'Approve a held award',
      description:
        'Posts the award as the event would have (pending period, expiry, rule lines), less the share of its order refunded meanwhile; sends points.earned with the holdId. Final: a second decision is 409.',
      params: IdParams,
      body: ReviewBody,
      response: { 200: EarnHold, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => approveEarnHold(ctx, programOf(request), request.params.id, request.body));

  r.post('/v1/earn-holds/:id/reject', {
    config: { scope: 'fraud:write' },
    schema: {
      tags,
      summary: 'Reject a held award',
      description: 'Nothing is posted; the reason is kept on the hold (`review`) and sent with points.hold_rejected. Final: a second decision is 409.',
      params: IdParams,
      body: ReviewBody,
      response: { 200: EarnHold, ...problems(400, 401, 403, 404, 409) },
    },
  }, async (request) => rejectEarnHold(ctx, programOf(request), request.params.id, request.body));

  r.get('/v1/members/:id/fraud', {
    config: { scope: 'fraud:read' },
    schema: {
      tags,
      summary: "A member's earn-abuse picture",
      description: 'The earn-then-refund counter and signal, points earned in the last 24 hours against the daily limit, and held awards by status.',
      params: IdParams,
      response: { 200: MemberFraud, ...problems(401, 403, 404) },
    },
  }, async (request) => memberFraudView(ctx, programOf(request), request.params.id));
}
