import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { approveReferral, rejectFlaggedReferral } from '../../services/fraud/reviews.js';
import { retryReferralReward } from '../../services/referrals/retry-reward.js';
import { programOf } from '../plugins/auth.js';
import { IdParams, problems } from '../schemas.js';
import { ReviewBody } from './referral-reviews.schemas.js';
import { Referral } from './referrals.schemas.js';

/**
 * The review queues: `GET /v1/referrals?status=flagged` (fraud review) and `?status=reward_failed` (payouts that
 * failed) list them; these routes decide. Retrying a payout is the support desk's job like a review, so it takes
 * the same scope, `referrals:review`, not `referrals:write` (configuring the programme).
 */
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

  r.post('/v1/referrals/:id/retry-reward', {
    config: { scope: 'referrals:review' },
    schema: {
      tags,
      summary: 'Pay a referral whose reward failed',
      description:
        'For a referral in reward_failed (a catalogue reward could not be given: inactive, outside its window, out of stock). Fix the reward or the referral programme first; the retry pays both sides as the payout would now. Idempotent: concurrent retries pay once, and a retry of a rewarded referral answers it unchanged. A reward that still cannot be given is 422 reward_not_issuable and writes nothing.',
      params: IdParams,
      response: { 200: Referral, ...problems(401, 403, 404, 409, 422) },
    },
  }, async (request) => retryReferralReward(ctx, programOf(request), request.params.id));
}
