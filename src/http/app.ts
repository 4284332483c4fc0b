/**
 * Builds the HTTP application without listening, so tests use `inject()` and the CLI decides where to listen.
 * Routes are thin: validate (schemas), authorise (auth plugin), call one service, map its result or error.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../domain/errors.js';
import { registerAudit } from './plugins/audit.js';
import { registerAuth } from './plugins/auth.js';
import { errorHandler, sendProblem } from './problems.js';
import { eventRoutes } from './routes/events.routes.js';
import { memberRoutes } from './routes/members.routes.js';
import { programRoutes } from './routes/program.routes.js';
import { ruleRoutes } from './routes/rules.routes.js';
import { rewardRoutes } from './routes/rewards.routes.js';
import { tierRoutes } from './routes/tiers.routes.js';
import { webhookRoutes } from './routes/webhooks.routes.js';
import { referralRoutes } from './routes/referrals.routes.js';
import { referralReviewRoutes } from './routes/referral-reviews.routes.js';
import { earnHoldRoutes } from './routes/earn-holds.routes.js';
import { bulkOperationRoutes } from './routes/bulk-operations.routes.js';
import { analyticsRoutes } from './routes/analytics.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { teamRoutes } from './routes/team.routes.js';
import { portalRoutes } from './routes/portal.routes.js';
import { widgetRoutes } from './widget/widget.js';
import { webPages } from './plugins/web.js';
import { Problem } from './schemas.js';
import { cachedSerializerFactory } from './serialization.js';
import { validatorCompiler } from './validation.js';

export interface AppOptions {
  /** Log every request (off by default: at thousands of events per second the log would be the bottleneck). */
  logRequests?: boolean;
  /** Mark the session cookie Secure even over plain HTTP, for TLS that ends at a proxy (env TROUW_COOKIE_SECURE=1). */
  cookieSecure?: boolean;
  /** Where the built browser apps are (default: the repository's dist/web); tests point it at a fixture. */
  webDir?: string;
}

export const apiVersion = '0.1.0';

export async function buildApp(ctx: ServiceContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false } },
    schemaController: { compilersFactory: { buildSerializer: cachedSerializerFactory } },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.addSchema(Problem);
  // Only JSON bodies: without this, Fastify would read text/plain as a string and report a schema error
  // instead of the 415 a client needs to see.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new DomainError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Trouw API',
        version: apiVersion,
        description:
          'Loyalty and referral platform. Money is integer minor units with an ISO 4217 currency; points are integers; ' +
          'errors are application/problem+json (RFC 9457). Authenticate with `Authorization: Bearer sk_…`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A secret API key (sk_…)' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'trouw_session',
            description: 'A team user\'s session (POST /v1/auth/login); send Trouw-Program, and X-CSRF-Token on writes',
          },
        },
      },
      // The session is for the dashboard; API clients are what the document is for, so the key stays the default.
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(cookie);
  // Only where a route asks for it (the login); the API itself is limited by its keys, not by IP.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new DomainError('rate_limited', `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} second(s).`),
  });
  registerAuth(app, ctx);
  registerAudit(app, ctx);
  authRoutes(app, ctx, { cookieSecure: options.cookieSecure ?? process.env.TROUW_COOKIE_SECURE === '1' });
  teamRoutes(app, ctx);
  programRoutes(app, ctx);
  memberRoutes(app, ctx);
  eventRoutes(app, ctx);
  ruleRoutes(app, ctx);
  rewardRoutes(app, ctx);
  tierRoutes(app, ctx);
  webhookRoutes(app, ctx);
  referralRoutes(app, ctx);
  referralReviewRoutes(app, ctx);
  earnHoldRoutes(app, ctx);
  bulkOperationRoutes(app, ctx);
  analyticsRoutes(app, ctx);
  portalRoutes(app, ctx);
  widgetRoutes(app);
  await webPages(app, { dir: options.webDir });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
