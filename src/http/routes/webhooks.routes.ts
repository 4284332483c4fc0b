import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';

/** Placeholder: the webhooks capability fills this in. */
export function webhookRoutes(_app: FastifyInstance, _ctx: ServiceContext): void {}
