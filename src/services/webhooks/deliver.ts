/**
 * Sending webhook deliveries, Standard Webhooks style, at least once. Guarantees:
 * - Claim, send, record are three steps, and only the first and last touch the database: a short transaction
 *   claims due deliveries (pending, `next_attempt_at <= now`, no live lease, endpoint enabled; `claimRows`)
 *   and leases them to this worker until now + `leaseMs`; it commits; the HTTP requests go out with no
 *   transaction open; then one transaction per delivery records the attempt and its outcome, but only while
 *   the lease it took is still its own (same owner and lease instant, still pending).
 * - So two workers never send a delivery at the same time while a lease holds, and a worker that dies after
 *   claiming only delays the delivery: once the lease expires another worker takes it (at least once; the
 *   receiver deduplicates on `webhook-id`). A worker that outlives its lease records nothing: the attempt is
 *   then only in the new holder's log. The lease (60 s) is far longer than the per-attempt timeout (10 s) and a
 *   batch is sent in parallel, so a live worker keeps its leases.
 * - Each attempt sends `webhook-id` (the outbox message id, the same on every attempt and replay),
 *   `webhook-timestamp` (unix seconds, at sending), `webhook-signature` (`v1,<base64 HMAC-SHA256>` with the
 *   endpoint's secret, plus one with the previous secret for a day after a rotation) and the JSON body
 *   `{type, timestamp, data}`. 2xx is delivered; anything else follows the retry schedule and ends `failed`
 *   (domain/webhooks/delivery-policy.ts). Every recorded attempt is in the log.
 * - An endpoint failing for 5 days is disabled with a reason, in the transaction that records the attempt.
 * All times come from `ctx.clock`, except the attempt's duration, which is measured.
 */
import type { ServiceContext } from '../../context.js';
import {
  isSuccessStatus,
  nextAttemptAfterFailure,
  shouldDisableEndpoint,
  disableAfterFailingMs,
} from '../../domain/webhooks/delivery-policy.js';
import {
  claimDueDeliveries,
  findDelivery,
  findEndpoint,
  findMessage,
  insertAttempt,
  leaseDeliveries,
  lockEndpoint,
  settleLeasedDelivery,
  updateEndpoint,
} from '../../storage/repositories/webhooks.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import { iso } from '../views.js';
import { dispatchOutbox } from './dispatch.js';
import { sendWebhook, type AttemptResult } from './send.js';
import { signatureHeader } from './signature.js';
import { webhookPayload } from './views.js';

export const leaseMs = 60_000;
export const attemptTimeoutMs = 10_000;
const DELIVERY_BATCH = 50;

export interface DeliverOptions {
  /** Names the worker in leases and the attempt log; unique per running worker. */
  workerId: string;
  /** Deliveries claimed (and sent in parallel) in this call. */
  limit?: number;
  timeoutMs?: number;
}

/** What a claimed delivery needs to be sent and recorded. */
export interface LeasedDelivery {
  programId: string;
  deliveryId: string;
  endpointId: string;
  messageId: string;
  url: string;
  secrets: string[];
  body: string;
  leaseUntil: number;
}

/**
 * Claims the due deliveries (up to `limit`), sends them and records each outcome. Returns how many attempts it
 * recorded (a lease lost to another worker is not counted).
 */
export async function deliverWebhooks(ctx: ServiceContext, options: DeliverOptions): Promise<number> {
  const leased = await leaseDueDeliveries(ctx, options.workerId, options.limit ?? DELIVERY_BATCH);
  const recorded = await Promise.all(
    leased.map(async (delivery) => {
      const result = await sendLeasedDelivery(ctx, delivery, options.timeoutMs ?? attemptTimeoutMs);
      return recordWebhookAttempt(ctx, delivery, options.workerId, result);
    }),
  );
  return recorded.filter(Boolean).length;
}

/** Full batches one run of `runWebhookJobs` sends at most, so a backlog does not hold the runner's other jobs up. */
const MAX_BATCHES_PER_RUN = 20;

/**
 * One run of the webhook jobs for the job runner: fan out the outbox, then send what is due, batch after batch
 * while batches come back full (up to MAX_BATCHES_PER_RUN). Returns messages dispatched and attempts recorded.
 */
export async function runWebhookJobs(ctx: ServiceContext, workerId: string): Promise<{ dispatched: number; delivered: number }> {
  const dispatched = await dispatchOutbox(ctx);
  let delivered = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    const recorded = await deliverWebhooks(ctx, { workerId, limit: DELIVERY_BATCH });
    delivered += recorded;
    if (recorded < DELIVERY_BATCH) break;
  }
  return { dispatched, delivered };
}

// The three steps of `deliverWebhooks` are exported so a test can stop a worker between them (a worker killed
// after claiming, one that comes back after its lease expired); the job runner calls `deliverWebhooks`.

