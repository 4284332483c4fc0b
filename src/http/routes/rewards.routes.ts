import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';

/** Placeholder: the rewards capability fills this in. */
export function rewardRoutes(_app: FastifyInstance, _ctx: ServiceContext): void {}
