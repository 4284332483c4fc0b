import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';

/** Placeholder: filled by the referral programme work before it lands. */
export function referralReviewRoutes(_app: FastifyInstance, _ctx: ServiceContext): void {}
