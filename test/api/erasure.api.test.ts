/**
 * Erasure over HTTP, on every dialect: `POST /v1/members/{id}/erase` by the business (support, on a member's
 * request) and `POST /v1/portal/{slug}/erase` by the member themselves. Refusals write nothing; after erasure
 * the member's token opens nothing.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import { issueMemberToken } from '../../src/services/portal/portal-settings.service.js';
import type { MemberView } from '../../src/services/views.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

async function members(db: TestDatabase) {
  return (await sql`select id, external_id, email_cipher, status, available from members order by id`.execute(db.ctx.storage.db.withoutPlugins())).rows;
}

forEachDialect('erasure api', (db) => {
  const api = useApi(db);

  describe('POST /v1/members/{id}/erase', () => {
    it('erases and forfeits, answering with the erased member', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { externalId: 'c-1', email: 'lotte@example.nl', points: 120 });
      const response = await api.as(apiKey).post(`/v1/members/${member.id}/erase`, { reason: 'request by e-mail, ticket 4411' });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<{ member: MemberView; pointsForfeited: number }>();
      expect(body.pointsForfeited).toBe(120);
      expect(body.member).toMatchObject({ id: member.id, status: 'erased', email: null, externalId: `erased:${member.id}`, balance: { available: 0, pending: 0 } });
      expectProblem(await api.as(apiKey).patch(`/v1/members/${member.id}`, { status: 'active' }), 409, 'member_erased');
    });

    it('refuses without a reason, without members:write and for another programme’s member, writing nothing', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const other = await givenProgram(db.ctx, { name: 'Other' });
      const member = await givenMember(db.ctx, programId, { externalId: 'c-1', email: 'lotte@example.nl', points: 120 });
      const reader = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'reader', ['members:read']));
      const before = await members(db);
      expectProblem(await api.as(apiKey).post(`/v1/members/${member.id}/erase`, {}), 400, 'validation_failed', '/reason');
      expectProblem(await api.as(reader).post(`/v1/members/${member.id}/erase`, { reason: 'x' }), 403, 'insufficient_scope');
      expectProblem(await api.as(other.apiKey).post(`/v1/members/${member.id}/erase`, { reason: 'x' }), 404, 'member_not_found');
      expect(await members(db)).toEqual(before);
    });
  });

  describe('POST /v1/portal/{slug}/erase', () => {
    it('lets the member erase themselves; their token then opens nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { externalId: 'c-9', email: 'sem@example.nl', points: 40 });
      const { token, slug } = await issueMemberToken(db.ctx, programId, 'c-9');
      const asMember = (method: 'GET' | 'POST', path: string, payload?: object) =>
        api.request({ method, url: `/v1/portal/${slug}/${path}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

      const before = await members(db);
      expectProblem(await asMember('POST', 'erase', { confirm: false }), 400, 'validation_failed', '/confirm');
      expect(await members(db)).toEqual(before);

      const erased = await asMember('POST', 'erase', { confirm: true });
      expect(erased.statusCode, erased.body).toBe(200);
      expect(erased.json()).toEqual({ pointsForfeited: 40 });
      expect((await members(db)).find((row) => (row as { id: string }).id === member.id)).toMatchObject({ status: 'erased', email_cipher: null });
      expectProblem(await asMember('GET', 'me'), 401, 'portal_token_invalid');
    });
  });
});
