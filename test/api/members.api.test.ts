/**
 * The members API over HTTP (`app.inject()`, no port): enrolment, look-up, listing, profile changes, balance,
 * ledger and manual adjustments, on SQLite and PostgreSQL. Every error case checks the status, the
 * `application/problem+json` media type, the problem code, the field pointer where one applies, and that the
 * request wrote nothing: row counts of every table a members route can touch, plus what the API itself reports
 * (member list, balance, ledger), are compared before and after.
 */
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { useApi, type ApiClient, expectProblem } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, uniqueId } from '../support/factories.js';
import type { MemberView, Page } from '../../src/services/views.js';
import type { LedgerEntryView } from '../../src/services/members.service.js';
import type { BalanceView } from '../../src/services/views.js';
import type { AdjustmentView } from '../../src/services/adjustments.service.js';

interface EventResponseBody {
  awarded: { ruleId: string; ruleVersion: number; points: number; status: 'pending' | 'available' }[];
  balance: { available: number; pending: number };
}

/** The clock of every test database starts here (test/support/dialects.ts). */
const START = '2026-03-15T12:00:00.000Z';

/** The alphabet of referral codes: digits and capitals without 0/O and 1/I, which people confuse. */
const REFERRAL_CODE = /^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/;

const MEMBER_FIELDS = [
  'attributes', 'balance', 'birthDate', 'createdAt', 'email', 'externalId', 'id', 'lifetimeEarned', 'locale', 'name',
  'perks', 'phone', 'purchaseCount', 'referralCode', 'referredBy', 'status', 'tier', 'tierProgress', 'updatedAt',
];

/** A well-formed key (right prefix and length) that no programme issued. */
const FORGED_KEY = `sk_abcdefgh${'A'.repeat(32)}`;


function ok<T>(response: LightMyRequestResponse, status = 200): T {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return response.json<T>();
}

