/**
 * The member portal's API. The owner's side (`/v1/portal/settings`, `/v1/portal/keys`) is an ordinary API-key
 * route with scopes. The member's side (`/v1/portal/{slug}/…`) has no API-key scope, so the key hook passes it
 * by; it authenticates here instead, with the member token a shop's backend signed (member-token.ts), and
 * every call acts on the member the token names: there is no member id in these URLs to tamper with.
 */
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { getLedger } from '../../services/members.service.js';
import { eraseMember } from '../../services/privacy/erase-member.js';
import { verifyMemberToken, type PortalMember } from '../../services/portal/member-token.js';
import { exportMemberData, getConsents, getPortalProfile, listPortalRewards, updateConsents } from '../../services/portal/member-portal.service.js';
import {
  createPortalKey, getPortalSettings, listPortalKeys, revokePortalKey, updatePortalSettings,
} from '../../services/portal/portal-settings.service.js';
import { getReferrerView } from '../../services/referrals/referrals.service.js';
import { listRedemptions, redeemReward } from '../../services/rewards/redeem-reward.js';
import { programOf } from '../plugins/auth.js';
import { IdempotencyHeaders, LedgerEntry, Page, PageQuery, problems } from '../schemas.js';
import { RedeemBody, Redemption } from './rewards.schemas.js';
import { ReferrerView } from './referrals.schemas.js';
import {
  Consents, ConsentsBody, KidParams, MemberExport, NewPortalKey, PortalKey, PortalProfile, PortalReward, PortalSettings, PortalSettingsPatch,
  SlugParams,
} from './portal.schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The member a verified member token names (portal routes only). */
    portalMember: PortalMember | null;
  }
}

const baseUrlOf = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

function memberOf(request: FastifyRequest): PortalMember {
  if (!request.portalMember) throw new DomainError('portal_token_invalid', 'Send the member token as `Authorization: Bearer <token>`.');
  return request.portalMember;
}

