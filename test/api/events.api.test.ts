/**
 * POST /v1/events and POST /v1/events/batch through `app.inject()`, on every dialect. Error cases check the
 * status, the problem+json media type, the code and the field pointer, and then prove that nothing was written:
 * the member's balance, counters and ledger are as before, and the event id is still free (posting a corrected
 * event under the same id is a fresh 201, never a replay).
 */
import { describe, expect, it } from 'vitest';
import { useApi, expectProblem, type Problem } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import type { EventResponse } from '../../src/services/events.service.js';
import { givenMember, givenProgram, uniqueId } from '../support/factories.js';

interface BatchResponse {
  results: { status: number; replayed?: boolean; result?: EventResponse; problem?: Problem }[];
}

interface RuleResponse {
  id: string;
  version: number;
  trigger: string;
}

type Client = ReturnType<ReturnType<typeof useApi>['as']>;


/** Everything an event can change on a member, read back through the API. */
async function memberState(client: Client, memberId: string) {
  const member = await client.get(`/v1/members/${memberId}`);
  expect(member.statusCode, member.body).toBe(200);
  const ledger = await client.get(`/v1/members/${memberId}/ledger?limit=200`);
  expect(ledger.statusCode, ledger.body).toBe(200);
  const { balance, lifetimeEarned, purchaseCount } = member.json<{ balance: unknown; lifetimeEarned: number; purchaseCount: number }>();
  return { balance, lifetimeEarned, purchaseCount, entries: ledger.json<{ data: unknown[] }>().data.length };
}

/** `depth` lists, one inside the other, around a string. */
function nested(depth: number): unknown {
  return depth === 0 ? 'x' : [nested(depth - 1)];
}

function purchase(id: string, memberId: string, total: number, orderId: string, extra: Record<string, unknown> = {}) {
  return { id, type: 'purchase', memberId, data: { orderId, total, currency: 'EUR', ...extra } };
}

