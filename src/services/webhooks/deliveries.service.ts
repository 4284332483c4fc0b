/**
 * The delivery log of an endpoint, replays and test pings.
 * - The log lists deliveries newest first (filterable by status); one delivery shows its payload and every
 *   attempt with status code, error, the start of the response body and its duration.
 * - A replay queues a delivery again, due now, with a fresh retry schedule and the same `webhook-id`, so a
 *   receiver that deduplicates on it sees the same message. Replaying a delivery of a disabled endpoint queues
 *   it too; it goes out once the endpoint is enabled. A replay never creates a second delivery row.
 * - A test ping is a `webhook.test` message for one endpoint only: written to the outbox already dispatched,
 *   with its one delivery, so no other endpoint receives it.
 */
import { DomainError } from '../../domain/errors.js';
import type { ServiceContext } from '../../context.js';
import { outboxRow } from '../../storage/outbox.js';
import { findDelivery, findMessage, insertDeliveries, listAttempts, listDeliveries, updateDelivery } from '../../storage/repositories/webhooks.repository.js';
import { inTransaction, type Trx } from '../../storage/transaction.js';
import type { WebhookDeliveryRow, WebhookDeliveryStatus } from '../../storage/webhooks.schema.js';
import { decodeCursor, encodeCursor, isIdCursor } from '../cursor.js';
import type { Page } from '../views.js';
import { mustFind, mustLock, newDelivery } from './rows.js';
import { attemptView, deliveryView, webhookPayload, type WebhookDeliveryDetail, type WebhookDeliveryView } from './views.js';

/**
 * An endpoint's deliveries, newest first, a page at a time.
 * @throws DomainError webhook_endpoint_not_found, invalid_cursor
 */
export async function listWebhookDeliveries(
  ctx: ServiceContext,
  programId: string,
  endpointId: string,
  query: { status?: WebhookDeliveryStatus; cursor?: string; limit?: number } = {},
): Promise<Page<WebhookDeliveryView>> {
  await mustFind(ctx.storage.db, programId, endpointId);
  const limit = query.limit ?? 50;
  const beforeId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isIdCursor).after;
  const rows = await listDeliveries(ctx.storage.db, programId, endpointId, { beforeId, status: query.status, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(deliveryView), nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null };
}

/** One delivery with its payload and attempts. @throws DomainError webhook_endpoint_not_found, webhook_delivery_not_found */
export async function getWebhookDelivery(ctx: ServiceContext, programId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryDetail> {
  const db = ctx.storage.db;
  await mustFind(db, programId, endpointId);
  const delivery = await mustFindDelivery(db, programId, endpointId, deliveryId);
  const message = await findMessage(db, programId, delivery.messageId);
  if (!message) throw new Error(`delivery ${deliveryId} names a missing outbox message`);
  const attempts = await listAttempts(db, programId, deliveryId);
  return { ...deliveryView(delivery), payload: webhookPayload(message), attempts: attempts.map(attemptView) };
}

/**
 * Queues a delivery again, due now, with the same webhook-id.
 * @throws DomainError webhook_endpoint_not_found, webhook_delivery_not_found
 */
export async function replayWebhookDelivery(ctx: ServiceContext, programId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryView> {
  return inTransaction(ctx.storage, async (trx) => {
    // The endpoint first, then the delivery: the lock order delivery recording uses as well.
    await mustLock(ctx, trx, programId, endpointId);
    await mustFindDelivery(trx, programId, endpointId, deliveryId);
    const now = ctx.clock.now();
    // The lease is left alone: an attempt in flight still records its outcome, which satisfies the replay too.
    await updateDelivery(trx, programId, deliveryId, { status: 'pending', nextAttemptAt: now, roundAttempts: 0, deliveredAt: null, updatedAt: now });
    return deliveryView(await mustFindDelivery(trx, programId, endpointId, deliveryId));
  });
}

/** Queues a `webhook.test` ping to this endpoint only. @throws DomainError webhook_endpoint_not_found */
export async function sendTestWebhook(ctx: ServiceContext, programId: string, endpointId: string): Promise<WebhookDeliveryView> {
  return inTransaction(ctx.storage, async (trx) => {
    await mustLock(ctx, trx, programId, endpointId);
    const now = ctx.clock.now();
    const message = outboxRow(ctx.ids, programId, { type: 'webhook.test', memberId: null, data: { endpointId } }, now);
    await trx.insertInto('outboxMessages').values({ ...message, dispatchedAt: now }).execute();
    const id = ctx.ids.next('dlv');
    await insertDeliveries(trx, [newDelivery(programId, id, endpointId, message.id, 'webhook.test', now)]);
    return deliveryView(await mustFindDelivery(trx, programId, endpointId, id));
  });
}

async function mustFindDelivery(db: Trx, programId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryRow> {
  const row = await findDelivery(db, programId, endpointId, deliveryId);
  if (!row) throw new DomainError('webhook_delivery_not_found', `No delivery ${deliveryId} for webhook endpoint ${endpointId}.`);
  return row;
}
