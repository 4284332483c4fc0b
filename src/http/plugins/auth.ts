/**
 * Bearer API keys for /v1: a missing or unknown key is 401, a key without the route's scope is 403. The key's
 * programme is the only one the request can see; every route reads it from `request.principal`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { hasScope, type ApiScope } from '../../domain/scopes.js';
import type { ServiceContext } from '../../context.js';
import { authenticateApiKey, type ApiPrincipal } from '../../services/api-keys.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiPrincipal | null;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route; routes without one are public. */
    scope?: ApiScope;
  }
}

export function registerAuth(app: FastifyInstance, ctx: ServiceContext): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const header = request.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    const principal = match?.[1] ? await authenticateApiKey(ctx, match[1]) : null;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="trouw"');
      throw new DomainError('unauthenticated', 'Send a secret API key as `Authorization: Bearer sk_…`.');
    }
    if (!hasScope(principal.scopes, scope)) {
      throw new DomainError('insufficient_scope', `This API key lacks the scope ${scope}.`);
    }
    request.principal = principal;
  });
}

/** The programme of the authenticated key. */
export function programOf(request: FastifyRequest): string {
  if (!request.principal) throw new DomainError('unauthenticated', 'Send a secret API key as `Authorization: Bearer sk_…`.');
  return request.principal.programId;
}
