/**
 * The audit log, kept in one place for every route: each successful write under /v1 by a team user, and each
 * change to the team or the API keys by anyone, is recorded with who made it, the route, the URL, and the
 * resource before and after.
 * - before: the route's own GET of the same URL just before the write (for an action such as
 *   `POST …/:id/approve`, the GET of the resource it acts on); null when there is no such GET or it fails.
 *   Reading through the API, with the caller's own credentials, shows exactly what the caller could see.
 * - after: the response body (null for 204).
 * Secrets in either (keys, webhook secrets, passwords) are redacted by the audit service. The auth routes have
 * no scope, so they are never recorded: no password reaches the log.
 * The entry is written before the response is sent, so a client that sees the answer can read its entry.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { recordAuditEntry } from '../../services/team/audit.js';
import { isWrite } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set in preHandler for a write that will be audited: the resource before it. */
    auditBefore: { value: unknown } | null;
  }
}

function shouldAudit(request: FastifyRequest): boolean {
  const principal = request.principal;
  if (!principal || !isWrite(request.method) || !request.url.startsWith('/v1/')) return false;
  return principal.kind === 'user' || request.routeOptions.config.audit === true;
}

/** The route pattern and URL path whose GET shows the resource a write changes, or null when there is none. */
function resourceOf(app: FastifyInstance, request: FastifyRequest): string | null {
  const pattern = request.routeOptions.url ?? '';
  const path = request.url.split('?')[0] ?? '';
  if (request.method !== 'POST') return app.hasRoute({ method: 'GET', url: pattern }) ? path : null;
  // A POST creates in a collection (nothing before) or acts on the resource above it (`…/:id/approve`).
  const parentPattern = pattern.slice(0, pattern.lastIndexOf('/'));
  const lastSegment = parentPattern.slice(parentPattern.lastIndexOf('/') + 1);
  if (!lastSegment.startsWith(':') || !app.hasRoute({ method: 'GET', url: parentPattern })) return null;
  return path.slice(0, path.lastIndexOf('/'));
}

function parseJson(payload: unknown): unknown {
  if (typeof payload !== 'string' || payload.length === 0) return null;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return null;
  }
}

export function registerAudit(app: FastifyInstance, ctx: ServiceContext): void {
  app.decorateRequest('auditBefore', null);

  app.addHook('preHandler', async (request) => {
    if (!shouldAudit(request)) return;
    const url = resourceOf(app, request);
    let before: unknown = null;
    if (url !== null) {
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'cookie', 'trouw-program']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const response = await app.inject({ method: 'GET', url, headers });
      if (response.statusCode === 200) before = parseJson(response.body);
    }
    request.auditBefore = { value: before };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // Routes of plugins registered before this one (the docs) lack the decorators: undefined, not null.
    const before = request.auditBefore as FastifyRequest['auditBefore'] | undefined;
    const principal = request.principal as FastifyRequest['principal'] | undefined;
    if (!before || !principal || reply.statusCode >= 300) return payload;
    await recordAuditEntry(ctx, {
      programId: principal.programId,
      actor: principal.actor,
      action: `${request.method} ${request.routeOptions.url ?? ''}`,
      target: request.url.split('?')[0] ?? '',
      before: before.value,
      after: reply.statusCode === 204 ? null : parseJson(payload),
    });
    return payload;
  });
}
