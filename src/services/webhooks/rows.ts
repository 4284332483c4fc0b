/** Row helpers the webhook services share: finding an endpoint or failing with its problem, a new delivery. */
import { DomainError } from '../../domain/errors.js';
import type { ServiceContext } from '../../context.js';
import { findEndpoint, lockEndpoint } from '../../storage/repositories/webhooks.repository.js';
import type { Trx } from '../../storage/transaction.js';
import type { WebhookEndpointRow } from '../../storage/webhooks.schema.js';

/** @throws DomainError webhook_endpoint_not_found (also for another programme's endpoint) */
export async function mustFind(db: Trx, programId: string, endpointId: string): Promise<WebhookEndpointRow> {
  const row = await findEndpoint(db, programId, endpointId);
  if (!row) throw new DomainError('webhook_endpoint_not_found', `No webhook endpoint ${endpointId} in this programme.`);
  return row;
}

/** The same under the endpoint's row lock. @throws DomainError webhook_endpoint_not_found */
export async function mustLock(ctx: ServiceContext, trx: Trx, programId: string, endpointId: string): Promise<WebhookEndpointRow> {
  const row = await lockEndpoint(trx, ctx.storage, programId, endpointId);
  if (!row) throw new DomainError('webhook_endpoint_not_found', `No webhook endpoint ${endpointId} in this programme.`);
  return row;
}

/** A delivery due now, as the fan-out and the test ping create it. */
export function newDelivery(programId: string, id: string, endpointId: string, messageId: string, eventType: string, now: number) {
  return {
    programId,
    id,
    endpointId,
    messageId,
    eventType,
    status: 'pending' as const,
    attemptCount: 0,
    roundAttempts: 0,
    nextAttemptAt: now,
    leaseOwner: null,
    leaseUntil: null,
    lastStatusCode: null,
    lastError: null,
    lastAttemptAt: null,
    deliveredAt: null,
    createdAt: now,
    updatedAt: now,
  };
}
