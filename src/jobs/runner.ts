/**
 * The job runner: every scheduled and background piece of work, run in-process by `trouw serve` or alone by
 * `trouw worker`. No library serves both of our databases (pg-boss and graphile-worker are PostgreSQL-only,
 * BullMQ needs Redis), and our jobs are scans of due rows rather than queued messages, so the runner is
 * small: a timer that runs each job when its interval has passed, one job at a time.
 *
 * Sharing and safety come from the jobs themselves, not from the runner: each job works in batches, each
 * batch one transaction that claims its rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers take
 * disjoint rows) and re-checks them under the member's lock; webhook deliveries hold row leases while the
 * request is in flight. A job killed half-way rolls its batch back and the next run finds the rows due again.
 * On SQLite only one process runs jobs: the runner holds the `runner` lease (job_leases) and a second process
 * stands by until it lapses.
 */
import os from 'node:os';
import type { ServiceContext } from '../context.js';
import { releaseLease, takeLease } from '../storage/repositories/job-leases.repository.js';
import { expireLots, releasePendingPoints, warnExpiringPoints } from '../services/points-jobs.service.js';
import { recordYearlyTriggers } from '../services/yearly-triggers.service.js';
import { runWebhookJobs } from '../services/webhooks/deliver.js';
import { reviewTiers } from '../services/tiers.service.js';
import { applyMembershipChanges } from '../services/memberships.service.js';
import { expireCoupons } from '../services/rewards/coupon-expiry.js';
import { expireReferrals, rewardQualifiedReferrals } from '../services/referrals/referral-jobs.js';
import { pruneWebhookHistory } from '../services/webhooks/retention.js';
import { pruneIdempotencyRecords } from '../services/idempotency-retention.js';
import { processBulkOperations } from '../services/bulk/process-bulk-operations.js';

export interface JobDefinition {
  name: string;
  /** How often the job runs at most; the runner's tick is the resolution. */
  everyMs: number;
  /**
   * Does everything due now and says what it did (logged when anything happened). A job whose work can be long
   * (a big import) stops after `budgetMs` when given one, and goes on at its next run.
   */
  run(ctx: ServiceContext, workerId: string, options: { budgetMs?: number }): Promise<Record<string, number>>;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** Every job, in the order a tick runs them. */
export const jobs: readonly JobDefinition[] = [
  { name: 'release-pending-points', everyMs: 10 * SECOND, run: async (ctx) => ({ ...(await releasePendingPoints(ctx)) }) },
  { name: 'expire-lots', everyMs: MINUTE, run: async (ctx) => ({ ...(await expireLots(ctx)) }) },
  { name: 'warn-expiring-points', everyMs: 15 * MINUTE, run: async (ctx) => ({ ...(await warnExpiringPoints(ctx)) }) },
  { name: 'yearly-triggers', everyMs: 15 * MINUTE, run: async (ctx) => ({ ...(await recordYearlyTriggers(ctx)) }) },
  { name: 'apply-membership-changes', everyMs: MINUTE, run: async (ctx) => ({ memberships: await applyMembershipChanges(ctx) }) },
  { name: 'review-tiers', everyMs: 15 * MINUTE, run: async (ctx) => ({ members: await reviewTiers(ctx) }) },
  { name: 'expire-coupons', everyMs: MINUTE, run: async (ctx) => ({ coupons: await expireCoupons(ctx) }) },
  { name: 'reward-qualified-referrals', everyMs: MINUTE, run: async (ctx) => ({ referrals: await rewardQualifiedReferrals(ctx) }) },
  { name: 'expire-referrals', everyMs: 15 * MINUTE, run: async (ctx) => ({ referrals: await expireReferrals(ctx) }) },
  { name: 'bulk-operations', everyMs: SECOND, run: async (ctx, _workerId, options) => ({ ...(await processBulkOperations(ctx, options)) }) },
  // Last, so messages written by the jobs above go out in the same tick.
  { name: 'webhooks', everyMs: SECOND, run: async (ctx, workerId) => ({ ...(await runWebhookJobs(ctx, workerId)) }) },
  { name: 'prune-webhook-history', everyMs: 60 * MINUTE, run: async (ctx) => ({ ...(await pruneWebhookHistory(ctx)) }) },
  { name: 'prune-idempotency-records', everyMs: 60 * MINUTE, run: async (ctx) => ({ ...(await pruneIdempotencyRecords(ctx)) }) },
];

export function defaultWorkerId(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** Runs every job once, to completion (`trouw jobs run`, and tests). */
export async function runAllJobs(ctx: ServiceContext, workerId = defaultWorkerId()): Promise<Record<string, Record<string, number>>> {
  const results: Record<string, Record<string, number>> = {};
  for (const job of jobs) results[job.name] = await job.run(ctx, workerId, {});
  return results;
}

export interface JobRunner {
  /** Stops the timer and waits for the job in progress to finish. */
  stop(): Promise<void>;
}

const RUNNER_LEASE = 'runner';
const JOB_BUDGET_MS = 2 * SECOND;

export interface JobRunnerOptions {
  workerId?: string;
  tickMs: number;
  /**
   * Keep the process alive for the runner (`trouw worker`, where nothing else does). `serve` leaves it off:
   * the HTTP server keeps the process alive, and tests can start a runner without it holding them open.
   */
  keepAlive?: boolean;
}

export function startJobRunner(ctx: ServiceContext, options: JobRunnerOptions): JobRunner {
  const workerId = options.workerId ?? defaultWorkerId();
  const lastRunAt = new Map<string, number>();
  let stopped = false;
  let current: Promise<void> = Promise.resolve();

  const tick = async (): Promise<void> => {
    if (ctx.storage.dialect === 'sqlite') {
      const leaseMs = Math.max(3 * options.tickMs, 30 * SECOND);
      if (!(await takeLease(ctx.storage.db, RUNNER_LEASE, workerId, Date.now(), leaseMs))) return;
    }
    for (const job of jobs) {
      if (stopped) return;
      const now = Date.now();
      if (now - (lastRunAt.get(job.name) ?? 0) < job.everyMs) continue;
      lastRunAt.set(job.name, now);
      try {
        // Bounded, so the jobs after it (webhooks) are not held up by one long import and stop() stays prompt.
        const result = await job.run(ctx, workerId, { budgetMs: JOB_BUDGET_MS });
        if (Object.values(result).some((n) => n > 0)) ctx.logger.info({ job: job.name, ...result }, 'job ran');
      } catch (error) {
        ctx.logger.error({ err: error, job: job.name }, 'job failed; it runs again at its next interval');
      }
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    const timer = setTimeout(() => {
      current = tick()
        .catch((error: unknown) => ctx.logger.error({ err: error }, 'job runner tick failed'))
        .finally(schedule);
    }, options.tickMs);
    if (!options.keepAlive) timer.unref();
  };
  current = tick()
    .catch((error: unknown) => ctx.logger.error({ err: error }, 'job runner tick failed'))
    .finally(schedule);

  return {
    async stop() {
      stopped = true;
      await current;
      if (ctx.storage.dialect === 'sqlite') await releaseLease(ctx.storage.db, RUNNER_LEASE, workerId);
    },
  };
}
