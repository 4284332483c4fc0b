/**
 * Webhook endpoints: where a programme's webhook events go. Guarantees:
 * - A URL is checked against the address policy (address-guard.ts) before anything is written; a refused or
 *   malformed URL or an unknown event type writes nothing.
 * - The signing secret is generated here, returned once (on create and on rotation) and stored encrypted; it
 *   is needed again for every signature, so it cannot be hashed. Rotation keeps signing with the old secret as
 *   a second signature for `previousSecretGraceMs`, so receivers can switch without dropping messages.
 * - Disabling (through the API, or automatically by delivery after failing for days) stops new deliveries;
 *   enabling clears the reason and the failing clock, and pending deliveries resume.
 * - Delete is soft: the endpoint disappears from the API and gets nothing more, its delivery log stays; its
 *   pending deliveries are failed, since there is nowhere left to send them.
 * Another programme's endpoint is `webhook_endpoint_not_found`.
 */
import { checkSubscription } from '../../domain/webhooks/subscription.js';
import type { ServiceContext } from '../../context.js';
import {
  failPendingDeliveries,
  insertEndpoint,
  listEndpoints,
  updateEndpoint,
} from '../../storage/repositories/webhooks.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import type { WebhookEndpointsTable } from '../../storage/webhooks.schema.js';
import { decodeCursor, encodeCursor, isIdCursor } from '../cursor.js';
import type { Page } from '../views.js';
import { checkWebhookUrl } from './address-guard.js';
import { mustFind, mustLock } from './rows.js';
import { newWebhookSecret } from './signature.js';
import { endpointView, type WebhookEndpointView, type WebhookEndpointWithSecret } from './views.js';
import type { Updateable } from 'kysely';

export const previousSecretGraceMs = 24 * 3_600_000;

const DISABLED_THROUGH_API = 'Disabled through the API.';

export interface WebhookEndpointInput {
  url: string;
  eventTypes: string[];
  description?: string | null;
  enabled?: boolean;
}

/**
 * Creates an endpoint and returns it with its signing secret (shown this once).
 * @throws DomainError validation_failed, webhook_url_refused
 */
export async function createWebhookEndpoint(ctx: ServiceContext, programId: string, input: WebhookEndpointInput): Promise<WebhookEndpointWithSecret> {
  const eventTypes = checkSubscription(input.eventTypes);
  const url = await checkWebhookUrl(ctx.policy, input.url);
  const secret = newWebhookSecret();
  const id = ctx.ids.next('whe');
  return inTransaction(ctx.storage, async (trx) => {
    const now = ctx.clock.now();
    const enabled = input.enabled !== false;
    await insertEndpoint(trx, {
      programId,
      id,
      url,
      description: input.description ?? null,
      eventTypes: JSON.stringify(eventTypes),
      secretCipher: ctx.pii.encrypt(secret),
      previousSecretCipher: null,
      previousSecretUntil: null,
      enabled: enabled ? 1 : 0,
      disabledReason: enabled ? null : DISABLED_THROUGH_API,
      disabledAt: enabled ? null : now,
      failingSince: null,
      lastSuccessAt: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
    return { ...endpointView(await mustFind(trx, programId, id)), secret };
  });
}

/**
 * Changes an endpoint. `enabled: true` re-enables a disabled one and clears its reason.
 * @throws DomainError webhook_endpoint_not_found, validation_failed, webhook_url_refused
 */
export async function updateWebhookEndpoint(
  ctx: ServiceContext,
  programId: string,
  endpointId: string,
  patch: Partial<WebhookEndpointInput>,
): Promise<WebhookEndpointView> {
  const eventTypes = patch.eventTypes === undefined ? undefined : checkSubscription(patch.eventTypes);
  // The URL is resolved before the transaction: nothing talks to the network inside one.
  const url = patch.url === undefined ? undefined : await checkWebhookUrl(ctx.policy, patch.url);
  return inTransaction(ctx.storage, async (trx) => {
    const current = await mustLock(ctx, trx, programId, endpointId);
    const now = ctx.clock.now();
    const changes: Updateable<WebhookEndpointsTable> = { updatedAt: now };
    if (url !== undefined) changes.url = url;
    if (eventTypes !== undefined) changes.eventTypes = JSON.stringify(eventTypes);
    if (patch.description !== undefined) changes.description = patch.description;
    if (patch.enabled === true && current.enabled === 0) {
      Object.assign(changes, { enabled: 1, disabledReason: null, disabledAt: null, failingSince: null });
    } else if (patch.enabled === false && current.enabled === 1) {
      Object.assign(changes, { enabled: 0, disabledReason: DISABLED_THROUGH_API, disabledAt: now });
    }
    await updateEndpoint(trx, programId, endpointId, changes);
    return endpointView(await mustFind(trx, programId, endpointId));
  });
}

/** Deletes an endpoint (softly, see the module header). @throws DomainError webhook_endpoint_not_found */
export async function deleteWebhookEndpoint(ctx: ServiceContext, programId: string, endpointId: string): Promise<void> {
  await inTransaction(ctx.storage, async (trx) => {
    await mustLock(ctx, trx, programId, endpointId);
    const now = ctx.clock.now();
    await updateEndpoint(trx, programId, endpointId, { deletedAt: now, enabled: 0, updatedAt: now });
    await failPendingDeliveries(trx, programId, endpointId, 'The endpoint was deleted.', now);
  });
}

/**
 * Replaces the signing secret and returns the new one (shown this once). The old one keeps signing, as a
 * second signature, for a day.
 * @throws DomainError webhook_endpoint_not_found
 */
export async function rotateWebhookSecret(ctx: ServiceContext, programId: string, endpointId: string): Promise<WebhookEndpointWithSecret> {
  const secret = newWebhookSecret();
  return inTransaction(ctx.storage, async (trx) => {
    const current = await mustLock(ctx, trx, programId, endpointId);
    const now = ctx.clock.now();
    await updateEndpoint(trx, programId, endpointId, {
      secretCipher: ctx.pii.encrypt(secret),
      previousSecretCipher: current.secretCipher,
      previousSecretUntil: now + previousSecretGraceMs,
      updatedAt: now,
    });
    return { ...endpointView(await mustFind(trx, programId, endpointId)), secret };
  });
}

/** @throws DomainError webhook_endpoint_not_found */
export async function getWebhookEndpoint(ctx: ServiceContext, programId: string, endpointId: string): Promise<WebhookEndpointView> {
  return endpointView(await mustFind(ctx.storage.db, programId, endpointId));
}

/** The programme's endpoints, oldest first, a page at a time. @throws DomainError invalid_cursor */
export async function listWebhookEndpoints(
  ctx: ServiceContext,
  programId: string,
  query: { cursor?: string; limit?: number } = {},
): Promise<Page<WebhookEndpointView>> {
  const limit = query.limit ?? 50;
  const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isIdCursor).after;
  const rows = await listEndpoints(ctx.storage.db, programId, { afterId, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(endpointView), nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null };
}
