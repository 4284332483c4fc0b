/**
 * Builds the HTTP application without listening, so tests use `inject()` and the CLI decides where to listen.
 * Routes are thin: validate (schemas), authorise (auth plugin), call one service, map its result or error.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../domain/errors.js';
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
import { webPages } from './plugins/web.js';
import { Problem } from './schemas.js';
import { validatorCompiler } from './validation.js';

export interface AppOptions {
  /** Log every request (off by default: at thousands of events per second the log would be the bottleneck). */
  logRequests?: boolean;
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
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A secret API key (sk_…)' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerAuth(app, ctx);
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
  await webPages(app, { dir: options.webDir });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
