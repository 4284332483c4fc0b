/**
 * Webhook endpoints, deliveries and attempts. Every function takes `trx` (or `db`) first and filters on
 * `program_id`, except the job claims, which look for due work across programmes and return each row's
 * programme with it.
 */
import { sql, type Insertable, type Updateable } from 'kysely';
import type { Storage } from '../db.js';
import { claimRows, type Trx } from '../transaction.js';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookDeliveryStatus, WebhookEndpointsTable } from '../webhooks.schema.js';

// Endpoints

export async function insertEndpoint(trx: Trx, endpoint: Insertable<WebhookEndpointsTable>): Promise<void> {
  await trx.insertInto('webhookEndpoints').values(endpoint).execute();
}

/** An endpoint that has not been deleted. */
export async function findEndpoint(db: Trx, programId: string, endpointId: string) {
  return db
    .selectFrom('webhookEndpoints')
    .selectAll()
    .where('programId', '=', programId)
    .where('id', '=', endpointId)
    .where('deletedAt', 'is', null)
    .executeTakeFirst();
}

/**
 * The same, holding the endpoint's row lock until the transaction ends (PostgreSQL; SQLite's immediate
 * transaction already excludes other writers). Taken before any delivery row of the endpoint is written, so
 * transactions touching one endpoint and its deliveries always lock in the same order.
 */
export async function lockEndpoint(trx: Trx, storage: Storage, programId: string, endpointId: string) {
  const query = trx
    .selectFrom('webhookEndpoints')
    .selectAll()
    .where('programId', '=', programId)
    .where('id', '=', endpointId)
    .where('deletedAt', 'is', null);
  return (storage.dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
}

/** The endpoints not deleted, oldest first, a page at a time (one row more than `limit` tells there is more). */
export async function listEndpoints(db: Trx, programId: string, page: { afterId?: string; limit: number }) {
  let query = db.selectFrom('webhookEndpoints').selectAll().where('programId', '=', programId).where('deletedAt', 'is', null);
  if (page.afterId !== undefined) query = query.where('id', '>', page.afterId);
  return query.orderBy('id').limit(page.limit + 1).execute();
}

export async function updateEndpoint(trx: Trx, programId: string, endpointId: string, changes: Updateable<WebhookEndpointsTable>): Promise<void> {
  await trx.updateTable('webhookEndpoints').set(changes).where('programId', '=', programId).where('id', '=', endpointId).execute();
}

/** The enabled endpoints of these programmes: who may receive new deliveries. */
export async function listEnabledEndpoints(db: Trx, programIds: readonly string[]) {
  if (programIds.length === 0) return [];
  return db
    .selectFrom('webhookEndpoints')
    .select(['programId', 'id', 'eventTypes', 'createdAt'])
    .where('programId', 'in', programIds)
    .where('enabled', '=', 1)
    .where('deletedAt', 'is', null)
    .orderBy('programId')
    .orderBy('id')
    .execute();
}

// Outbox fan-out

/** Claims the oldest undispatched outbox messages, across programmes, in id (creation) order. */
export async function claimUndispatchedMessages(trx: Trx, storage: Storage, limit: number) {
  const query = trx
    .selectFrom('outboxMessages')
    .select(['programId', 'id', 'type', 'createdAt'])
    .where('dispatchedAt', 'is', null)
    .orderBy('id')
    .limit(limit);
  return claimRows(query, storage).execute();
}

export async function markMessagesDispatched(trx: Trx, programId: string, messageIds: readonly string[], now: number): Promise<void> {
  if (messageIds.length === 0) return;
  await trx
    .updateTable('outboxMessages')
    .set({ dispatchedAt: now })
    .where('programId', '=', programId)
    .where('id', 'in', messageIds)
    .execute();
}

export async function findMessage(db: Trx, programId: string, messageId: string) {
  return db.selectFrom('outboxMessages').selectAll().where('programId', '=', programId).where('id', '=', messageId).executeTakeFirst();
}

// Deliveries

/** Inserts deliveries; one that exists for its (endpoint, message) is left as it is, so a re-run adds nothing. */
export async function insertDeliveries(trx: Trx, deliveries: Insertable<WebhookDeliveriesTable>[]): Promise<void> {
  for (let i = 0; i < deliveries.length; i += 500) {
    await trx
      .insertInto('webhookDeliveries')
      .values(deliveries.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['programId', 'endpointId', 'messageId']).doNothing())
      .execute();
  }
}

