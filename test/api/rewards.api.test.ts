/**
 * The rewards, redemptions and programme-settings routes through `app.inject()`, on every dialect: happy paths,
 * every refusal with its status, problem+json media type, code and field pointer, the proof that a refused
 * request wrote nothing, scopes, and another programme's objects being 404.
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

/** Row counts of every table a rewards call may write, and the balances: equal before and after a refusal. */
async function footprint(db: TestDatabase) {
  const raw = db.ctx.storage.db.withoutPlugins();
  const counts: Record<string, unknown> = {};
  for (const table of ['rewards', 'redemptions', 'coupons', 'ledger_transactions', 'ledger_entries', 'lots', 'outbox_messages', 'idempotency_keys']) {
    counts[table] = Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(raw)).rows[0]?.n);
  }
  counts.rewardRows = (await sql`select * from rewards order by id`.execute(raw)).rows;
  counts.members = (await sql`select id, available, pending, updated_at from members order by id`.execute(raw)).rows;
  counts.programs = (await sql`select * from programs order by id`.execute(raw)).rows;
  return counts;
}

forEachDialect('rewards api', (db) => {
  const api = useApi(db);

  async function setup(points = 1000) {
    const { programId, apiKey, program } = await givenProgram(db.ctx);
    const member = await givenMember(db.ctx, programId, { points });
    return { programId, apiKey, program, member, client: api.as(apiKey) };
  }

  async function keyWith(programId: string, scopes: string[]) {
    return api.as(await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'limited', scopes)));
  }

  async function createReward(client: Client, body: Record<string, unknown> = {}): Promise<RewardView> {
    const response = await client.post('/v1/rewards', { name: 'Five euro off', pointsCost: 100, kind: 'discount_fixed', value: 500, ...body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<RewardView>();
  }

  async function redeem(client: Client, memberId: string, rewardId: string, headers: Record<string, string> = {}) {
    return client.post(`/v1/members/${memberId}/redemptions`, { rewardId }, headers);
  }

  /** Sends a request that must be refused and checks the problem and that nothing was written. */
  async function expectRefused(send: () => Promise<Parameters<typeof expectProblem>[0]>, status: number, code: string, pointer?: string) {
    const before = await footprint(db);
    const problem = expectProblem(await send(), status, code, pointer);
    expect(await footprint(db)).toEqual(before);
    return problem;
  }

  describe('POST /v1/rewards', () => {
    it('creates each kind of reward and shows it with stock and redeemed count', async () => {
      const { client } = await setup();
      const response = await client.post('/v1/rewards', {
        name: { en: 'Free coffee', nl: 'Gratis koffie' },
        description: { en: 'Any size', nl: 'Elk formaat' },
        pointsCost: 250,
        kind: 'free_product',
        sku: 'COFFEE',
        stock: 40,
        limits: { perMember: { count: 2, period: 'week' } },
        tiers: ['Silver', 'Gold'],
        validFrom: '2026-03-01T00:00:00Z',
        validUntil: '2026-12-31T23:00:00Z',
        partnerId: 'bakery-1',
      });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const reward = response.json<RewardView>();
      expect(reward).toEqual({
        id: expect.stringMatching(/^rwd_/),
        name: { en: 'Free coffee', nl: 'Gratis koffie' },
        description: { en: 'Any size', nl: 'Elk formaat' },
        pointsCost: 250,
        kind: 'free_product',
        value: null,
        currency: null,
        maxDiscount: null,
        sku: 'COFFEE',
        stock: 40,
        redeemedCount: 0,
        imageUrl: null,
        limits: { perMember: { count: 2, period: 'week' } },
        tiers: ['Silver', 'Gold'],
        validFrom: '2026-03-01T00:00:00.000Z',
        validUntil: '2026-12-31T23:00:00.000Z',
        active: true,
        partnerId: 'bakery-1',
        audience: 'catalogue',
        createdAt: '2026-03-15T12:00:00.000Z',
        updatedAt: '2026-03-15T12:00:00.000Z',
      });
      expect(await createReward(client, { kind: 'discount_percent', value: 15, maxDiscount: 2000 })).toMatchObject({ value: 15, maxDiscount: 2000, currency: null });
      expect(await createReward(client, { kind: 'gift_card', value: 2500, currency: 'eur' })).toMatchObject({ value: 2500, currency: 'EUR' });
      expect(await createReward(client, { kind: 'experience', value: undefined, name: 'Early access to the sale' })).toMatchObject({ kind: 'experience', value: null });
      expect(await createReward(client, { kind: 'donation', value: 100 })).toMatchObject({ kind: 'donation', value: 100, currency: 'EUR' });
    });

    it('refuses bad rewards with the field pointer and writes nothing', async () => {
      const { client } = await setup();
      const post = (body: Record<string, unknown>) => () => client.post('/v1/rewards', { name: 'R', pointsCost: 100, kind: 'discount_fixed', value: 500, ...body });
      await expectRefused(() => client.post('/v1/rewards', { pointsCost: 100, kind: 'donation' }), 400, 'validation_failed', '/name');
      await expectRefused(post({ kind: 'coupon' }), 400, 'validation_failed', '/kind');
      await expectRefused(post({ pointsCost: 0 }), 400, 'validation_failed', '/pointsCost');
      await expectRefused(post({ pointsCost: '100' }), 400, 'validation_failed', '/pointsCost');
      await expectRefused(post({ value: undefined }), 400, 'validation_failed', '/value');
      await expectRefused(post({ currency: 'USD' }), 422, 'currency_mismatch', '/currency');
      await expectRefused(post({ kind: 'discount_percent', value: 150 }), 400, 'validation_failed', '/value');
      await expectRefused(post({ kind: 'free_product', value: null }), 400, 'validation_failed', '/sku');
      await expectRefused(post({ maxDiscount: 100 }), 400, 'validation_failed', '/maxDiscount');
      await expectRefused(post({ stock: -1 }), 400, 'validation_failed', '/stock');
      await expectRefused(post({ limits: { perMember: { count: 1, period: 'decade' } } }), 400, 'validation_failed', '/limits/perMember/period');
      await expectRefused(post({ validFrom: '2026-05-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z' }), 400, 'validation_failed', '/validUntil');
      await expectRefused(post({ name: { english: 'x' } }), 400, 'validation_failed', '/name/english');
      await expectRefused(post({ colour: 'red' }), 400, 'validation_failed', '/colour');
      await expectRefused(() => client.post('/v1/rewards', 'name=x', { 'content-type': 'text/csv' }), 415, 'unsupported_media_type');
    });

    it('needs rewards:write; without a key it is 401', async () => {
      const { programId } = await setup();
      const reader = await keyWith(programId, ['rewards:read']);
      await expectRefused(() => reader.post('/v1/rewards', { name: 'R', pointsCost: 1, kind: 'donation' }), 403, 'insufficient_scope');
      await expectRefused(() => api.request({ method: 'POST', url: '/v1/rewards', payload: { name: 'R', pointsCost: 1, kind: 'donation' } }), 401, 'unauthenticated');
    });
  });

  describe('a reward only the referral programme gives (audience referral)', () => {
    it('is left out of GET /v1/rewards unless asked for, and gets like any reward', async () => {
      const { client } = await setup();
      const coffee = await createReward(client);
      const gift = await createReward(client, { name: 'Welcome gift', audience: 'referral' });
      expect(gift.audience).toBe('referral');
      const ids = async (query: string) => (await client.get(`/v1/rewards${query}`)).json<{ data: RewardView[] }>().data.map((r) => r.id);
      expect(await ids('')).toEqual([coffee.id]);
      expect(await ids('?audience=catalogue')).toEqual([coffee.id]);
      expect(await ids('?audience=referral')).toEqual([gift.id]);
      expect(await ids('?audience=all')).toEqual([coffee.id, gift.id]);
      expect(await ids('?audience=all&active=true&kind=discount_fixed')).toEqual([coffee.id, gift.id]);
      expect((await client.get(`/v1/rewards/${gift.id}`)).json()).toEqual(gift);
      expectProblem(await client.get('/v1/rewards?audience=members'), 400, 'validation_failed', '/querystring/audience');
      await expectRefused(() => client.post('/v1/rewards', { name: 'R', pointsCost: 1, kind: 'donation', audience: 'members' }), 400, 'validation_failed', '/audience');
    });

    it('cannot be redeemed for points: 422 reward_not_redeemable, nothing written', async () => {
      const { client, member } = await setup();
      const gift = await createReward(client, { audience: 'referral', pointsCost: 1 });
      const problem = await expectRefused(() => redeem(client, member.id, gift.id), 422, 'reward_not_redeemable');
      expect(problem.detail).toBe('The reward is given by the referral programme only; it cannot be redeemed for points.');
      expect((await client.patch(`/v1/rewards/${gift.id}`, { audience: 'catalogue' })).json()).toMatchObject({ audience: 'catalogue' });
      expect((await redeem(client, member.id, gift.id)).statusCode).toBe(201);
    });
  });

  describe('GET /v1/rewards and /v1/rewards/{id}', () => {
    it('lists a page at a time with active and kind filters, and gets one', async () => {
      const { client } = await setup();
      const a = await createReward(client);
      const b = await createReward(client, { kind: 'donation', value: null, active: false });
      const c = await createReward(client);
      const page = await client.get('/v1/rewards?limit=2');
      expect(page.statusCode).toBe(200);
      const first = page.json<{ data: RewardView[]; nextCursor: string }>();
      expect(first.data.map((r) => r.id)).toEqual([a.id, b.id]);
      const second = (await client.get(`/v1/rewards?limit=2&cursor=${first.nextCursor}`)).json<{ data: RewardView[]; nextCursor: null }>();
      expect(second).toEqual({ data: [c], nextCursor: null });
      expect((await client.get('/v1/rewards?active=false')).json<{ data: RewardView[] }>().data.map((r) => r.id)).toEqual([b.id]);
      expect((await client.get('/v1/rewards?kind=discount_fixed')).json<{ data: RewardView[] }>().data.map((r) => r.id)).toEqual([a.id, c.id]);
      expect((await client.get(`/v1/rewards/${a.id}`)).json()).toEqual(a);
      expectProblem(await client.get('/v1/rewards?kind=coupon'), 400, 'validation_failed', '/querystring/kind');
      expectProblem(await client.get('/v1/rewards?cursor=nope'), 400, 'invalid_cursor', '/querystring/cursor');
    });

    it("answers another programme's reward with 404", async () => {
      const { client } = await setup();
      const other = await setup();
      const reward = await createReward(other.client);
      expectProblem(await client.get(`/v1/rewards/${reward.id}`), 404, 'reward_not_found');
      await expectRefused(() => client.patch(`/v1/rewards/${reward.id}`, { stock: 1 }), 404, 'reward_not_found');
      expect((await client.get('/v1/rewards')).json<{ data: unknown[] }>().data).toEqual([]);
    });
  });

  describe('PATCH /v1/rewards/{id}', () => {
    it('changes fields, clears with null, and refuses a bad change writing nothing', async () => {
      const { client } = await setup();
      const reward = await createReward(client, { stock: 5 });
      db.clock.advanceDays(1);
      const response = await client.patch(`/v1/rewards/${reward.id}`, { stock: null, pointsCost: 120, name: { en: 'Five off', nl: 'Vijf eraf' } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ stock: null, pointsCost: 120, name: { en: 'Five off', nl: 'Vijf eraf' }, updatedAt: '2026-03-16T12:00:00.000Z' });
      await expectRefused(() => client.patch(`/v1/rewards/${reward.id}`, {}), 400, 'validation_failed');
      await expectRefused(() => client.patch(`/v1/rewards/${reward.id}`, { kind: 'discount_percent' }), 400, 'validation_failed', '/value');
      await expectRefused(() => client.patch(`/v1/rewards/${reward.id}`, { currency: 'GBP' }), 422, 'currency_mismatch', '/currency');
    });
  });

  describe('POST /v1/members/{id}/redemptions', () => {
    it('spends the points and answers 201 with the reward, the points, the coupon and the balance', async () => {
      const { client, member } = await setup(1000);
      const reward = await createReward(client, { pointsCost: 300, stock: 2 });
      const response = await redeem(client, member.id, reward.id);
      expect(response.statusCode, response.body).toBe(201);
      const redemption = response.json<RedemptionView>();
      expect(redemption).toMatchObject({
        id: expect.stringMatching(/^rdm_/),
        memberId: member.id,
        reward: { id: reward.id, stock: 1, redeemedCount: 1 },
        points: 300,
        status: 'completed',
        coupon: { code: expect.stringMatching(/^[2-9A-HJ-NP-Z]{10}$/), status: 'active', expiresAt: expect.any(String) },
        balance: { available: 700, pending: 0 },
      });
      expect((await client.get(`/v1/members/${member.id}/balance`)).json()).toMatchObject({ available: 700 });
      const ledger = (await client.get(`/v1/members/${member.id}/ledger`)).json<{ data: { kind: string; points: number }[] }>();
      expect(ledger.data[0]).toMatchObject({ kind: 'redemption', points: -300 });
      const got = await client.get(`/v1/redemptions/${redemption.id}`);
      expect(got.statusCode).toBe(200);
      const { balance: _balance, ...withoutBalance } = redemption;
      expect(got.json()).toEqual(withoutBalance);
      const list = (await client.get(`/v1/members/${member.id}/redemptions`)).json<{ data: RedemptionView[]; nextCursor: null }>();
      expect(list).toEqual({ data: [withoutBalance], nextCursor: null });
    });

    it('replays the same Idempotency-Key with the first response and refuses it for another reward', async () => {
      const { client, member } = await setup(1000);
      const reward = await createReward(client);
      const other = await createReward(client);
      const first = await redeem(client, member.id, reward.id, { 'idempotency-key': 'k-1' });
      expect(first.statusCode).toBe(201);
      const again = await redeem(client, member.id, reward.id, { 'idempotency-key': 'k-1' });
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      await expectRefused(() => redeem(client, member.id, other.id, { 'idempotency-key': 'k-1' }), 409, 'idempotency_key_reused_with_different_body');
      expect((await client.get(`/v1/members/${member.id}/balance`)).json()).toMatchObject({ available: 900 });
    });

    it('refuses with the problem of each rule and writes nothing', async () => {
      const { client, member, programId } = await setup(250);
      const dear = await createReward(client, { pointsCost: 300 });
      const problem = await expectRefused(() => redeem(client, member.id, dear.id), 422, 'insufficient_points');
      expect(problem.type).toBe('/problems/insufficient-points');
      const soldOut = await createReward(client, { stock: 0 });
      await expectRefused(() => redeem(client, member.id, soldOut.id), 409, 'reward_out_of_stock');
      const gold = await createReward(client, { tiers: ['Gold'] });
      await expectRefused(() => redeem(client, member.id, gold.id), 422, 'reward_tier_required');
      const inactive = await createReward(client, { active: false });
      await expectRefused(() => redeem(client, member.id, inactive.id), 422, 'reward_not_available');
      const once = await createReward(client, { limits: { perMember: { count: 1, period: 'lifetime' } } });
      expect((await redeem(client, member.id, once.id)).statusCode).toBe(201);
      await expectRefused(() => redeem(client, member.id, once.id), 422, 'reward_limit_reached');
      await expectRefused(() => redeem(client, member.id, 'rwd_unknown'), 404, 'reward_not_found', '/rewardId');
      await expectRefused(() => client.post(`/v1/members/${member.id}/redemptions`, {}), 400, 'validation_failed', '/rewardId');
      await expectRefused(() => client.post(`/v1/members/${member.id}/redemptions`, { rewardId: once.id, points: 5 }), 400, 'validation_failed', '/points');
      await expectRefused(() => redeem(client, 'mbr_unknown', once.id), 404, 'member_not_found');
      expect((await client.patch(`/v1/members/${member.id}`, { status: 'blocked' })).statusCode).toBe(200);
      const plain = await createReward(client, { pointsCost: 1 });
      await expectRefused(() => redeem(client, member.id, plain.id), 422, 'member_blocked');
      const readOnly = await keyWith(programId, ['members:read', 'rewards:read']);
      await expectRefused(() => redeem(readOnly, member.id, plain.id), 403, 'insufficient_scope');
    });

    it("answers another programme's member or reward with 404", async () => {
      const mine = await setup();
      const other = await setup();
      const theirReward = await createReward(other.client);
      const myReward = await createReward(mine.client);
      await expectRefused(() => redeem(mine.client, other.member.id, myReward.id), 404, 'member_not_found');
      await expectRefused(() => redeem(mine.client, mine.member.id, theirReward.id), 404, 'reward_not_found', '/rewardId');
      const theirs = (await redeem(other.client, other.member.id, theirReward.id)).json<RedemptionView>();
      expectProblem(await mine.client.get(`/v1/redemptions/${theirs.id}`), 404, 'redemption_not_found');
      expectProblem(await mine.client.get(`/v1/members/${other.member.id}/redemptions`), 404, 'member_not_found');
      await expectRefused(() => mine.client.post(`/v1/redemptions/${theirs.id}/cancel`), 404, 'redemption_not_found');
    });
  });

  describe('GET /v1/members/{id}/redemptions', () => {
    it('lists newest first, a page at a time', async () => {
      const { client, member } = await setup(1000);
      const reward = await createReward(client);
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await redeem(client, member.id, reward.id)).json<RedemptionView>().id);
      const first = (await client.get(`/v1/members/${member.id}/redemptions?limit=2`)).json<{ data: RedemptionView[]; nextCursor: string }>();
      expect(first.data.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      const second = (await client.get(`/v1/members/${member.id}/redemptions?limit=2&cursor=${first.nextCursor}`)).json<{ data: RedemptionView[]; nextCursor: null }>();
      expect(second.data.map((r) => r.id)).toEqual([ids[0]]);
      expect(second.nextCursor).toBeNull();
    });
  });

  describe('POST /v1/redemptions/{id}/cancel', () => {
    it('gives the points back once; a second cancel or a used coupon is 409', async () => {
      const { client, member } = await setup(1000);
      const reward = await createReward(client, { stock: 1 });
      const redemption = (await redeem(client, member.id, reward.id)).json<RedemptionView>();
      const response = await client.post(`/v1/redemptions/${redemption.id}/cancel`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ status: 'cancelled', coupon: { status: 'cancelled' }, balance: { available: 1000 }, reward: { stock: 1, redeemedCount: 0 } });
      await expectRefused(() => client.post(`/v1/redemptions/${redemption.id}/cancel`), 409, 'redemption_not_cancellable');
      const second = (await redeem(client, member.id, reward.id)).json<RedemptionView>();
      expect((await client.post(`/v1/coupons/${second.coupon.code}/redeem`, { orderId: 'o-1' })).statusCode).toBe(200);
      await expectRefused(() => client.post(`/v1/redemptions/${second.id}/cancel`), 409, 'redemption_not_cancellable');
      await expectRefused(() => client.post('/v1/redemptions/rdm_unknown/cancel'), 404, 'redemption_not_found');
    });
  });

  describe('PATCH /v1/program', () => {
    it('changes the settings and GET /v1/program shows them', async () => {
      const { client, program } = await setup();
      expect(program).toMatchObject({ expiryWarningDays: 30, coupons: { prefix: null, length: 10, validityDays: 90, refundExpired: false } });
      const response = await client.patch('/v1/program', {
        name: 'Koffie & Co Plus',
        pendingDays: 14,
        expiryMonths: 24,
        expiryWarningDays: null,
        coupons: { prefix: 'kc-', length: 12, validityDays: 30, refundExpired: true },
      });
      expect(response.statusCode, response.body).toBe(200);
      const expected = {
        ...program,
        name: 'Koffie & Co Plus',
        pendingDays: 14,
        expiryMonths: 24,
        expiryWarningDays: null,
        coupons: { prefix: 'KC', length: 12, validityDays: 30, refundExpired: true },
      };
      expect(response.json()).toEqual(expected);
      expect((await client.get('/v1/program')).json()).toEqual(expected);
      const reward = await createReward(client);
      const { member } = { member: (await client.get('/v1/members')).json<{ data: { id: string }[] }>().data[0]! };
      const redemption = (await redeem(client, member.id, reward.id)).json<RedemptionView>();
      expect(redemption.coupon.code).toMatch(/^KC[2-9A-HJ-NP-Z]{12}$/);
    });

    it('refuses bad settings with the pointer, writing nothing, and needs program:write', async () => {
      const { client, programId } = await setup();
      await expectRefused(() => client.patch('/v1/program', { coupons: { length: 5 } }), 400, 'validation_failed', '/coupons/length');
      await expectRefused(() => client.patch('/v1/program', { coupons: { prefix: 'AB!' } }), 400, 'validation_failed', '/coupons/prefix');
      await expectRefused(() => client.patch('/v1/program', { coupons: { validityDays: 0 } }), 400, 'validation_failed', '/coupons/validityDays');
      await expectRefused(() => client.patch('/v1/program', { expiryMonths: 0 }), 400, 'validation_failed', '/expiryMonths');
      await expectRefused(() => client.patch('/v1/program', { currency: 'USD' }), 400, 'validation_failed', '/currency');
      await expectRefused(() => client.patch('/v1/program', {}), 400, 'validation_failed');
      const reader = await keyWith(programId, ['members:read', 'rules:write']);
      await expectRefused(() => reader.patch('/v1/program', { name: 'x' }), 403, 'insufficient_scope');
    });
  });
});
