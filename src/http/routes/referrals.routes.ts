import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../context.js';
import type { ReferralSettingsInput } from '../../domain/referrals/settings.js';
import { recordClick, type ClickOutcome } from '../../services/referrals/clicks.service.js';
import { customiseReferralCode } from '../../services/referrals/codes.service.js';
import { getReferral, getReferrerView, listReferrals } from '../../services/referrals/referrals.service.js';
import { getReferralProgram, putReferralProgram } from '../../services/referrals/settings.service.js';
import { getReferralStats } from '../../services/referrals/stats.service.js';
import { programOf } from '../plugins/auth.js';
import { IdParams, Page, problems } from '../schemas.js';
import {
  Referral, ReferralCode, ReferralCodeBody, ReferralListQuery, ReferralProgram, ReferralProgramBody, ReferralStats, ReferrerView, StatsQuery,
} from './referrals.schemas.js';

const notFoundPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link not found</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>This referral link does not work</h1>
<p>The code is unknown, or the referral programme has ended. Ask your friend for a new link.</p>
</body></html>
`;

/** The visitor's side of a click: redirect with the cookie, or the small not-found page. Never a stack trace. */
function answerClick(reply: FastifyReply, outcome: ClickOutcome) {
  if (!outcome.found) return reply.code(404).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(notFoundPage);
  return reply
    .code(302)
    .header('location', outcome.location)
    .header('cache-control', 'no-store')
    .header('set-cookie', `trouw_ref=${outcome.code}; Max-Age=${outcome.cookieMaxAgeSeconds}; Path=/; SameSite=Lax; HttpOnly`)
    .send();
}

function clickOf(request: FastifyRequest, params: { code: string; programId?: string }, query: Record<string, unknown>) {
  const userAgent = request.headers['user-agent'];
  return { programId: params.programId, code: params.code, ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null, query };
}

/** Where this server is reached from the caller's side, for share links. */
const baseUrlOf = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export function referralRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['referrals'];

  r.get('/v1/referral-program', {
    config: { scope: 'referrals:read' },
    schema: { tags, summary: "The programme's referral settings", response: { 200: ReferralProgram, ...problems(401, 403, 404) } },
  }, async (request) => getReferralProgram(ctx, programOf(request)));

  r.put('/v1/referral-program', {
    config: { scope: 'referrals:write' },
    schema: {
      tags,
      summary: 'Set the referral settings',
      description: 'Replaces all settings. Rewards are points or a catalogue reward (issued as a coupon at no points cost) for each side.',
      body: ReferralProgramBody,
      response: { 200: ReferralProgram, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => putReferralProgram(ctx, programOf(request), request.body as ReferralSettingsInput));

  r.get('/v1/referral-program/stats', {
    config: { scope: 'referrals:read' },
    schema: { tags, summary: 'The referral funnel over a period [from, to)', querystring: StatsQuery, response: { 200: ReferralStats, ...problems(400, 401, 403) } },
  }, async (request) => getReferralStats(ctx, programOf(request), request.query));

  r.get('/v1/referrals', {
    config: { scope: 'referrals:read' },
    schema: { tags, summary: 'List referrals, newest first', querystring: ReferralListQuery, response: { 200: Page(Referral), ...problems(400, 401, 403) } },
  }, async (request) => listReferrals(ctx, programOf(request), request.query));

  r.get('/v1/referrals/:id', {
    config: { scope: 'referrals:read' },
    schema: { tags, summary: 'Get a referral', params: IdParams, response: { 200: Referral, ...problems(401, 403, 404) } },
  }, async (request) => getReferral(ctx, programOf(request), request.params.id));

  r.get('/v1/members/:id/referrals', {
    config: { scope: 'referrals:read' },
    schema: {
      tags,
      summary: "A referrer's view: friends (masked), rewards, ladder progress, share link and URLs",
      params: IdParams,
      response: { 200: ReferrerView, ...problems(401, 403, 404) },
    },
  }, async (request) => getReferrerView(ctx, programOf(request), request.params.id, baseUrlOf(request)));

  r.put('/v1/members/:id/referral-code', {
    config: { scope: 'members:write' },
    schema: {
      tags,
      summary: 'Choose a vanity referral code (once)',
      params: IdParams,
      body: ReferralCodeBody,
      response: { 200: ReferralCode, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => customiseReferralCode(ctx, programOf(request), request.params.id, request.body));

  // Public links: no API key. The canonical link names the programme; the short one works while its code is
  // unique among programmes with referrals on (services/referrals/clicks.service.ts).
  const linkQuery = Type.Record(Type.String(), Type.Unknown());
  r.get('/r/:programId/:code', {
    schema: { hide: true, params: Type.Object({ programId: Type.String(), code: Type.String() }), querystring: linkQuery },
  }, async (request, reply) => answerClick(reply, await recordClick(ctx, clickOf(request, request.params, request.query))));
  r.get('/r/:code', {
    schema: { hide: true, params: Type.Object({ code: Type.String() }), querystring: linkQuery },
  }, async (request, reply) => answerClick(reply, await recordClick(ctx, clickOf(request, request.params, request.query))));
}
