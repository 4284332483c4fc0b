/**
 * Webhook fan-out and delivery on a real database and a real HTTP receiver on loopback. The receiver verifies
 * every request with the `standardwebhooks` package, so a passing test means an independent implementation
 * accepts our signatures. Time is the TestClock: a test moves it past each back-off and calls deliverWebhooks
 * again, the way the job runner would on its next tick.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelaysMs, disableAfterFailingMs } from '../../src/domain/webhooks/delivery-policy.js';
import { enrolMember, updateMember } from '../../src/services/members.service.js';
import { getWebhookDelivery, listWebhookDeliveries, replayWebhookDelivery, sendTestWebhook } from '../../src/services/webhooks/deliveries.service.js';
import {
  deliverWebhooks,
  leaseDueDeliveries,
  leaseMs,
  recordWebhookAttempt,
  runWebhookJobs,
  sendLeasedDelivery,
} from '../../src/services/webhooks/deliver.js';
import { dispatchOutbox } from '../../src/services/webhooks/dispatch.js';
import { createWebhookEndpoint, getWebhookEndpoint, rotateWebhookSecret, updateWebhookEndpoint } from '../../src/services/webhooks/endpoints.service.js';
import type { WebhookDeliveryView } from '../../src/services/webhooks/views.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, uniqueId } from '../support/factories.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const SECOND = 1_000;
const HOUR = 3_600_000;

forEachDialect('webhook delivery', (db) => {
  const receivers: WebhookReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  async function receiver(): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver({ now: () => db.clock.now() });
    receivers.push(started);
    return started;
  }

  /** A programme with one endpoint on a fresh receiver that verifies with the endpoint's secret. */
  async function setup(eventTypes: string[] = ['*'], programId?: string) {
    const program = programId ?? (await givenProgram(db.ctx)).programId;
    const target = await receiver();
    const endpoint = await createWebhookEndpoint(db.ctx, program, { url: target.url, eventTypes });
    target.secrets = [endpoint.secret];
    return { programId: program, receiver: target, endpoint };
  }

  const advance = (ms: number) => {
    db.clock.current += ms;
  };
  const deliver = (workerId = 'worker-1') => deliverWebhooks(db.ctx, { workerId });

  async function deliveriesOf(programId: string, endpointId: string): Promise<WebhookDeliveryView[]> {
    return (await listWebhookDeliveries(db.ctx, programId, endpointId, { limit: 200 })).data;
  }

  async function outboxOf(programId: string) {
    return db.ctx.storage.db.selectFrom('outboxMessages').selectAll().where('programId', '=', programId).orderBy('id').execute();
  }

  describe('a delivery', () => {
    it('carries an enrolment to a subscribed endpoint as a Standard Webhooks message the receiver verifies', async () => {
      const { programId, receiver: target, endpoint } = await setup(['member.created']);
      const member = await givenMember(db.ctx, programId, { externalId: 'alice' });
      const [message] = await outboxOf(programId);

      expect(await dispatchOutbox(db.ctx)).toBe(1);
      expect(await deliver()).toBe(1);

      expect(target.requests).toHaveLength(1);
      const [request] = target.requests;
      expect(request?.verifyErrors).toEqual([]);
      expect(request?.verifiedWith).toEqual([endpoint.secret]);
      expect(request?.headers).toMatchObject({
        'content-type': 'application/json',
        'webhook-id': message?.id,
        'webhook-timestamp': String(Math.floor(db.clock.now() / 1000)),
      });
      expect(request?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(JSON.parse(request?.body ?? '')).toEqual({
        type: 'member.created',
        timestamp: '2026-03-15T12:00:00.000Z',
        data: { memberId: member.id, externalId: 'alice', referredByMemberId: null },
      });

      const [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(delivery).toMatchObject({ status: 'delivered', webhookId: message?.id, type: 'member.created', attemptCount: 1, lastStatusCode: 200, nextAttemptAt: null });
      const detail = await getWebhookDelivery(db.ctx, programId, endpoint.id, delivery?.id ?? '');
      expect(detail.attempts.map((a) => [a.attempt, a.statusCode, a.error, a.responseBody])).toEqual([[1, 200, null, 'ok']]);
      expect(detail.payload.type).toBe('member.created');
      expect((await getWebhookEndpoint(db.ctx, programId, endpoint.id)).lastSuccessAt).toBe('2026-03-15T12:00:00.000Z');

      // Nothing is left to do: a second run sends nothing more.
      expect(await dispatchOutbox(db.ctx)).toBe(0);
      expect(await deliver()).toBe(0);
      expect(target.requests).toHaveLength(1);
    });

    it('is retried after 500s on the back-off schedule and delivered once the receiver answers 200', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      target.failNext(3, 500);
      await dispatchOutbox(db.ctx);

      expect(await deliver()).toBe(1);
      let [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(delivery).toMatchObject({ status: 'pending', attemptCount: 1, lastStatusCode: 500 });
      expect(Date.parse(delivery?.nextAttemptAt ?? '')).toBe(db.clock.now() + 5 * SECOND);

      // Not due before its back-off has passed.
      advance(5 * SECOND - 1);
      expect(await deliver()).toBe(0);
      advance(1);
      expect(await deliver()).toBe(1);
      [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(Date.parse(delivery?.nextAttemptAt ?? '')).toBe(db.clock.now() + 5 * 60 * SECOND);

      advance(5 * 60 * SECOND - 1);
      expect(await deliver()).toBe(0);
      advance(1);
      expect(await deliver()).toBe(1);
      [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(Date.parse(delivery?.nextAttemptAt ?? '')).toBe(db.clock.now() + 30 * 60 * SECOND);

      advance(30 * 60 * SECOND);
      expect(await deliver()).toBe(1);
      [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 4, lastStatusCode: 200, nextAttemptAt: null });

      expect(target.requests.map((r) => r.answeredWith)).toEqual([500, 500, 500, 200]);
      // Every attempt verifies, and all carry the same webhook-id and the same body; only the timestamp moves.
      expect(target.requests.every((r) => r.verifiedWith.length === 1)).toBe(true);
      expect(new Set(target.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
      expect(new Set(target.requests.map((r) => r.body)).size).toBe(1);
      expect(new Set(target.requests.map((r) => r.headers['webhook-timestamp'])).size).toBe(4);

      const detail = await getWebhookDelivery(db.ctx, programId, endpoint.id, delivery?.id ?? '');
      expect(detail.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
      expect(detail.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      expect(detail.attempts[0]?.responseBody).toBe('receiver says no (500)');
      // The failing clock stopped with the success.
      expect((await getWebhookEndpoint(db.ctx, programId, endpoint.id)).failingSince).toBeNull();
    });

    it('is failed after the last retry, more than a day after the first attempt', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      target.failAlways(503);
      await dispatchOutbox(db.ctx);
      const start = db.clock.now();

      expect(await deliver()).toBe(1);
      for (const delay of retryDelaysMs) {
        advance(delay);
        expect(await deliver()).toBe(1);
      }
      const [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(delivery).toMatchObject({ status: 'failed', attemptCount: 8, lastStatusCode: 503, nextAttemptAt: null, deliveredAt: null });
      expect(db.clock.now() - start).toBeGreaterThan(24 * HOUR);
      expect(target.requests.map((r) => r.answeredWith)).toEqual(Array(8).fill(503));

      // A failed delivery is not tried again.
      advance(48 * HOUR);
      expect(await deliver()).toBe(0);
      expect(target.requests).toHaveLength(8);
      // 27.6 hours of failure is not yet enough to disable the endpoint.
      const health = await getWebhookEndpoint(db.ctx, programId, endpoint.id);
      expect(health).toMatchObject({ enabled: true, disabledReason: null, failingSince: new Date(start).toISOString() });
    });

    it('treats no answer within the timeout as a failed attempt and retries it', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      target.hangNext(1);
      await dispatchOutbox(db.ctx);

      expect(await deliverWebhooks(db.ctx, { workerId: 'w', timeoutMs: 300 })).toBe(1);
      const [first] = await deliveriesOf(programId, endpoint.id);
      expect(first).toMatchObject({ status: 'pending', lastStatusCode: null, lastError: 'timed out after 300 ms' });

      advance(5 * SECOND);
      expect(await deliver()).toBe(1);
      const detail = await getWebhookDelivery(db.ctx, programId, endpoint.id, first?.id ?? '');
      expect(detail.status).toBe('delivered');
      expect(detail.attempts.map((a) => [a.statusCode, a.error])).toEqual([[null, 'timed out after 300 ms'], [200, null]]);
      expect(detail.attempts[0]?.durationMs).toBeGreaterThanOrEqual(250);
    });

    it('does not follow redirects: a 302 is a failed attempt', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      target.failNext(1, 302);
      await dispatchOutbox(db.ctx);
      await deliver();
      const [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(delivery).toMatchObject({ status: 'pending', lastStatusCode: 302, attemptCount: 1 });
      expect(target.requests).toHaveLength(1);
    });
  });

  describe('disabling', () => {
    it('disables an endpoint that failed for five days, with a reason; it gets no new deliveries until enabled again', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      target.failAlways(500);
      const first = db.clock.now();
      await givenMember(db.ctx, programId, { externalId: 'day-0' });
      await dispatchOutbox(db.ctx);
      await deliver();
      expect(await getWebhookEndpoint(db.ctx, programId, endpoint.id)).toMatchObject({ enabled: true, failingSince: new Date(first).toISOString() });

      // Four days later it has failed every attempt, but not yet for five days.
      advance(4 * 86_400_000);
      await givenMember(db.ctx, programId, { externalId: 'day-4' });
      await dispatchOutbox(db.ctx);
      await deliver();
      expect((await getWebhookEndpoint(db.ctx, programId, endpoint.id)).enabled).toBe(true);

      advance(disableAfterFailingMs - 4 * 86_400_000);
      await givenMember(db.ctx, programId, { externalId: 'day-5' });
      await dispatchOutbox(db.ctx);
      await deliver();
      const disabled = await getWebhookEndpoint(db.ctx, programId, endpoint.id);
      expect(disabled.enabled).toBe(false);
      expect(disabled.disabledAt).toBe(new Date(db.clock.now()).toISOString());
      expect(disabled.disabledReason).toContain('failed for 5 days');
      expect(disabled.disabledReason).toContain('since 2026-03-15T12:00:00.000Z');
      expect(disabled.disabledReason).toContain('HTTP 500');

      // Disabled: a new message gets no delivery, and the pending ones are not sent.
      await givenMember(db.ctx, programId, { externalId: 'while-disabled' });
      await dispatchOutbox(db.ctx);
      const sentBefore = target.requests.length;
      advance(HOUR);
      expect(await deliver()).toBe(0);
      expect(target.requests).toHaveLength(sentBefore);
      const types = (await deliveriesOf(programId, endpoint.id)).map((d) => d.status);
      expect(types).toHaveLength(3);

      // Enabled again: the reason is cleared, the waiting deliveries go out, new messages are delivered.
      target.failAlways(null);
      const enabled = await updateWebhookEndpoint(db.ctx, programId, endpoint.id, { enabled: true });
      expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
      await givenMember(db.ctx, programId, { externalId: 'after' });
      await dispatchOutbox(db.ctx);
      await deliver();
      const after = await deliveriesOf(programId, endpoint.id);
      expect(after).toHaveLength(4);
      expect(after.every((d) => d.status === 'delivered')).toBe(true);
      const deliveredIds = target.requests.filter((r) => r.answeredWith === 200).map((r) => (JSON.parse(r.body) as { data: { externalId: string } }).data.externalId);
      expect(deliveredIds.sort()).toEqual(['after', 'day-0', 'day-4', 'day-5']);
    });
  });

  describe('replay', () => {
    it('sends a delivered message again with the same webhook-id and body', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      await dispatchOutbox(db.ctx);
      await deliver();
      const [delivery] = await deliveriesOf(programId, endpoint.id);

      advance(HOUR);
      const replayed = await replayWebhookDelivery(db.ctx, programId, endpoint.id, delivery?.id ?? '');
      expect(replayed).toMatchObject({ id: delivery?.id, status: 'pending', nextAttemptAt: new Date(db.clock.now()).toISOString(), deliveredAt: null });
      expect(await deliver()).toBe(1);

      expect(target.requests).toHaveLength(2);
      expect(target.requests[1]?.headers['webhook-id']).toBe(target.requests[0]?.headers['webhook-id']);
      expect(target.requests[1]?.body).toBe(target.requests[0]?.body);
      expect(target.requests[1]?.verifiedWith).toEqual([endpoint.secret]);
      const detail = await getWebhookDelivery(db.ctx, programId, endpoint.id, delivery?.id ?? '');
      expect(detail).toMatchObject({ status: 'delivered', attemptCount: 2 });
      expect(detail.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 200], [2, 200]]);
      expect(await deliveriesOf(programId, endpoint.id)).toHaveLength(1);
    });

    it('gives a failed delivery a fresh retry schedule', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      target.failAlways(500);
      await dispatchOutbox(db.ctx);
      await deliver();
      for (const delay of retryDelaysMs) {
        advance(delay);
        await deliver();
      }
      const [failed] = await deliveriesOf(programId, endpoint.id);
      expect(failed?.status).toBe('failed');

      await replayWebhookDelivery(db.ctx, programId, endpoint.id, failed?.id ?? '');
      expect(await deliver()).toBe(1);
      const [again] = await deliveriesOf(programId, endpoint.id);
      // Attempt 9 failed, and is followed by the first back-off of a new round rather than being final.
      expect(again).toMatchObject({ status: 'pending', attemptCount: 9 });
      expect(Date.parse(again?.nextAttemptAt ?? '')).toBe(db.clock.now() + 5 * SECOND);
      target.failAlways(null);
      advance(5 * SECOND);
      await deliver();
      expect((await deliveriesOf(programId, endpoint.id))[0]).toMatchObject({ status: 'delivered', attemptCount: 10 });
    });
  });

  describe('fan-out', () => {
    it('delivers only the types an endpoint subscribes to; "*" gets every message', async () => {
      const { programId } = await givenProgram(db.ctx);
      const earned = await setup(['points.earned'], programId);
      const everything = await setup(['*'], programId);
      const updates = await setup(['member.updated'], programId);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 2500);
      const outbox = await outboxOf(programId);
      expect(outbox.map((m) => m.type)).toEqual(expect.arrayContaining(['member.created', 'points.earned']));

      expect(await dispatchOutbox(db.ctx)).toBe(outbox.length);
      await deliver();

      expect(earned.receiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['points.earned']);
      expect(earned.receiver.verified()).toHaveLength(1);
      expect(everything.receiver.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(outbox.map((m) => m.id).sort());
      expect(everything.receiver.verified()).toHaveLength(outbox.length);
      expect(updates.receiver.requests).toHaveLength(0);
      expect(await deliveriesOf(programId, updates.endpoint.id)).toEqual([]);

      // Subscribing later changes what the next messages bring.
      await updateWebhookEndpoint(db.ctx, programId, updates.endpoint.id, { eventTypes: ['member.updated', 'member.created'] });
      await updateMember(db.ctx, programId, member.id, { name: 'Alice' });
      await dispatchOutbox(db.ctx);
      await deliver();
      expect(updates.receiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['member.updated']);
    });

    it("never sends one programme's messages to another programme's endpoint", async () => {
      const a = await setup();
      const b = await setup();
      const alice = await givenMember(db.ctx, a.programId);
      const bob = await givenMember(db.ctx, b.programId);
      await dispatchOutbox(db.ctx);
      await deliver();
      const memberIdsOf = (target: WebhookReceiver) => target.requests.map((r) => (JSON.parse(r.body) as { data: { memberId: string } }).data.memberId);
      expect(memberIdsOf(a.receiver)).toEqual([alice.id]);
      expect(memberIdsOf(b.receiver)).toEqual([bob.id]);
      // b's receiver would reject a's messages anyway: different secrets.
      expect(a.receiver.requests[0]?.verifiedWith).toEqual([a.endpoint.secret]);
      const rows = await db.ctx.storage.db.selectFrom('webhookDeliveries').select(['programId', 'endpointId']).execute();
      expect(rows.map((r) => `${r.programId}/${r.endpointId}`).sort()).toEqual([`${a.programId}/${a.endpoint.id}`, `${b.programId}/${b.endpoint.id}`].sort());
    });

    it('creates no second delivery when a message is fanned out again', async () => {
      const { programId, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      await givenMember(db.ctx, programId);
      expect(await dispatchOutbox(db.ctx)).toBe(2);
      // As if the fan-out had run again over the same messages (a crash before its mark, a restored backup).
      await db.ctx.storage.db.updateTable('outboxMessages').set({ dispatchedAt: null }).where('programId', '=', programId).execute();
      expect(await dispatchOutbox(db.ctx)).toBe(2);
      expect(await deliveriesOf(programId, endpoint.id)).toHaveLength(2);
    });

    it('fans out in bounded batches, oldest message first, until none is left', async () => {
      const { programId, receiver: target } = await setup(['member.created']);
      for (let i = 0; i < 7; i++) await givenMember(db.ctx, programId, { externalId: `m${i}` });
      expect(await dispatchOutbox(db.ctx, { batchSize: 3 })).toBe(7);
      const undispatched = await db.ctx.storage.db.selectFrom('outboxMessages').select('id').where('dispatchedAt', 'is', null).execute();
      expect(undispatched).toEqual([]);
      await deliver();
      expect(target.requests.map((r) => (JSON.parse(r.body) as { data: { externalId: string } }).data.externalId).sort()).toEqual(
        ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'],
      );
    });

    it('does not send an endpoint what happened before it was created', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenMember(db.ctx, programId, { externalId: 'before' });
      advance(SECOND);
      const { receiver: target } = await setup(['*'], programId);
      await givenMember(db.ctx, programId, { externalId: 'after' });
      await runWebhookJobs(db.ctx, 'runner');
      expect(target.requests.map((r) => (JSON.parse(r.body) as { data: { externalId: string } }).data.externalId)).toEqual(['after']);
    });

    it('runWebhookJobs fans out and delivers in one call', async () => {
      const { programId, receiver: target } = await setup();
      await givenMember(db.ctx, programId);
      expect(await runWebhookJobs(db.ctx, 'runner')).toEqual({ dispatched: 1, delivered: 1 });
      expect(target.verified()).toHaveLength(1);
    });

    it('runWebhookJobs keeps sending while batches come back full', async () => {
      const { programId, receiver: target } = await setup(['member.created']);
      for (let i = 0; i < 60; i++) await givenMember(db.ctx, programId);
      expect(await runWebhookJobs(db.ctx, 'runner')).toEqual({ dispatched: 60, delivered: 60 });
      expect(new Set(target.verified().map((r) => r.headers['webhook-id'])).size).toBe(60);
    });
  });

  describe('addresses at delivery time', () => {
    it('refuses to connect when the name now resolves to loopback (DNS rebinding), and logs why', async () => {
      const { programId } = await givenProgram(db.ctx);
      const target = await receiver();
      // Saved while private addresses were allowed; the operator has since switched that off.
      const endpoint = await createWebhookEndpoint(db.ctx, programId, { url: `http://localhost:${target.port}/hooks`, eventTypes: ['*'] });
      await givenMember(db.ctx, programId);
      await dispatchOutbox(db.ctx);
      const strict = { ...db.ctx, policy: { allowPrivateWebhookUrls: false } };

      expect(await deliverWebhooks(strict, { workerId: 'w' })).toBe(1);
      expect(target.requests).toHaveLength(0);
      const [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(delivery).toMatchObject({ status: 'pending', lastStatusCode: null });
      expect(delivery?.lastError).toMatch(/^address refused: .* is a loopback address \(localhost resolves to it\)$/);

      // With the operator's switch on again, the same delivery goes out.
      advance(5 * SECOND);
      target.secrets = [];
      expect(await deliver()).toBe(1);
      expect(target.requests).toHaveLength(1);
    });

    it('refuses an IP-literal loopback URL without connecting', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      await dispatchOutbox(db.ctx);
      await deliverWebhooks({ ...db.ctx, policy: { allowPrivateWebhookUrls: false } }, { workerId: 'w' });
      expect(target.requests).toHaveLength(0);
      const [delivery] = await deliveriesOf(programId, endpoint.id);
      expect(delivery?.lastError).toBe('address refused: 127.0.0.1 is a loopback address');
    });
  });

  describe('secrets', () => {
    it('signs with the new and the old secret for a day after a rotation, then with the new one only', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      const rotated = await rotateWebhookSecret(db.ctx, programId, endpoint.id);
      expect(rotated.secret).not.toBe(endpoint.secret);
      target.secrets = [rotated.secret, endpoint.secret];

      await givenMember(db.ctx, programId);
      await runWebhookJobs(db.ctx, 'w');
      expect(target.requests[0]?.verifiedWith).toEqual([rotated.secret, endpoint.secret]);
      expect(String(target.requests[0]?.headers['webhook-signature']).split(' ')).toHaveLength(2);

      advance(24 * HOUR + SECOND);
      await givenMember(db.ctx, programId);
      await runWebhookJobs(db.ctx, 'w');
      expect(target.requests[1]?.verifiedWith).toEqual([rotated.secret]);
      expect(String(target.requests[1]?.headers['webhook-signature']).split(' ')).toHaveLength(1);
    });
  });

  describe('test ping', () => {
    it('sends webhook.test to that endpoint only', async () => {
      const { programId } = await givenProgram(db.ctx);
      const pinged = await setup(['member.created'], programId);
      const other = await setup(['*'], programId);
      const delivery = await sendTestWebhook(db.ctx, programId, pinged.endpoint.id);
      expect(delivery).toMatchObject({ type: 'webhook.test', status: 'pending' });
      expect(await runWebhookJobs(db.ctx, 'w')).toEqual({ dispatched: 0, delivered: 1 });
      expect(pinged.receiver.verified().map((r) => JSON.parse(r.body) as unknown)).toEqual([
        { type: 'webhook.test', timestamp: '2026-03-15T12:00:00.000Z', data: { endpointId: pinged.endpoint.id } },
      ]);
      expect(other.receiver.requests).toHaveLength(0);
    });
  });

  describe('leases', () => {
    /**
     * A worker "killed" after claiming is simulated by calling only the first step of deliverWebhooks for it;
     * a worker that comes back late calls the last step after its lease expired.
     */
    it('lets another worker take a claimed delivery only after the lease expired, and drops the late outcome of the first', async () => {
      const { programId, receiver: target, endpoint } = await setup();
      await givenMember(db.ctx, programId);
      await dispatchOutbox(db.ctx);

      const leased = await leaseDueDeliveries(db.ctx, 'worker-a', 10);
      expect(leased).toHaveLength(1);
      const lateResult = await sendLeasedDelivery(db.ctx, leased[0]!, 5_000);
      expect(target.requests).toHaveLength(1);

      // While A's lease holds, B finds nothing to do.
      advance(leaseMs - 1);
      expect(await deliverWebhooks(db.ctx, { workerId: 'worker-b' })).toBe(0);
      expect(target.requests).toHaveLength(1);

      // Once it has expired, B delivers (again: at least once, same webhook-id).
      advance(1);
      expect(await deliverWebhooks(db.ctx, { workerId: 'worker-b' })).toBe(1);
      expect(target.requests).toHaveLength(2);
      expect(target.requests[1]?.headers['webhook-id']).toBe(target.requests[0]?.headers['webhook-id']);

      // A comes back and tries to record: refused, the log has B's attempt only.
      expect(await recordWebhookAttempt(db.ctx, leased[0]!, 'worker-a', lateResult)).toBe(false);
      const detail = await getWebhookDelivery(db.ctx, programId, endpoint.id, leased[0]!.deliveryId);
      expect(detail).toMatchObject({ status: 'delivered', attemptCount: 1 });
      const attempts = await db.ctx.storage.db.selectFrom('webhookAttempts').select(['workerId', 'statusCode']).execute();
      expect(attempts).toEqual([{ workerId: 'worker-b', statusCode: 200 }]);
    });
  });

  describe.runIf(db.dialect === 'postgres')('two workers at once (PostgreSQL)', () => {
    it('fans out and delivers every message exactly once while leases hold', async () => {
      const { programId } = await givenProgram(db.ctx);
      const first = await setup(['*'], programId);
      const second = await setup(['member.created'], programId);
      const messages = 40;
      for (let i = 0; i < messages; i++) await enrolMember(db.ctx, programId, { externalId: uniqueId('c') });

      const fanned = await Promise.all([dispatchOutbox(db.ctx, { batchSize: 3 }), dispatchOutbox(db.ctx, { batchSize: 3 })]);
      expect(fanned[0] + fanned[1]).toBe(messages);
      expect(await deliveriesOf(programId, first.endpoint.id)).toHaveLength(messages);
      expect(await deliveriesOf(programId, second.endpoint.id)).toHaveLength(messages);

      let total = 0;
      for (;;) {
        const [a, b] = await Promise.all([
          deliverWebhooks(db.ctx, { workerId: 'worker-a', limit: 7 }),
          deliverWebhooks(db.ctx, { workerId: 'worker-b', limit: 7 }),
        ]);
        total += a + b;
        if (a + b === 0) break;
      }
      expect(total).toBe(2 * messages);
      for (const { receiver: target } of [first, second]) {
        const ids = target.requests.map((r) => r.headers['webhook-id']);
        expect(ids).toHaveLength(messages);
        expect(new Set(ids).size).toBe(messages);
        expect(target.verified()).toHaveLength(messages);
      }
      const attempts = await db.ctx.storage.db.selectFrom('webhookAttempts').select(['workerId']).execute();
      expect(attempts).toHaveLength(2 * messages);
      // Both workers did part of the work.
      expect(new Set(attempts.map((a) => a.workerId))).toEqual(new Set(['worker-a', 'worker-b']));
    });
  });
});
