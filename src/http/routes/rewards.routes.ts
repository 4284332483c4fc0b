/**
 * The rewards catalogue, redemptions and coupons. Thin: validate, authorise, call one service, map the result.
 * The CSV import and the picture upload live in their own encapsulated contexts, the only ones that parse
 * text/csv and images, so every other route keeps answering a non-JSON body with 415.
 */
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { generateCoupons, importCoupons, useCoupon, validateCoupon } from '../../services/rewards/coupons.service.js';
import { cancelRedemption, getRedemption, listRedemptions, redeemReward } from '../../services/rewards/redeem-reward.js';
import { createReward, getReward, listRewards, updateReward } from '../../services/rewards/rewards.service.js';
import { readRewardImage, removeRewardImage, setRewardImage } from '../../services/rewards/reward-images.js';
import { maxRewardImageBytes, rewardImageTypes } from '../../domain/rewards/reward-image.js';
import { programOf } from '../plugins/auth.js';
import { IdempotencyHeaders, IdParams, Page, PageQuery, problems } from '../schemas.js';
import {
  CodeParams, Coupon, CouponBatch, CouponValidation, GenerateCouponsBody, GeneratedCoupons, ImportQuery, RedeemBody, Redemption, Reward,
  RewardBody, RewardListQuery, RewardPatch, UseCouponBody, ValidateCouponBody,
} from './rewards.schemas.js';

/** 10,000 codes with an expiry each stay well under this. */
const CSV_BODY_LIMIT = 2 * 1024 * 1024;

