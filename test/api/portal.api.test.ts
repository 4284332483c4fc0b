/**
 * The member portal over HTTP, on every dialect: the owner's settings and signing secrets, member token
 * verification (each refusal a 401 portal_token_invalid whose detail says what was wrong), the member routes
 * acting only on the member the token names, and the widget loader. Tokens are signed here with jose the way a
 * shop's backend would; the test clock is the server's clock, so `iat` and `exp` are set from it.
 */
import { describe, expect, it } from 'vitest';
import { Migrator, sql } from 'kysely';
import { migrations } from '../../src/storage/migrations/index.js';
import { migrateToLatest } from '../../src/storage/db.js';
import { generateKeyPair, SignJWT } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { updateMember } from '../../src/services/members.service.js';
import { issueDemoPortalLink, issueMemberToken } from '../../src/services/portal/portal-settings.service.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReferralProgram, givenReward } from '../support/factories.js';

interface TokenOptions {
  kid?: string | null;
  secret?: string;
  alg?: string;
  iss?: string | null;
  aud?: string | null;
  sub?: string | null;
  iat?: number | null;
  exp?: number | null;
}

forEachDialect('member portal api', (db: TestDatabase) => {
  const api = useApi(db);
  const nowSeconds = () => Math.floor(db.clock.now() / 1000);

  async function sign(key: { kid: string; secret: string }, programId: string, options: TokenOptions = {}): Promise<string> {
    const iat = options.iat === undefined ? nowSeconds() : options.iat;
    const claims: Record<string, unknown> = {};
    if (options.iss !== null) claims.iss = options.iss ?? programId;
    if (options.aud !== null) claims.aud = options.aud ?? 'trouw:portal';
    if (options.sub !== null) claims.sub = options.sub ?? 'customer-a';
    if (iat !== null) claims.iat = iat;
    if (options.exp !== null) claims.exp = options.exp ?? (iat ?? nowSeconds()) + 600;
    const header: Record<string, unknown> = { alg: options.alg ?? 'HS256', typ: 'JWT' };
    if (options.kid !== null) header.kid = options.kid ?? key.kid;
    return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(new TextEncoder().encode(options.secret ?? key.secret));
  }

  async function setup() {
    const { programId, apiKey, program } = await givenProgram(db.ctx, { name: 'Koffie & Co' });
    const owner = api.as(apiKey);
    const created = await owner.post('/v1/portal/keys');
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json<{ kid: string; secret: string }>();
    const slug = (await owner.get('/v1/portal/settings')).json<{ slug: string }>().slug;
    const memberA = await givenMember(db.ctx, programId, { externalId: 'customer-a', email: 'anna@example.nl', points: 500 });
    const memberB = await givenMember(db.ctx, programId, { externalId: 'customer-b', email: 'bram@example.nl', points: 7777 });
    const as = (token: string) => ({
      get: (path: string) => api.request({ method: 'GET', url: `/v1/portal/${slug}/${path}`, headers: { authorization: `Bearer ${token}` } }),
      post: (path: string, body: object, headers: Record<string, string> = {}) =>
        api.request({ method: 'POST', url: `/v1/portal/${slug}/${path}`, headers: { authorization: `Bearer ${token}`, ...headers }, payload: body }),
      put: (path: string, body: object) => api.request({ method: 'PUT', url: `/v1/portal/${slug}/${path}`, headers: { authorization: `Bearer ${token}` }, payload: body }),
    });
    return { programId, program, owner, key, slug, memberA, memberB, as, tokenA: await sign(key, programId) };
  }

  function expectTokenRefused(response: LightMyRequestResponse, detail: RegExp) {
    const problem = expectProblem(response, 401, 'portal_token_invalid');
    expect(problem.detail).toMatch(detail);
  }

  describe('settings', () => {
    it('shows the slug made from the name, the programme id as issuer and trouw:portal as audience', async () => {
      const { owner, programId, slug } = await setup();
      expect(slug).toMatch(/^koffie-co/);
      expect((await owner.get('/v1/portal/settings')).json()).toEqual({ slug, issuer: programId, audience: 'trouw:portal' });
    });

    it('gives programmes of one name different slugs', async () => {
      const first = await givenProgram(db.ctx, { name: 'Bakkerij Één' });
      const second = await givenProgram(db.ctx, { name: 'Bakkerij Één' });
      const slugOf = async (apiKey: string) => (await api.as(apiKey).get('/v1/portal/settings')).json<{ slug: string }>().slug;
      expect(await slugOf(first.apiKey)).toBe('bakkerij-een');
      expect(await slugOf(second.apiKey)).toBe('bakkerij-een-2');
    });

    it('changes slug, issuer and audience; tokens must then carry the new ones', async () => {
      const { owner, key, programId, as } = await setup();
      const patched = await owner.patch('/v1/portal/settings', { slug: 'koffie', issuer: 'https://shop.example', audience: 'koffie-portal' });
      expect(patched.json()).toEqual({ slug: 'koffie', issuer: 'https://shop.example', audience: 'koffie-portal' });
      const fresh = await sign(key, programId, { iss: 'https://shop.example', aud: 'koffie-portal' });
      const me = await api.request({ method: 'GET', url: '/v1/portal/koffie/me', headers: { authorization: `Bearer ${fresh}` } });
      expect(me.statusCode, me.body).toBe(200);
      expect((await as(await sign(key, programId)).get('me')).statusCode).toBe(404);
    });

    it('refuses a slug another programme has with 409 program_slug_taken, and a malformed one at /slug', async () => {
      const { owner } = await setup();
      const other = await givenProgram(db.ctx, { name: 'Thee Huis' });
      expectProblem(await api.as(other.apiKey).patch('/v1/portal/settings', { slug: (await owner.get('/v1/portal/settings')).json<{ slug: string }>().slug }), 409, 'program_slug_taken', '/slug');
      for (const bad of ['ab', 'Koffie', 'koffie_co', '-koffie', 'a'.repeat(41), 'keys']) {
        expectProblem(await owner.patch('/v1/portal/settings', { slug: bad }), 400, 'validation_failed', '/slug');
      }
      expect((await api.as(other.apiKey).get('/v1/portal/settings')).json()).toMatchObject({ slug: 'thee-huis' });
    });

    it('needs portal:write to change and members:read to read', async () => {
      const { owner, programId } = await setup();
      const { createApiKey } = await import('../../src/services/api-keys.service.js');
      const reader = api.as(await createApiKey(db.ctx, programId, 'reader', ['members:read']));
      expect((await reader.get('/v1/portal/settings')).statusCode).toBe(200);
      expectProblem(await reader.patch('/v1/portal/settings', { slug: 'other-slug' }), 403, 'insufficient_scope');
      expectProblem(await reader.post('/v1/portal/keys'), 403, 'insufficient_scope');
      expectProblem(await api.request({ method: 'GET', url: '/v1/portal/settings' }), 401, 'unauthenticated');
      expect((await owner.get('/v1/portal/settings')).json()).not.toMatchObject({ slug: 'other-slug' });
    });
  });

  describe('signing secrets', () => {
    it('shows a secret once, lists kids without secrets, and revokes', async () => {
      const { owner, key, programId, as } = await setup();
      expect(key.kid).toMatch(/^pk_/);
      expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
      const listed = await owner.get('/v1/portal/keys');
      expect(listed.json()).toEqual({ data: [{ kid: key.kid, createdAt: expect.any(String), revokedAt: null }] });
      expect(listed.body).not.toContain(key.secret);
      const stored = await db.ctx.storage.db.selectFrom('portalKeys').selectAll().execute();
      expect(JSON.stringify(stored)).not.toContain(key.secret);

      const revoked = await owner.delete(`/v1/portal/keys/${key.kid}`);
      expect(revoked.json()).toMatchObject({ kid: key.kid, revokedAt: new Date(db.clock.now()).toISOString() });
      expectTokenRefused(await as(await sign(key, programId)).get('me'), /not an active portal secret/);
      expectProblem(await owner.delete('/v1/portal/keys/pk_unknown'), 404, 'portal_key_not_found');
    });

    it('rotates: two active kids both verify; revoking the old one leaves the new one working', async () => {
      const { owner, key: oldKey, programId, as } = await setup();
      const newKey = (await owner.post('/v1/portal/keys')).json<{ kid: string; secret: string }>();
      expect(newKey.kid).not.toBe(oldKey.kid);
      expect((await as(await sign(oldKey, programId)).get('me')).statusCode).toBe(200);
      expect((await as(await sign(newKey, programId)).get('me')).statusCode).toBe(200);
      await owner.delete(`/v1/portal/keys/${oldKey.kid}`);
      expectTokenRefused(await as(await sign(oldKey, programId)).get('me'), /unknown or revoked/);
      expect((await as(await sign(newKey, programId)).get('me')).statusCode).toBe(200);
      // A token signed with the new secret but naming the old kid is still refused.
      expectTokenRefused(await as(await sign({ kid: oldKey.kid, secret: newKey.secret }, programId)).get('me'), /unknown or revoked/);
    });

    it('does not let one programme revoke or use another programme\'s kid', async () => {
      const { key, programId, as } = await setup();
      const other = await givenProgram(db.ctx, { name: 'Thee Huis' });
      expectProblem(await api.as(other.apiKey).delete(`/v1/portal/keys/${key.kid}`), 404, 'portal_key_not_found');
      expect((await as(await sign(key, programId)).get('me')).statusCode).toBe(200);
    });
  });

  describe('member tokens', () => {
    it('accepts a good token', async () => {
      const { as, tokenA } = await setup();
      const me = await as(tokenA).get('me');
      expect(me.statusCode, me.body).toBe(200);
      expect(me.json()).toMatchObject({ externalId: 'customer-a', email: 'anna@example.nl' });
    });

    it('refuses each kind of bad token with 401 and a detail saying what', async () => {
      const { as, key, programId } = await setup();
      const now = nowSeconds();
      const rsa = await generateKeyPair('RS256');
      const cases: [string, Promise<string> | string, RegExp][] = [
        ['expired', sign(key, programId, { iat: now - 700, exp: now - 100 }), /expired/],
        ['lives too long', sign(key, programId, { exp: now + 3601 }), /too long/],
        ['issued long ago', sign(key, programId, { iat: now - 4000, exp: now - 4000 + 3600 + 500 }), /too long|more than an hour|expired/],
        ['issued in the future', sign(key, programId, { iat: now + 600, exp: now + 1200 }), /future/],
        ['wrong issuer', sign(key, programId, { iss: 'someone-else' }), /issuer/],
        ['wrong audience', sign(key, programId, { aud: 'another-app' }), /audience/],
        ['no kid', sign(key, programId, { kid: null }), /no kid/],
        ['unknown kid', sign(key, programId, { kid: 'pk_nope' }), /unknown or revoked/],
        ['bad signature', sign(key, programId, { secret: 'not-the-secret-not-the-secret-not-the-secret' }), /bad signature/],
        ['HS512', sign(key, programId, { alg: 'HS512', secret: key.secret.repeat(2) }), /HS256/],
        ['missing sub', sign(key, programId, { sub: null }), /"sub"/],
        ['missing exp', sign(key, programId, { exp: null }), /"exp"/],
        ['missing iat', sign(key, programId, { iat: null }), /"iat"/],
        ['unknown member', sign(key, programId, { sub: 'nobody' }), /not a member/],
        ['not a JWT', 'not-a-token', /malformed/],
      ];
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: key.kid })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ iss: programId, aud: 'trouw:portal', sub: 'customer-a', iat: now, exp: now + 600 })).toString('base64url');
      cases.push(['alg none', `${header}.${payload}.`, /HS256/]);
      cases.push(['RS256', new SignJWT({ iss: programId, aud: 'trouw:portal', sub: 'customer-a', iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(rsa.privateKey), /HS256/]);
      for (const [name, token, detail] of cases) {
        const response = await as(await token).get('me');
        expect(response.statusCode, `${name}: ${response.body}`).toBe(401);
        expectTokenRefused(response, detail);
        expect(response.body, name).not.toContain('customer-a');
      }
      expectTokenRefused(await api.request({ method: 'GET', url: `/v1/portal/${(await setupSlug(programId))}/me` }), /Bearer/);
    });

    async function setupSlug(programId: string) {
      const row = await db.ctx.storage.db.selectFrom('programs').select('slug').where('id', '=', programId).executeTakeFirstOrThrow();
      return row.slug;
    }

    it('allows a little clock skew but not more', async () => {
      const { as, key, programId } = await setup();
      const now = nowSeconds();
      expect((await as(await sign(key, programId, { iat: now - 610, exp: now - 10 })).get('me')).statusCode).toBe(200);
      expectTokenRefused(await as(await sign(key, programId, { iat: now - 700, exp: now - 60 })).get('me'), /expired/);
    });

    it('answers an unknown slug with 404, and a token of one programme does not open another\'s portal', async () => {
      const { tokenA } = await setup();
      expectProblem(await api.request({ method: 'GET', url: '/v1/portal/no-such-portal/me', headers: { authorization: `Bearer ${tokenA}` } }), 404, 'program_not_found');
      const other = await givenProgram(db.ctx, { name: 'Thee Huis' });
      await givenMember(db.ctx, other.programId, { externalId: 'customer-a' });
      await api.as(other.apiKey).post('/v1/portal/keys');
      expectTokenRefused(await api.request({ method: 'GET', url: '/v1/portal/thee-huis/me', headers: { authorization: `Bearer ${tokenA}` } }), /issuer|unknown or revoked/);
    });
  });

  describe('the member\'s own data', () => {
    it('shows member A only A\'s profile, balance, history and redemptions, never B\'s', async () => {
      const { as, tokenA, memberA, memberB, programId } = await setup();
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      await as(await signB()).post('redemptions', { rewardId: reward.id });
      const client = as(tokenA);
      const me = (await client.get('me')).json();
      expect(me).toMatchObject({ externalId: 'customer-a', balance: { available: 500, pending: 0, expiring: [] } });
      const history = (await client.get('history')).json<{ data: { points: number; reason: string | null }[] }>();
      expect(history.data.map((e) => e.points)).toEqual([500]);
      expect((await client.get('redemptions')).json()).toEqual({ data: [], nextCursor: null });
      for (const path of ['me', 'history', 'redemptions', 'rewards', 'consents', 'referrals', 'export']) {
        const body = (await client.get(path)).body;
        expect(body, path).not.toContain(memberB.id);
        expect(body, path).not.toContain('customer-b');
        expect(body, path).not.toContain('bram@example.nl');
        expect(body, path).not.toContain('7777');
      }
      expect(memberA.id).toBeDefined();

      async function signB() {
        const { key } = await keyOf(programId);
        return sign(key, programId, { sub: 'customer-b' });
      }
    });

    async function keyOf(programId: string) {
      const { token, kid } = await issueMemberToken(db.ctx, programId, 'customer-a');
      expect(token.split('.')).toHaveLength(3);
      const row = await db.ctx.storage.db.selectFrom('portalKeys').selectAll().where('programId', '=', programId).where('kid', '=', kid).executeTakeFirstOrThrow();
      return { key: { kid, secret: db.ctx.pii.decrypt(row.secretCipher) } };
    }

    it('lists the rewards open to the member\'s tier in their locale, each saying whether it is affordable', async () => {
      const { as, tokenA, programId, memberA } = await setup();
      await updateMember(db.ctx, programId, memberA.id, { locale: 'nl' });
      const cheap = await givenReward(db.ctx, programId, { name: { en: 'Free coffee', nl: 'Gratis koffie' }, pointsCost: 300 });
      const dear = await givenReward(db.ctx, programId, { name: 'Espresso machine', pointsCost: 5000 });
      await givenReward(db.ctx, programId, { name: 'Gold lounge', pointsCost: 10, tiers: ['Gold'] });
      await givenReward(db.ctx, programId, { name: 'Retired', pointsCost: 10, active: false });
      // Given by the referral programme only: never offered for points, and refused if asked for.
      const gift = await givenReward(db.ctx, programId, { name: 'Welcome gift', pointsCost: 10, audience: 'referral' });
      expectProblem(await as(tokenA).post('redemptions', { rewardId: gift.id }), 422, 'reward_not_redeemable');
      const rewards = (await as(tokenA).get('rewards')).json<{ data: { id: string; name: string; affordable: boolean }[] }>();
      expect(rewards.data).toEqual([
        expect.objectContaining({ id: cheap.id, name: 'Gratis koffie', affordable: true }),
        expect.objectContaining({ id: dear.id, name: 'Espresso machine', affordable: false }),
      ]);
    });

    it('redeems for a coupon, deducting the points, and replays with the same Idempotency-Key', async () => {
      const { as, tokenA, programId } = await setup();
      const reward = await givenReward(db.ctx, programId, { pointsCost: 200 });
      const client = as(tokenA);
      const first = await client.post('redemptions', { rewardId: reward.id }, { 'idempotency-key': 'redeem-1' });
      expect(first.statusCode, first.body).toBe(201);
      const redemption = first.json<{ coupon: { code: string }; balance: { available: number } }>();
      expect(redemption.coupon.code).toMatch(/^[0-9A-Z]+$/);
      expect(redemption.balance.available).toBe(300);
      const again = await client.post('redemptions', { rewardId: reward.id }, { 'idempotency-key': 'redeem-1' });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ coupon: { code: redemption.coupon.code } });
      expect((await client.get('me')).json()).toMatchObject({ balance: { available: 300 } });
      expect((await client.get('redemptions')).json<{ data: unknown[] }>().data).toHaveLength(1);
      expectProblem(await client.post('redemptions', { rewardId: (await givenReward(db.ctx, programId, { pointsCost: 1000 })).id }), 422, 'insufficient_points');
    });

    it('lets a blocked member read but not redeem', async () => {
      const { as, tokenA, programId, memberA } = await setup();
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      await updateMember(db.ctx, programId, memberA.id, { status: 'blocked' });
      const client = as(tokenA);
      expect((await client.get('me')).json()).toMatchObject({ status: 'blocked', balance: { available: 500 } });
      const refused = await client.post('redemptions', { rewardId: reward.id });
      expect(refused.statusCode).toBeGreaterThanOrEqual(400);
      expect(refused.json()).toMatchObject({ code: 'member_blocked' });
      expect((await client.get('me')).json()).toMatchObject({ balance: { available: 500 } });
      expect(await db.ctx.storage.db.selectFrom('redemptions').selectAll().execute()).toEqual([]);
    });

    it('shows the referral link and share URLs', async () => {
      const { as, tokenA, programId, memberA } = await setup();
      await givenReferralProgram(db.ctx, programId);
      const view = (await as(tokenA).get('referrals')).json<{ code: string; share: { link: string; urls: { whatsapp: string } } }>();
      expect(view.code).toBe(memberA.referralCode);
      expect(view.share.link).toContain(`/r/${programId}/${memberA.referralCode}`);
      expect(view.share.urls.whatsapp).toContain('wa.me');
    });
  });

  describe('consents', () => {
    it('starts all false, records each change with its time, and sends member.updated naming the changes', async () => {
      const { as, tokenA, memberA, key, programId } = await setup();
      let client = as(tokenA);
      expect((await client.get('consents')).json()).toEqual({
        marketingEmail: false, marketingSms: false, personalisedOffers: false,
        changedAt: { marketingEmail: null, marketingSms: null, personalisedOffers: null },
      });
      const outboxBefore = await db.ctx.storage.db.selectFrom('outboxMessages').selectAll().where('type', '=', 'member.updated').execute();
      const at = new Date(db.clock.now()).toISOString();
      const put = await client.put('consents', { marketingEmail: true, marketingSms: false, personalisedOffers: true });
      expect(put.json()).toEqual({
        marketingEmail: true, marketingSms: false, personalisedOffers: true,
        changedAt: { marketingEmail: at, marketingSms: null, personalisedOffers: at },
      });
      db.clock.advanceDays(1);
      client = as(await sign(key, programId));
      await client.put('consents', { marketingEmail: true, marketingSms: false, personalisedOffers: true });
      await client.put('consents', { marketingEmail: false, marketingSms: false, personalisedOffers: true });
      const after = (await client.get('consents')).json<{ changedAt: Record<string, string | null> }>();
      expect(after.changedAt).toEqual({ marketingEmail: new Date(db.clock.now()).toISOString(), marketingSms: null, personalisedOffers: at });
      const messages = (await db.ctx.storage.db.selectFrom('outboxMessages').selectAll().where('type', '=', 'member.updated').orderBy('id').execute()).slice(outboxBefore.length);
      expect(messages.map((m) => JSON.parse(m.data) as { changed: string[]; memberId: string })).toEqual([
        expect.objectContaining({ memberId: memberA.id, changed: ['consents.marketingEmail', 'consents.personalisedOffers'] }),
        expect.objectContaining({ memberId: memberA.id, changed: ['consents.marketingEmail'] }),
      ]);
    });

    it('refuses a consent that is not a boolean, naming it, and changes nothing', async () => {
      const { as, tokenA } = await setup();
      expectProblem(await as(tokenA).put('consents', { marketingEmail: 'yes', marketingSms: false, personalisedOffers: false }), 400, 'validation_failed', '/marketingEmail');
      expect((await as(tokenA).get('consents')).json()).toMatchObject({ marketingEmail: false });
    });
  });

  describe('export', () => {
    it('downloads everything held on the member as a JSON attachment, and nothing of another member', async () => {
      const { as, tokenA, programId, memberA, memberB } = await setup();
      await updateMember(db.ctx, programId, memberA.id, { name: 'Anna de Vries', phone: '+31 6 1111 2222' });
      await givenPurchase(db.ctx, programId, memberA.id, 2500, { orderId: 'order-a-1' });
      await givenPurchase(db.ctx, programId, memberB.id, 9900, { orderId: 'order-b-1' });
      await adjustPoints(db.ctx, programId, memberB.id, { points: 5, reason: 'goodwill for bram' });
      const reward = await givenReward(db.ctx, programId, { pointsCost: 100 });
      const redeemed = (await as(tokenA).post('redemptions', { rewardId: reward.id })).json<{ coupon: { code: string } }>();
      await as(tokenA).put('consents', { marketingEmail: true, marketingSms: false, personalisedOffers: false });

      const response = await as(tokenA).get('export');
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['content-disposition']).toBe('attachment; filename="trouw-export-customer-a.json"');
      const data = response.json<Record<string, unknown> & { ledger: unknown[]; events: { id: string }[]; lots: unknown[]; redemptions: unknown[]; coupons: { code: string }[] }>();
      expect(data).toMatchObject({
        profile: { externalId: 'customer-a', email: 'anna@example.nl', name: 'Anna de Vries', phone: '+31 6 1111 2222' },
        balance: { available: 425 },
        consents: { marketingEmail: true },
        fingerprints: { ip: 0, device: 0 },
        tierHistory: expect.any(Array),
        referrals: [],
      });
      expect(data.events.map((e) => e.id)).toHaveLength(1);
      expect(JSON.stringify(data.events)).toContain('order-a-1');
      expect(data.ledger).toHaveLength(3);
      expect(data.lots).toHaveLength(2);
      expect(data.coupons.map((c) => c.code)).toEqual([redeemed.coupon.code]);
      expect(data.redemptions).toHaveLength(1);
      for (const foreign of [memberB.id, 'customer-b', 'bram', 'order-b-1', '9900']) expect(response.body).not.toContain(foreign);
    });
  });

  describe('issuing tokens for demos', () => {
    it('signs a token with a new secret when the programme has none, and builds a portal link', async () => {
      const { programId } = await givenProgram(db.ctx, { name: 'Demo Winkel' });
      await givenMember(db.ctx, programId, { externalId: 'demo-1', points: 42 });
      const link = await issueDemoPortalLink(db.ctx, programId, 'demo-1', 'http://localhost:3000/');
      expect(link).toMatch(/^http:\/\/localhost:3000\/p\/demo-winkel#token=[\w-]+\.[\w-]+\.[\w-]+$/);
      const token = link.split('#token=')[1] as string;
      const me = await api.request({ method: 'GET', url: '/v1/portal/demo-winkel/me', headers: { authorization: `Bearer ${token}` } });
      expect(me.json()).toMatchObject({ externalId: 'demo-1', balance: { available: 42 } });
      expect(await db.ctx.storage.db.selectFrom('portalKeys').selectAll().where('programId', '=', programId).execute()).toHaveLength(1);
      await issueMemberToken(db.ctx, programId, 'demo-1');
      expect(await db.ctx.storage.db.selectFrom('portalKeys').selectAll().where('programId', '=', programId).execute()).toHaveLength(1);
    });
  });

  describe('migration 0010', () => {
    it('gives existing programmes slugs from their names, oldest first, with a suffix on collision', async () => {
      const raw = db.ctx.storage.db.withoutPlugins();
      const migrator = new Migrator({ db: raw, provider: { getMigrations: async () => migrations } });
      const down = await migrator.migrateTo('0008-earn-holds');
      expect(down.error).toBeUndefined();
      const names = [['prg_a', 'Koffie & Co', 1], ['prg_b', 'Koffie & Co!', 2], ['prg_c', 'Ñ', 3], ['prg_d', 'Keys', 4], ['prg_e', 'Café Über', 5]] as const;
      for (const [id, name, at] of names) {
        await sql`insert into programs (id, name, points_name, currency, timezone, pending_days, rules_version, created_at, updated_at)
          values (${id}, ${name}, 'Points', 'EUR', 'Europe/Amsterdam', 0, 1, ${at}, ${at})`.execute(raw);
      }
      await migrateToLatest(db.ctx.storage);
      const rows = await db.ctx.storage.db.selectFrom('programs').select(['id', 'slug', 'portalIssuer', 'portalAudience']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'prg_a', slug: 'koffie-co', portalIssuer: null, portalAudience: 'trouw:portal' },
        { id: 'prg_b', slug: 'koffie-co-2', portalIssuer: null, portalAudience: 'trouw:portal' },
        { id: 'prg_c', slug: 'program', portalIssuer: null, portalAudience: 'trouw:portal' },
        { id: 'prg_d', slug: 'keys-program', portalIssuer: null, portalAudience: 'trouw:portal' },
        { id: 'prg_e', slug: 'cafe-uber', portalIssuer: null, portalAudience: 'trouw:portal' },
      ]);
      await expect(sql`update programs set slug = 'koffie-co' where id = 'prg_b'`.execute(raw)).rejects.toThrow();
    });
  });

  describe('GET /widget.js', () => {
    it('serves the loader as JavaScript, reading data-program and data-token and framing /p/{slug}', async () => {
      const response = await api.request({ method: 'GET', url: '/widget.js' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/javascript/);
      expect(response.body).toContain("getAttribute('data-program')");
      expect(response.body).toContain("getAttribute('data-token')");
      expect(response.body).toContain("'/p/'");
      expect(response.body).toContain('embed=1');
      expect(response.body).toContain('iframe-child-init');
      expect(() => new Function(response.body)).not.toThrow();
    });
  });
});