forEachDialect('events api', (db) => {
  const api = useApi(db);

  /** A programme (EUR, base rule 1 point per whole euro), one member, and a client with the programme's key. */
  async function setup(options: Parameters<typeof givenProgram>[1] = {}) {
    const { programId, apiKey } = await givenProgram(db.ctx, options);
    const member = await givenMember(db.ctx, programId, { externalId: uniqueId('customer') });
    return { programId, apiKey, member, client: api.as(apiKey) };
  }

  async function baseRuleId(client: Client): Promise<string> {
    const rules = (await client.get('/v1/rules')).json<{ data: RuleResponse[] }>().data;
    const base = rules.find((rule) => rule.trigger === 'purchase');
    if (!base) throw new Error('no base rule');
    return base.id;
  }

  async function createRule(client: Client, body: Record<string, unknown>): Promise<RuleResponse> {
    const response = await client.post('/v1/rules', { name: `rule ${uniqueId('r')}`, ...body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<RuleResponse>();
  }

  /** Posting a valid event under `id` is a fresh 201: the id was never recorded. */
  async function expectEventIdUnused(client: Client, id: string, memberId: string): Promise<EventResponse> {
    const fresh = await client.post('/v1/events', { id, type: 'visit', memberId, data: {} });
    expect(fresh.statusCode, fresh.body).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    return fresh.json<EventResponse>();
  }

  describe('POST /v1/events', () => {
    describe('purchase', () => {
      it('earns 1 point per whole euro through the base rule for a member named by memberId', async () => {
        const { client, member } = await setup();
        const ruleId = await baseRuleId(client);
        const response = await client.post('/v1/events', purchase('evt-1', member.id, 2599, 'order-1'));
        expect(response.statusCode, response.body).toBe(201);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expect(response.headers['idempotent-replayed']).toBeUndefined();
        const body = response.json<EventResponse>();
        expect(body).toEqual({
          event: {
            id: 'evt-1',
            type: 'purchase',
            memberId: member.id,
            occurredAt: '2026-03-15T12:00:00.000Z',
            receivedAt: '2026-03-15T12:00:00.000Z',
            data: { orderId: 'order-1', total: 2599, currency: 'EUR' },
          },
          awarded: [{ ruleId, ruleVersion: 1, points: 25, status: 'available' }],
          balance: { available: 25, pending: 0 },
        });
        expect(await memberState(client, member.id)).toEqual({
          balance: { available: 25, pending: 0 },
          lifetimeEarned: 25,
          purchaseCount: 1,
          entries: 1,
        });
      });

      it('finds the member by externalId and answers with their member id', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', {
          id: 'evt-ext',
          type: 'purchase',
          externalId: member.externalId,
          data: { orderId: 'order-ext', total: 1000, currency: 'EUR' },
        });
        expect(response.statusCode, response.body).toBe(201);
        const body = response.json<EventResponse>();
        expect(body.event.memberId).toBe(member.id);
        expect(body.awarded.map((a) => a.points)).toEqual([10]);
        expect((await memberState(client, member.id)).balance).toEqual({ available: 10, pending: 0 });
      });

      it('keeps the occurredAt the business sent and earns on it', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { ...purchase('evt-past', member.id, 500, 'order-past'), occurredAt: '2026-03-01T09:30:00Z' });
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json<EventResponse>().event).toMatchObject({ occurredAt: '2026-03-01T09:30:00.000Z', receivedAt: '2026-03-15T12:00:00.000Z' });
      });

      it('earns with a basket of items, rounding the points down', async () => {
        const { client, member } = await setup();
        const response = await client.post(
          '/v1/events',
          purchase('evt-basket', member.id, 1099, 'order-basket', { items: [{ sku: 'beans', category: 'coffee', quantity: 1, unitPrice: 1099 }] }),
        );
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json<EventResponse>().balance).toEqual({ available: 10, pending: 0 });
      });

      it('keeps purchase points pending for the return window of the programme', async () => {
        const { client, member } = await setup({ pendingDays: 14 });
        const response = await client.post('/v1/events', purchase('evt-pending', member.id, 5000, 'order-pending'));
        expect(response.statusCode, response.body).toBe(201);
        const body = response.json<EventResponse>();
        expect(body.awarded).toEqual([expect.objectContaining({ points: 50, status: 'pending' })]);
        expect(body.balance).toEqual({ available: 0, pending: 50 });
        expect((await memberState(client, member.id)).balance).toEqual({ available: 0, pending: 50 });
      });

      it('gives a blocked member nothing, though the purchase is recorded', async () => {
        const { client, member } = await setup();
        const blocked = await client.patch(`/v1/members/${member.id}`, { status: 'blocked' });
        expect(blocked.statusCode, blocked.body).toBe(200);
        const response = await client.post('/v1/events', purchase('evt-blocked', member.id, 5000, 'order-blocked'));
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json<EventResponse>()).toMatchObject({ awarded: [], balance: { available: 0, pending: 0 } });
        const state = await memberState(client, member.id);
        expect(state).toMatchObject({ balance: { available: 0, pending: 0 }, lifetimeEarned: 0, entries: 0 });
        // The order is on record: a second event for it is refused.
        const again = await client.post('/v1/events', purchase('evt-blocked-2', member.id, 5000, 'order-blocked'));
        expectProblem(again, 409, 'order_already_recorded', '/data/orderId');
      });

      it('gives a blocked member nothing for non-purchase events either', async () => {
        const { client, member } = await setup();
        await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
        await client.patch(`/v1/members/${member.id}`, { status: 'blocked' });
        const response = await client.post('/v1/events', { id: 'evt-rev-blocked', type: 'review', memberId: member.id, data: {} });
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json<EventResponse>().awarded).toEqual([]);
        expect((await memberState(client, member.id)).entries).toBe(0);
      });
    });

    describe('idempotency on the event id', () => {
      it('replays the first response with the same id and body in another key order, changing nothing', async () => {
        const { client, member } = await setup();
        const first = await client.post('/v1/events', {
          id: 'evt-replay',
          type: 'purchase',
          memberId: member.id,
          data: { orderId: 'order-replay', total: 2599, currency: 'EUR' },
        });
        expect(first.statusCode, first.body).toBe(201);
        const before = await memberState(client, member.id);
        const second = await client.post('/v1/events', {
          data: { currency: 'EUR', total: 2599, orderId: 'order-replay' },
          memberId: member.id,
          type: 'purchase',
          id: 'evt-replay',
        });
        expect(second.statusCode, second.body).toBe(200);
        expect(second.headers['idempotent-replayed']).toBe('true');
        expect(second.json()).toEqual(first.json());
        expect(await memberState(client, member.id)).toEqual(before);
      });

      it('replays the first response even after later events moved the balance', async () => {
        const { client, member } = await setup();
        const body = purchase('evt-old', member.id, 1000, 'order-old');
        const first = await client.post('/v1/events', body);
        await client.post('/v1/events', purchase('evt-new', member.id, 3000, 'order-new'));
        const replay = await client.post('/v1/events', body);
        expect(replay.statusCode).toBe(200);
        expect(replay.json()).toEqual(first.json());
        expect(replay.json<EventResponse>().balance).toEqual({ available: 10, pending: 0 });
        expect((await memberState(client, member.id)).balance).toEqual({ available: 40, pending: 0 });
      });

      it('refuses the same id with a different body and writes nothing', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-reuse', member.id, 1000, 'order-reuse'));
        const before = await memberState(client, member.id);
        const response = await client.post('/v1/events', purchase('evt-reuse', member.id, 9000, 'order-reuse-2'));
        expectProblem(response, 409, 'event_id_reused_with_different_body', '/id');
        expect(await memberState(client, member.id)).toEqual(before);
        // The other order was not recorded either.
        const other = await client.post('/v1/events', purchase('evt-reuse-3', member.id, 9000, 'order-reuse-2'));
        expect(other.statusCode, other.body).toBe(201);
      });

      it('refuses the same id naming the member by externalId instead of memberId', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-who', member.id, 1000, 'order-who'));
        const response = await client.post('/v1/events', {
          id: 'evt-who',
          type: 'purchase',
          externalId: member.externalId,
          data: { orderId: 'order-who', total: 1000, currency: 'EUR' },
        });
        expectProblem(response, 409, 'event_id_reused_with_different_body', '/id');
      });

      it('refuses a second event with another id for an order already recorded', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-order-a', member.id, 1000, 'order-dup'));
        const before = await memberState(client, member.id);
        const response = await client.post('/v1/events', purchase('evt-order-b', member.id, 1000, 'order-dup'));
        expectProblem(response, 409, 'order_already_recorded', '/data/orderId');
        expect(await memberState(client, member.id)).toEqual(before);
        await expectEventIdUnused(client, 'evt-order-b', member.id);
      });
    });

    describe('refund', () => {
      it('claws back in proportion to a partial refund, then the rest on a full refund', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-p', member.id, 10000, 'order-r'));
        const partial = await client.post('/v1/events', { id: 'evt-r1', type: 'refund', memberId: member.id, data: { orderId: 'order-r', amount: 2500 } });
        expect(partial.statusCode, partial.body).toBe(201);
        expect(partial.json<EventResponse>()).toMatchObject({ awarded: [], clawback: { points: 25, unrecovered: 0 }, balance: { available: 75, pending: 0 } });
        const rest = await client.post('/v1/events', { id: 'evt-r2', type: 'refund', memberId: member.id, data: { orderId: 'order-r' } });
        expect(rest.statusCode, rest.body).toBe(201);
        expect(rest.json<EventResponse>()).toMatchObject({ clawback: { points: 75, unrecovered: 0 }, balance: { available: 0, pending: 0 } });
        expect(await memberState(client, member.id)).toMatchObject({ balance: { available: 0, pending: 0 }, lifetimeEarned: 0, entries: 3 });
      });

      it('rounds a proportional clawback down and never takes back more than the order earned in total', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-odd', member.id, 2599, 'order-odd'));
        const partial = await client.post('/v1/events', { id: 'evt-odd-r1', type: 'refund', memberId: member.id, data: { orderId: 'order-odd', amount: 1000 } });
        expect(partial.json<EventResponse>().clawback).toEqual({ points: 9, unrecovered: 0 });
        const rest = await client.post('/v1/events', { id: 'evt-odd-r2', type: 'refund', memberId: member.id, data: { orderId: 'order-odd', amount: 1599 } });
        expect(rest.json<EventResponse>().clawback).toEqual({ points: 16, unrecovered: 0 });
        expect((await memberState(client, member.id)).balance).toEqual({ available: 0, pending: 0 });
      });

      it('reports points the member already spent as unrecovered instead of going below zero', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-spent', member.id, 5000, 'order-spent'));
        const spend = await client.post(`/v1/members/${member.id}/adjustments`, { points: -40, reason: 'spent in store' });
        expect(spend.statusCode, spend.body).toBe(201);
        const refund = await client.post('/v1/events', { id: 'evt-spent-r', type: 'refund', memberId: member.id, data: { orderId: 'order-spent' } });
        expect(refund.statusCode, refund.body).toBe(201);
        expect(refund.json<EventResponse>()).toMatchObject({ clawback: { points: 10, unrecovered: 40 }, balance: { available: 0, pending: 0 } });
      });

      it('refuses a refund above what is left of the order, naming /data/amount, and writes nothing', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-o', member.id, 10000, 'order-over'));
        await client.post('/v1/events', { id: 'evt-o-r1', type: 'refund', memberId: member.id, data: { orderId: 'order-over', amount: 6000 } });
        const before = await memberState(client, member.id);
        const response = await client.post('/v1/events', { id: 'evt-o-r2', type: 'refund', memberId: member.id, data: { orderId: 'order-over', amount: 4001 } });
        expectProblem(response, 422, 'refund_exceeds_order', '/data/amount');
        expect(await memberState(client, member.id)).toEqual(before);
        // The 4000 that is left can still be refunded, under the same event id.
        const exact = await client.post('/v1/events', { id: 'evt-o-r2', type: 'refund', memberId: member.id, data: { orderId: 'order-over', amount: 4000 } });
        expect(exact.statusCode, exact.body).toBe(201);
        expect(exact.json<EventResponse>().clawback).toEqual({ points: 40, unrecovered: 0 });
      });

      it('refuses a full refund of an order that was already refunded in full', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-f', member.id, 1000, 'order-full'));
        await client.post('/v1/events', { id: 'evt-f-r1', type: 'refund', memberId: member.id, data: { orderId: 'order-full' } });
        const again = await client.post('/v1/events', { id: 'evt-f-r2', type: 'refund', memberId: member.id, data: { orderId: 'order-full' } });
        expectProblem(again, 422, 'refund_exceeds_order');
      });

      it('refuses a refund of an unknown order, naming /data/orderId, and writes nothing', async () => {
        const { client, member } = await setup();
        const before = await memberState(client, member.id);
        const response = await client.post('/v1/events', { id: 'evt-nope', type: 'refund', memberId: member.id, data: { orderId: 'order-nope' } });
        expectProblem(response, 422, 'order_not_found', '/data/orderId');
        expect(await memberState(client, member.id)).toEqual(before);
        await expectEventIdUnused(client, 'evt-nope', member.id);
      });

      it("refuses a refund of another member's order and leaves both members as they were", async () => {
        const { client, programId, member } = await setup();
        const other = await givenMember(db.ctx, programId);
        await client.post('/v1/events', purchase('evt-theirs', other.id, 5000, 'order-theirs'));
        const otherBefore = await memberState(client, other.id);
        const response = await client.post('/v1/events', { id: 'evt-steal', type: 'refund', memberId: member.id, data: { orderId: 'order-theirs' } });
        expectProblem(response, 422, 'order_not_found', '/data/orderId');
        expect(await memberState(client, other.id)).toEqual(otherBefore);
        expect((await memberState(client, member.id)).entries).toBe(0);
      });

      it('takes a device context, refuses a bad one at its pointer, and treats another context as another body', async () => {
        const { client, member } = await setup();
        const body = { ...purchase('evt-ctx', member.id, 1000, 'order-ctx'), context: { ip: '203.0.113.4', deviceId: 'dev-1', userAgent: 'Kassa/2.1' } };
        expectProblem(await client.post('/v1/events', { ...body, context: { ip: '' } }), 400, 'validation_failed', '/context/ip');
        expectProblem(await client.post('/v1/events', { ...body, context: { mac: 'aa:bb' } }), 400, 'validation_failed', '/context/mac');
        expect((await memberState(client, member.id)).entries).toBe(0);
        const first = await client.post('/v1/events', body);
        expect(first.statusCode, first.body).toBe(201);
        expect(first.body).not.toContain('dev-1');
        expect((await client.post('/v1/events', body)).headers['idempotent-replayed']).toBe('true');
        expectProblem(await client.post('/v1/events', { ...body, context: { ip: '203.0.113.5' } }), 409, 'event_id_reused_with_different_body');
      });

      it('refuses a refund without an orderId or with a zero amount', async () => {
        const { client, member } = await setup();
        await client.post('/v1/events', purchase('evt-z', member.id, 1000, 'order-z'));
        expectProblem(await client.post('/v1/events', { id: 'evt-z-r1', type: 'refund', memberId: member.id, data: {} }), 400, 'validation_failed', '/data/orderId');
        expectProblem(
          await client.post('/v1/events', { id: 'evt-z-r2', type: 'refund', memberId: member.id, data: { orderId: 'order-z', amount: 0 } }),
          400,
          'validation_failed',
          '/data/amount',
        );
        expect((await memberState(client, member.id)).balance).toEqual({ available: 10, pending: 0 });
      });
    });

    describe('other event types', () => {
      it('stores review, survey, social_share, visit, event_attended and custom events and awards their rules', async () => {
        const { client, member } = await setup();
        const types = ['review', 'survey', 'social_share', 'visit', 'event_attended', 'custom.some_thing'];
        const rules = new Map<string, string>();
        for (const [i, trigger] of types.entries()) {
          rules.set(trigger, (await createRule(client, { trigger, effects: [{ type: 'points', amount: 10 + i }] })).id);
        }
        let expected = 0;
        for (const [i, type] of types.entries()) {
          const data = type === 'survey' ? { score: 9 } : { note: `a ${type}` };
          const response = await client.post('/v1/events', { id: `evt-${type}`, type, memberId: member.id, data });
          expect(response.statusCode, response.body).toBe(201);
          const body = response.json<EventResponse>();
          expect(body.event).toMatchObject({ id: `evt-${type}`, type, memberId: member.id, data });
          expect(body.awarded).toEqual([{ ruleId: rules.get(type), ruleVersion: 1, points: 10 + i, status: 'available' }]);
          expected += 10 + i;
          expect(body.balance).toEqual({ available: expected, pending: 0 });
        }
        expect(await memberState(client, member.id)).toMatchObject({ balance: { available: expected, pending: 0 }, purchaseCount: 0, entries: types.length });
      });

      it('awards a review rule at once even in a programme with a return window', async () => {
        const { client, member } = await setup({ pendingDays: 14 });
        await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 15 }] });
        const response = await client.post('/v1/events', { id: 'evt-rev', type: 'review', memberId: member.id, data: { stars: 5 } });
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json<EventResponse>()).toMatchObject({ awarded: [{ points: 15, status: 'available' }], balance: { available: 15, pending: 0 } });
      });

      it('records an event no rule matches, awarding nothing', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-visit', type: 'visit', memberId: member.id });
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json<EventResponse>()).toMatchObject({ event: { data: {} }, awarded: [], balance: { available: 0, pending: 0 } });
      });

      it('refuses a survey score of 11, naming /data/score, and writes nothing', async () => {
        const { client, member } = await setup();
        await createRule(client, { trigger: 'survey', effects: [{ type: 'points', amount: 5 }] });
        const response = await client.post('/v1/events', { id: 'evt-s11', type: 'survey', memberId: member.id, data: { score: 11 } });
        expectProblem(response, 400, 'validation_failed', '/data/score');
        expect(await memberState(client, member.id)).toMatchObject({ balance: { available: 0, pending: 0 }, entries: 0 });
        const fixed = await client.post('/v1/events', { id: 'evt-s11', type: 'survey', memberId: member.id, data: { score: 10 } });
        expect(fixed.statusCode, fixed.body).toBe(201);
      });

      it('refuses a survey without a whole-number score', async () => {
        const { client, member } = await setup();
        expectProblem(await client.post('/v1/events', { id: 'evt-s1', type: 'survey', memberId: member.id, data: {} }), 400, 'validation_failed', '/data/score');
        expectProblem(await client.post('/v1/events', { id: 'evt-s2', type: 'survey', memberId: member.id, data: { score: 7.5 } }), 400, 'validation_failed', '/data/score');
        expectProblem(await client.post('/v1/events', { id: 'evt-s3', type: 'survey', memberId: member.id, data: { score: '7' } }), 400, 'validation_failed', '/data/score');
      });

      it('refuses an unknown event type, naming /type, and writes nothing', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-foo', type: 'foo', memberId: member.id, data: {} });
        expectProblem(response, 400, 'validation_failed', '/type');
        await expectEventIdUnused(client, 'evt-foo', member.id);
      });

      it('refuses a custom type that breaks the naming pattern', async () => {
        const { client, member } = await setup();
        expectProblem(await client.post('/v1/events', { id: 'evt-c1', type: 'custom.Some Thing', memberId: member.id, data: {} }), 400, 'validation_failed', '/type');
        expectProblem(await client.post('/v1/events', { id: 'evt-c2', type: 'custom.', memberId: member.id, data: {} }), 400, 'validation_failed', '/type');
      });
    });

    describe('bad input', () => {
      it('refuses malformed JSON with malformed_json', async () => {
        const { apiKey, member } = await setup();
        const response = await api.request({
          method: 'POST',
          url: '/v1/events',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          payload: `{"id": "evt-bad", "type": "purchase", "memberId": "${member.id}", "data": {`,
        });
        expectProblem(response, 400, 'malformed_json');
        expect(await memberState(api.as(apiKey), member.id)).toMatchObject({ entries: 0, purchaseCount: 0 });
      });

      it('refuses an empty JSON body with malformed_json', async () => {
        const { apiKey } = await setup();
        const response = await api.request({
          method: 'POST',
          url: '/v1/events',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          payload: '',
        });
        expectProblem(response, 400, 'malformed_json');
      });

      it('refuses a total sent as a string, naming /data/total, and writes nothing', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-str', type: 'purchase', memberId: member.id, data: { orderId: 'order-str', total: '12', currency: 'EUR' } });
        expectProblem(response, 400, 'validation_failed', '/data/total');
        expect(await memberState(client, member.id)).toMatchObject({ balance: { available: 0, pending: 0 }, purchaseCount: 0, entries: 0 });
        // Neither the event id nor the order was taken.
        const fixed = await client.post('/v1/events', purchase('evt-str', member.id, 1200, 'order-str'));
        expect(fixed.statusCode, fixed.body).toBe(201);
        expect(fixed.json<EventResponse>().balance.available).toBe(12);
      });

      it.each([
        ['a negative total', -100],
        ['a fractional total', 12.5],
        ['an absurd total of 1e15', 1e15],
      ])('refuses %s, naming /data/total', async (_label, total) => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', purchase('evt-total', member.id, total, 'order-total'));
        expectProblem(response, 400, 'validation_failed', '/data/total');
        expect(await memberState(client, member.id)).toMatchObject({ balance: { available: 0, pending: 0 }, purchaseCount: 0, entries: 0 });
        await expectEventIdUnused(client, 'evt-total', member.id);
      });

      it('accepts the largest total allowed (10^12 minor units)', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', purchase('evt-max', member.id, 1_000_000_000_000, 'order-max'));
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json<EventResponse>().balance.available).toBe(10_000_000_000);
      });

      it('refuses a purchase without an orderId, naming /data/orderId', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-noorder', type: 'purchase', memberId: member.id, data: { total: 1000, currency: 'EUR' } });
        expectProblem(response, 400, 'validation_failed', '/data/orderId');
        expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
      });

      it('refuses a purchase without data, naming /data/orderId', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-nodata', type: 'purchase', memberId: member.id });
        expectProblem(response, 400, 'validation_failed', '/data/orderId');
      });

      it('refuses a malformed basket line, naming it', async () => {
        const { client, member } = await setup();
        const response = await client.post(
          '/v1/events',
          purchase('evt-items', member.id, 1000, 'order-items', { items: [{ sku: 'a', quantity: 1, unitPrice: 500 }, { sku: 'b', quantity: 0, unitPrice: 500 }] }),
        );
        expectProblem(response, 400, 'validation_failed', '/data/items/1/quantity');
      });

      it('refuses an unknown currency ABC with unknown_currency at /data/currency, and writes nothing', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-abc', type: 'purchase', memberId: member.id, data: { orderId: 'order-abc', total: 1000, currency: 'ABC' } });
        expectProblem(response, 422, 'unknown_currency', '/data/currency');
        expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        await expectEventIdUnused(client, 'evt-abc', member.id);
      });

      it('refuses a currency that is not a three-letter code', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-eur', type: 'purchase', memberId: member.id, data: { orderId: 'order-eur', total: 1000, currency: 'eur' } });
        expectProblem(response, 400, 'validation_failed', '/data/currency');
      });

      it("refuses a purchase in USD in a EUR programme with currency_mismatch, and writes nothing", async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-usd', type: 'purchase', memberId: member.id, data: { orderId: 'order-usd', total: 1000, currency: 'USD' } });
        expectProblem(response, 422, 'currency_mismatch', '/data/currency');
        expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        const fixed = await client.post('/v1/events', purchase('evt-usd', member.id, 1000, 'order-usd'));
        expect(fixed.statusCode, fixed.body).toBe(201);
      });

      it('refuses an unknown memberId with member_not_found at /memberId', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', purchase('evt-ghost', 'mbr_doesnotexist', 1000, 'order-ghost'));
        expectProblem(response, 404, 'member_not_found', '/memberId');
        // Neither the event id nor the order was taken.
        const fixed = await client.post('/v1/events', purchase('evt-ghost', member.id, 1000, 'order-ghost'));
        expect(fixed.statusCode, fixed.body).toBe(201);
      });

      it('refuses an unknown externalId with member_not_found at /externalId', async () => {
        const { client } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-ghost-ext', type: 'visit', externalId: 'nobody', data: {} });
        expectProblem(response, 404, 'member_not_found', '/externalId');
      });

      it('refuses an event naming no member', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-anon', type: 'purchase', data: { orderId: 'order-anon', total: 1000, currency: 'EUR' } });
        expectProblem(response, 400, 'validation_failed', '/memberId');
        const fixed = await client.post('/v1/events', purchase('evt-anon', member.id, 1000, 'order-anon'));
        expect(fixed.statusCode, fixed.body).toBe(201);
      });

      it('refuses an occurredAt in the future with occurred_at_in_future, and writes nothing', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { ...purchase('evt-future', member.id, 1000, 'order-future'), occurredAt: '2026-03-16T12:00:00Z' });
        expectProblem(response, 422, 'occurred_at_in_future', '/occurredAt');
        expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        const fixed = await client.post('/v1/events', purchase('evt-future', member.id, 1000, 'order-future'));
        expect(fixed.statusCode, fixed.body).toBe(201);
      });

      it('accepts an occurredAt a little ahead of our clock (clock skew)', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { ...purchase('evt-skew', member.id, 1000, 'order-skew'), occurredAt: '2026-03-15T12:02:00Z' });
        expect(response.statusCode, response.body).toBe(201);
      });

      it.each([['not a date', 'yesterday'], ['a date without a time', '2026-03-14'], ['an impossible date', '2026-02-30T10:00:00Z']])(
        'refuses an occurredAt that is %s, naming /occurredAt',
        async (_label, occurredAt) => {
          const { client, member } = await setup();
          const response = await client.post('/v1/events', { ...purchase('evt-when', member.id, 1000, 'order-when'), occurredAt });
          expectProblem(response, 400, 'validation_failed', '/occurredAt');
          expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        },
      );

      it('refuses an unknown top-level field, naming it', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { ...purchase('evt-extra', member.id, 1000, 'order-extra'), points: 1000 });
        expectProblem(response, 400, 'validation_failed', '/points');
        expect((await memberState(client, member.id)).entries).toBe(0);
      });

      it('refuses an event without an id or with an id of the wrong type', async () => {
        const { client, member } = await setup();
        expectProblem(await client.post('/v1/events', { type: 'visit', memberId: member.id, data: {} }), 400, 'validation_failed', '/id');
        expectProblem(await client.post('/v1/events', { id: 42, type: 'visit', memberId: member.id, data: {} }), 400, 'validation_failed', '/id');
        expectProblem(await client.post('/v1/events', { id: '', type: 'visit', memberId: member.id, data: {} }), 400, 'validation_failed', '/id');
      });

      it('refuses data that is not an object', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', { id: 'evt-arr', type: 'visit', memberId: member.id, data: [1, 2] });
        expectProblem(response, 400, 'validation_failed', '/data');
      });

      it('refuses a body over 1 MiB with body_too_large, and writes nothing', async () => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', purchase('evt-huge', member.id, 1000, 'order-huge', { note: 'x'.repeat(1_100_000) }));
        expectProblem(response, 413, 'body_too_large');
        expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        const fixed = await client.post('/v1/events', purchase('evt-huge', member.id, 1000, 'order-huge'));
        expect(fixed.statusCode, fixed.body).toBe(201);
      });

      // Rules read `data` on every event, and what they may cost grows with it (README, Limits).
      it.each([
        ['over 128 KiB of JSON', { note: 'ab'.repeat(400_000) }, '/data'],
        ['a list of more than 1,000 elements', { tags: Array.from({ length: 1_001 }, () => 't') }, '/data/tags'],
        ['a map of more than 1,000 entries', { extra: Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, 1])) }, '/data/extra'],
        ['lists nested deeper than 10 levels', { deep: nested(10) }, '/data/deep/0/0/0/0/0/0/0/0/0'],
      ])('refuses data with %s as event_data_too_large naming the field, and writes nothing', async (_label, extra, pointer) => {
        const { client, member } = await setup();
        const response = await client.post('/v1/events', purchase('evt-big', member.id, 1000, 'order-big', extra));
        const problem = expectProblem(response, 422, 'event_data_too_large', pointer);
        expect(problem.detail).toMatch(/at most/);
        expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        await expectEventIdUnused(client, 'evt-big', member.id);
      });

      it('accepts data at the limits: a basket of 1,000 lines', async () => {
        const { client, member } = await setup();
        const items = Array.from({ length: 1_000 }, (_, i) => ({ sku: `SKU-${i}`, category: 'shoes', quantity: 1, unitPrice: 100 }));
        const response = await client.post('/v1/events', purchase('evt-basket', member.id, 100_000, 'order-basket', { items }));
        expect(response.statusCode, response.body).toBe(201);
      });

      it('refuses a text/plain body with 415 unsupported_media_type', async () => {
        const { apiKey, member } = await setup();
        const response = await api.request({
          method: 'POST',
          url: '/v1/events',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'text/plain' },
          payload: JSON.stringify(purchase('evt-text', member.id, 1000, 'order-text')),
        });
        expectProblem(response, 415, 'unsupported_media_type');
        expect(await memberState(api.as(apiKey), member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
      });

      it('refuses a form-encoded body with 415 unsupported_media_type', async () => {
        const { apiKey, member } = await setup();
        const response = await api.request({
          method: 'POST',
          url: '/v1/events',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
          payload: `id=evt-form&type=visit&memberId=${member.id}`,
        });
        expectProblem(response, 415, 'unsupported_media_type');
      });
    });

    describe('security', () => {
      it('refuses a request without an API key, or with an unknown one, and writes nothing', async () => {
        const { client, member } = await setup();
        const anonymous = await api.request({ method: 'POST', url: '/v1/events', payload: purchase('evt-anon-key', member.id, 1000, 'order-k') });
        expectProblem(anonymous, 401, 'unauthenticated');
        expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
        const forged = await api.as('sk_not_a_real_key').post('/v1/events', purchase('evt-anon-key', member.id, 1000, 'order-k'));
        expectProblem(forged, 401, 'unauthenticated');
        expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        const fixed = await client.post('/v1/events', purchase('evt-anon-key', member.id, 1000, 'order-k'));
        expect(fixed.statusCode, fixed.body).toBe(201);
      });

      it("answers 404 for another programme's member, writing nothing in either programme", async () => {
        const mine = await setup();
        const theirs = await setup();
        const theirsBefore = await memberState(theirs.client, theirs.member.id);
        const byId = await mine.client.post('/v1/events', purchase('evt-cross', theirs.member.id, 5000, 'order-cross'));
        expectProblem(byId, 404, 'member_not_found', '/memberId');
        const byExternalId = await mine.client.post('/v1/events', {
          id: 'evt-cross-ext',
          type: 'purchase',
          externalId: theirs.member.externalId,
          data: { orderId: 'order-cross-ext', total: 5000, currency: 'EUR' },
        });
        expectProblem(byExternalId, 404, 'member_not_found', '/externalId');
        expect(await memberState(theirs.client, theirs.member.id)).toEqual(theirsBefore);
        expect(await memberState(mine.client, mine.member.id)).toMatchObject({ purchaseCount: 0, entries: 0 });
        // The ids and orders are free in both programmes.
        for (const side of [mine, theirs]) {
          const fresh = await side.client.post('/v1/events', purchase('evt-cross', side.member.id, 5000, 'order-cross'));
          expect(fresh.statusCode, fresh.body).toBe(201);
        }
      });

      it("never replays another programme's event: the same id is a fresh event in each programme", async () => {
        const mine = await setup();
        const theirs = await setup();
        const first = await theirs.client.post('/v1/events', purchase('evt-shared', theirs.member.id, 9900, 'order-shared'));
        expect(first.statusCode).toBe(201);
        const second = await mine.client.post('/v1/events', purchase('evt-shared', mine.member.id, 1000, 'order-shared'));
        expect(second.statusCode, second.body).toBe(201);
        expect(second.headers['idempotent-replayed']).toBeUndefined();
        expect(second.json<EventResponse>()).toMatchObject({ event: { memberId: mine.member.id }, balance: { available: 10, pending: 0 } });
        expect((await memberState(theirs.client, theirs.member.id)).balance).toEqual({ available: 99, pending: 0 });
      });

      it("refuses a refund of another programme's order as order_not_found", async () => {
        const mine = await setup();
        const theirs = await setup();
        await theirs.client.post('/v1/events', purchase('evt-their-order', theirs.member.id, 5000, 'order-their'));
        const before = await memberState(theirs.client, theirs.member.id);
        const response = await mine.client.post('/v1/events', { id: 'evt-x-refund', type: 'refund', memberId: mine.member.id, data: { orderId: 'order-their' } });
        expectProblem(response, 422, 'order_not_found', '/data/orderId');
        expect(await memberState(theirs.client, theirs.member.id)).toEqual(before);
      });
    });
  });

  describe('POST /v1/events/batch', () => {
    it('answers each item in input order, commits the good ones and reports the bad ones with their problem', async () => {
      const { client, member } = await setup();
      const response = await client.post('/v1/events/batch', {
        events: [
          purchase('b-1', member.id, 1000, 'b-order-1'),
          { id: 'b-2', type: 'purchase', memberId: member.id, data: { orderId: 'b-order-2', total: 'x', currency: 'EUR' } },
          { type: 'purchase', memberId: member.id, data: { orderId: 'b-order-3', total: 500, currency: 'EUR' } },
          purchase('b-4', 'mbr_doesnotexist', 700, 'b-order-4'),
          purchase('b-5', member.id, 2000, 'b-order-5'),
          { id: 'b-6', type: 'foo', memberId: member.id, data: {} },
          purchase('b-7', member.id, 300, 'b-order-1'),
          { id: 'b-8', type: 'purchase', memberId: member.id, data: { orderId: 'b-order-8', total: 100, currency: 'USD' } },
        ],
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const { results } = response.json<BatchResponse>();
      expect(results.map((r) => r.status)).toEqual([201, 400, 400, 404, 201, 400, 409, 422]);
      expect(results[0]).toMatchObject({ replayed: false, result: { event: { id: 'b-1' }, awarded: [{ points: 10 }], balance: { available: 10, pending: 0 } } });
      expect(results[0]?.problem).toBeUndefined();
      expect(results[1]?.result).toBeUndefined();
      expect(results[1]?.problem).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ pointer: '/data/total' }] });
      expect(results[2]?.problem).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ pointer: '/id' }] });
      expect(results[3]?.problem).toMatchObject({ status: 404, code: 'member_not_found', errors: [{ pointer: '/memberId' }] });
      expect(results[4]).toMatchObject({ result: { event: { id: 'b-5' }, balance: { available: 30, pending: 0 } } });
      expect(results[5]?.problem).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ pointer: '/type' }] });
      expect(results[6]?.problem).toMatchObject({ status: 409, code: 'order_already_recorded', errors: [{ pointer: '/data/orderId' }] });
      expect(results[7]?.problem).toMatchObject({ status: 422, code: 'currency_mismatch', errors: [{ pointer: '/data/currency' }] });
      expect(await memberState(client, member.id)).toEqual({ balance: { available: 30, pending: 0 }, lifetimeEarned: 30, purchaseCount: 2, entries: 2 });
      // The failed items left no trace: their ids and orders are free.
      const retry = await client.post('/v1/events', purchase('b-2', member.id, 800, 'b-order-2'));
      expect(retry.statusCode, retry.body).toBe(201);
      // The good ones are committed: posting one again is a replay.
      const replay = await client.post('/v1/events', purchase('b-5', member.id, 2000, 'b-order-5'));
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual(results[4]?.result);
    });

    it('refuses an item whose data is over the limits alone, naming the field, and records the others', async () => {
      const { client, member } = await setup();
      const response = await client.post('/v1/events/batch', {
        events: [
          purchase('b-big-1', member.id, 1000, 'b-big-order-1'),
          purchase('b-big-2', member.id, 1000, 'b-big-order-2', { tags: Array.from({ length: 1_001 }, () => 't') }),
          purchase('b-big-3', member.id, 1000, 'b-big-order-3', { note: 'ab'.repeat(400_000) }),
        ],
      });
      expect(response.statusCode, response.body).toBe(200);
      const { results } = response.json<BatchResponse>();
      expect(results.map((r) => r.status)).toEqual([201, 422, 422]);
      expect(results[1]?.problem).toMatchObject({ code: 'event_data_too_large', errors: [{ pointer: '/data/tags' }] });
      expect(results[2]?.problem).toMatchObject({ code: 'event_data_too_large', errors: [{ pointer: '/data' }] });
      expect(await memberState(client, member.id)).toMatchObject({ purchaseCount: 1, entries: 1 });
    });

    it('replays a duplicate id inside one batch instead of recording it twice', async () => {
      const { client, member } = await setup();
      const event = purchase('b-dup', member.id, 1500, 'b-order-dup');
      const response = await client.post('/v1/events/batch', { events: [event, { ...event, data: { currency: 'EUR', total: 1500, orderId: 'b-order-dup' } }] });
      expect(response.statusCode, response.body).toBe(200);
      const { results } = response.json<BatchResponse>();
      expect(results.map((r) => [r.status, r.replayed])).toEqual([[201, false], [200, true]]);
      expect(results[1]?.result).toEqual(results[0]?.result);
      expect((await memberState(client, member.id)).balance).toEqual({ available: 15, pending: 0 });
    });

    it('reports a reused id with a different body inside one batch as 409', async () => {
      const { client, member } = await setup();
      const response = await client.post('/v1/events/batch', {
        events: [purchase('b-re', member.id, 1500, 'b-order-re'), purchase('b-re', member.id, 9900, 'b-order-re-2')],
      });
      const { results } = response.json<BatchResponse>();
      expect(results.map((r) => r.status)).toEqual([201, 409]);
      expect(results[1]?.problem).toMatchObject({ code: 'event_id_reused_with_different_body', errors: [{ pointer: '/id' }] });
      expect((await memberState(client, member.id)).balance).toEqual({ available: 15, pending: 0 });
    });

    it('replays an event recorded earlier by the single endpoint', async () => {
      const { client, member } = await setup();
      const single = await client.post('/v1/events', purchase('b-earlier', member.id, 700, 'b-order-earlier'));
      const response = await client.post('/v1/events/batch', { events: [purchase('b-earlier', member.id, 700, 'b-order-earlier')] });
      const { results } = response.json<BatchResponse>();
      expect(results).toEqual([{ status: 200, replayed: true, result: single.json() }]);
      expect((await memberState(client, member.id)).balance).toEqual({ available: 7, pending: 0 });
    });

    it('refuses an item the single endpoint would refuse as too large (over 1 MiB), committing the others', async () => {
      const { client, member } = await setup();
      const response = await client.post('/v1/events/batch', {
        events: [purchase('b-small', member.id, 1000, 'b-o-small'), purchase('b-huge', member.id, 1000, 'b-o-huge', { note: 'x'.repeat(1_100_000) })],
      });
      expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
      const { results } = response.json<BatchResponse>();
      expect(results.map((r) => r.status)).toEqual([201, 413]);
      expect(results[1]?.problem).toMatchObject({ status: 413, code: 'body_too_large' });
      expect(await memberState(client, member.id)).toMatchObject({ balance: { available: 10, pending: 0 }, purchaseCount: 1 });
    });

    it('records 1,000 small visit events in one request', async () => {
      const { client, member } = await setup();
      await createRule(client, { trigger: 'visit', effects: [{ type: 'points', amount: 1 }] });
      const events = Array.from({ length: 1000 }, (_, i) => ({ id: `visit-${i}`, type: 'visit', memberId: member.id, data: { store: 'centrum' } }));
      const response = await client.post('/v1/events/batch', { events });
      expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
      const { results } = response.json<BatchResponse>();
      expect(results).toHaveLength(1000);
      expect(results.every((r) => r.status === 201)).toBe(true);
      expect(results.map((r) => r.result?.event.id)).toEqual(events.map((e) => e.id));
      expect(results[999]?.result?.balance).toEqual({ available: 1000, pending: 0 });
      expect(await memberState(client, member.id)).toMatchObject({ balance: { available: 1000, pending: 0 }, lifetimeEarned: 1000 });
    });

    it('refuses 1,001 events as a whole, writing nothing', async () => {
      const { client, member } = await setup();
      await createRule(client, { trigger: 'visit', effects: [{ type: 'points', amount: 1 }] });
      const events = Array.from({ length: 1001 }, (_, i) => ({ id: `visit-${i}`, type: 'visit', memberId: member.id, data: {} }));
      const response = await client.post('/v1/events/batch', { events });
      expectProblem(response, 400, 'validation_failed', '/events');
      expect(await memberState(client, member.id)).toMatchObject({ balance: { available: 0, pending: 0 }, entries: 0 });
      await expectEventIdUnused(client, 'visit-0', member.id);
    });

    it('refuses an empty list of events', async () => {
      const { client } = await setup();
      expectProblem(await client.post('/v1/events/batch', { events: [] }), 400, 'validation_failed', '/events');
    });

    it('refuses a body without events, with other fields, or with items that are not objects', async () => {
      const { client, member } = await setup();
      expectProblem(await client.post('/v1/events/batch', {}), 400, 'validation_failed', '/events');
      expectProblem(await client.post('/v1/events/batch', { events: [purchase('b-x', member.id, 100, 'b-o-x')], dryRun: true }), 400, 'validation_failed', '/dryRun');
      expectProblem(await client.post('/v1/events/batch', { events: ['b-x'] }), 400, 'validation_failed', '/events/0');
      expect((await memberState(client, member.id)).entries).toBe(0);
    });

    it('refuses malformed JSON and text/plain bodies', async () => {
      const { apiKey } = await setup();
      const malformed = await api.request({
        method: 'POST',
        url: '/v1/events/batch',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload: '{"events": [',
      });
      expectProblem(malformed, 400, 'malformed_json');
      const text = await api.request({
        method: 'POST',
        url: '/v1/events/batch',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'text/plain' },
        payload: '{"events": []}',
      });
      expectProblem(text, 415, 'unsupported_media_type');
    });

    it('refuses a request without an API key', async () => {
      const { client, member } = await setup();
      const response = await api.request({ method: 'POST', url: '/v1/events/batch', payload: { events: [purchase('b-k', member.id, 1000, 'b-o-k')] } });
      expectProblem(response, 401, 'unauthenticated');
      expect((await memberState(client, member.id)).entries).toBe(0);
    });

    it("reports another programme's member as 404 and leaves that programme untouched", async () => {
      const mine = await setup();
      const theirs = await setup();
      const before = await memberState(theirs.client, theirs.member.id);
      const response = await mine.client.post('/v1/events/batch', {
        events: [purchase('b-mine', mine.member.id, 1000, 'b-o-mine'), purchase('b-theirs', theirs.member.id, 5000, 'b-o-theirs')],
      });
      const { results } = response.json<BatchResponse>();
      expect(results.map((r) => r.status)).toEqual([201, 404]);
      expect(results[1]?.problem).toMatchObject({ code: 'member_not_found', errors: [{ pointer: '/memberId' }] });
      expect(await memberState(theirs.client, theirs.member.id)).toEqual(before);
      expect((await memberState(mine.client, mine.member.id)).balance).toEqual({ available: 10, pending: 0 });
    });
  });
});
