/**
 * The membership plan and membership routes through `app.inject()`, on every dialect: happy paths, validation
 * with pointers (nothing written), scopes, idempotency and programme isolation.
 */
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/api-keys.service.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenTiers } from '../support/factories.js';

forEachDialect('memberships api', (db) => {
  const api = useApi(db);

  async function setup() {
    const { programId, apiKey } = await givenProgram(db.ctx);
    await givenTiers(db.ctx, programId);
    const member = await givenMember(db.ctx, programId);
    const plan = await api.as(apiKey).post('/v1/membership-plans', { name: 'Plus', tier: 'Gold', perks: ['free refills'] });
    expect(plan.statusCode, plan.body).toBe(201);
    return { programId, apiKey, member, plan: plan.json<{ id: string }>(), client: api.as(apiKey) };
  }

  const period = { startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' };

  describe('/v1/membership-plans', () => {
    it('creates, lists and gets plans', async () => {
      const { client, plan } = await setup();
      expect((await client.get('/v1/membership-plans')).json()).toMatchObject({ data: [{ id: plan.id, name: 'Plus', tier: 'Gold', perks: ['free refills'] }], nextCursor: null });
      expect((await client.get(`/v1/membership-plans/${plan.id}`)).json()).toMatchObject({ id: plan.id });
    });

    it.each([
      [{ name: 'X', tier: 'Diamond' }, '/tier'],
      [{ name: '' }, '/name'],
      [{ name: 'X', perks: [''] }, '/perks/0'],
      [{ name: 'X', price: 5 }, '/price'],
    ])('refuses %j with a pointer and writes nothing', async (body, pointer) => {
      const { client } = await setup();
      expectProblem(await client.post('/v1/membership-plans', body), 400, 'validation_failed', pointer);
      expect((await client.get('/v1/membership-plans')).json<{ data: unknown[] }>().data).toHaveLength(1);
    });

    it('needs memberships:write to create; members:read reads; another programme sees 404', async () => {
      const { programId, plan } = await setup();
      const reader = await createApiKey(db.ctx, programId, 'reader', ['members:read']);
      expectProblem(await api.as(reader).post('/v1/membership-plans', { name: 'Y' }), 403, 'insufficient_scope');
      expect((await api.as(reader).get(`/v1/membership-plans/${plan.id}`)).statusCode).toBe(200);
      const other = await givenProgram(db.ctx);
      expectProblem(await api.as(other.apiKey).get(`/v1/membership-plans/${plan.id}`), 404, 'membership_plan_not_found');
    });
  });

  describe('POST /v1/memberships', () => {
    it('records a membership that grants its tier, and lists it on the member', async () => {
      const { client, member, plan } = await setup();
      const response = await client.post('/v1/memberships', { memberId: member.id, planId: plan.id, ...period }, { 'idempotency-key': 'm-1' });
      expect(response.statusCode, response.body).toBe(201);
      const membership = response.json<{ id: string }>();
      expect(membership).toMatchObject({ memberId: member.id, planId: plan.id, status: 'active', endsAt: '2026-04-15T12:00:00.000Z' });
      const replay = await client.post('/v1/memberships', { memberId: member.id, planId: plan.id, ...period }, { 'idempotency-key': 'm-1' });
      expect(replay.statusCode).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual(membership);
      expect((await client.get(`/v1/members/${member.id}`)).json()).toMatchObject({ tier: 'Gold', perks: ['free shipping', 'lounge access', 'free refills'] });
      expect((await client.get(`/v1/members/${member.id}/memberships`)).json()).toMatchObject({ data: [{ id: membership.id }], nextCursor: null });
      expect((await client.get(`/v1/memberships/${membership.id}`)).json()).toEqual(membership);
    });

    it('extends an overlapping membership of the same plan (200, same id)', async () => {
      const { client, member, plan } = await setup();
      const first = (await client.post('/v1/memberships', { memberId: member.id, planId: plan.id, ...period })).json<{ id: string }>();
      const second = await client.post('/v1/memberships', { memberId: member.id, planId: plan.id, startsAt: '2026-04-10T00:00:00Z', endsAt: '2026-05-15T12:00:00Z' });
      expect(second.statusCode).toBe(200);
      expect(second.json()).toMatchObject({ id: first.id, endsAt: '2026-05-15T12:00:00.000Z' });
    });

    it.each([
      [{ startsAt: '2026-04-15T12:00:00Z', endsAt: '2026-03-15T12:00:00Z' }, 400, 'validation_failed', '/endsAt'],
      [{ startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-02-01T00:00:00Z' }, 400, 'validation_failed', '/endsAt'],
      [{ startsAt: 'soon', endsAt: '2026-04-15T12:00:00Z' }, 400, 'validation_failed', '/startsAt'],
      [{ planId: 'pln_nope' }, 404, 'membership_plan_not_found', '/planId'],
      [{ memberId: 'mbr_nope' }, 404, 'member_not_found', '/memberId'],
    ])('refuses %j and writes nothing', async (change, status, code, pointer) => {
      const { client, member, plan } = await setup();
      const response = await client.post('/v1/memberships', { memberId: member.id, planId: plan.id, ...period, ...change });
      expectProblem(response, status, code, pointer);
      expect((await client.get(`/v1/members/${member.id}/memberships`)).json<{ data: unknown[] }>().data).toEqual([]);
      expect((await client.get(`/v1/members/${member.id}`)).json()).toMatchObject({ tier: 'Bronze' });
    });

    it('refuses a blocked member with member_blocked', async () => {
      const { client, member, plan } = await setup();
      await client.patch(`/v1/members/${member.id}`, { status: 'blocked' });
      expectProblem(await client.post('/v1/memberships', { memberId: member.id, planId: plan.id, ...period }), 422, 'member_blocked');
    });

    it('needs memberships:write', async () => {
      const { programId, member, plan } = await setup();
      const reader = await createApiKey(db.ctx, programId, 'reader', ['members:read']);
      expectProblem(await api.as(reader).post('/v1/memberships', { memberId: member.id, planId: plan.id, ...period }), 403, 'insufficient_scope');
    });
  });

  describe('POST /v1/memberships/:id/renew', () => {
    it('extends the membership, refuses an earlier end with a pointer, and 404s across programmes', async () => {
      const { client, member, plan } = await setup();
      const membership = (await client.post('/v1/memberships', { memberId: member.id, planId: plan.id, ...period })).json<{ id: string }>();
      const renewed = await client.post(`/v1/memberships/${membership.id}/renew`, { endsAt: '2026-06-01T00:00:00Z' });
      expect(renewed.statusCode, renewed.body).toBe(200);
      expect(renewed.json()).toMatchObject({ id: membership.id, endsAt: '2026-06-01T00:00:00.000Z' });
      expectProblem(await client.post(`/v1/memberships/${membership.id}/renew`, { endsAt: '2026-05-01T00:00:00Z' }), 400, 'validation_failed', '/endsAt');
      expect((await client.get(`/v1/memberships/${membership.id}`)).json()).toMatchObject({ endsAt: '2026-06-01T00:00:00.000Z' });
      const other = await givenProgram(db.ctx);
      expectProblem(await api.as(other.apiKey).post(`/v1/memberships/${membership.id}/renew`, { endsAt: '2026-07-01T00:00:00Z' }), 404, 'membership_not_found');
      expectProblem(await api.as(other.apiKey).get(`/v1/memberships/${membership.id}`), 404, 'membership_not_found');
      expectProblem(await api.as(other.apiKey).get(`/v1/members/${member.id}/memberships`), 404, 'member_not_found');
    });
  });
});