/** Step 1: claims due deliveries and leases them to `workerId` for `leaseMs`, in one short transaction. */
export async function leaseDueDeliveries(ctx: ServiceContext, workerId: string, limit: number): Promise<LeasedDelivery[]> {
  return inTransaction(ctx.storage, async (trx) => {
    const now = ctx.clock.now();
    const leaseUntil = now + leaseMs;
    const due = await claimDueDeliveries(trx, ctx.storage, now, limit);
    for (const programId of [...new Set(due.map((delivery) => delivery.programId))]) {
      const ids = due.filter((delivery) => delivery.programId === programId).map((delivery) => delivery.id);
      await leaseDeliveries(trx, programId, ids, workerId, leaseUntil);
    }
    const leased: LeasedDelivery[] = [];
    for (const delivery of due) {
      const endpoint = await findEndpoint(trx, delivery.programId, delivery.endpointId);
      const message = await findMessage(trx, delivery.programId, delivery.messageId);
      // The endpoint was deleted since the claim's read (PostgreSQL, READ COMMITTED): its deletion failed the
      // delivery, so there is nothing to send.
      if (!endpoint || !message) continue;
      const secrets = [ctx.pii.decrypt(endpoint.secretCipher)];
      if (endpoint.previousSecretCipher !== null && endpoint.previousSecretUntil !== null && endpoint.previousSecretUntil > now) {
        secrets.push(ctx.pii.decrypt(endpoint.previousSecretCipher));
      }
      leased.push({
        programId: delivery.programId,
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        messageId: delivery.messageId,
        url: endpoint.url,
        secrets,
        body: JSON.stringify(webhookPayload(message)),
        leaseUntil,
      });
    }
    return leased;
  });
}

/** Step 2: sends one attempt; no transaction is open here. */
export function sendLeasedDelivery(ctx: ServiceContext, delivery: LeasedDelivery, timeoutMs: number): Promise<AttemptResult> {
  const timestamp = Math.floor(ctx.clock.now() / 1000);
  return sendWebhook(ctx.policy, {
    url: delivery.url,
    body: delivery.body,
    timeoutMs,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Trouw-Webhooks',
      'webhook-id': delivery.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(delivery.secrets, delivery.messageId, timestamp, delivery.body),
    },
  });
}

function describeOutcome(result: AttemptResult): string {
  return result.statusCode !== null ? `HTTP ${result.statusCode}` : (result.error ?? 'no answer');
}

/** Step 3: records an attempt and its outcome if the lease is still ours; returns whether it did. */
export async function recordWebhookAttempt(ctx: ServiceContext, delivery: LeasedDelivery, workerId: string, result: AttemptResult): Promise<boolean> {
  const recorded = await inTransaction(ctx.storage, async (trx) => {
    const { programId, deliveryId, endpointId } = delivery;
    // The endpoint's lock first (as replay and delete take it), then the delivery: one lock order.
    const endpoint = await lockEndpoint(trx, ctx.storage, programId, endpointId);
    const current = await findDelivery(trx, programId, endpointId, deliveryId);
    if (!endpoint || !current) return false;
    const now = ctx.clock.now();
    const success = isSuccessStatus(result.statusCode);
    const roundAttempts = current.roundAttempts + 1;
    const next = success ? null : nextAttemptAfterFailure(roundAttempts, now);
    const settled = await settleLeasedDelivery(
      trx,
      { programId, deliveryId, owner: workerId, until: delivery.leaseUntil },
      {
        status: success ? 'delivered' : next === null ? 'failed' : 'pending',
        attemptCount: current.attemptCount + 1,
        roundAttempts,
        nextAttemptAt: next,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        lastAttemptAt: now,
        deliveredAt: success ? now : null,
        updatedAt: now,
      },
    );
    if (!settled) return false;
    await insertAttempt(trx, {
      programId,
      id: ctx.ids.next('att'),
      deliveryId,
      endpointId,
      attempt: current.attemptCount + 1,
      workerId,
      statusCode: result.statusCode,
      error: result.error,
      responseExcerpt: result.responseExcerpt,
      durationMs: result.durationMs,
      attemptedAt: now,
    });
    if (success) {
      await updateEndpoint(trx, programId, endpointId, { failingSince: null, lastSuccessAt: now });
      return true;
    }
    const failingSince = endpoint.failingSince ?? now;
    if (endpoint.enabled === 1 && shouldDisableEndpoint(failingSince, now)) {
      const days = Math.round(disableAfterFailingMs / 86_400_000);
      await updateEndpoint(trx, programId, endpointId, {
        failingSince,
        enabled: 0,
        disabledAt: now,
        disabledReason: `Disabled after every delivery attempt failed for ${days} days (since ${iso(failingSince)}); the last one: ${describeOutcome(result)}.`,
        updatedAt: now,
      });
    } else if (endpoint.failingSince === null) {
      await updateEndpoint(trx, programId, endpointId, { failingSince });
    }
    return true;
  });
  if (!recorded) ctx.logger.warn({ deliveryId: delivery.deliveryId, workerId }, 'webhook attempt not recorded: its lease passed to another worker, or its endpoint was deleted');
  return recorded;
}
