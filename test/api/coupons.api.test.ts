/**
 * The coupon routes through `app.inject()`, on every dialect: validation at a checkout, marking a coupon used,
 * the CSV import (its own media type, problems by line) and generation. Refusals are checked for status,
 * problem+json, code, pointer and that nothing was written; another programme's codes are unknown.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import type { RedemptionView, RewardView } from '../../src/services/rewards/reward-views.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

type Client = ReturnType<ReturnType<typeof useApi>['as']>;

async function footprint(db: TestDatabase) {
  const raw = db.ctx.storage.db.withoutPlugins();
  return {
    coupons: (await sql`select * from coupons order by program_id, code`.execute(raw)).rows,
    redemptions: (await sql`select * from redemptions order by id`.execute(raw)).rows,
    outbox: Number((await sql<{ n: number | string }>`select count(*) as n from outbox_messages`.execute(raw)).rows[0]?.n),
    members: (await sql`select id, available from members order by id`.execute(raw)).rows,
  };
}

forEachDialect('coupons api', (db) => {
  const api = useApi(db);

  async function setup(rewardBody: Record<string, unknown> = {}) {
    const { programId, apiKey } = await givenProgram(db.ctx);
    const client = api.as(apiKey);
    const member = await givenMember(db.ctx, programId, { points: 1000 });
    const reward = (await client.post('/v1/rewards', { name: 'Five off', pointsCost: 100, kind: 'discount_fixed', value: 500, ...rewardBody })).json<RewardView>();
    const redemption = (await client.post(`/v1/members/${member.id}/redemptions`, { rewardId: reward.id })).json<RedemptionView>();
    return { programId, client, member, reward, redemption, code: redemption.coupon.code };
  }

  async function expectRefused(send: () => Promise<Parameters<typeof expectProblem>[0]>, status: number, code: string, pointer?: string) {
    const before = await footprint(db);
    const problem = expectProblem(await send(), status, code, pointer);
    expect(await footprint(db)).toEqual(before);
    return problem;
  }

  const postCsv = (client: Client, url: string, csv: string, contentType = 'text/csv') => client.post(url, csv, { 'content-type': contentType });

  describe('POST /v1/coupons/validate', () => {
    it("tells what the coupon is worth for the basket and changes nothing", async () => {
      const { client, code, reward } = await setup();
      const before = await footprint(db);
      const response = await client.post('/v1/coupons/validate', { code: code.toLowerCase(), orderTotal: 350 });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ code, valid: true, status: 'active', reward: { id: reward.id }, discount: { amount: 350, currency: 'EUR' } });
      expect(response.json()).not.toHaveProperty('reason');
      expect(await footprint(db)).toEqual(before);
    });

    it('answers a used coupon with 200 valid false, an unknown code with 404, a bad body with 400', async () => {
      const { client, code } = await setup();
      await client.post(`/v1/coupons/${code}/redeem`, { orderId: 'o-1' });
      const used = await client.post('/v1/coupons/validate', { code });
      expect(used.statusCode).toBe(200);
      expect(used.json()).toMatchObject({ valid: false, reason: 'used', status: 'used' });
      await expectRefused(() => client.post('/v1/coupons/validate', { code: 'NOPE1234' }), 404, 'coupon_not_found', '/code');
      await expectRefused(() => client.post('/v1/coupons/validate', { orderTotal: 100 }), 400, 'validation_failed', '/code');
      await expectRefused(() => client.post('/v1/coupons/validate', { code, orderTotal: -1 }), 400, 'validation_failed', '/orderTotal');
      await expectRefused(() => client.post('/v1/coupons/validate', { code, items: [{ sku: 'A', quantity: 0, unitPrice: 1 }] }), 400, 'validation_failed', '/items/0/quantity');
    });

    it("does not know another programme's codes, and needs coupons:write", async () => {
      const mine = await setup();
      const theirs = await setup();
      await expectRefused(() => mine.client.post('/v1/coupons/validate', { code: theirs.code }), 404, 'coupon_not_found');
      const reader = api.as(await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, mine.programId, 'ro', ['rewards:read', 'members:read'])));
      await expectRefused(() => reader.post('/v1/coupons/validate', { code: mine.code }), 403, 'insufficient_scope');
    });
  });

  describe('POST /v1/coupons/{code}/redeem', () => {
    it('marks the coupon used once; the same order replays, another order is 409', async () => {
      const { client, code, member, redemption } = await setup();
      const response = await client.post(`/v1/coupons/${code.slice(0, 5)}-${code.slice(5)}/redeem`, { orderId: 'order-1' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ code, status: 'used', orderId: 'order-1', memberId: member.id, redemptionId: redemption.id, usedAt: '2026-03-15T12:00:00.000Z' });
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      const again = await client.post(`/v1/coupons/${code}/redeem`, { orderId: 'order-1' });
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(response.json());
      const problem = await expectRefused(() => client.post(`/v1/coupons/${code}/redeem`, { orderId: 'order-2' }), 409, 'coupon_already_used');
      expect(problem.detail).toContain('order-1');
      expect((await client.get(`/v1/redemptions/${redemption.id}`)).json()).toMatchObject({ coupon: { status: 'used', orderId: 'order-1' } });
    });

    it('refuses expired (422 coupon_expired), cancelled (422 coupon_not_active) and unknown coupons, and a missing orderId', async () => {
      const { client, code, redemption } = await setup();
      await expectRefused(() => client.post(`/v1/coupons/${code}/redeem`, {}), 400, 'validation_failed', '/orderId');
      await expectRefused(() => client.post('/v1/coupons/UNKNOWN99/redeem', { orderId: 'o' }), 404, 'coupon_not_found');
      const other = (await client.post(`/v1/members/${redemption.memberId}/redemptions`, { rewardId: redemption.reward.id })).json<RedemptionView>();
      await client.post(`/v1/redemptions/${other.id}/cancel`);
      await expectRefused(() => client.post(`/v1/coupons/${other.coupon.code}/redeem`, { orderId: 'o' }), 422, 'coupon_not_active');
      db.clock.advanceDays(91);
      await expectRefused(() => client.post(`/v1/coupons/${code}/redeem`, { orderId: 'o' }), 422, 'coupon_expired');
    });
  });

  describe('POST /v1/coupons/import', () => {
    it('imports a CSV of codes for a reward and a campaign; the codes then validate', async () => {
      const { client, reward } = await setup();
      const response = await postCsv(client, `/v1/coupons/import?rewardId=${reward.id}&campaign=Spring`, 'code,expiresAt\nSPR-0001,2026-06-01T00:00:00Z\nspr-0002,\n', 'text/csv; charset=utf-8');
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json()).toEqual({ batchId: expect.stringMatching(/^cpb_/), rewardId: reward.id, campaign: 'Spring', count: 2 });
      expect((await client.post('/v1/coupons/validate', { code: 'spr 0002', orderTotal: 1000 })).json()).toMatchObject({ valid: true, discount: { amount: 500 } });
      expect((await client.post('/v1/coupons/SPR0001/redeem', { orderId: 'o' })).json()).toMatchObject({ memberId: null, campaign: 'Spring', expiresAt: '2026-06-01T00:00:00.000Z' });
    });

    it('refuses the whole file for one bad line, a duplicate or a taken code, naming the line', async () => {
      const { client, reward, code } = await setup();
      const url = `/v1/coupons/import?rewardId=${reward.id}`;
      await expectRefused(() => postCsv(client, url, 'code\nGOOD0001\nNOT VALID!'), 400, 'validation_failed', '/line/3');
      await expectRefused(() => postCsv(client, url, 'code\nGOOD0001\nGOOD0002\nGOOD-0001'), 400, 'validation_failed', '/line/4');
      await expectRefused(() => postCsv(client, url, `code\nGOOD0001\n${code.toLowerCase()}`), 409, 'coupon_code_taken', '/line/3');
      await expectRefused(() => postCsv(client, url, 'code,expiresAt\nGOOD0001,yesterday'), 400, 'validation_failed', '/line/2');
      await expectRefused(() => postCsv(client, url, 'voucher\nGOOD0001'), 400, 'validation_failed', '/line/1');
      await expectRefused(() => postCsv(client, url, `code\n${Array.from({ length: 10_001 }, (_, i) => `CODE${i}`).join('\n')}`), 400, 'validation_failed', '/line/10002');
    });

    it('needs text/csv, a known rewardId of this programme and coupons:write', async () => {
      const { client, reward, programId } = await setup();
      const other = await setup();
      await expectRefused(() => client.post(`/v1/coupons/import?rewardId=${reward.id}`, { code: 'GOOD0001' }), 415, 'unsupported_media_type');
      await expectRefused(() => postCsv(client, '/v1/coupons/import', 'code\nGOOD0001'), 400, 'validation_failed', '/querystring/rewardId');
      await expectRefused(() => postCsv(client, '/v1/coupons/import?rewardId=rwd_unknown', 'code\nGOOD0001'), 404, 'reward_not_found', '/querystring/rewardId');
      await expectRefused(() => postCsv(client, `/v1/coupons/import?rewardId=${other.reward.id}`, 'code\nGOOD0001'), 404, 'reward_not_found');
      const reader = api.as(await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'ro', ['rewards:write'])));
      await expectRefused(() => postCsv(reader, `/v1/coupons/import?rewardId=${reward.id}`, 'code\nGOOD0001'), 403, 'insufficient_scope');
    });
  });

  describe('POST /v1/coupons/generate', () => {
    it('generates the requested number of unique codes in the programme format', async () => {
      const { client, reward } = await setup();
      expect((await client.patch('/v1/program', { coupons: { prefix: 'GIFT', length: 6 } })).statusCode).toBe(200);
      const response = await client.post('/v1/coupons/generate', { rewardId: reward.id, count: 25, campaign: 'Fair', expiresAt: '2026-05-01T00:00:00Z' });
      expect(response.statusCode, response.body).toBe(201);
      const batch = response.json<{ codes: string[]; count: number; expiresAt: string; campaign: string }>();
      expect(batch).toMatchObject({ count: 25, campaign: 'Fair', expiresAt: '2026-05-01T00:00:00.000Z', rewardId: reward.id });
      expect(new Set(batch.codes).size).toBe(25);
      for (const code of batch.codes) expect(code).toMatch(/^GIFT[2-9A-HJ-NP-Z]{6}$/);
      expect((await client.post('/v1/coupons/validate', { code: batch.codes[0] })).json()).toMatchObject({ valid: true });
    });

    it('refuses a bad count, a past expiry and an unknown reward, writing nothing', async () => {
      const { client, reward } = await setup();
      await expectRefused(() => client.post('/v1/coupons/generate', { rewardId: reward.id, count: 0 }), 400, 'validation_failed', '/count');
      await expectRefused(() => client.post('/v1/coupons/generate', { rewardId: reward.id, count: 10_001 }), 400, 'validation_failed', '/count');
      await expectRefused(() => client.post('/v1/coupons/generate', { rewardId: reward.id, count: 1, expiresAt: '2026-03-01T00:00:00Z' }), 400, 'validation_failed', '/expiresAt');
      await expectRefused(() => client.post('/v1/coupons/generate', { rewardId: 'rwd_unknown', count: 1 }), 404, 'reward_not_found', '/rewardId');
    });
  });

  describe('GET /openapi.json', () => {
    it('documents the rewards, redemptions and coupons paths, the import as text/csv', async () => {
      const document = (await api.request({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>>;
      }>();
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining([
        '/v1/rewards', '/v1/rewards/{id}', '/v1/members/{id}/redemptions', '/v1/redemptions/{id}', '/v1/redemptions/{id}/cancel',
        '/v1/coupons/validate', '/v1/coupons/{code}/redeem', '/v1/coupons/import', '/v1/coupons/generate', '/v1/program',
      ]));
      expect(Object.keys(document.paths['/v1/coupons/import']?.post?.requestBody?.content ?? {})).toEqual(['text/csv']);
      expect(document.paths['/v1/program']).toHaveProperty('patch');
    });
  });
});
