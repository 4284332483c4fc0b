import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';

/** Placeholder: the tiers capability fills this in. */
export function tierRoutes(_app: FastifyInstance, _ctx: ServiceContext): void {}
