/**
 * recordEvent called directly, without HTTP: what the service and storage layers cost on their own. Run with
 * one caller (each event waits for the previous commit) and with many (does concurrency help, or only queue?).
 */
import type { ServiceContext } from '../../src/context.js';
import { recordEvent } from '../../src/services/events.service.js';
import { nextPurchase } from './events.js';

export interface Limits {
  maxEvents: number;
  maxMs: number;
}

export interface ThroughputRun {
  eventsPerSecond: number;
  events: number;
}

/**
 * Runs `callers` loops that each record one event after another until `maxEvents` are done or `maxMs` passed,
 * whichever comes first (on a slow database the time bound keeps the phase short).
 */
export async function recordEvents(ctx: ServiceContext, programId: string, callers: number, limits: Limits): Promise<ThroughputRun> {
  let started = 0;
  let done = 0;
  const start = performance.now();
  const deadline = start + limits.maxMs;
  const caller = async () => {
    while (started < limits.maxEvents && performance.now() < deadline) {
      started += 1;
      const outcome = await recordEvent(ctx, programId, nextPurchase('inproc'));
      if (outcome.replayed) throw new Error(`event ${outcome.response.event.id} was replayed; ids must be unique`);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const seconds = (performance.now() - start) / 1000;
  return { eventsPerSecond: done / seconds, events: done };
}