export function rewardRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/v1/rewards', {
    config: { scope: 'rewards:read' },
    schema: {
      tags: ['rewards'],
      summary: 'List the rewards catalogue, oldest first',
      description: 'By default the catalogue members redeem from (`audience=catalogue`); `audience=referral` lists the rewards only the referral programme gives, `audience=all` both.',
      querystring: RewardListQuery,
      response: { 200: Page(Reward), ...problems(400, 401, 403) },
    },
  }, async (request) => listRewards(ctx, programOf(request), request.query));

  r.post('/v1/rewards', {
    config: { scope: 'rewards:write' },
    schema: {
      tags: ['rewards'],
      summary: 'Add a reward to the catalogue',
      description: 'Kind-specific fields are checked against the kind; money values are in the programme currency.',
      body: RewardBody,
      response: { 201: Reward, ...problems(400, 401, 403, 422) },
    },
  }, async (request, reply) => reply.code(201).send(await createReward(ctx, programOf(request), request.body)));

  r.get('/v1/rewards/:id', {
    config: { scope: 'rewards:read' },
    schema: { tags: ['rewards'], summary: 'Get a reward', params: IdParams, response: { 200: Reward, ...problems(401, 403, 404) } },
  }, async (request) => getReward(ctx, programOf(request), request.params.id));

  r.patch('/v1/rewards/:id', {
    config: { scope: 'rewards:write' },
    schema: {
      tags: ['rewards'],
      summary: 'Change a reward (null clears a field; stock sets the units left)',
      params: IdParams,
      body: RewardPatch,
      response: { 200: Reward, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => updateReward(ctx, programOf(request), request.params.id, request.body));

  r.post('/v1/members/:id/redemptions', {
    config: { scope: 'redemptions:write' },
    schema: {
      tags: ['redemptions'],
      summary: 'Redeem a reward for a member: spend points, get a coupon',
      description: 'One transaction checks the member, the reward window, tier, limit, stock and balance, then spends points oldest-expiry-first. Safe to retry with an Idempotency-Key.',
      params: IdParams,
      headers: IdempotencyHeaders,
      body: RedeemBody,
      response: { 201: Redemption, 200: Redemption, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request, reply) => {
    const outcome = await redeemReward(ctx, programOf(request), request.params.id, request.body, request.headers['idempotency-key']);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.replayed ? 200 : 201).send(outcome.redemption);
  });

  r.get('/v1/members/:id/redemptions', {
    config: { scope: 'members:read' },
    schema: {
      tags: ['redemptions'],
      summary: "A member's redemptions, newest first",
      params: IdParams,
      querystring: Type.Object(PageQuery),
      response: { 200: Page(Redemption), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => listRedemptions(ctx, programOf(request), request.params.id, request.query));

  r.get('/v1/redemptions/:id', {
    config: { scope: 'members:read' },
    schema: { tags: ['redemptions'], summary: 'Get a redemption', params: IdParams, response: { 200: Redemption, ...problems(401, 403, 404) } },
  }, async (request) => getRedemption(ctx, programOf(request), request.params.id));

  r.post('/v1/redemptions/:id/cancel', {
    config: { scope: 'redemptions:write' },
    schema: {
      tags: ['redemptions'],
      summary: 'Cancel a redemption whose coupon was not used: the points come back with their original expiry',
      params: IdParams,
      response: { 200: Redemption, ...problems(401, 403, 404, 409) },
    },
  }, async (request) => cancelRedemption(ctx, programOf(request), request.params.id));

  r.post('/v1/coupons/validate', {
    config: { scope: 'coupons:write' },
    schema: {
      tags: ['coupons'],
      summary: 'What a coupon is worth for a basket, without using it',
      description: 'A coupon that cannot be used answers 200 with valid: false and a reason; an unknown code is 404.',
      body: ValidateCouponBody,
      response: { 200: CouponValidation, ...problems(400, 401, 403, 404) },
    },
  }, async (request) => validateCoupon(ctx, programOf(request), request.body));

  r.post('/v1/coupons/:code/redeem', {
    config: { scope: 'coupons:write' },
    schema: {
      tags: ['coupons'],
      summary: 'Mark a coupon used by an order, exactly once',
      description: 'Repeating the call with the same orderId returns the first result (Idempotent-Replayed: true); another orderId is 409.',
      params: CodeParams,
      body: UseCouponBody,
      response: { 200: Coupon, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request, reply) => {
    const outcome = await useCoupon(ctx, programOf(request), request.params.code, request.body);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return outcome.coupon;
  });

  r.post('/v1/coupons/generate', {
    config: { scope: 'coupons:write' },
    schema: {
      tags: ['coupons'],
      summary: "Generate coupon codes for a reward, in the programme's code format",
      body: GenerateCouponsBody,
      response: { 201: GeneratedCoupons, ...problems(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply.code(201).send(await generateCoupons(ctx, programOf(request), request.body)));

  app.register(async (scoped) => {
    // Only CSV here; anything else is refused with a problem that says so.
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scoped.addContentTypeParser('*', (_request, _payload, done) =>
      done(new DomainError('unsupported_media_type', 'Send the codes as text/csv: a header line `code` (and optionally `expiresAt`), one code a line.')),
    );
    scoped.withTypeProvider<TypeBoxTypeProvider>().post('/v1/coupons/import', {
      config: { scope: 'coupons:write' },
      bodyLimit: CSV_BODY_LIMIT,
      schema: {
        tags: ['coupons'],
        summary: 'Import existing coupon codes (CSV), all or nothing',
        description: 'Header `code` with an optional `expiresAt` column; at most 10,000 codes. Problems name their line as /line/N (the header is line 1).',
        consumes: ['text/csv'],
        querystring: ImportQuery,
        body: Type.String({ description: 'CSV text' }),
        response: { 201: CouponBatch, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    }, async (request, reply) => reply.code(201).send(await importCoupons(ctx, programOf(request), request.query, request.body)));
  });

  app.register(async (scoped) => {
    // Only the picture types here; the service checks the bytes are what the Content-Type says.
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser([...rewardImageTypes], { parseAs: 'buffer', bodyLimit: maxRewardImageBytes }, (_request, body, done) => done(null, body));
    scoped.addContentTypeParser('*', (_request, _payload, done) =>
      done(new DomainError('unsupported_media_type', 'Send the picture as image/png, image/jpeg, image/webp or image/gif.')),
    );
    scoped.withTypeProvider<TypeBoxTypeProvider>().put('/v1/rewards/:id/image', {
      config: { scope: 'rewards:write' },
      bodyLimit: maxRewardImageBytes,
      schema: {
        tags: ['rewards'],
        summary: "Set the reward's picture (PNG, JPEG, WebP or GIF, at most 512 KB)",
        description: 'The body is the picture itself, with its Content-Type. The reward\'s `imageUrl` then names it; a new picture gets a new URL.',
        consumes: [...rewardImageTypes],
        params: IdParams,
        body: Type.Unsafe<Buffer>({ format: 'binary', description: 'The picture (typeless on purpose: a Buffer is no JSON string to validate)' }),
        response: { 200: Reward, ...problems(401, 403, 404, 413, 415, 422) },
      },
    }, async (request) => setRewardImage(ctx, programOf(request), request.params.id, request.headers['content-type'] ?? '', request.body));
  });

  r.delete('/v1/rewards/:id/image', {
    config: { scope: 'rewards:write' },
    schema: { tags: ['rewards'], summary: "Remove the reward's picture", params: IdParams, response: { 200: Reward, ...problems(401, 403, 404) } },
  }, async (request) => removeRewardImage(ctx, programOf(request), request.params.id));

  // Public, like the catalogue it illustrates: an <img> on the member's page (or the shop's) sends no key.
  r.get('/media/:programId/rewards/:rewardId/:version', {
    schema: { hide: true, params: Type.Object({ programId: Type.String(), rewardId: Type.String(), version: Type.String({ pattern: '^[0-9a-f]{16}$' }) }) },
  }, async (request, reply) => {
    const image = await readRewardImage(ctx, request.params.programId, request.params.rewardId, request.params.version);
    if (!image) throw new DomainError('not_found', 'No such picture.');
    return reply
      .header('content-type', image.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(image.bytes);
  });
}
