/**
 * The tier routes through `app.inject()`, on every dialect: GET/PUT /v1/tiers, the member's tier progress and
 * tier history, and the tier multiplier in the event response. Error cases check status, media type, code and
 * pointer, and that nothing was written.
 */
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/api-keys.service.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, uniqueId } from '../support/factories.js';

const tiers = {
  metric: 'spend',
  window: { type: 'rolling', months: 12 },
  graceDays: 7,
  levels: [
    { name: 'Bronze', threshold: 0 },
    { name: 'Silver', threshold: 10_000, multiplier: 1.25, perks: ['free shipping'] },
    { name: 'Gold', threshold: 50_000, multiplier: 1.5 },
  ],
};

forEachDialect('tiers api', (db) => {
  const api = useApi(db);

  describe('PUT /v1/tiers', () => {
    it('stores the configuration and GET returns it', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const put = await api.request({ method: 'PUT', url: '/v1/tiers', headers: { authorization: `Bearer ${apiKey}` }, payload: tiers });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toMatchObject({ metric: 'spend', reviewMonths: 12, graceDays: 7, version: 1, levels: [{ name: 'Bronze', multiplier: 1, perks: [] }, {}, {}] });
      const get = await api.as(apiKey).get('/v1/tiers');
      expect(get.statusCode).toBe(200);
      expect(get.json()).toEqual(put?.json());
    });

    it.each([
      [{ ...tiers, levels: [tiers.levels[0], tiers.levels[1], { name: 'Gold', threshold: 10_000 }] }, '/levels/2/threshold'],
      [{ ...tiers, levels: [tiers.levels[0], { name: 'Bronze', threshold: 5 }] }, '/levels/1/name'],
      [{ ...tiers, levels: [{ name: 'Bronze', threshold: -1 }] }, '/levels/0/threshold'],
      [{ ...tiers, levels: [{ name: 'Bronze', threshold: 0, multiplier: 0.5 }] }, '/levels/0/multiplier'],
      [{ ...tiers, window: { type: 'rolling' } }, '/window/months'],
      [{ ...tiers, window: { type: 'weekly' } }, '/window/type'],
      [{ ...tiers, metric: 'balance' }, '/metric'],
      [{ ...tiers, levels: [] }, '/levels'],
      [{ ...tiers, extra: 1 }, '/extra'],
    ])('refuses %j with a pointer and writes nothing', async (body, pointer) => {
      const { apiKey } = await givenProgram(db.ctx);
      const response = await api.request({ method: 'PUT', url: '/v1/tiers', headers: { authorization: `Bearer ${apiKey}` }, payload: body });
      expectProblem(response, 400, 'validation_failed', pointer);
      expectProblem(await api.as(apiKey).get('/v1/tiers'), 404, 'not_found');
    });

    it('needs tiers:write to change and tiers:read to read', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const reader = await createApiKey(db.ctx, programId, 'reader', ['tiers:read']);
      const response = await api.request({ method: 'PUT', url: '/v1/tiers', headers: { authorization: `Bearer ${reader}` }, payload: tiers });
      expectProblem(response, 403, 'insufficient_scope');
      expectProblem(await api.as(reader).get('/v1/tiers'), 404, 'not_found');
      const membersOnly = await createApiKey(db.ctx, programId, 'members', ['members:read']);
      expectProblem(await api.as(membersOnly).get('/v1/tiers'), 403, 'insufficient_scope');
      expect((await api.request({ method: 'PUT', url: '/v1/tiers', headers: { authorization: `Bearer ${apiKey}` }, payload: tiers })).statusCode).toBe(200);
      expect((await api.as(reader).get('/v1/tiers')).statusCode).toBe(200);
    });

    it("keeps each programme's tiers to itself", async () => {
      const a = await givenProgram(db.ctx);
      const b = await givenProgram(db.ctx);
      await api.request({ method: 'PUT', url: '/v1/tiers', headers: { authorization: `Bearer ${a.apiKey}` }, payload: tiers });
      expectProblem(await api.as(b.apiKey).get('/v1/tiers'), 404, 'not_found');
    });
  });

  describe('the member', () => {
    it('shows tier, progress and perks, and the event response shows the multiplier', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      await api.request({ method: 'PUT', url: '/v1/tiers', headers: { authorization: `Bearer ${apiKey}` }, payload: tiers });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 12_000);
      const event = await api.as(apiKey).post('/v1/events', { id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: uniqueId('o'), total: 2_000, currency: 'EUR' } });
      expect(event.statusCode, event.body).toBe(201);
      expect(event.json()).toMatchObject({ awarded: [{ points: 20 }], tierMultiplier: { tier: 'Silver', factor: 1.25, points: 5 }, balance: { available: 145 } });
      const fetched = await api.as(apiKey).get(`/v1/members/${member.id}`);
      expect(fetched.json()).toMatchObject({
        tier: 'Silver',
        tierProgress: { metric: 'spend', current: 14_000, needed: 36_000, nextTier: 'Gold', qualifiedTier: 'Silver', reviewAt: '2027-03-15T12:00:00.000Z' },
        perks: ['free shipping'],
      });
    });

    it('lists the tier history, paginated, and 404s for another programme’s member', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      await api.request({ method: 'PUT', url: '/v1/tiers', headers: { authorization: `Bearer ${apiKey}` }, payload: tiers });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 12_000);
      await givenPurchase(db.ctx, programId, member.id, 40_000);
      const page = await api.as(apiKey).get(`/v1/members/${member.id}/tier-history?limit=2`);
      expect(page.statusCode).toBe(200);
      const body = page.json<{ data: { tier: string; reason: string }[]; nextCursor: string }>();
      expect(body.data.map((h) => [h.tier, h.reason])).toEqual([['Gold', 'upgrade'], ['Silver', 'upgrade']]);
      const next = await api.as(apiKey).get(`/v1/members/${member.id}/tier-history?limit=2&cursor=${body.nextCursor}`);
      expect(next.json()).toMatchObject({ data: [{ tier: 'Bronze', reason: 'enrolment' }], nextCursor: null });
      const other = await givenProgram(db.ctx);
      expectProblem(await api.as(other.apiKey).get(`/v1/members/${member.id}/tier-history`), 404, 'member_not_found');
      expectProblem(await api.as(apiKey).get(`/v1/members/${member.id}/tier-history?cursor=nonsense`), 400, 'invalid_cursor', '/querystring/cursor');
    });
  });
});
