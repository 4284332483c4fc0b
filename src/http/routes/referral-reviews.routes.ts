import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { approveReferral, rejectFlaggedReferral } from '../../services/fraud/reviews.js';
import { programOf } from '../plugins/auth.js';
import { IdParams, problems } from '../schemas.js';
import { ReviewBody } from './referral-reviews.schemas.js';
import { Referral } from './referrals.schemas.js';

/** The review queue: `GET /v1/referrals?status=flagged` lists it; these routes decide. */
export function referralReviewRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['referrals'];

  r.post('/v1/referrals/:id/approve', {
    config: { scope: 'referrals:review' },
    schema: {
      tags,
      summary: 'Approve a flagged referral',
      description: 'The referral continues where the fraud check stopped it: signed up again, or qualified and rewarded when due. The reason is kept on the referral (`review`).',
      params: IdParams,
      body: ReviewBody,
      response: { 200: Referral, ...problems(400, 401, 403, 404, 409) },
    },
  }, async (request) => approveReferral(ctx, programOf(request), request.params.id, request.body));

  r.post('/v1/referrals/:id/reject', {
    config: { scope: 'referrals:review' },
    schema: {
      tags,
      summary: 'Reject a flagged referral',
      description: 'Nobody is rewarded for it; the reason is kept on the referral (`review`, `reason`) and sent with referral.rejected.',
      params: IdParams,
      body: ReviewBody,
      response: { 200: Referral, ...problems(400, 401, 403, 404, 409) },
    },
  }, async (request) => rejectFlaggedReferral(ctx, programOf(request), request.params.id, request.body));
}