export function portalRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.decorateRequest('portalMember', null);

  const authenticateMember = async (request: FastifyRequest, reply: FastifyReply) => {
    const match = request.headers.authorization?.match(/^Bearer\s+(\S+)$/i);
    const { slug } = request.params as { slug: string };
    // The token is checked before anything about the member is read, and the answer never varies with them.
    reply.header('cache-control', 'no-store');
    if (!match?.[1]) {
      reply.header('www-authenticate', 'Bearer realm="trouw-portal"');
      throw new DomainError('portal_token_invalid', 'Send the member token as `Authorization: Bearer <token>`.');
    }
    try {
      request.portalMember = await verifyMemberToken(ctx, slug, match[1]);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'portal_token_invalid') reply.header('www-authenticate', 'Bearer realm="trouw-portal", error="invalid_token"');
      throw error;
    }
  };

  const owner = ['portal'];
  r.get('/v1/portal/settings', {
    config: { scope: 'members:read' },
    schema: { tags: owner, summary: "The member portal's address and what member tokens must carry", response: { 200: PortalSettings, ...problems(401, 403) } },
  }, async (request) => getPortalSettings(ctx, programOf(request)));

  r.patch('/v1/portal/settings', {
    config: { scope: 'portal:write' },
    schema: { tags: owner, summary: "Change the portal's slug, token issuer or audience", body: PortalSettingsPatch, response: { 200: PortalSettings, ...problems(400, 401, 403, 409) } },
  }, async (request) => updatePortalSettings(ctx, programOf(request), request.body));

  r.post('/v1/portal/keys', {
    config: { scope: 'portal:write' },
    schema: { tags: owner, summary: 'Make a signing secret for member tokens (the secret is shown once)', response: { 201: NewPortalKey, ...problems(401, 403) } },
  }, async (request, reply) => reply.code(201).send(await createPortalKey(ctx, programOf(request))));

  r.get('/v1/portal/keys', {
    config: { scope: 'portal:write' },
    schema: { tags: owner, summary: 'The signing secrets for member tokens, without the secrets', response: { 200: Type.Object({ data: Type.Array(PortalKey) }), ...problems(401, 403) } },
  }, async (request) => listPortalKeys(ctx, programOf(request)));

  r.delete('/v1/portal/keys/:kid', {
    config: { scope: 'portal:write' },
    schema: { tags: owner, summary: 'Revoke a signing secret: tokens with its kid are refused from now on', params: KidParams, response: { 200: PortalKey, ...problems(401, 403, 404) } },
  }, async (request) => revokePortalKey(ctx, programOf(request), request.params.kid));

  const tags = ['member portal'];
  // Not the API key: these routes take a member token (`Authorization: Bearer <JWT>`), which each route's
  // description says, since app.ts declares only the API-key scheme.
  const security: { [scheme: string]: string[] }[] = [];
  const member = { preHandler: authenticateMember };
  const description = 'Authenticate with `Authorization: Bearer <member token>`: an HS256 JWT signed by the shop with a portal secret (kid, iss, aud, sub = externalId, exp at most an hour after iat).';

  r.get('/v1/portal/:slug/me', {
    ...member,
    schema: { tags, security, description, summary: "The member's profile, balance, expiring points and tier", params: SlugParams, response: { 200: PortalProfile, ...problems(401, 404) } },
  }, async (request) => getPortalProfile(ctx, memberOf(request)));

  r.get('/v1/portal/:slug/rewards', {
    ...member,
    schema: { tags, security, description, summary: 'The rewards open to the member, each saying whether they can afford it', params: SlugParams, response: { 200: Type.Object({ data: Type.Array(PortalReward) }), ...problems(401, 404) } },
  }, async (request) => listPortalRewards(ctx, memberOf(request)));

  r.post('/v1/portal/:slug/redemptions', {
    ...member,
    schema: {
      tags, security, description, summary: 'Redeem a reward for a coupon', params: SlugParams, headers: IdempotencyHeaders, body: RedeemBody,
      response: { 201: Redemption, 200: Redemption, ...problems(400, 401, 404, 409, 422) },
    },
  }, async (request, reply) => {
    const { programId, memberId } = memberOf(request);
    const outcome = await redeemReward(ctx, programId, memberId, request.body, request.headers['idempotency-key']);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.replayed ? 200 : 201).send(outcome.redemption);
  });

  r.get('/v1/portal/:slug/redemptions', {
    ...member,
    schema: { tags, security, description, summary: "The member's redemptions and coupons, newest first", params: SlugParams, querystring: Type.Object(PageQuery), response: { 200: Page(Redemption), ...problems(400, 401, 404) } },
  }, async (request) => {
    const { programId, memberId } = memberOf(request);
    return listRedemptions(ctx, programId, memberId, request.query);
  });

  r.get('/v1/portal/:slug/history', {
    ...member,
    schema: { tags, security, description, summary: "The member's ledger, newest first", params: SlugParams, querystring: Type.Object(PageQuery), response: { 200: Page(LedgerEntry), ...problems(400, 401, 404) } },
  }, async (request) => {
    const { programId, memberId } = memberOf(request);
    return getLedger(ctx, programId, memberId, request.query);
  });

  r.get('/v1/portal/:slug/referrals', {
    ...member,
    schema: { tags, security, description, summary: "The member's referral link, share URLs and friends' progress", params: SlugParams, response: { 200: ReferrerView, ...problems(401, 404) } },
  }, async (request) => {
    const { programId, memberId } = memberOf(request);
    return getReferrerView(ctx, programId, memberId, baseUrlOf(request));
  });

  r.get('/v1/portal/:slug/consents', {
    ...member,
    schema: { tags, security, description, summary: "The member's consents and when each changed", params: SlugParams, response: { 200: Consents, ...problems(401, 404) } },
  }, async (request) => getConsents(ctx, memberOf(request)));

  r.put('/v1/portal/:slug/consents', {
    ...member,
    schema: { tags, security, description, summary: "Set the member's consents", params: SlugParams, body: ConsentsBody, response: { 200: Consents, ...problems(400, 401, 404) } },
  }, async (request) => updateConsents(ctx, memberOf(request), request.body));

  r.get('/v1/portal/:slug/export', {
    ...member,
    schema: { tags, security, description, summary: 'Everything Trouw holds on the member, as a JSON download', params: SlugParams, response: { 200: MemberExport, ...problems(401, 404) } },
  }, async (request, reply) => {
    const signedIn = memberOf(request);
    const data = await exportMemberData(ctx, signedIn);
    const name = `trouw-export-${signedIn.externalId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80)}.json`;
    return reply.type('application/json').header('content-disposition', `attachment; filename="${name}"`).send(data);
  });

  r.post('/v1/portal/:slug/erase', {
    ...member,
    schema: {
      tags,
      security,
      description,
      summary: "Erase the member's personal data at their own request, for good (their points are forfeited)",
      params: SlugParams,
      body: Type.Object({ confirm: Type.Literal(true, { description: 'The member confirmed they want this' }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ pointsForfeited: Type.Integer() }), ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const { programId, memberId } = memberOf(request);
    const { pointsForfeited } = await eraseMember(ctx, programId, memberId, { reason: 'requested by the member in the portal' });
    return { pointsForfeited };
  });
}
