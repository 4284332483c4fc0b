/** TypeBox schemas of the /v1/webhooks routes. */
import { Type } from 'typebox';
import { FreeObject, Nullable, PageQuery } from '../schemas.js';

const eventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Event types to receive (see the catalogue in the API guide), or ["*"] for all of them',
});

const endpointFields = {
  url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL on the public internet (private addresses are refused unless the operator allows them)' }),
  eventTypes,
  description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  enabled: Type.Optional(Type.Boolean({ description: 'true re-enables a disabled endpoint and clears its disabledReason' })),
};

export const WebhookEndpointBody = Type.Object(endpointFields, { additionalProperties: false });
export const WebhookEndpointPatch = Type.Partial(Type.Object(endpointFields), { additionalProperties: false, minProperties: 1 });

const endpointProperties = {
  id: Type.String(),
  url: Type.String(),
  description: Nullable(Type.String()),
  eventTypes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Nullable(Type.String({ description: 'Why the endpoint was disabled (after failing for 5 days, or through the API)' })),
  disabledAt: Nullable(Type.String({ format: 'date-time' })),
  failingSince: Nullable(Type.String({ format: 'date-time', description: 'First failed attempt since the last success' })),
  lastSuccessAt: Nullable(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const WebhookEndpoint = Type.Object(endpointProperties, { description: 'A webhook endpoint' });

export const WebhookEndpointWithSecret = Type.Object(
  {
    ...endpointProperties,
    secret: Type.String({ description: 'The signing secret (whsec_…, Standard Webhooks). Shown only now; store it.' }),
  },
  { description: 'A webhook endpoint with its signing secret' },
);

const deliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);

const deliveryProperties = {
  id: Type.String(),
  endpointId: Type.String(),
  webhookId: Type.String({ description: 'The webhook-id header: the same on every attempt and replay' }),
  type: Type.String(),
  status: deliveryStatus,
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(Type.String({ format: 'date-time' })),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  lastAttemptAt: Nullable(Type.String({ format: 'date-time' })),
  deliveredAt: Nullable(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
};

export const WebhookDelivery = Type.Object(deliveryProperties, { description: 'One webhook message for one endpoint' });

export const WebhookAttempt = Type.Object({
  id: Type.String(),
  attempt: Type.Integer(),
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String({ description: 'Network error, timeout or refused address' })),
  responseBody: Nullable(Type.String({ description: 'The start of the response body' })),
  durationMs: Type.Integer(),
  attemptedAt: Type.String({ format: 'date-time' }),
});

export const WebhookDeliveryDetail = Type.Object(
  {
    ...deliveryProperties,
    payload: Type.Object({ type: Type.String(), timestamp: Type.String({ format: 'date-time' }), data: FreeObject }),
    attempts: Type.Array(WebhookAttempt),
  },
  { description: 'A delivery with the body it sends and every attempt' },
);

export const DeliveryParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  deliveryId: Type.String({ minLength: 1, maxLength: 100 }),
});

export const DeliveryQuery = Type.Object({ ...PageQuery, status: Type.Optional(deliveryStatus) });