/** Row counts of every table that a members route could write. */
async function rowCounts(db: TestDatabase) {
  const q = db.ctx.storage.db;
  const n = (row: { n: string | number | bigint }) => Number(row.n);
  return {
    members: n(await q.selectFrom('members').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
    events: n(await q.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
    ledgerTransactions: n(await q.selectFrom('ledgerTransactions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
    ledgerEntries: n(await q.selectFrom('ledgerEntries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
    lots: n(await q.selectFrom('lots').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
    idempotencyKeys: n(await q.selectFrom('idempotencyKeys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()),
  };
}

/**
 * What a programme looks like through its own key plus the raw row counts: equal snapshots before and after a
 * refused request mean the request wrote nothing. Members carry their balance and `updatedAt`, so an update
 * of any member shows; `memberIds` adds each one's balance and full ledger.
 */
async function snapshot(db: TestDatabase, api: ApiClient, apiKey: string, memberIds: string[] = []) {
  const client = api.as(apiKey);
  const members = ok<Page<MemberView>>(await client.get('/v1/members?limit=200'));
  const details: Record<string, unknown> = {};
  for (const id of memberIds) {
    details[id] = {
      balance: ok<BalanceView>(await client.get(`/v1/members/${id}/balance`)),
      ledger: ok<Page<LedgerEntryView>>(await client.get(`/v1/members/${id}/ledger?limit=200`)),
    };
  }
  return { counts: await rowCounts(db), members, details };
}

forEachDialect('members api', (db) => {
  const api = useApi(db);

  async function enrol(apiKey: string, body: Record<string, unknown>): Promise<MemberView> {
    return ok<MemberView>(await api.as(apiKey).post('/v1/members', body), 201);
  }

  async function purchase(apiKey: string, memberId: string, totalMinor: number): Promise<{ id: string; body: EventResponseBody }> {
    const id = uniqueId('evt');
    const response = await api.as(apiKey).post('/v1/events', {
      id,
      type: 'purchase',
      memberId,
      data: { orderId: uniqueId('order'), total: totalMinor, currency: 'EUR' },
    });
    return { id, body: ok<EventResponseBody>(response, 201) };
  }

  async function adjust(apiKey: string, memberId: string, points: number, reason = 'goodwill', headers: Record<string, string> = {}) {
    return api.as(apiKey).post(`/v1/members/${memberId}/adjustments`, { points, reason }, headers);
  }

  async function keyWithScopes(programId: string, scopes: string[]): Promise<string> {
    return inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'limited', scopes));
  }

  describe('POST /v1/members', () => {
    it('enrols a member and answers 201 with the member: mbr_ id, lower-case email, zero balance, fresh referral code', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const response = await api.as(apiKey).post('/v1/members', {
        externalId: 'cust-1',
        email: 'Anna.De.Vries@Example.COM',
        name: 'Anna de Vries',
        phone: '+31 6 1234 5678',
        birthDate: '1990-04-01',
        locale: 'nl-NL',
        attributes: { city: 'Utrecht', vip: true },
      });
      const member = ok<MemberView>(response, 201);
      expect(member.id).toMatch(/^mbr_[0-9a-z]{26}$/);
      expect(member).toMatchObject({
        externalId: 'cust-1',
        email: 'anna.de.vries@example.com',
        name: 'Anna de Vries',
        phone: '+31 6 1234 5678',
        birthDate: '1990-04-01',
        locale: 'nl-NL',
        attributes: { city: 'Utrecht', vip: true },
        status: 'active',
        tier: null,
        balance: { available: 0, pending: 0 },
        lifetimeEarned: 0,
        purchaseCount: 0,
        referredBy: null,
        createdAt: START,
        updatedAt: START,
      });
      expect(member.referralCode).toMatch(REFERRAL_CODE);
    });

    it('answers with exactly the documented member fields, never the encrypted columns or the blind index', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'cust-fields', email: 'fields@example.com' });
      expect(Object.keys(member).sort()).toEqual(MEMBER_FIELDS);
    });

    it('stores personal data encrypted: the email is not readable in the members row', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'cust-pii', email: 'secret.person@example.com', name: 'Secret Person' });
      const row = await db.ctx.storage.db.selectFrom('members').selectAll().where('id', '=', member.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain('secret.person');
      expect(JSON.stringify(row)).not.toContain('Secret Person');
    });

    it('enrols with only an externalId and leaves the profile empty', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'cust-minimal' });
      expect(member).toMatchObject({ email: null, name: null, phone: null, birthDate: null, locale: null, attributes: {} });
    });

    it('gives every member a different referral code', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const codes = new Set<string>();
      for (let i = 0; i < 5; i++) codes.add((await enrol(apiKey, { externalId: `cust-code-${i}` })).referralCode);
      expect(codes.size).toBe(5);
    });

    it("records the referrer when the body carries another member's referral code", async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const referrer = await enrol(apiKey, { externalId: 'referrer' });
      const referred = await enrol(apiKey, { externalId: 'referred', referralCode: referrer.referralCode });
      expect(referred.referredBy).toBe(referrer.id);
      expect(referred.referralCode).not.toBe(referrer.referralCode);
      const fetched = ok<MemberView>(await api.as(apiKey).get(`/v1/members/${referred.id}`));
      expect(fetched.referredBy).toBe(referrer.id);
    });

    it('accepts a referral code typed in lower case', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const referrer = await enrol(apiKey, { externalId: 'referrer-lc' });
      const referred = await enrol(apiKey, { externalId: 'referred-lc', referralCode: referrer.referralCode.toLowerCase() });
      expect(referred.referredBy).toBe(referrer.id);
    });

    it('allows the same externalId in two programmes: externalIds are unique per programme only', async () => {
      const first = await givenProgram(db.ctx);
      const second = await givenProgram(db.ctx);
      const a = await enrol(first.apiKey, { externalId: 'shared-id' });
      const b = await enrol(second.apiKey, { externalId: 'shared-id' });
      expect(a.id).not.toBe(b.id);
    });

    it('refuses a second member with the same externalId: 409 member_external_id_taken at /externalId, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      await enrol(apiKey, { externalId: 'dup' });
      const before = await snapshot(db, api, apiKey);
      const response = await api.as(apiKey).post('/v1/members', { externalId: 'dup', email: 'other@example.com' });
      expectProblem(response, 409, 'member_external_id_taken', '/externalId');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses an unknown referral code: 422 referral_code_unknown at /referralCode, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const response = await api.as(apiKey).post('/v1/members', { externalId: 'ref-unknown', referralCode: 'ZZZZZZZZ' });
      expectProblem(response, 422, 'referral_code_unknown', '/referralCode');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it("refuses another programme's referral code as unknown", async () => {
      const other = await givenProgram(db.ctx);
      const otherMember = await enrol(other.apiKey, { externalId: 'other-referrer' });
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const response = await api.as(apiKey).post('/v1/members', { externalId: 'cross-ref', referralCode: otherMember.referralCode });
      expectProblem(response, 422, 'referral_code_unknown', '/referralCode');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses a body that is not JSON: 400 malformed_json, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const response = await api.request({
        method: 'POST',
        url: '/v1/members',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload: '{"externalId": "cust-1",',
      });
      expectProblem(response, 400, 'malformed_json');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses an empty JSON body as malformed_json', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const response = await api.request({
        method: 'POST',
        url: '/v1/members',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload: '',
      });
      expectProblem(response, 400, 'malformed_json');
      expect((await rowCounts(db)).members).toBe(0);
    });

    it('does not coerce types: externalId 5 is 400 validation_failed at /externalId', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const problem = expectProblem(await api.as(apiKey).post('/v1/members', { externalId: 5 }), 400, 'validation_failed', '/externalId');
      expect(problem.detail).toContain('/externalId');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('names a missing externalId at /externalId', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const problem = expectProblem(await api.as(apiKey).post('/v1/members', { email: 'no-id@example.com' }), 400, 'validation_failed', '/externalId');
      expect(problem.errors?.[0]?.detail).toMatch(/externalId is required/);
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses an empty externalId', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      expectProblem(await api.as(apiKey).post('/v1/members', { externalId: '' }), 400, 'validation_failed', '/externalId');
      expect((await rowCounts(db)).members).toBe(0);
    });

    it('names an unknown field by its pointer', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const response = await api.as(apiKey).post('/v1/members', { externalId: 'cust-x', nickname: 'Annie' });
      const problem = expectProblem(response, 400, 'validation_failed', '/nickname');
      expect(problem.errors?.[0]?.detail).toMatch(/nickname is not a known field/);
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses an email that is not an email address, at /email', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      expectProblem(await api.as(apiKey).post('/v1/members', { externalId: 'cust-e', email: 'not-an-email' }), 400, 'validation_failed', '/email');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses a malformed locale, birth date and phone, each at its own pointer', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      expectProblem(await api.as(apiKey).post('/v1/members', { externalId: 'c', locale: 'Dutch' }), 400, 'validation_failed', '/locale');
      expectProblem(await api.as(apiKey).post('/v1/members', { externalId: 'c', birthDate: '1990-13-45' }), 400, 'validation_failed', '/birthDate');
      expectProblem(await api.as(apiKey).post('/v1/members', { externalId: 'c', phone: 'call me' }), 400, 'validation_failed', '/phone');
      expect((await rowCounts(db)).members).toBe(0);
    });

    it('refuses attributes that are not an object, at /attributes', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      expectProblem(await api.as(apiKey).post('/v1/members', { externalId: 'c', attributes: ['vip'] }), 400, 'validation_failed', '/attributes');
      expect((await rowCounts(db)).members).toBe(0);
    });

    it('refuses attributes over 8 KiB of JSON at /attributes, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const response = await api.as(apiKey).post('/v1/members', { externalId: 'cust-big', attributes: { blob: 'x'.repeat(9_000) } });
      expectProblem(response, 400, 'validation_failed', '/attributes');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('accepts attributes of exactly 8 KiB of JSON', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const attributes = { blob: 'x'.repeat(8_192 - JSON.stringify({ blob: '' }).length) };
      expect(Buffer.byteLength(JSON.stringify(attributes))).toBe(8_192);
      const member = await enrol(apiKey, { externalId: 'cust-8k', attributes });
      expect(member.attributes).toEqual(attributes);
    });

    it('refuses a body over 1 MiB: 413 body_too_large', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const response = await api.as(apiKey).post('/v1/members', { externalId: 'cust-huge', name: 'x'.repeat(1024 * 1024 + 10) });
      expectProblem(response, 413, 'body_too_large');
      expect((await rowCounts(db)).members).toBe(0);
    });

    it('refuses a body that is not application/json (text/plain): 415 unsupported_media_type, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const response = await api.request({
        method: 'POST',
        url: '/v1/members',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'text/plain' },
        payload: '{"externalId":"cust-text"}',
      });
      expectProblem(response, 415, 'unsupported_media_type');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses a form-encoded body: 415 unsupported_media_type', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const response = await api.request({
        method: 'POST',
        url: '/v1/members',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'externalId=cust-form',
      });
      expectProblem(response, 415, 'unsupported_media_type');
      expect((await rowCounts(db)).members).toBe(0);
    });

    it('refuses a request without a key: 401 unauthenticated with a Bearer challenge, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      const response = await api.request({ method: 'POST', url: '/v1/members', payload: { externalId: 'anon' } });
      expectProblem(response, 401, 'unauthenticated');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses an unknown key, a truncated key and a non-Bearer scheme with 401', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      for (const authorization of [`Bearer ${FORGED_KEY}`, `Bearer ${apiKey.slice(0, -1)}`, `Bearer ${apiKey}x`, `Basic ${apiKey}`, 'Bearer']) {
        const response = await api.request({ method: 'POST', url: '/v1/members', headers: { authorization }, payload: { externalId: 'intruder' } });
        expectProblem(response, 401, 'unauthenticated');
        expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      }
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('checks the key before the body: no key and a malformed body is 401, not 400', async () => {
      await givenProgram(db.ctx);
      const response = await api.request({ method: 'POST', url: '/v1/members', headers: { 'content-type': 'application/json' }, payload: '{oops' });
      expectProblem(response, 401, 'unauthenticated');
    });

    it('refuses a key without members:write: 403 insufficient_scope, nothing written', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const readOnly = await keyWithScopes(programId, ['members:read']);
      const before = await snapshot(db, api, apiKey);
      expectProblem(await api.as(readOnly).post('/v1/members', { externalId: 'scoped' }), 403, 'insufficient_scope');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });
  });

  describe('GET /v1/members/:id', () => {
    it('returns the member as enrolled', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const created = await enrol(apiKey, { externalId: 'get-1', email: 'Get@Example.com', attributes: { a: 1 } });
      const fetched = ok<MemberView>(await api.as(apiKey).get(`/v1/members/${created.id}`));
      expect(fetched).toEqual(created);
    });

    it('answers 404 member_not_found for an id no member has', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      expectProblem(await api.as(apiKey).get('/v1/members/mbr_01h0000000000000000000000'), 404, 'member_not_found');
    });

    it('refuses a request without a key with 401', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const response = await api.request({ method: 'GET', url: `/v1/members/${member.id}` });
      expectProblem(response, 401, 'unauthenticated');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    });

    it('lets a key with only members:read read a member', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const readOnly = await keyWithScopes(programId, ['members:read']);
      expect(ok<MemberView>(await api.as(readOnly).get(`/v1/members/${member.id}`)).id).toBe(member.id);
    });

    it('refuses a key without members:read with 403 insufficient_scope', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const eventsOnly = await keyWithScopes(programId, ['events:write']);
      expectProblem(await api.as(eventsOnly).get(`/v1/members/${member.id}`), 403, 'insufficient_scope');
    });
  });

  describe('GET /v1/members', () => {
    it('finds a member by externalId', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      await enrol(apiKey, { externalId: 'find-a' });
      const b = await enrol(apiKey, { externalId: 'find-b' });
      const page = ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?externalId=find-b'));
      expect(page).toEqual({ data: [b], nextCursor: null });
    });

    it('answers an empty page for an externalId nobody has', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      await enrol(apiKey, { externalId: 'someone' });
      expect(ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?externalId=nobody'))).toEqual({ data: [], nextCursor: null });
    });

    it('finds a member by email through the blind index, whatever the case of the query', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const anna = await enrol(apiKey, { externalId: 'anna', email: 'Anna@Example.com' });
      await enrol(apiKey, { externalId: 'bram', email: 'bram@example.com' });
      for (const email of ['anna@example.com', 'ANNA@EXAMPLE.COM', 'Anna@Example.com']) {
        const page = ok<Page<MemberView>>(await api.as(apiKey).get(`/v1/members?email=${encodeURIComponent(email)}`));
        expect(page.data.map((m) => m.id)).toEqual([anna.id]);
      }
    });

    it('answers an empty page for an email nobody has', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      await enrol(apiKey, { externalId: 'anna', email: 'anna@example.com' });
      const page = ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?email=anne%40example.com'));
      expect(page).toEqual({ data: [], nextCursor: null });
    });

    it('pages through all members with limit and cursor, each exactly once, ending with nextCursor null', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await enrol(apiKey, { externalId: `page-${i}` })).id);
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const url: string = `/v1/members?limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const page: Page<MemberView> = ok<Page<MemberView>>(await api.as(apiKey).get(url));
        sizes.push(page.data.length);
        seen.push(...page.data.map((m) => m.id));
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(cursor).toBeNull();
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...created].sort());
    });

    it('gives no nextCursor when the last page is exactly full', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      for (let i = 0; i < 4; i++) await enrol(apiKey, { externalId: `full-${i}` });
      const first = ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?limit=2'));
      expect(first.nextCursor).not.toBeNull();
      const second = ok<Page<MemberView>>(await api.as(apiKey).get(`/v1/members?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`));
      expect(second.data).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
    });

    it('lists 50 members by default', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      for (let i = 0; i < 51; i++) await givenMember(db.ctx, programId);
      const page = ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members'));
      expect(page.data).toHaveLength(50);
      expect(page.nextCursor).not.toBeNull();
    });

    it('refuses a cursor it did not hand out: 400 invalid_cursor', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      await enrol(apiKey, { externalId: 'c-1' });
      expectProblem(await api.as(apiKey).get('/v1/members?cursor=not-a-cursor'), 400, 'invalid_cursor');
      const wrongShape = Buffer.from(JSON.stringify({ transactionId: 'ltx_x', line: 0 })).toString('base64url');
      expectProblem(await api.as(apiKey).get(`/v1/members?cursor=${wrongShape}`), 400, 'invalid_cursor');
    });

    it('names the cursor parameter in an invalid_cursor problem the same way it names other query parameters', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const limitProblem = expectProblem(await api.as(apiKey).get('/v1/members?limit=0'), 400, 'validation_failed');
      const cursorProblem = expectProblem(await api.as(apiKey).get('/v1/members?cursor=not-a-cursor'), 400, 'invalid_cursor');
      const limitPointer = limitProblem.errors?.[0]?.pointer ?? '';
      expect(limitPointer).toMatch(/\/limit$/);
      expect(cursorProblem.errors?.[0]?.pointer).toBe(limitPointer.replace(/\/limit$/, '/cursor'));
    });

    it('refuses limit 0, 500 and a non-number with 400 validation_failed at /querystring/limit', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      for (const limit of ['0', '500', '201', 'ten', '-1', '2.5']) {
        expectProblem(await api.as(apiKey).get(`/v1/members?limit=${limit}`), 400, 'validation_failed', '/querystring/limit');
      }
    });

    it('accepts the largest limit, 200', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      await enrol(apiKey, { externalId: 'one' });
      expect(ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?limit=200')).data).toHaveLength(1);
    });

    it('refuses a request without a key with 401', async () => {
      await givenProgram(db.ctx);
      expectProblem(await api.request({ method: 'GET', url: '/v1/members' }), 401, 'unauthenticated');
    });
  });

  describe('PATCH /v1/members/:id', () => {
    it('changes name and email, normalising the email, and the member is found by the new email only', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'patch-1', email: 'old@example.com', name: 'Old Name' });
      db.clock.advanceDays(1);
      const response = await api.as(apiKey).patch(`/v1/members/${member.id}`, { name: 'New Name', email: 'New@Example.COM' });
      const updated = ok<MemberView>(response);
      expect(updated).toMatchObject({ id: member.id, externalId: 'patch-1', name: 'New Name', email: 'new@example.com', createdAt: START });
      expect(updated.updatedAt).toBe('2026-03-16T12:00:00.000Z');
      expect(ok<MemberView>(await api.as(apiKey).get(`/v1/members/${member.id}`))).toEqual(updated);
      expect(ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?email=new%40example.com')).data.map((m) => m.id)).toEqual([member.id]);
      expect(ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?email=old%40example.com')).data).toEqual([]);
    });

    it('removes the email with null, so the old email finds nobody', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'patch-null', email: 'gone@example.com' });
      const updated = ok<MemberView>(await api.as(apiKey).patch(`/v1/members/${member.id}`, { email: null }));
      expect(updated.email).toBeNull();
      expect(ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?email=gone%40example.com')).data).toEqual([]);
    });

    it('merges attributes key by key: new keys are added, changed keys replaced, null removes a key', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'patch-attr', attributes: { city: 'Utrecht', vip: true, shoeSize: 42 } });
      const updated = ok<MemberView>(await api.as(apiKey).patch(`/v1/members/${member.id}`, { attributes: { vip: null, city: 'Delft', newsletter: 'weekly' } }));
      expect(updated.attributes).toEqual({ city: 'Delft', shoeSize: 42, newsletter: 'weekly' });
    });

    it('leaves fields that the body does not mention as they were', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'patch-keep', email: 'keep@example.com', name: 'Keep', attributes: { a: 1 } });
      const updated = ok<MemberView>(await api.as(apiKey).patch(`/v1/members/${member.id}`, { locale: 'nl' }));
      expect(updated).toEqual({ ...member, locale: 'nl', updatedAt: updated.updatedAt });
    });

    it('changes the externalId, after which the member is found by the new one', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'before' });
      expect(ok<MemberView>(await api.as(apiKey).patch(`/v1/members/${member.id}`, { externalId: 'after' })).externalId).toBe('after');
      expect(ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?externalId=after')).data.map((m) => m.id)).toEqual([member.id]);
      expect(ok<Page<MemberView>>(await api.as(apiKey).get('/v1/members?externalId=before')).data).toEqual([]);
    });

    it('accepts the member\'s own externalId unchanged', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'same' });
      expect(ok<MemberView>(await api.as(apiKey).patch(`/v1/members/${member.id}`, { externalId: 'same' })).externalId).toBe('same');
    });

    it('blocks a member: a purchase afterwards earns nothing and the balance stays, until unblocked', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'to-block' });
      const earned = await purchase(apiKey, member.id, 1000);
      expect(earned.body.awarded.map((a) => a.points)).toEqual([10]);
      const blocked = ok<MemberView>(await api.as(apiKey).patch(`/v1/members/${member.id}`, { status: 'blocked' }));
      expect(blocked.status).toBe('blocked');
      const whileBlocked = await purchase(apiKey, member.id, 5000);
      expect(whileBlocked.body.awarded).toEqual([]);
      expect(whileBlocked.body.balance).toEqual({ available: 10, pending: 0 });
      const balance = ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`));
      expect(balance).toMatchObject({ available: 10, pending: 0, lifetimeEarned: 10 });
      ok<MemberView>(await api.as(apiKey).patch(`/v1/members/${member.id}`, { status: 'active' }));
      expect((await purchase(apiKey, member.id, 2000)).body.awarded.map((a) => a.points)).toEqual([20]);
    });

    it("refuses another member's externalId: 409 member_external_id_taken at /externalId, nothing changed", async () => {
      const { apiKey } = await givenProgram(db.ctx);
      await enrol(apiKey, { externalId: 'taken' });
      const member = await enrol(apiKey, { externalId: 'mine', name: 'Mine' });
      const before = await snapshot(db, api, apiKey, [member.id]);
      const response = await api.as(apiKey).patch(`/v1/members/${member.id}`, { externalId: 'taken', name: 'Changed' });
      expectProblem(response, 409, 'member_external_id_taken', '/externalId');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses an empty body: 400 validation_failed, nothing changed', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'empty-patch' });
      const before = await snapshot(db, api, apiKey, [member.id]);
      expectProblem(await api.as(apiKey).patch(`/v1/members/${member.id}`, {}), 400, 'validation_failed');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses an unknown status and an unknown field, each at its pointer, nothing changed', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'bad-patch' });
      const before = await snapshot(db, api, apiKey, [member.id]);
      expectProblem(await api.as(apiKey).patch(`/v1/members/${member.id}`, { status: 'erased' }), 400, 'validation_failed', '/status');
      expectProblem(await api.as(apiKey).patch(`/v1/members/${member.id}`, { balance: { available: 1_000 } }), 400, 'validation_failed', '/balance');
      expectProblem(await api.as(apiKey).patch(`/v1/members/${member.id}`, { referralCode: 'AAAAAAAA' }), 400, 'validation_failed', '/referralCode');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses merged attributes over 8 KiB at /attributes, nothing changed', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'attr-grow', attributes: { a: 'x'.repeat(5_000) } });
      const before = await snapshot(db, api, apiKey, [member.id]);
      const response = await api.as(apiKey).patch(`/v1/members/${member.id}`, { attributes: { b: 'y'.repeat(5_000) }, name: 'Not Saved' });
      expectProblem(response, 400, 'validation_failed', '/attributes');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses malformed JSON with 400 malformed_json, nothing changed', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'patch-json' });
      const before = await snapshot(db, api, apiKey, [member.id]);
      const response = await api.request({
        method: 'PATCH',
        url: `/v1/members/${member.id}`,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload: '{"name":',
      });
      expectProblem(response, 400, 'malformed_json');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('answers 404 member_not_found for an unknown member, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      expectProblem(await api.as(apiKey).patch('/v1/members/mbr_01h0000000000000000000000', { name: 'Ghost' }), 404, 'member_not_found');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('refuses a request without a key with 401 and a key without members:write with 403, nothing changed', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'patch-auth', name: 'Original' });
      const readOnly = await keyWithScopes(programId, ['members:read']);
      const before = await snapshot(db, api, apiKey, [member.id]);
      expectProblem(await api.request({ method: 'PATCH', url: `/v1/members/${member.id}`, payload: { name: 'Anon' } }), 401, 'unauthenticated');
      expectProblem(await api.as(readOnly).patch(`/v1/members/${member.id}`, { status: 'blocked' }), 403, 'insufficient_scope');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });
  });

  describe('tenant isolation', () => {
    it("answers 404 member_not_found to another programme's key on every member route, and changes nothing", async () => {
      const owner = await givenProgram(db.ctx);
      const member = await enrol(owner.apiKey, { externalId: 'private', email: 'private@example.com', name: 'Private' });
      ok(await adjust(owner.apiKey, member.id, 100), 201);
      const intruder = await givenProgram(db.ctx);
      const before = await snapshot(db, api, owner.apiKey, [member.id]);
      const as = api.as(intruder.apiKey);
      expectProblem(await as.get(`/v1/members/${member.id}`), 404, 'member_not_found');
      expectProblem(await as.patch(`/v1/members/${member.id}`, { name: 'Hijacked', status: 'blocked' }), 404, 'member_not_found');
      expectProblem(await as.get(`/v1/members/${member.id}/balance`), 404, 'member_not_found');
      expectProblem(await as.get(`/v1/members/${member.id}/ledger`), 404, 'member_not_found');
      expectProblem(await adjust(intruder.apiKey, member.id, -100, 'steal'), 404, 'member_not_found');
      expectProblem(await adjust(intruder.apiKey, member.id, 500, 'gift'), 404, 'member_not_found');
      expect(await snapshot(db, api, owner.apiKey, [member.id])).toEqual(before);
    });

    it("does not list or find another programme's members by externalId or email", async () => {
      const owner = await givenProgram(db.ctx);
      await enrol(owner.apiKey, { externalId: 'owned', email: 'owned@example.com' });
      const intruder = await givenProgram(db.ctx);
      const as = api.as(intruder.apiKey);
      expect(ok<Page<MemberView>>(await as.get('/v1/members'))).toEqual({ data: [], nextCursor: null });
      expect(ok<Page<MemberView>>(await as.get('/v1/members?externalId=owned')).data).toEqual([]);
      expect(ok<Page<MemberView>>(await as.get('/v1/members?email=owned%40example.com')).data).toEqual([]);
    });

    it("lets a member take an externalId that only another programme's member has", async () => {
      const owner = await givenProgram(db.ctx);
      await enrol(owner.apiKey, { externalId: 'ext-1' });
      const other = await givenProgram(db.ctx);
      const theirs = await enrol(other.apiKey, { externalId: 'ext-2' });
      expect(ok<MemberView>(await api.as(other.apiKey).patch(`/v1/members/${theirs.id}`, { externalId: 'ext-1' })).externalId).toBe('ext-1');
    });

    it("treats one programme's Idempotency-Key as unrelated to the same key in another programme", async () => {
      const first = await givenProgram(db.ctx);
      const second = await givenProgram(db.ctx);
      const a = await enrol(first.apiKey, { externalId: 'idem-a' });
      const b = await enrol(second.apiKey, { externalId: 'idem-b' });
      const headers = { 'idempotency-key': 'shared-key' };
      expect(ok<AdjustmentView>(await adjust(first.apiKey, a.id, 10, 'x', headers), 201).memberId).toBe(a.id);
      const response = await adjust(second.apiKey, b.id, 20, 'y', headers);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(ok<AdjustmentView>(response, 201)).toMatchObject({ memberId: b.id, points: 20 });
    });
  });

  describe('GET /v1/members/:id/balance', () => {
    it('answers available, pending, lifetimeEarned and an empty expiring list for a new member', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'bal-new' });
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`))).toEqual({
        available: 0,
        pending: 0,
        lifetimeEarned: 0,
        expiring: [],
      });
    });

    it('shows when a purchase expires in a programme with expiryMonths', async () => {
      const { apiKey } = await givenProgram(db.ctx, { expiryMonths: 12 });
      const member = await enrol(apiKey, { externalId: 'bal-exp' });
      await purchase(apiKey, member.id, 7000);
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`))).toEqual({
        available: 70,
        pending: 0,
        lifetimeEarned: 70,
        expiring: [{ points: 70, expiresAt: '2027-03-15T12:00:00.000Z' }],
      });
    });

    it('lists expiries soonest first and spends the soonest-expiring points first', async () => {
      const { apiKey } = await givenProgram(db.ctx, { expiryMonths: 12 });
      const member = await enrol(apiKey, { externalId: 'bal-two' });
      await purchase(apiKey, member.id, 4000);
      db.clock.set('2026-04-20T09:00:00Z');
      await purchase(apiKey, member.id, 3000);
      ok(await adjust(apiKey, member.id, -30, 'redeemed at the till'), 201);
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`))).toEqual({
        available: 40,
        pending: 0,
        lifetimeEarned: 70,
        expiring: [
          { points: 10, expiresAt: '2027-03-15T12:00:00.000Z' },
          { points: 30, expiresAt: '2027-04-20T09:00:00.000Z' },
        ],
      });
    });

    it('shows purchase points as pending during the return window', async () => {
      const { apiKey } = await givenProgram(db.ctx, { pendingDays: 14 });
      const member = await enrol(apiKey, { externalId: 'bal-pending' });
      await purchase(apiKey, member.id, 5000);
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`))).toMatchObject({
        available: 0,
        pending: 50,
        lifetimeEarned: 50,
      });
    });

    it('shows no expiry for points of a programme without expiryMonths', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'bal-noexp' });
      await purchase(apiKey, member.id, 2500);
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`))).toEqual({
        available: 25,
        pending: 0,
        lifetimeEarned: 25,
        expiring: [],
      });
    });

    it('answers 404 member_not_found for an unknown member and 401 without a key', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      expectProblem(await api.as(apiKey).get('/v1/members/mbr_01h0000000000000000000000/balance'), 404, 'member_not_found');
      const member = await givenMember(db.ctx, programId);
      expectProblem(await api.request({ method: 'GET', url: `/v1/members/${member.id}/balance` }), 401, 'unauthenticated');
    });
  });

  describe('GET /v1/members/:id/ledger', () => {
    it('lists entries newest first, each with its kind, reason, rule and event', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'ledger-1' });
      const first = ok<AdjustmentView>(await adjust(apiKey, member.id, 100, 'welcome gift'), 201);
      const bought = await purchase(apiKey, member.id, 2599);
      const baseRule = bought.body.awarded[0];
      expect(baseRule).toBeDefined();
      const taken = ok<AdjustmentView>(await adjust(apiKey, member.id, -30, 'wrong scan'), 201);
      const ledger = ok<Page<LedgerEntryView>>(await api.as(apiKey).get(`/v1/members/${member.id}/ledger`));
      expect(ledger.nextCursor).toBeNull();
      expect(ledger.data).toHaveLength(3);
      expect(ledger.data[0]).toMatchObject({
        transactionId: taken.transactionId,
        kind: 'adjustment',
        account: 'member_available',
        points: -30,
        reason: 'wrong scan',
        ruleId: null,
        eventId: null,
        createdAt: START,
      });
      expect(ledger.data[1]).toMatchObject({
        kind: 'earn',
        account: 'member_available',
        points: 25,
        ruleId: baseRule?.ruleId,
        ruleVersion: baseRule?.ruleVersion,
        eventId: bought.id,
        reason: `purchase event ${bought.id}`,
      });
      expect(ledger.data[2]).toMatchObject({
        transactionId: first.transactionId,
        kind: 'adjustment',
        account: 'member_available',
        points: 100,
        reason: 'welcome gift',
        ruleId: null,
        eventId: null,
      });
      for (const e of ledger.data) expect(e.lotId).toMatch(/^lot_/);
      expect(ledger.data.reduce((sum, e) => sum + e.points, 0)).toBe(95);
    });

    it('pages through the ledger with limit and cursor, each entry once, newest first', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'ledger-pages' });
      for (let i = 1; i <= 5; i++) ok(await adjust(apiKey, member.id, i, `gift ${i}`), 201);
      const all = ok<Page<LedgerEntryView>>(await api.as(apiKey).get(`/v1/members/${member.id}/ledger?limit=200`)).data;
      expect(all.map((e) => e.reason)).toEqual(['gift 5', 'gift 4', 'gift 3', 'gift 2', 'gift 1']);
      const paged: LedgerEntryView[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const url: string = `/v1/members/${member.id}/ledger?limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const page: Page<LedgerEntryView> = ok<Page<LedgerEntryView>>(await api.as(apiKey).get(url));
        sizes.push(page.data.length);
        paged.push(...page.data);
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(paged).toEqual(all);
    });

    it('pages correctly through a transaction with several entries for the member', async () => {
      // A negative adjustment across two lots writes two member entries in one transaction; a page boundary
      // between them must neither repeat nor skip one.
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'ledger-lines' });
      ok(await adjust(apiKey, member.id, 10, 'a'), 201);
      ok(await adjust(apiKey, member.id, 10, 'b'), 201);
      ok(await adjust(apiKey, member.id, -15, 'c'), 201);
      const all = ok<Page<LedgerEntryView>>(await api.as(apiKey).get(`/v1/members/${member.id}/ledger?limit=200`)).data;
      expect(all.map((e) => e.reason)).toEqual(['c', 'c', 'b', 'a']);
      const first = ok<Page<LedgerEntryView>>(await api.as(apiKey).get(`/v1/members/${member.id}/ledger?limit=1`));
      const rest = ok<Page<LedgerEntryView>>(
        await api.as(apiKey).get(`/v1/members/${member.id}/ledger?limit=200&cursor=${encodeURIComponent(first.nextCursor ?? '')}`),
      );
      expect([...first.data, ...rest.data]).toEqual(all);
    });

    it('answers an empty page for a member without movements', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'ledger-empty' });
      expect(ok<Page<LedgerEntryView>>(await api.as(apiKey).get(`/v1/members/${member.id}/ledger`))).toEqual({ data: [], nextCursor: null });
    });

    it('refuses an invalid cursor with 400 invalid_cursor and a bad limit with 400 validation_failed', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'ledger-bad' });
      expectProblem(await api.as(apiKey).get(`/v1/members/${member.id}/ledger?cursor=%7Bnope`), 400, 'invalid_cursor');
      const memberCursor = Buffer.from(JSON.stringify({ after: 'mbr_x' })).toString('base64url');
      expectProblem(await api.as(apiKey).get(`/v1/members/${member.id}/ledger?cursor=${memberCursor}`), 400, 'invalid_cursor');
      expectProblem(await api.as(apiKey).get(`/v1/members/${member.id}/ledger?limit=0`), 400, 'validation_failed', '/querystring/limit');
      expectProblem(await api.as(apiKey).get(`/v1/members/${member.id}/ledger?limit=500`), 400, 'validation_failed', '/querystring/limit');
    });

    it('answers 404 member_not_found for an unknown member and 401 without a key', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      expectProblem(await api.as(apiKey).get('/v1/members/mbr_01h0000000000000000000000/ledger'), 404, 'member_not_found');
      const member = await givenMember(db.ctx, programId);
      expectProblem(await api.request({ method: 'GET', url: `/v1/members/${member.id}/ledger` }), 401, 'unauthenticated');
    });
  });

  describe('POST /v1/members/:id/adjustments', () => {
    it('gives points: 201 with the adjustment and the new balance, available at once', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-plus' });
      const response = await adjust(apiKey, member.id, 100, 'service recovery');
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      const adjustment = ok<AdjustmentView>(response, 201);
      expect(adjustment.transactionId).toMatch(/^ltx_/);
      expect(adjustment).toMatchObject({ memberId: member.id, points: 100, reason: 'service recovery', createdAt: START, balance: { available: 100, pending: 0 } });
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`))).toMatchObject({ available: 100, pending: 0 });
    });

    it('takes points: -30 after +100 answers 201 with 70 available', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-minus' });
      ok(await adjust(apiKey, member.id, 100), 201);
      const adjustment = ok<AdjustmentView>(await adjust(apiKey, member.id, -30, 'duplicate award'), 201);
      expect(adjustment).toMatchObject({ points: -30, reason: 'duplicate award', balance: { available: 70, pending: 0 } });
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`)).available).toBe(70);
    });

    it('takes every available point, leaving exactly zero', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-all' });
      ok(await adjust(apiKey, member.id, 40), 201);
      expect(ok<AdjustmentView>(await adjust(apiKey, member.id, -40), 201).balance).toEqual({ available: 0, pending: 0 });
    });

    it('trims the reason', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-trim' });
      expect(ok<AdjustmentView>(await adjust(apiKey, member.id, 5, '  birthday  '), 201).reason).toBe('birthday');
    });

    it('refuses to take more than is available: 422 insufficient_points at /points, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-short' });
      ok(await adjust(apiKey, member.id, 100), 201);
      const before = await snapshot(db, api, apiKey, [member.id]);
      expectProblem(await adjust(apiKey, member.id, -1000, 'too much'), 422, 'insufficient_points', '/points');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('does not count pending points as available when taking points', async () => {
      const { apiKey } = await givenProgram(db.ctx, { pendingDays: 14 });
      const member = await enrol(apiKey, { externalId: 'adj-pending' });
      await purchase(apiKey, member.id, 5000);
      const before = await snapshot(db, api, apiKey, [member.id]);
      expectProblem(await adjust(apiKey, member.id, -10, 'too early'), 422, 'insufficient_points', '/points');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses points 0, fractions and points as a string (no coercion) at /points, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-bad' });
      ok(await adjust(apiKey, member.id, 10), 201);
      const before = await snapshot(db, api, apiKey, [member.id]);
      const post = (body: unknown) => api.as(apiKey).post(`/v1/members/${member.id}/adjustments`, body);
      expectProblem(await post({ points: 0, reason: 'nothing' }), 400, 'validation_failed', '/points');
      expectProblem(await post({ points: '5', reason: 'string' }), 400, 'validation_failed', '/points');
      expectProblem(await post({ points: 1.5, reason: 'fraction' }), 400, 'validation_failed', '/points');
      expectProblem(await post({ points: null, reason: 'null' }), 400, 'validation_failed', '/points');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses absurd amounts (2e9, -2e9, beyond safe integers) at /points, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-huge' });
      ok(await adjust(apiKey, member.id, 10), 201);
      const before = await snapshot(db, api, apiKey, [member.id]);
      for (const points of [2e9, -2e9, 1_000_000_001, 2 ** 53, 1e300]) {
        expectProblem(await adjust(apiKey, member.id, points, 'absurd'), 400, 'validation_failed', '/points');
      }
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses a missing, empty or blank reason at /reason, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-reason' });
      const before = await snapshot(db, api, apiKey, [member.id]);
      const post = (body: unknown) => api.as(apiKey).post(`/v1/members/${member.id}/adjustments`, body);
      expectProblem(await post({ points: 10 }), 400, 'validation_failed', '/reason');
      expectProblem(await post({ points: 10, reason: '' }), 400, 'validation_failed', '/reason');
      expectProblem(await post({ points: 10, reason: '   ' }), 400, 'validation_failed', '/reason');
      expectProblem(await post({ points: 10, reason: 'r'.repeat(501) }), 400, 'validation_failed', '/reason');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses an unknown field and malformed JSON, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-shape' });
      const before = await snapshot(db, api, apiKey, [member.id]);
      expectProblem(
        await api.as(apiKey).post(`/v1/members/${member.id}/adjustments`, { points: 10, reason: 'x', expiresAt: '2030-01-01T00:00:00Z' }),
        400,
        'validation_failed',
        '/expiresAt',
      );
      const malformed = await api.request({
        method: 'POST',
        url: `/v1/members/${member.id}/adjustments`,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload: '{"points": 10, "reason": ',
      });
      expectProblem(malformed, 400, 'malformed_json');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('answers 404 member_not_found for an unknown member, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const before = await snapshot(db, api, apiKey);
      expectProblem(await adjust(apiKey, 'mbr_01h0000000000000000000000', 50, 'ghost'), 404, 'member_not_found');
      expect(await snapshot(db, api, apiKey)).toEqual(before);
    });

    it('replays the same Idempotency-Key and body: 200, idempotent-replayed: true, identical body, balance changed once', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-idem' });
      const headers = { 'idempotency-key': 'adj-key-1' };
      const first = await adjust(apiKey, member.id, 100, 'goodwill', headers);
      const firstBody = ok<AdjustmentView>(first, 201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const afterFirst = await snapshot(db, api, apiKey, [member.id]);
      db.clock.advanceDays(1);
      const again = await adjust(apiKey, member.id, 100, 'goodwill', headers);
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(firstBody);
      expect(ok<BalanceView>(await api.as(apiKey).get(`/v1/members/${member.id}/balance`)).available).toBe(100);
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(afterFirst);
    });

    it('replays a body whose keys come in another order as the same request', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-order' });
      const headers = { 'idempotency-key': 'adj-key-order' };
      const url = `/v1/members/${member.id}/adjustments`;
      const first = ok<AdjustmentView>(await api.as(apiKey).post(url, { points: 7, reason: 'r' }, headers), 201);
      const again = await api.as(apiKey).post(url, { reason: 'r', points: 7 }, headers);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first);
    });

    it('refuses the same Idempotency-Key with a different body: 409 idempotency_key_reused_with_different_body, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-reuse' });
      const headers = { 'idempotency-key': 'adj-key-2' };
      ok(await adjust(apiKey, member.id, 100, 'goodwill', headers), 201);
      const before = await snapshot(db, api, apiKey, [member.id]);
      expectProblem(await adjust(apiKey, member.id, 500, 'goodwill', headers), 409, 'idempotency_key_reused_with_different_body');
      expectProblem(await adjust(apiKey, member.id, 100, 'another reason', headers), 409, 'idempotency_key_reused_with_different_body');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses the same Idempotency-Key for another member of the programme with 409, nothing written', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const a = await enrol(apiKey, { externalId: 'adj-a' });
      const b = await enrol(apiKey, { externalId: 'adj-b' });
      const headers = { 'idempotency-key': 'adj-key-3' };
      ok(await adjust(apiKey, a.id, 100, 'goodwill', headers), 201);
      const before = await snapshot(db, api, apiKey, [a.id, b.id]);
      expectProblem(await adjust(apiKey, b.id, 100, 'goodwill', headers), 409, 'idempotency_key_reused_with_different_body');
      expect(await snapshot(db, api, apiKey, [a.id, b.id])).toEqual(before);
    });

    it('does not spend an Idempotency-Key on a refused request: the retry after a top-up succeeds', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-retry' });
      const headers = { 'idempotency-key': 'adj-key-4' };
      expectProblem(await adjust(apiKey, member.id, -50, 'take', headers), 422, 'insufficient_points', '/points');
      ok(await adjust(apiKey, member.id, 80, 'top-up'), 201);
      const retried = await adjust(apiKey, member.id, -50, 'take', headers);
      expect(ok<AdjustmentView>(retried, 201).balance).toEqual({ available: 30, pending: 0 });
    });

    it('refuses an empty Idempotency-Key header with 400 naming the header', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-empty-key' });
      const before = await snapshot(db, api, apiKey, [member.id]);
      const problem = expectProblem(await adjust(apiKey, member.id, 10, 'x', { 'idempotency-key': '' }), 400, 'validation_failed');
      expect(problem.errors?.[0]?.pointer).toMatch(/idempotency-key/);
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });

    it('refuses a request without a key with 401 and a read-only key with 403, nothing written', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await enrol(apiKey, { externalId: 'adj-auth' });
      const readOnly = await keyWithScopes(programId, ['members:read']);
      const before = await snapshot(db, api, apiKey, [member.id]);
      const anonymous = await api.request({ method: 'POST', url: `/v1/members/${member.id}/adjustments`, payload: { points: 10, reason: 'x' } });
      expectProblem(anonymous, 401, 'unauthenticated');
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer /);
      expectProblem(await adjust(FORGED_KEY, member.id, 10), 401, 'unauthenticated');
      expectProblem(await adjust(readOnly, member.id, 10), 403, 'insufficient_scope');
      expect(await snapshot(db, api, apiKey, [member.id])).toEqual(before);
    });
  });
});
