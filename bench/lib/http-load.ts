/**
 * Load over HTTP with autocannon's programmatic API. Every request is built just before it is sent, with a
 * fresh event id, order id and random member (see events.ts). Anything but the expected status fails the
 * bench: a fast error path must never pass for throughput.
 */
import autocannon from 'autocannon';
import { nextPurchase, PURCHASE_POINTS } from './events.js';
import type { RunningServer } from './server.js';

export interface HttpRun {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests answered 2xx: the database must hold at least as many new events. */
  completed: number;
}

export interface BatchRun extends HttpRun {
  eventsPerSecond: number;
  /** Events answered 201; equals completed × batch size when every item succeeded. */
  eventsCompleted: number;
}

function headers(apiKey: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
}

/** One event through fetch before the load: a wrong key or body shows its problem here, readably. */
export async function probePurchase(server: RunningServer, apiKey: string): Promise<void> {
  const response = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: headers(apiKey), body: JSON.stringify(nextPurchase('probe')) });
  const body = await response.text();
  if (response.status !== 201) throw new Error(`probe POST /v1/events answered ${response.status}: ${body}`);
  const result = JSON.parse(body) as { awarded: { points: number }[] };
  if (result.awarded[0]?.points !== PURCHASE_POINTS) throw new Error(`probe earned ${body}, expected ${PURCHASE_POINTS} points`);
}

function checkAllSucceeded(result: autocannon.Result, what: string): void {
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${what}: ${result.non2xx} non-2xx responses, ${result.errors} errors, ${result.timeouts} timeouts; ` +
        `status codes ${JSON.stringify(result.statusCodeStats)}`,
    );
  }
}

function summary(result: autocannon.Result): HttpRun {
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed: result['2xx'],
  };
}

/** POST /v1/events, one purchase per request. */
export async function purchaseLoad(server: RunningServer, apiKey: string, options: { connections: number; durationS: number }): Promise<HttpRun> {
  const result = await autocannon({
    url: server.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationS,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: headers(apiKey),
        setupRequest: (request) => ({ ...request, body: JSON.stringify(nextPurchase('http')) }),
      },
    ],
  });
  checkAllSucceeded(result, 'POST /v1/events');
  return summary(result);
}

/**
 * POST /v1/events/batch: `batches` requests of `batchSize` purchases each; every item must come back 201.
 * A fixed number of requests rather than a duration, because a batch takes seconds on a slow database: a timed
 * run would drop the batches still in flight at its end from the count but not from the time.
 */
export async function batchLoad(
  server: RunningServer,
  apiKey: string,
  options: { connections: number; batches: number; batchSize: number },
): Promise<BatchRun> {
  let itemsCreated = 0;
  let firstFailure: string | null = null;
  const result = await autocannon({
    url: server.url,
    connections: options.connections,
    pipelining: 1,
    amount: options.batches,
    // A batch of 1,000 is one transaction of 1,000 postings: seconds, not milliseconds, on a slow database.
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path: '/v1/events/batch',
        headers: headers(apiKey),
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ events: Array.from({ length: options.batchSize }, () => nextPurchase('batch')) }),
        }),
        onResponse: (status, body) => {
          if (status !== 200) {
            firstFailure ??= `status ${status}: ${body.slice(0, 300)}`;
            return;
          }
          const { results } = JSON.parse(body) as { results: { status: number; problem?: unknown }[] };
          const failed = results.find((r) => r.status !== 201);
          if (failed && firstFailure === null) firstFailure = JSON.stringify(failed);
          itemsCreated += results.filter((r) => r.status === 201).length;
        },
      },
    ],
  });
  if (firstFailure !== null) throw new Error(`POST /v1/events/batch: a batch or an item did not succeed; first: ${firstFailure}`);
  checkAllSucceeded(result, 'POST /v1/events/batch');
  // Counted from the parsed bodies rather than assumed, so a short or partial answer cannot inflate the rate.
  return { ...summary(result), eventsCompleted: itemsCreated, eventsPerSecond: itemsCreated / result.duration };
}
