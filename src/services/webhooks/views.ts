/** Webhook endpoints, deliveries and attempts in the API's shape, and the body a message is sent with. */
import type { OutboxMessagesTable } from '../../storage/schema.js';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookDeliveryStatus, WebhookEndpointRow } from '../../storage/webhooks.schema.js';
import type { Selectable } from 'kysely';
import { iso } from '../views.js';

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** The first failed attempt since the last success: the endpoint is disabled 5 days after it. */
  failingSince: string | null;
  lastSuccessAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What creating an endpoint or rotating its secret returns: the only time the secret is shown. */
export interface WebhookEndpointWithSecret extends WebhookEndpointView {
  secret: string;
}

export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  /** The outbox message's id, sent as the `webhook-id` header on every attempt: receivers deduplicate on it. */
  webhookId: string;
  type: string;
  status: WebhookDeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface WebhookAttemptView {
  id: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  durationMs: number;
  attemptedAt: string;
}

export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export interface WebhookDeliveryDetail extends WebhookDeliveryView {
  payload: WebhookPayload;
  attempts: WebhookAttemptView[];
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function endpointView(row: WebhookEndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.eventTypes) as string[],
    enabled: row.enabled === 1,
    disabledReason: row.disabledReason,
    disabledAt: isoOrNull(row.disabledAt),
    failingSince: isoOrNull(row.failingSince),
    lastSuccessAt: isoOrNull(row.lastSuccessAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function deliveryView(row: WebhookDeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    endpointId: row.endpointId,
    webhookId: row.messageId,
    type: row.eventType,
    status: row.status,
    attemptCount: row.attemptCount,
    nextAttemptAt: isoOrNull(row.nextAttemptAt),
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: isoOrNull(row.lastAttemptAt),
    deliveredAt: isoOrNull(row.deliveredAt),
    createdAt: iso(row.createdAt),
  };
}

export function attemptView(row: WebhookAttemptRow): WebhookAttemptView {
  return {
    id: row.id,
    attempt: row.attempt,
    statusCode: row.statusCode,
    error: row.error,
    responseBody: row.responseExcerpt,
    durationMs: row.durationMs,
    attemptedAt: iso(row.attemptedAt),
  };
}

/**
 * The payload of a message, Standard Webhooks style: `type`, `timestamp` (when the change happened, so the same
 * on every attempt) and `data`. Built from the stored message each time, so every attempt sends the same bytes.
 */
export function webhookPayload(message: Pick<Selectable<OutboxMessagesTable>, 'type' | 'createdAt' | 'data'>): WebhookPayload {
  return { type: message.type, timestamp: iso(message.createdAt), data: JSON.parse(message.data) as Record<string, unknown> };
}
