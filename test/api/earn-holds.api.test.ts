/**
 * Earn abuse beyond referrals over HTTP, on every dialect: the daily earn limit (`maxPointsPerDay` of
 * `PATCH /v1/program`) holds an event's award instead of posting it; `/v1/earn-holds` lists, approves and
 * rejects held awards; `GET /v1/members/{id}/fraud` shows the earn-then-refund counter. The programme's base
 * rule earns 1 point per euro, so a purchase of €60 earns 60 points. Refused calls are checked to write nothing.
 */
import { describe, expect, it } from 'vitest';
import type { EventResponse } from '../../src/services/events/ingest.js';
import type { EarnHoldView, MemberFraudView } from '../../src/services/fraud/earn-holds.js';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import { getBalance } from '../../src/services/members.service.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenTiers, uniqueId } from '../support/factories.js';

async function written(db: TestDatabase) {
  const storage = db.ctx.storage.db;
  const count = async (table: 'outboxMessages' | 'ledgerEntries' | 'ledgerTransactions' | 'lots') =>
    Number((await storage.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst())?.n ?? 0);
  return {
    holds: await storage.selectFrom('earnHolds').selectAll().orderBy('id').execute(),
    members: await storage.selectFrom('members').select(['id', 'available', 'pending', 'lifetimeEarned', 'refundedOrders']).orderBy('id').execute(),
    orders: await storage.selectFrom('orders').selectAll().orderBy('orderId').execute(),
    outbox: await count('outboxMessages'),
    entries: await count('ledgerEntries'),
    transactions: await count('ledgerTransactions'),
    lots: await count('lots'),
  };
}

async function outboxOf(db: TestDatabase, type: string) {
  const rows = await db.ctx.storage.db.selectFrom('outboxMessages').selectAll().where('type', '=', type).orderBy('id').execute();
  return rows.map((row) => JSON.parse(row.data) as Record<string, unknown>);
}

