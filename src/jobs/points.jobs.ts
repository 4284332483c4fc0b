/**
 * The in-process timer that releases pending points and expires lots. The job runner proper (shared between
 * processes with leases) comes with issue 3; until then each run is safe to repeat and to overlap across
 * processes, because the services re-check every lot under its member's lock.
 */
import type { ServiceContext } from '../context.js';
import { expireLots, releasePendingPoints, type JobRun } from '../services/points-jobs.service.js';

export async function runPointsJobs(ctx: ServiceContext): Promise<{ released: JobRun; expired: JobRun }> {
  const released = await releasePendingPoints(ctx);
  const expired = await expireLots(ctx);
  return { released, expired };
}

export function startJobLoop(ctx: ServiceContext, intervalMs: number): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const { released, expired } = await runPointsJobs(ctx);
      if (released.lots + expired.lots > 0) ctx.logger.info({ released, expired }, 'points jobs ran');
    } catch (error) {
      ctx.logger.error({ err: error }, 'points jobs failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return { stop: () => clearInterval(timer) };
}
