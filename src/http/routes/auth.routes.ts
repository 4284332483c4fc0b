import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ServiceContext } from '../../context.js';
import { changePassword, login, LoginLockedError, logout, sessionView } from '../../services/team/accounts.js';
import { clearSessionCookie, requireSession, setSessionCookie } from '../plugins/auth.js';
import { problems } from '../schemas.js';
import { LoginBody, PasswordChangeBody, Session } from './auth.schemas.js';

export interface AuthRouteOptions {
  /** Mark the session cookie Secure even when the request reached us over plain HTTP (TLS ends at a proxy). */
  cookieSecure: boolean;
}

/**
 * Team sign-in for the admin dashboard. These routes carry no scope (they are how a session starts), so the
 * auth hook leaves them alone and the audit log never sees a password.
 */
export function authRoutes(app: FastifyInstance, ctx: ServiceContext, options: AuthRouteOptions): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['auth'];
  const security: { [name: string]: string[] }[] = [];

  r.post('/v1/auth/login', {
    // Per IP, on top of the per-account lock-out: slows down guessing across many addresses.
    config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: {
      tags,
      security,
      summary: 'Log a team user in',
      description:
        'Sets the `trouw_session` cookie (HttpOnly, SameSite=Strict). 5 wrong passwords in a row lock the account for 15 minutes (429 login_locked with Retry-After); more than 10 attempts a minute from one address are 429 rate_limited.',
      body: LoginBody,
      response: { 200: Session, ...problems(400, 401, 429) },
    },
  }, async (request, reply) => {
    try {
      const { token, session } = await login(ctx, request.body.email, request.body.password);
      setSessionCookie(reply, request, token, options.cookieSecure);
      return session;
    } catch (error) {
      if (error instanceof LoginLockedError) reply.header('retry-after', String(error.retryAfterSeconds));
      throw error;
    }
  });

  r.get('/v1/auth/session', {
    schema: {
      tags,
      security,
      summary: 'The signed-in user',
      description: 'The same body as the login, so a page reloaded in the browser gets its CSRF token back.',
      response: { 200: Session, ...problems(401) },
    },
  }, async (request, reply) => sessionView(ctx, await requireSession(ctx, request, reply, { csrf: false })));

  r.post('/v1/auth/logout', {
    schema: { tags, security, summary: 'End the session', response: { 204: Type.Null(), ...problems(401, 403) } },
  }, async (request, reply) => {
    const session = await requireSession(ctx, request, reply, { csrf: true });
    await logout(ctx, session.sessionId);
    clearSessionCookie(reply, request, options.cookieSecure);
    return reply.code(204).send(null);
  });

  r.post('/v1/auth/password', {
    schema: {
      tags,
      security,
      summary: 'Change your password',
      description: "Ends the user's other sessions; this one stays.",
      body: PasswordChangeBody,
      response: { 204: Type.Null(), ...problems(400, 401, 403, 422) },
    },
  }, async (request, reply) => {
    const session = await requireSession(ctx, request, reply, { csrf: true });
    await changePassword(ctx, session, request.body.currentPassword, request.body.newPassword);
    return reply.code(204).send(null);
  });
}