forEachDialect('earn holds api', (db) => {
  const api = useApi(db);

  async function setup(limit: number | null = 100, program: { pendingDays?: number } = {}) {
    const { programId, apiKey } = await givenProgram(db.ctx, program);
    const client = api.as(apiKey);
    const patched = await client.patch('/v1/program', { maxPointsPerDay: limit });
    expect(patched.statusCode, patched.body).toBe(200);
    const member = await givenMember(db.ctx, programId, { email: 'kees@example.nl' });
    const purchase = async (euros: number, orderId = uniqueId('order')) => {
      const response = await client.post('/v1/events', { id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId, total: euros * 100, currency: 'EUR' } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json<EventResponse>();
    };
    const refund = async (orderId: string, euros?: number) => {
      const data = euros === undefined ? { orderId } : { orderId, amount: euros * 100 };
      const response = await client.post('/v1/events', { id: uniqueId('evt'), type: 'refund', memberId: member.id, data });
      expect(response.statusCode, response.body).toBe(201);
      return response.json<EventResponse>();
    };
    return { programId, apiKey, client, member, purchase, refund };
  }

  describe('the programme setting', () => {
    it('sets, shows and clears maxPointsPerDay', async () => {
      const { client } = await setup(250);
      expect((await client.get('/v1/program')).json()).toMatchObject({ maxPointsPerDay: 250 });
      expect((await client.patch('/v1/program', { maxPointsPerDay: null })).json()).toMatchObject({ maxPointsPerDay: null });
    });

    it('refuses a limit that is not a whole number from 1 at /maxPointsPerDay, nothing changed', async () => {
      const { client } = await setup(250);
      for (const bad of [0, -5, 1.5, '100', 2_000_000_000]) {
        expectProblem(await client.patch('/v1/program', { maxPointsPerDay: bad }), 400, 'validation_failed', '/maxPointsPerDay');
      }
      expect((await client.get('/v1/program')).json()).toMatchObject({ maxPointsPerDay: 250 });
    });
  });

  describe('holding an award', () => {
    it('awards within the limit and holds, whole, the award that would pass it: nothing posted, points.held sent', async () => {
      const { client, member, purchase, programId } = await setup(100);
      const first = await purchase(60);
      expect(first.awarded).toEqual([expect.objectContaining({ points: 60, status: 'available' })]);
      expect(first.held).toBeUndefined();
      const before = await written(db);

      const second = await purchase(50);
      expect(second.awarded).toEqual([expect.objectContaining({ points: 50, status: 'held' })]);
      expect(second.held).toEqual({ id: expect.stringMatching(/^hld_/), points: 50, reason: 'daily_earn_limit', evidence: { earnedLast24h: 60, award: 50, maxPointsPerDay: 100 } });
      expect(second.balance).toEqual({ available: 60, pending: 0 });
      const after = await written(db);
      expect(after.entries).toBe(before.entries);
      expect(after.lots).toBe(before.lots);
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 60, pending: 0 });
      expect(await outboxOf(db, 'points.held')).toEqual([
        { memberId: member.id, eventId: second.event.id, eventType: 'purchase', holdId: second.held?.id, points: 50, reason: 'daily_earn_limit', evidence: second.held?.evidence, balance: { available: 60, pending: 0 } },
      ]);

      const queue = (await client.get('/v1/earn-holds?status=held')).json<{ data: EarnHoldView[] }>();
      expect(queue.data).toEqual([
        expect.objectContaining({ id: second.held?.id, memberId: member.id, eventId: second.event.id, points: 50, status: 'held', pointsAwarded: null, review: null }),
      ]);
      expect((await client.get(`/v1/members/${member.id}/fraud`)).json<MemberFraudView>()).toEqual({
        refundedOrders: 0, purchases: 2, earnedLast24h: 60, maxPointsPerDay: 100, holds: { held: 1, approved: 0, rejected: 0 }, signals: [],
      });
    });

    it('counts over a rolling 24 hours, not per calendar day', async () => {
      const { purchase } = await setup(100);
      await purchase(90);
      db.clock.current += 23 * 3_600_000;
      expect((await purchase(20)).held).toBeDefined();
      db.clock.current += 3_600_000 + 1;
      expect((await purchase(100)).held).toBeUndefined();
      expect((await purchase(1)).held).toMatchObject({ evidence: { earnedLast24h: 100, award: 1 } });
    });

    it('counts the awards of earlier events of the same batch', async () => {
      const { client, member } = await setup(100);
      const events = [60, 30, 20, 10].map((euros) => ({ id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: uniqueId('order'), total: euros * 100, currency: 'EUR' } }));
      const response = await client.post('/v1/events/batch', { events });
      expect(response.statusCode, response.body).toBe(200);
      const results = response.json<{ results: { result: EventResponse }[] }>().results.map((r) => r.result);
      expect(results.map((r) => r.held?.evidence ?? null)).toEqual([null, null, { earnedLast24h: 90, award: 20, maxPointsPerDay: 100 }, null]);
      expect(results.at(-1)?.balance).toEqual({ available: 100, pending: 0 });
    });

    it('holds nothing without a limit', async () => {
      const { purchase } = await setup(null);
      expect((await purchase(5_000)).held).toBeUndefined();
    });
  });

  describe('POST /v1/earn-holds/{id}/approve', () => {
    it('posts the held award as the event would have, with points.earned naming the hold; a second decision is 409', async () => {
      const { client, member, purchase, programId } = await setup(100);
      await purchase(60);
      const held = await purchase(50);
      const response = await client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: '  Catering order for the office  ' });
      expect(response.statusCode, response.body).toBe(200);
      const hold = response.json<EarnHoldView>();
      expect(hold).toMatchObject({
        status: 'approved', pointsAwarded: 50, transactionId: expect.stringMatching(/^ltx_/),
        review: { action: 'approve', reason: 'Catering order for the office', at: '2026-03-15T12:00:00.000Z' },
      });
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 110 });
      const ledger = (await client.get(`/v1/members/${member.id}/ledger`)).json<{ data: { reason: string; kind: string; amount?: number }[] }>();
      expect(ledger.data[0]).toMatchObject({ kind: 'earn', reason: expect.stringContaining(`held award ${held.held?.id} approved: Catering order for the office`) });
      expect(await outboxOf(db, 'points.earned')).toContainEqual(expect.objectContaining({ holdId: held.held?.id, points: 50, status: 'available', balance: { available: 110, pending: 0 } }));

      const before = await written(db);
      const again = expectProblem(await client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: 'twice' }), 409, 'earn_hold_not_reviewable');
      expect(again.detail).toMatch(/approved/);
      expectProblem(await client.post(`/v1/earn-holds/${held.held?.id}/reject`, { reason: 'too late' }), 409, 'earn_hold_not_reviewable');
      expect(await written(db)).toEqual(before);
    });

    it('awards pending points when the event is still in its pending period, expiring as the event would', async () => {
      const { member, purchase, programId, client } = await setup(100, { pendingDays: 14 });
      const held = await purchase(150);
      expect(held.awarded[0]?.status).toBe('held');
      db.clock.advanceDays(2);
      expect((await client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: 'ok' })).statusCode).toBe(200);
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 0, pending: 150 });
      const lot = await db.ctx.storage.db.selectFrom('lots').selectAll().where('memberId', '=', member.id).executeTakeFirstOrThrow();
      // 14 days in the programme's timezone (Europe/Amsterdam): summer time starts on 29 March, so 11:00 UTC.
      expect(lot.availableAt).toBe(Date.parse('2026-03-29T11:00:00Z'));
    });

    it('awards only what refunds before the review left, and a later refund takes back exactly the rest', async () => {
      const { client, member, purchase, refund, programId } = await setup(50);
      const orderId = uniqueId('order');
      const held = await purchase(80, orderId);
      expect(held.held?.points).toBe(80);
      const partly = await refund(orderId, 30);
      expect(partly.clawback).toEqual({ points: 0, unrecovered: 0 });
      expect((await client.get(`/v1/members/${member.id}/fraud`)).json<MemberFraudView>()).toMatchObject({ refundedOrders: 1 });

      const approved = (await client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: 'genuine' })).json<EarnHoldView>();
      expect(approved.pointsAwarded).toBe(50);
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 50 });
      const rest = await refund(orderId);
      expect(rest.clawback).toEqual({ points: 50, unrecovered: 0 });
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 0, lifetimeEarned: 0 });
    });

    it('awards nothing for an order refunded in full before the review', async () => {
      const { client, purchase, refund } = await setup(10);
      const orderId = uniqueId('order');
      const held = await purchase(40, orderId);
      await refund(orderId);
      const before = await written(db);
      const approved = (await client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: 'fine' })).json<EarnHoldView>();
      expect(approved).toMatchObject({ status: 'approved', pointsAwarded: 0, transactionId: null });
      const after = await written(db);
      expect([after.entries, after.lots]).toEqual([before.entries, before.lots]);
      expect(await outboxOf(db, 'points.earned')).toEqual([]);
    });

    it('counts the approved points for tiers in the month of the event', async () => {
      const { client, member, purchase, programId } = await setup(10);
      await givenTiers(db.ctx, programId);
      const held = await purchase(30);
      expect((await client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: 'ok' })).statusCode).toBe(200);
      const months = await db.ctx.storage.db.selectFrom('tierMetricMonths').selectAll().where('memberId', '=', member.id).execute();
      expect(months).toEqual([expect.objectContaining({ month: '2026-03', pointsEarned: 30, spendMinor: 3000, purchases: 1 })]);
    });

    it('refuses to approve for a blocked member (422 member_blocked, nothing written); rejecting still works', async () => {
      const { client, member, purchase } = await setup(10);
      const held = await purchase(30);
      expect((await client.patch(`/v1/members/${member.id}`, { status: 'blocked' })).statusCode).toBe(200);
      const before = await written(db);
      expectProblem(await client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: 'ok' }), 422, 'member_blocked');
      expect(await written(db)).toEqual(before);
      expect((await client.post(`/v1/earn-holds/${held.held?.id}/reject`, { reason: 'blocked account' })).json()).toMatchObject({ status: 'rejected' });
    });

    it('approves once when ten reviewers approve at the same moment', async () => {
      const { client, member, purchase, programId } = await setup(10);
      const held = await purchase(30);
      const responses = await Promise.all(Array.from({ length: 10 }, () => client.post(`/v1/earn-holds/${held.held?.id}/approve`, { reason: 'race' })));
      expect(responses.map((r) => r.statusCode).sort()).toEqual([200, ...Array<number>(9).fill(409)]);
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 30 });
    });
  });

  describe('POST /v1/earn-holds/{id}/reject', () => {
    it('posts nothing, records the reason and sends points.hold_rejected', async () => {
      const { client, member, purchase, programId } = await setup(10);
      const held = await purchase(30);
      const before = await written(db);
      const response = await client.post(`/v1/earn-holds/${held.held?.id}/reject`, { reason: 'Bought and returned daily' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<EarnHoldView>()).toMatchObject({ status: 'rejected', pointsAwarded: null, review: { action: 'reject', reason: 'Bought and returned daily' } });
      const after = await written(db);
      expect([after.entries, after.lots]).toEqual([before.entries, before.lots]);
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 0 });
      expect(await outboxOf(db, 'points.hold_rejected')).toEqual([
        { memberId: member.id, eventId: held.event.id, holdId: held.held?.id, points: 30, reason: 'Bought and returned daily' },
      ]);
      expect((await client.get(`/v1/earn-holds?memberId=${member.id}&status=rejected`)).json<{ data: EarnHoldView[] }>().data).toHaveLength(1);
      expect((await client.get(`/v1/earn-holds?status=held`)).json<{ data: EarnHoldView[] }>().data).toEqual([]);
    });
  });

  describe('reads', () => {
    it('pages the holds newest first and gets one; 404 for unknown and for another programme', async () => {
      const { client, purchase } = await setup(1);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await purchase(5)).held?.id ?? '');
      const first = (await client.get('/v1/earn-holds?limit=2')).json<{ data: EarnHoldView[]; nextCursor: string | null }>();
      expect(first.data.map((h) => h.id)).toEqual([ids[2], ids[1]]);
      const second = (await client.get(`/v1/earn-holds?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`)).json<{ data: EarnHoldView[]; nextCursor: string | null }>();
      expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
      expect((await client.get(`/v1/earn-holds/${ids[0]}`)).json()).toMatchObject({ id: ids[0], status: 'held' });
      const other = await givenProgram(db.ctx);
      expectProblem(await api.as(other.apiKey).get(`/v1/earn-holds/${ids[0]}`), 404, 'earn_hold_not_found');
      expectProblem(await client.get('/v1/earn-holds/hld_unknown'), 404, 'earn_hold_not_found');
      expectProblem(await client.get('/v1/earn-holds?status=open'), 400, 'validation_failed', '/querystring/status');
      expectProblem(await client.get('/v1/members/mbr_nobody/fraud'), 404, 'member_not_found');
    });
  });

  describe('bad input and security, for both decisions', () => {
    for (const action of ['approve', 'reject'] as const) {
      it(`${action}: refuses a missing, blank, too long or unknown field at its pointer, nothing written`, async () => {
        const { client, purchase } = await setup(1);
        const id = (await purchase(5)).held?.id ?? '';
        const before = await written(db);
        expectProblem(await client.post(`/v1/earn-holds/${id}/${action}`, {}), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/earn-holds/${id}/${action}`, { reason: '   ' }), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/earn-holds/${id}/${action}`, { reason: 'x'.repeat(1001) }), 400, 'validation_failed', '/reason');
        expectProblem(await client.post(`/v1/earn-holds/${id}/${action}`, { reason: 'ok', points: 5 }), 400, 'validation_failed', '/points');
        expect(await written(db)).toEqual(before);
      });

      it(`${action}: 404 for another programme's hold, 401 without a key, 403 with fraud:read only; nothing written`, async () => {
        const { client, purchase, programId } = await setup(1);
        const id = (await purchase(5)).held?.id ?? '';
        const other = await givenProgram(db.ctx);
        const before = await written(db);
        expectProblem(await api.as(other.apiKey).post(`/v1/earn-holds/${id}/${action}`, { reason: 'not mine' }), 404, 'earn_hold_not_found');
        expectProblem(await api.request({ method: 'POST', url: `/v1/earn-holds/${id}/${action}`, payload: { reason: 'x' } }), 401, 'unauthenticated');
        const reader = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'support', ['fraud:read']));
        expectProblem(await api.as(reader).post(`/v1/earn-holds/${id}/${action}`, { reason: 'x' }), 403, 'insufficient_scope');
        expect(await written(db)).toEqual(before);
        expect((await api.as(reader).get(`/v1/earn-holds/${id}`)).statusCode).toBe(200);
        expect((await client.post(`/v1/earn-holds/${id}/${action}`, { reason: 'reviewed' })).statusCode).toBe(200);
      });
    }
  });
});