/**
 * Claims pending deliveries that are due and not held by a live lease, oldest due first, across programmes.
 * Deliveries of a disabled or deleted endpoint are passed over; they stay pending until it is enabled again.
 * The endpoint test is a subquery rather than a join so that `FOR UPDATE` locks delivery rows only.
 */
export async function claimDueDeliveries(trx: Trx, storage: Storage, now: number, limit: number) {
  const query = trx
    .selectFrom('webhookDeliveries as d')
    .select(['d.programId', 'd.id', 'd.endpointId', 'd.messageId', 'd.attemptCount', 'd.roundAttempts'])
    // A literal, not a parameter: SQLite uses the partial index only when the query spells out its condition.
    .where('d.status', '=', sql.lit('pending'))
    .where('d.nextAttemptAt', '<=', now)
    .where((eb) => eb.or([eb('d.leaseUntil', 'is', null), eb('d.leaseUntil', '<=', now)]))
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('webhookEndpoints as e')
          .select(sql.lit(1).as('one'))
          .whereRef('e.programId', '=', 'd.programId')
          .whereRef('e.id', '=', 'd.endpointId')
          .where('e.enabled', '=', 1)
          .where('e.deletedAt', 'is', null),
      ),
    )
    .orderBy('d.nextAttemptAt')
    .limit(limit);
  return claimRows(query, storage).execute();
}

/** Takes a lease on claimed deliveries: until `until`, no other worker claims them. */
export async function leaseDeliveries(trx: Trx, programId: string, deliveryIds: readonly string[], owner: string, until: number): Promise<void> {
  if (deliveryIds.length === 0) return;
  await trx
    .updateTable('webhookDeliveries')
    .set({ leaseOwner: owner, leaseUntil: until })
    .where('programId', '=', programId)
    .where('id', 'in', deliveryIds)
    .execute();
}

/**
 * Writes the outcome of an attempt only while the lease taken for it still holds: same owner, same lease
 * instant, still pending. Returns false when another worker took the delivery over after the lease expired (or
 * it was failed by deleting its endpoint); the caller then records nothing.
 */
export async function settleLeasedDelivery(
  trx: Trx,
  lease: { programId: string; deliveryId: string; owner: string; until: number },
  changes: Updateable<WebhookDeliveriesTable>,
): Promise<boolean> {
  const result = await trx
    .updateTable('webhookDeliveries')
    .set({ ...changes, leaseOwner: null, leaseUntil: null })
    .where('programId', '=', lease.programId)
    .where('id', '=', lease.deliveryId)
    .where('leaseOwner', '=', lease.owner)
    .where('leaseUntil', '=', lease.until)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findDelivery(db: Trx, programId: string, endpointId: string, deliveryId: string) {
  return db
    .selectFrom('webhookDeliveries')
    .selectAll()
    .where('programId', '=', programId)
    .where('endpointId', '=', endpointId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
}

/** An endpoint's deliveries, newest first, optionally of one status, a page at a time. */
export async function listDeliveries(db: Trx, programId: string, endpointId: string, page: { beforeId?: string; status?: WebhookDeliveryStatus; limit: number }) {
  let query = db.selectFrom('webhookDeliveries').selectAll().where('programId', '=', programId).where('endpointId', '=', endpointId);
  if (page.status !== undefined) query = query.where('status', '=', page.status);
  if (page.beforeId !== undefined) query = query.where('id', '<', page.beforeId);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

export async function updateDelivery(trx: Trx, programId: string, deliveryId: string, changes: Updateable<WebhookDeliveriesTable>): Promise<void> {
  await trx.updateTable('webhookDeliveries').set(changes).where('programId', '=', programId).where('id', '=', deliveryId).execute();
}

/** Gives up the pending deliveries of an endpoint (it was deleted): they can no longer be sent anywhere. */
export async function failPendingDeliveries(trx: Trx, programId: string, endpointId: string, reason: string, now: number): Promise<void> {
  await trx
    .updateTable('webhookDeliveries')
    .set({ status: 'failed', nextAttemptAt: null, lastError: reason, updatedAt: now })
    .where('programId', '=', programId)
    .where('endpointId', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}

// Attempts

export async function insertAttempt(trx: Trx, attempt: Insertable<WebhookAttemptsTable>): Promise<void> {
  await trx.insertInto('webhookAttempts').values(attempt).execute();
}

export async function listAttempts(db: Trx, programId: string, deliveryId: string) {
  return db
    .selectFrom('webhookAttempts')
    .selectAll()
    .where('programId', '=', programId)
    .where('deliveryId', '=', deliveryId)
    .orderBy('attempt')
    .execute();
}
