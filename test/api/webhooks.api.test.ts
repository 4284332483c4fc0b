/**
 * The /v1/webhooks routes through `app.inject()`, on every dialect: endpoints, the delivery log, replay and test
 * pings, with their validation (status, problem+json, code, pointer, nothing written), scopes and tenancy.
 * Deliveries are made by the real jobs against a real receiver on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/api-keys.service.js';
import { runWebhookJobs } from '../../src/services/webhooks/deliver.js';
import type { WebhookDeliveryDetail, WebhookDeliveryView, WebhookEndpointView, WebhookEndpointWithSecret } from '../../src/services/webhooks/views.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

type Client = ReturnType<ReturnType<typeof useApi>['as']>;

forEachDialect('webhooks api', (db) => {
  const api = useApi(db);
  const receivers: WebhookReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  async function setup() {
    const { programId, apiKey } = await givenProgram(db.ctx);
    return { programId, apiKey, client: api.as(apiKey) };
  }

  async function create(client: Client, body: Record<string, unknown> = {}): Promise<WebhookEndpointWithSecret> {
    const response = await client.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', eventTypes: ['*'], ...body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<WebhookEndpointWithSecret>();
  }

  async function list(client: Client): Promise<WebhookEndpointView[]> {
    const response = await client.get('/v1/webhooks?limit=200');
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ data: WebhookEndpointView[] }>().data;
  }

  /** An endpoint on a live receiver, with one delivered member.created message. */
  async function delivered(client: Client, programId: string) {
    const receiver = await startWebhookReceiver({ now: () => db.clock.now() });
    receivers.push(receiver);
    const endpoint = await create(client, { url: receiver.url });
    receiver.secrets = [endpoint.secret];
    await givenMember(db.ctx, programId);
    await runWebhookJobs(db.ctx, 'api-test');
    return { receiver, endpoint };
  }

  describe('POST /v1/webhooks', () => {
    it('creates an endpoint and shows its signing secret only in this response', async () => {
      const { client } = await setup();
      const response = await client.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', eventTypes: ['member.created', 'points.earned'], description: 'CRM' });
      expect(response.statusCode, response.body).toBe(201);
      const endpoint = response.json<WebhookEndpointWithSecret>();
      expect(endpoint).toMatchObject({
        url: 'http://127.0.0.1:9/hooks',
        eventTypes: ['member.created', 'points.earned'],
        description: 'CRM',
        enabled: true,
        disabledReason: null,
        createdAt: '2026-03-15T12:00:00.000Z',
      });
      expect(endpoint.id).toMatch(/^whe_/);
      expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const read = await client.get(`/v1/webhooks/${endpoint.id}`);
      expect(read.statusCode).toBe(200);
      expect(read.json()).not.toHaveProperty('secret');
      expect(read.body).not.toContain(endpoint.secret);
      const { secret: _secret, ...view } = endpoint;
      expect(read.json()).toEqual(view);
    });

    it.each([
      [{ eventTypes: ['*'] }, '/url'],
      [{ url: 'http://127.0.0.1/x' }, '/eventTypes'],
      [{ url: 'http://127.0.0.1/x', eventTypes: [] }, '/eventTypes'],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['member.created', 'member.exploded'] }, '/eventTypes/1'],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['*', 'member.created'] }, '/eventTypes/0'],
      [{ url: 'http://127.0.0.1/x', eventTypes: 'member.created' }, '/eventTypes'],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['*'], enabled: 'yes' }, '/enabled'],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['*'], secret: 'whsec_mine' }, '/secret'],
      [{ url: 'not a url', eventTypes: ['*'] }, '/url'],
      [{ url: '', eventTypes: ['*'] }, '/url'],
    ])('refuses %j with 400 validation_failed at %s and writes nothing', async (body, pointer) => {
      const { client } = await setup();
      expectProblem(await client.post('/v1/webhooks', body), 400, 'validation_failed', pointer);
      expect(await list(client)).toEqual([]);
    });

    it('refuses a non-http scheme with 422 webhook_url_refused at /url', async () => {
      const { client } = await setup();
      expectProblem(await client.post('/v1/webhooks', { url: 'ftp://127.0.0.1/x', eventTypes: ['*'] }), 422, 'webhook_url_refused', '/url');
      expect(await list(client)).toEqual([]);
    });

    it.each(['http://localhost:3000/hooks', 'http://127.0.0.1/hooks', 'http://10.0.0.7/hooks', 'http://192.168.0.1/hooks', 'http://[::1]/hooks'])(
      'refuses %s with 422 webhook_url_refused at /url when private addresses are not allowed',
      async (url) => {
        const { client } = await setup();
        db.ctx.policy.allowPrivateWebhookUrls = false;
        const problem = expectProblem(await client.post('/v1/webhooks', { url, eventTypes: ['*'] }), 422, 'webhook_url_refused', '/url');
        expect(problem.detail).toContain('public internet');
        expect(await list(client)).toEqual([]);
      },
    );

    it('needs webhooks:write, and a key', async () => {
      const { programId, client } = await setup();
      const readOnly = await createApiKey(db.ctx, programId, 'read only', ['webhooks:read']);
      expectProblem(await api.as(readOnly).post('/v1/webhooks', { url: 'http://127.0.0.1/x', eventTypes: ['*'] }), 403, 'insufficient_scope');
      const noKey = await api.request({ method: 'POST', url: '/v1/webhooks', payload: { url: 'http://127.0.0.1/x', eventTypes: ['*'] } });
      expectProblem(noKey, 401, 'unauthenticated');
      expect(await list(client)).toEqual([]);
    });
  });

  describe('GET /v1/webhooks', () => {
    it('pages through the endpoints, oldest first, each once, and only its own programme', async () => {
      const { client } = await setup();
      const other = await setup();
      await create(other.client);
      const made = [];
      for (let i = 0; i < 5; i++) made.push((await create(client, { description: `e${i}` })).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await client.get(`/v1/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.statusCode, response.body).toBe(200);
        const page = response.json<{ data: WebhookEndpointView[]; nextCursor: string | null }>();
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(made);
      expectProblem(await client.get('/v1/webhooks?cursor=nope'), 400, 'invalid_cursor', '/querystring/cursor');
      expectProblem(await client.get('/v1/webhooks?limit=0'), 400, 'validation_failed', '/querystring/limit');
    });

    it('needs webhooks:read', async () => {
      const { programId } = await setup();
      const membersOnly = await createApiKey(db.ctx, programId, 'members', ['members:read']);
      expectProblem(await api.as(membersOnly).get('/v1/webhooks'), 403, 'insufficient_scope');
    });
  });

  describe('GET, PATCH, DELETE /v1/webhooks/{id}', () => {
    it("answers 404 webhook_endpoint_not_found for another programme's endpoint, and changes nothing", async () => {
      const { client } = await setup();
      const theirs = await setup();
      const endpoint = await create(theirs.client);
      expectProblem(await client.get(`/v1/webhooks/${endpoint.id}`), 404, 'webhook_endpoint_not_found');
      expectProblem(await client.patch(`/v1/webhooks/${endpoint.id}`, { enabled: false }), 404, 'webhook_endpoint_not_found');
      expectProblem(await client.delete(`/v1/webhooks/${endpoint.id}`), 404, 'webhook_endpoint_not_found');
      expectProblem(await client.post(`/v1/webhooks/${endpoint.id}/rotate-secret`), 404, 'webhook_endpoint_not_found');
      expectProblem(await client.post(`/v1/webhooks/${endpoint.id}/test`), 404, 'webhook_endpoint_not_found');
      expectProblem(await client.get(`/v1/webhooks/${endpoint.id}/deliveries`), 404, 'webhook_endpoint_not_found');
      const { secret: _secret, ...view } = endpoint;
      expect(await list(theirs.client)).toEqual([view]);
    });

    it('changes url, types and description; enabled false then true disables with a reason and clears it', async () => {
      const { client } = await setup();
      const endpoint = await create(client);
      db.clock.current += 60_000;
      const patched = await client.patch(`/v1/webhooks/${endpoint.id}`, { url: 'http://127.0.0.1:10/new', eventTypes: ['tier.changed'], description: null });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ url: 'http://127.0.0.1:10/new', eventTypes: ['tier.changed'], description: null, updatedAt: '2026-03-15T12:01:00.000Z' });

      const disabled = await client.patch(`/v1/webhooks/${endpoint.id}`, { enabled: false });
      expect(disabled.json()).toMatchObject({ enabled: false, disabledReason: 'Disabled through the API.' });
      const enabled = await client.patch(`/v1/webhooks/${endpoint.id}`, { enabled: true });
      expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    });

    it.each([
      [{}, ''],
      [{ eventTypes: ['nope'] }, '/eventTypes/0'],
      [{ url: 'nope' }, '/url'],
      [{ colour: 'red' }, '/colour'],
    ])('refuses PATCH %j with 400 at "%s" and changes nothing', async (body, pointer) => {
      const { client } = await setup();
      const endpoint = await create(client);
      const { secret: _secret, ...before } = endpoint;
      expectProblem(await client.patch(`/v1/webhooks/${endpoint.id}`, body), 400, 'validation_failed', pointer);
      expect((await client.get(`/v1/webhooks/${endpoint.id}`)).json()).toEqual(before);
    });

    it('refuses a private URL in a PATCH with 422 when private addresses are not allowed', async () => {
      const { client } = await setup();
      const endpoint = await create(client, { url: 'https://93.184.216.34/hooks' });
      db.ctx.policy.allowPrivateWebhookUrls = false;
      expectProblem(await client.patch(`/v1/webhooks/${endpoint.id}`, { url: 'http://169.254.169.254/' }), 422, 'webhook_url_refused', '/url');
      expect((await client.get(`/v1/webhooks/${endpoint.id}`)).json()).toMatchObject({ url: 'https://93.184.216.34/hooks' });
    });

    it('deletes an endpoint: 204, then 404, and it is no longer listed', async () => {
      const { client } = await setup();
      const endpoint = await create(client);
      const response = await client.delete(`/v1/webhooks/${endpoint.id}`);
      expect(response.statusCode).toBe(204);
      expectProblem(await client.get(`/v1/webhooks/${endpoint.id}`), 404, 'webhook_endpoint_not_found');
      expect(await list(client)).toEqual([]);
    });
  });

  describe('POST /v1/webhooks/{id}/rotate-secret', () => {
    it('returns a new secret, which signs the next messages', async () => {
      const { programId, client } = await setup();
      const { receiver, endpoint } = await delivered(client, programId);
      const response = await client.post(`/v1/webhooks/${endpoint.id}/rotate-secret`);
      expect(response.statusCode, response.body).toBe(200);
      const rotated = response.json<WebhookEndpointWithSecret>();
      expect(rotated.id).toBe(endpoint.id);
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(endpoint.secret);
      receiver.secrets = [rotated.secret];
      await givenMember(db.ctx, programId);
      await runWebhookJobs(db.ctx, 'api-test');
      expect(receiver.requests[1]?.verifiedWith).toEqual([rotated.secret]);
    });
  });

  describe('deliveries', () => {
    it('lists deliveries newest first with a status filter, shows one with its attempts, and replays it with 202', async () => {
      const { programId, client } = await setup();
      const { receiver, endpoint } = await delivered(client, programId);
      receiver.failNext(1, 500);
      await givenMember(db.ctx, programId);
      db.clock.current += 1_000;
      await runWebhookJobs(db.ctx, 'api-test');

      const all = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries`)).json<{ data: WebhookDeliveryView[] }>().data;
      expect(all.map((d) => [d.status, d.lastStatusCode])).toEqual([['pending', 500], ['delivered', 200]]);
      const pending = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries?status=pending`)).json<{ data: WebhookDeliveryView[] }>().data;
      expect(pending.map((d) => d.id)).toEqual([all[0]?.id]);
      const firstPage = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries?limit=1`)).json<{ data: WebhookDeliveryView[]; nextCursor: string }>();
      expect(firstPage.data.map((d) => d.id)).toEqual([all[0]?.id]);
      const secondPage = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries?limit=1&cursor=${firstPage.nextCursor}`)).json<{ data: WebhookDeliveryView[]; nextCursor: string | null }>();
      expect(secondPage).toMatchObject({ data: [{ id: all[1]?.id }], nextCursor: null });

      const deliveredOne = all[1]!;
      const detail = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries/${deliveredOne.id}`)).json<WebhookDeliveryDetail>();
      expect(detail).toMatchObject({ id: deliveredOne.id, status: 'delivered', payload: { type: 'member.created', timestamp: '2026-03-15T12:00:00.000Z' } });
      expect(detail.attempts).toEqual([
        { id: expect.stringMatching(/^att_/), attempt: 1, statusCode: 200, error: null, responseBody: 'ok', durationMs: expect.any(Number), attemptedAt: '2026-03-15T12:00:00.000Z' },
      ]);

      const replay = await client.post(`/v1/webhooks/${endpoint.id}/deliveries/${deliveredOne.id}/replay`);
      expect(replay.statusCode, replay.body).toBe(202);
      expect(replay.json()).toMatchObject({ id: deliveredOne.id, status: 'pending', webhookId: deliveredOne.webhookId });
      await runWebhookJobs(db.ctx, 'api-test');
      const replayed = receiver.requests.filter((r) => r.headers['webhook-id'] === deliveredOne.webhookId);
      expect(replayed).toHaveLength(2);
      expect(replayed.every((r) => r.verifiedWith.length === 1)).toBe(true);
    });

    it('answers 404 webhook_delivery_not_found for an unknown delivery or one of another endpoint', async () => {
      const { programId, client } = await setup();
      const { endpoint } = await delivered(client, programId);
      const other = await create(client);
      const [delivery] = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries`)).json<{ data: WebhookDeliveryView[] }>().data;
      expectProblem(await client.get(`/v1/webhooks/${endpoint.id}/deliveries/dlv_nope`), 404, 'webhook_delivery_not_found');
      expectProblem(await client.get(`/v1/webhooks/${other.id}/deliveries/${delivery?.id}`), 404, 'webhook_delivery_not_found');
      expectProblem(await client.post(`/v1/webhooks/${other.id}/deliveries/${delivery?.id}/replay`), 404, 'webhook_delivery_not_found');
      const after = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries`)).json<{ data: WebhookDeliveryView[] }>().data;
      expect(after).toEqual([delivery]);
    });

    it('refuses an unknown status filter with 400 at /querystring/status', async () => {
      const { client } = await setup();
      const endpoint = await create(client);
      expectProblem(await client.get(`/v1/webhooks/${endpoint.id}/deliveries?status=lost`), 400, 'validation_failed', '/querystring/status');
    });

    it('needs webhooks:write to replay and webhooks:read to read the log', async () => {
      const { programId, client } = await setup();
      const { endpoint } = await delivered(client, programId);
      const [delivery] = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries`)).json<{ data: WebhookDeliveryView[] }>().data;
      const readOnly = await createApiKey(db.ctx, programId, 'read only', ['webhooks:read']);
      expect((await api.as(readOnly).get(`/v1/webhooks/${endpoint.id}/deliveries/${delivery?.id}`)).statusCode).toBe(200);
      expectProblem(await api.as(readOnly).post(`/v1/webhooks/${endpoint.id}/deliveries/${delivery?.id}/replay`), 403, 'insufficient_scope');
      const membersOnly = await createApiKey(db.ctx, programId, 'members', ['members:read']);
      expectProblem(await api.as(membersOnly).get(`/v1/webhooks/${endpoint.id}/deliveries`), 403, 'insufficient_scope');
      const [unchanged] = (await client.get(`/v1/webhooks/${endpoint.id}/deliveries`)).json<{ data: WebhookDeliveryView[] }>().data;
      expect(unchanged).toEqual(delivery);
    });
  });

  describe('POST /v1/webhooks/{id}/test', () => {
    it('queues a webhook.test delivery that the next job run sends', async () => {
      const { client } = await setup();
      const receiver = await startWebhookReceiver({ now: () => db.clock.now() });
      receivers.push(receiver);
      const endpoint = await create(client, { url: receiver.url, eventTypes: ['points.earned'] });
      receiver.secrets = [endpoint.secret];
      const response = await client.post(`/v1/webhooks/${endpoint.id}/test`);
      expect(response.statusCode, response.body).toBe(202);
      expect(response.json()).toMatchObject({ type: 'webhook.test', status: 'pending', endpointId: endpoint.id });
      await runWebhookJobs(db.ctx, 'api-test');
      expect(receiver.verified().map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['webhook.test']);
    });
  });
});
