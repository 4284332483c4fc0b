/**
 * Table types of webhook endpoints, deliveries and their attempts (migration 0005). Instants are epoch ms,
 * flags 0/1, JSON as text, like the rest of `schema.ts`.
 */
import type { Selectable } from 'kysely';

type Instant = number;
type Flag = number;

/** Where a programme wants its webhook events sent, and which ones. */
export interface WebhookEndpointsTable {
  programId: string;
  id: string;
  url: string;
  description: string | null;
  /** JSON array of event types, or `["*"]` for all of them. */
  eventTypes: string;
  /** The signing secret (`whsec_…`), encrypted with the personal-data cipher: signing needs it back, so it cannot be hashed. */
  secretCipher: string;
  /** The secret before the last rotation, still signed with (as a second signature) until `previousSecretUntil`. */
  previousSecretCipher: string | null;
  previousSecretUntil: Instant | null;
  enabled: Flag;
  /** Why the endpoint was disabled (automatically after failing, or through the API); null while enabled. */
  disabledReason: string | null;
  disabledAt: Instant | null;
  /** The first failed attempt since the last successful one; null while the endpoint is healthy. */
  failingSince: Instant | null;
  lastSuccessAt: Instant | null;
  createdAt: Instant;
  updatedAt: Instant;
  /** Deleted endpoints stay, so their delivery log keeps its meaning; the API no longer shows them. */
  deletedAt: Instant | null;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One outbox message for one endpoint. Unique per (programme, endpoint, message): a re-run of the fan-out adds nothing. */
export interface WebhookDeliveriesTable {
  programId: string;
  id: string;
  endpointId: string;
  /** The outbox message: its id is the `webhook-id` header, the same on every attempt. */
  messageId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  /** Attempts made in all, over every replay (numbers the attempt log). */
  attemptCount: number;
  /** Attempts since the delivery was last queued (created or replayed); drives the retry schedule. */
  roundAttempts: number;
  /** When a pending delivery is due next; null once delivered or failed. */
  nextAttemptAt: Instant | null;
  /** The worker holding the delivery while it sends, and until when; another worker may take it after that. */
  leaseOwner: string | null;
  leaseUntil: Instant | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Instant | null;
  deliveredAt: Instant | null;
  createdAt: Instant;
  updatedAt: Instant;
}

/** One HTTP attempt of a delivery, as it went: append-only. */
export interface WebhookAttemptsTable {
  programId: string;
  id: string;
  deliveryId: string;
  endpointId: string;
  /** 1 for the first attempt of the delivery, counting across replays. */
  attempt: number;
  workerId: string;
  statusCode: number | null;
  /** Network error, timeout or refused address; null when the endpoint answered. */
  error: string | null;
  /** The start of the response body, for the log. */
  responseExcerpt: string | null;
  durationMs: number;
  attemptedAt: Instant;
}

export interface WebhookTables {
  webhookEndpoints: WebhookEndpointsTable;
  webhookDeliveries: WebhookDeliveriesTable;
  webhookAttempts: WebhookAttemptsTable;
}

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
