/**
 * Who is calling /v1, and may they? A route with `config.scope` accepts either
 * - a secret API key, `Authorization: Bearer sk_…`: the key's programme and scopes decide; or
 * - a team user's session cookie (`trouw_session`): the request names its programme in `Trouw-Program`, the
 *   user's role there gives the scopes (domain/roles.ts), and a write also sends the session's CSRF token in
 *   `X-CSRF-Token` (the cookie travels by itself; the token only from our own pages).
 * A missing or unknown credential is 401, a missing scope 403. Routes without a scope are public. Either way
 * the programme is the only one the request can see; routes read it with `programOf(request)`.
 */
import crypto from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { roleScopes, type TeamRole } from '../../domain/roles.js';
import { hasScope, type ApiScope } from '../../domain/scopes.js';
import type { ServiceContext } from '../../context.js';
import { authenticateApiKey } from '../../services/api-keys.service.js';
import { authenticateSession, roleOf, sessionLifetimeMs, type SessionPrincipal } from '../../services/team/accounts.js';
import type { Actor } from '../../services/team/audit.js';

export const sessionCookie = 'trouw_session';

/** Who acted, in which programme, with which scopes. */
export type Principal =
  | { kind: 'api_key'; programId: string; scopes: readonly string[]; actor: Actor }
  | { kind: 'user'; programId: string; scopes: readonly string[]; actor: Actor; role: TeamRole; session: SessionPrincipal };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope this route needs; routes without one are public. */
    scope?: ApiScope;
    /** Record every successful write in the audit log, whoever makes it (not only team users). */
    audit?: boolean;
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isWrite(method: string): boolean {
  return !safeMethods.has(method);
}

const scopedRoutes = new WeakMap<FastifyInstance, { method: string; url: string; scope: ApiScope }[]>();

/** Every route with a scope, as registered: what the authorisation matrix test walks. */
export function scopedRoutesOf(app: FastifyInstance): readonly { method: string; url: string; scope: ApiScope }[] {
  return scopedRoutes.get(app) ?? [];
}

function sameSecret(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function unauthenticated(reply: FastifyReply): DomainError {
  reply.header('www-authenticate', 'Bearer realm="trouw"');
  return new DomainError('unauthenticated', 'Send a secret API key as `Authorization: Bearer sk_…`, or sign in.');
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The session of the request's cookie, for the auth routes themselves (no programme, no scope).
 * @throws DomainError unauthenticated, csrf_token_invalid (when `csrf` and the token is missing or wrong)
 */
export async function requireSession(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply, options: { csrf: boolean }): Promise<SessionPrincipal> {
  const token = request.cookies[sessionCookie];
  const session = token ? await authenticateSession(ctx, token) : null;
  if (!session) throw unauthenticated(reply);
  if (options.csrf && !sameSecret(headerValue(request, 'x-csrf-token') ?? '', session.csrfToken)) {
    throw new DomainError('csrf_token_invalid', 'Send the session’s csrfToken in the X-CSRF-Token header.');
  }
  return session;
}

export function registerAuth(app: FastifyInstance, ctx: ServiceContext): void {
  const routes: { method: string; url: string; scope: ApiScope }[] = [];
  scopedRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (scope === undefined) return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, scope });
    }
  });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const authorization = request.headers.authorization;
    // A request with an Authorization header is an API client: its key decides, whatever cookies it carries.
    if (authorization !== undefined || request.cookies[sessionCookie] === undefined) {
      const match = authorization?.match(/^Bearer\s+(\S+)$/i);
      const key = match?.[1] ? await authenticateApiKey(ctx, match[1]) : null;
      if (!key) throw unauthenticated(reply);
      if (!hasScope(key.scopes, scope)) throw new DomainError('insufficient_scope', `This API key lacks the scope ${scope}.`);
      request.principal = {
        kind: 'api_key',
        programId: key.programId,
        scopes: key.scopes,
        actor: { kind: 'api_key', id: key.keyId, label: `${key.name} (${key.prefix}…)` },
      };
      return;
    }
    const session = await requireSession(ctx, request, reply, { csrf: isWrite(request.method) });
    const programId = headerValue(request, 'trouw-program');
    if (!programId) {
      throw DomainError.field('program_not_selected', '/headers/trouw-program', 'Name the programme in the Trouw-Program header.');
    }
    const role = await roleOf(ctx, session.user.id, programId);
    if (role === null) throw new DomainError('program_access_denied', `You have no role in programme ${programId}.`);
    const scopes = roleScopes[role];
    if (!hasScope(scopes, scope)) throw new DomainError('insufficient_scope', `The ${role} role lacks the scope ${scope}.`);
    request.principal = { kind: 'user', programId, scopes, role, session, actor: { kind: 'user', id: session.user.id, label: session.user.email } };
  });
}

/** Sets the session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it). */
export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, token: string, secure: boolean): void {
  reply.setCookie(sessionCookie, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: secure || request.protocol === 'https',
    maxAge: sessionLifetimeMs / 1000,
  });
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest, secure: boolean): void {
  reply.clearCookie(sessionCookie, { httpOnly: true, sameSite: 'strict', path: '/', secure: secure || request.protocol === 'https' });
}

/** The programme of the authenticated key or session. */
export function programOf(request: FastifyRequest): string {
  return principalOf(request).programId;
}

/** Who is acting, as the audit log names them: the user's e-mail, or the API key's name and prefix. */
export function actorOf(request: FastifyRequest): string {
  return principalOf(request).actor.label;
}

function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('unauthenticated', 'Send a secret API key as `Authorization: Bearer sk_…`, or sign in.');
  return request.principal;
}
