/**
 * /v1/webhooks: endpoints (with their signing secret shown on create and rotation), the delivery log, replays
 * and test pings. Sending itself is a background job (services/webhooks/deliver.ts).
 */
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
} from '../../services/webhooks/endpoints.service.js';
import { getWebhookDelivery, listWebhookDeliveries, replayWebhookDelivery, sendTestWebhook } from '../../services/webhooks/deliveries.service.js';
import { programOf } from '../plugins/auth.js';
import { IdParams, Page, PageQuery, problems } from '../schemas.js';
import {
  DeliveryParams,
  DeliveryQuery,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEndpoint,
  WebhookEndpointBody,
  WebhookEndpointPatch,
  WebhookEndpointWithSecret,
} from './webhooks.schemas.js';

export function webhookRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['webhooks'];

  r.get('/v1/webhooks', {
    config: { scope: 'webhooks:read' },
    schema: {
      tags,
      summary: 'List the webhook endpoints, oldest first',
      querystring: Type.Object(PageQuery),
      response: { 200: Page(WebhookEndpoint), ...problems(400, 401, 403) },
    },
  }, async (request) => listWebhookEndpoints(ctx, programOf(request), request.query));

  r.post('/v1/webhooks', {
    config: { scope: 'webhooks:write' },
    schema: {
      tags,
      summary: 'Create a webhook endpoint',
      description:
        'Returns the signing secret once. Deliveries follow Standard Webhooks: headers webhook-id, webhook-timestamp and ' +
        'webhook-signature (v1, HMAC-SHA256), retried with back-off for about 28 hours; an endpoint failing for 5 days is disabled.',
      body: WebhookEndpointBody,
      response: { 201: WebhookEndpointWithSecret, ...problems(400, 401, 403, 422) },
    },
  }, async (request, reply) => reply.code(201).send(await createWebhookEndpoint(ctx, programOf(request), request.body)));

  r.get('/v1/webhooks/:id', {
    config: { scope: 'webhooks:read' },
    schema: { tags, summary: 'Get a webhook endpoint', params: IdParams, response: { 200: WebhookEndpoint, ...problems(401, 403, 404) } },
  }, async (request) => getWebhookEndpoint(ctx, programOf(request), request.params.id));

  r.patch('/v1/webhooks/:id', {
    config: { scope: 'webhooks:write' },
    schema: {
      tags,
      summary: 'Change a webhook endpoint; enabled: true re-enables a disabled one',
      params: IdParams,
      body: WebhookEndpointPatch,
      response: { 200: WebhookEndpoint, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => updateWebhookEndpoint(ctx, programOf(request), request.params.id, request.body));

  r.delete('/v1/webhooks/:id', {
    config: { scope: 'webhooks:write' },
    schema: { tags, summary: 'Delete a webhook endpoint (its delivery log stays)', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await deleteWebhookEndpoint(ctx, programOf(request), request.params.id);
    return reply.code(204).send(null);
  });

  r.post('/v1/webhooks/:id/rotate-secret', {
    config: { scope: 'webhooks:write' },
    schema: {
      tags,
      summary: 'Replace the signing secret',
      description: 'Returns the new secret once. For 24 hours messages carry a second signature made with the old secret.',
      params: IdParams,
      response: { 200: WebhookEndpointWithSecret, ...problems(401, 403, 404) },
    },
  }, async (request) => rotateWebhookSecret(ctx, programOf(request), request.params.id));

  r.post('/v1/webhooks/:id/test', {
    config: { scope: 'webhooks:write' },
    schema: {
      tags,
      summary: 'Queue a webhook.test message to this endpoint only',
      params: IdParams,
      response: { 202: WebhookDelivery, ...problems(401, 403, 404) },
    },
  }, async (request, reply) => reply.code(202).send(await sendTestWebhook(ctx, programOf(request), request.params.id)));

  r.get('/v1/webhooks/:id/deliveries', {
    config: { scope: 'webhooks:read' },
    schema: {
      tags,
      summary: "The endpoint's deliveries, newest first",
      params: IdParams,
      querystring: DeliveryQuery,
      response: { 200: Page(WebhookDelivery), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => listWebhookDeliveries(ctx, programOf(request), request.params.id, request.query));

  r.get('/v1/webhooks/:id/deliveries/:deliveryId', {
    config: { scope: 'webhooks:read' },
    schema: {
      tags,
      summary: 'A delivery with its payload and every attempt',
      params: DeliveryParams,
      response: { 200: WebhookDeliveryDetail, ...problems(401, 403, 404) },
    },
  }, async (request) => getWebhookDelivery(ctx, programOf(request), request.params.id, request.params.deliveryId));

  r.post('/v1/webhooks/:id/deliveries/:deliveryId/replay', {
    config: { scope: 'webhooks:write' },
    schema: {
      tags,
      summary: 'Send a delivery again (due now, same webhook-id, a fresh retry schedule)',
      params: DeliveryParams,
      response: { 202: WebhookDelivery, ...problems(401, 403, 404) },
    },
  }, async (request, reply) =>
    reply.code(202).send(await replayWebhookDelivery(ctx, programOf(request), request.params.id, request.params.deliveryId)),
  );
}
