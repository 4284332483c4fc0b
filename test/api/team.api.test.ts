/**
 * Owners' pages over HTTP, on every dialect: the team (roles, the last owner), secret API keys (shown once,
 * listed by prefix, revoked at once) and the audit log (who, what, before and after, secrets redacted).
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntryView } from '../../src/services/team/audit.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';
import { givenUser, logIn, signedIn, testPassword } from '../support/sessions.js';

async function teamRows(db: TestDatabase) {
  return {
    users: await db.ctx.storage.db.selectFrom('users').select(['id', 'passwordHash']).orderBy('id').execute(),
    members: await db.ctx.storage.db.selectFrom('teamMembers').selectAll().orderBy('userId').execute(),
  };
}

forEachDialect('team api', (db) => {
  const api = useApi(db);

  async function auditLog(owner: { get(url: string): Promise<{ json<T>(): T; statusCode: number }> }) {
    const response = await owner.get('/v1/audit-log');
    expect(response.statusCode).toBe(200);
    return response.json<{ data: AuditEntryView[]; nextCursor: string | null }>().data;
  }

  describe('/v1/team', () => {
    it('lists the team and adds a new user with a temporary password shown once', async () => {
      const { programId } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner', 'owner@koffie.nl');
      const added = await owner.send('POST', '/v1/team', { email: 'Sanne@Koffie.nl', name: 'Sanne', role: 'support' });
      expect(added.statusCode, added.body).toBe(201);
      const body = added.json<{ member: { userId: string }; temporaryPassword: string }>();
      expect(body.member).toMatchObject({ email: 'sanne@koffie.nl', name: 'Sanne', role: 'support' });
      expect(body.temporaryPassword.length).toBeGreaterThanOrEqual(12);
      expect((await logIn(api, 'sanne@koffie.nl', body.temporaryPassword)).csrfToken).toBeTruthy();

      const list = await owner.get('/v1/team');
      expect(list.json<{ data: { email: string; role: string }[] }>().data.map((m) => [m.email, m.role])).toEqual([
        ['owner@koffie.nl', 'owner'],
        ['sanne@koffie.nl', 'support'],
      ]);
      expect(JSON.stringify(await teamRows(db))).not.toContain(body.temporaryPassword);
    });

    it('adds an existing user of another programme without a new password, and refuses a second role', async () => {
      const { programId } = await givenProgram(db.ctx);
      const other = await givenProgram(db.ctx, { name: 'Elders' });
      const existing = await givenUser(db, other.programId, 'owner');
      const owner = await signedIn(api, db, programId, 'owner');
      const added = await owner.send('POST', '/v1/team', { email: existing.email, role: 'analyst' });
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json<object>()).not.toHaveProperty('temporaryPassword');
      expect((await logIn(api, existing.email, testPassword)).cookie).toBeTruthy();
      const before = await teamRows(db);
      expectProblem(await owner.send('POST', '/v1/team', { email: existing.email, role: 'manager' }), 409, 'team_member_exists');
      expect(await teamRows(db)).toEqual(before);
    });

    it('names a bad role or address and writes nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner');
      const before = await teamRows(db);
      expectProblem(await owner.send('POST', '/v1/team', { email: 'x@koffie.nl', role: 'admin' }), 400, 'validation_failed', '/role');
      expectProblem(await owner.send('POST', '/v1/team', { email: 'not-an-address', role: 'analyst' }), 400, 'validation_failed', '/email');
      expect(await teamRows(db)).toEqual(before);
    });

    it("changes a role and keeps the programme's last owner", async () => {
      const { programId } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner');
      const support = await givenUser(db, programId, 'support');
      const promoted = await owner.send('PATCH', `/v1/team/${support.userId}`, { role: 'manager' });
      expect(promoted.statusCode, promoted.body).toBe(200);
      expect(promoted.json<{ role: string }>().role).toBe('manager');

      expectProblem(await owner.send('PATCH', `/v1/team/${owner.userId}`, { role: 'manager' }), 409, 'last_owner');
      expectProblem(await owner.send('DELETE', `/v1/team/${owner.userId}`), 409, 'last_owner');
      expectProblem(await owner.send('PATCH', '/v1/team/usr_nobody', { role: 'manager' }), 404, 'user_not_found');
      expectProblem(await owner.send('DELETE', '/v1/team/usr_nobody'), 404, 'user_not_found');

      // With a second owner, the first may step down.
      await owner.send('PATCH', `/v1/team/${support.userId}`, { role: 'owner' });
      expect((await owner.send('PATCH', `/v1/team/${owner.userId}`, { role: 'analyst' })).statusCode).toBe(200);
      expectProblem(await owner.get('/v1/team'), 403, 'insufficient_scope');
    });

    it('removing someone takes their access to the programme away at once', async () => {
      const { programId } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner');
      const manager = await signedIn(api, db, programId, 'manager');
      expect((await manager.get('/v1/program')).statusCode).toBe(200);
      expect((await owner.send('DELETE', `/v1/team/${manager.userId}`)).statusCode).toBe(204);
      expectProblem(await manager.get('/v1/program'), 403, 'program_access_denied');
      expect((await owner.get('/v1/team')).json<{ data: unknown[] }>().data).toHaveLength(1);
    });

    it('is for owners only', async () => {
      const { programId } = await givenProgram(db.ctx);
      const manager = await signedIn(api, db, programId, 'manager');
      expectProblem(await manager.get('/v1/team'), 403, 'insufficient_scope');
      expectProblem(await manager.send('POST', '/v1/team', { email: 'x@koffie.nl', role: 'owner' }), 403, 'insufficient_scope');
      expect((await teamRows(db)).members).toHaveLength(1);
    });
  });

  describe('/v1/api-keys', () => {
    it('shows a new key once, lists keys by prefix, and a revoked key stops working at once', async () => {
      const { programId, apiKey: firstKey } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner');
      const created = await owner.send('POST', '/v1/api-keys', { name: 'reporting', scopes: ['members:read'] });
      expect(created.statusCode, created.body).toBe(201);
      const key = created.json<{ id: string; key: string; prefix: string }>();
      expect(key.key.startsWith(key.prefix)).toBe(true);
      expect(created.json<object>()).toMatchObject({ name: 'reporting', scopes: ['members:read'], revokedAt: null });

      const list = await owner.get('/v1/api-keys');
      expect(list.body).not.toContain(key.key);
      expect(list.json<{ data: { id: string; prefix: string }[] }>().data.map((k) => k.prefix)).toEqual([key.prefix, firstKey.slice(0, 11)]);

      // Used (and so cached) before the revocation: it must still be refused right after.
      expect((await api.as(key.key).get('/v1/members')).statusCode).toBe(200);
      const revoked = await owner.send('DELETE', `/v1/api-keys/${key.id}`);
      expect(revoked.statusCode, revoked.body).toBe(200);
      expect(revoked.json<{ revokedAt: string }>().revokedAt).toBe(new Date(db.clock.now()).toISOString());
      expectProblem(await api.as(key.key).get('/v1/members'), 401, 'unauthenticated');
      expect((await owner.send('DELETE', `/v1/api-keys/${key.id}`)).statusCode).toBe(200);
    });

    it("can be managed with an owner's API key too, and refuses another programme's key", async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const other = await givenProgram(db.ctx, { name: 'Elders' });
      const otherKeys = await api.as(other.apiKey).get('/v1/api-keys');
      const otherId = otherKeys.json<{ data: { id: string }[] }>().data[0]?.id ?? '';
      expectProblem(await api.as(apiKey).delete(`/v1/api-keys/${otherId}`), 404, 'api_key_not_found');
      expect((await api.as(other.apiKey).get('/v1/members')).statusCode).toBe(200);
      expectProblem(await api.as(apiKey).post('/v1/api-keys', { name: 'x', scopes: ['launch:rockets'] }), 400, 'validation_failed');
    });
  });

  describe('/v1/audit-log', () => {
    it("records a team user's write with before and after", async () => {
      const { programId } = await givenProgram(db.ctx, { name: 'Oud' });
      const manager = await signedIn(api, db, programId, 'manager', 'bas@koffie.nl');
      const owner = await signedIn(api, db, programId, 'owner');
      const patched = await manager.send('PATCH', '/v1/program', { name: 'Nieuw' });
      expect(patched.statusCode, patched.body).toBe(200);

      const [entry] = await auditLog(owner);
      expect(entry).toMatchObject({
        actor: { kind: 'user', id: manager.userId, label: 'bas@koffie.nl' },
        action: 'PATCH /v1/program',
        target: '/v1/program',
        before: { id: programId, name: 'Oud' },
        after: { id: programId, name: 'Nieuw' },
        at: new Date(db.clock.now()).toISOString(),
      });
    });

    it('takes the before of an action from the resource it acts on, and has none for a create', async () => {
      const { programId } = await givenProgram(db.ctx);
      const support = await signedIn(api, db, programId, 'support');
      const owner = await signedIn(api, db, programId, 'owner');
      const member = (await support.send('POST', '/v1/members', { externalId: 'c-1' })).json<{ id: string }>();
      const adjusted = await support.send('POST', `/v1/members/${member.id}/adjustments`, { points: 25, reason: 'goodwill' }, { 'idempotency-key': 'adj-1' });
      expect(adjusted.statusCode, adjusted.body).toBe(201);
      const entries = await auditLog(owner);
      expect(entries.map((e) => e.action)).toEqual(['POST /v1/members/:id/adjustments', 'POST /v1/members']);
      expect(entries[0]).toMatchObject({ target: `/v1/members/${member.id}/adjustments`, before: { id: member.id, balance: { available: 0 } } });
      expect(entries[1]).toMatchObject({ before: null, after: { id: member.id, externalId: 'c-1' } });
    });

    it('records team and key changes by anyone, with secrets redacted', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner');
      const created = (await api.as(apiKey).post('/v1/api-keys', { name: 'pos', scopes: ['events:write'] })).json<{ id: string; key: string }>();
      const added = (await owner.send('POST', '/v1/team', { email: 'nieuw@koffie.nl', role: 'analyst' })).json<{ member: { userId: string }; temporaryPassword: string }>();
      const hook = (await owner.send('POST', '/v1/webhooks', { url: 'https://example.com/hook', eventTypes: ['*'] })).json<{ secret: string }>();
      await owner.send('DELETE', `/v1/team/${added.member.userId}`);

      const entries = await auditLog(owner);
      expect(entries.map((e) => [e.actor.kind, e.action])).toEqual([
        ['user', 'DELETE /v1/team/:userId'],
        ['user', 'POST /v1/webhooks'],
        ['user', 'POST /v1/team'],
        ['api_key', 'POST /v1/api-keys'],
      ]);
      expect(entries[0]).toMatchObject({ before: { userId: added.member.userId, role: 'analyst' }, after: null });
      expect(entries[1]?.after).toMatchObject({ secret: '[redacted]' });
      expect(entries[2]?.after).toMatchObject({ member: { email: 'nieuw@koffie.nl' }, temporaryPassword: '[redacted]' });
      expect(entries[3]).toMatchObject({ actor: { label: expect.stringContaining(apiKey.slice(0, 11)) as string }, after: { id: created.id, key: '[redacted]' } });

      const stored = JSON.stringify(await db.ctx.storage.db.selectFrom('auditLog').selectAll().execute());
      for (const secret of [created.key, added.temporaryPassword, hook.secret, testPassword]) expect(stored).not.toContain(secret);
    });

    it('keeps logins and password changes out of the log', async () => {
      const { programId } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner');
      await owner.send('POST', '/v1/auth/password', { currentPassword: testPassword, newPassword: 'hagelslag-op-brood-42' });
      await owner.send('POST', '/v1/auth/logout');
      expect(await db.ctx.storage.db.selectFrom('auditLog').selectAll().execute()).toEqual([]);
    });

    it('pages newest first and is for owners only', async () => {
      const { programId } = await givenProgram(db.ctx);
      const owner = await signedIn(api, db, programId, 'owner');
      for (const name of ['A', 'B', 'C']) await owner.send('PATCH', '/v1/program', { name });
      const first = (await owner.get('/v1/audit-log?limit=2')).json<{ data: AuditEntryView[]; nextCursor: string }>();
      expect(first.data.map((e) => (e.after as { name: string }).name)).toEqual(['C', 'B']);
      const second = (await owner.get(`/v1/audit-log?limit=2&cursor=${first.nextCursor}`)).json<{ data: AuditEntryView[]; nextCursor: string | null }>();
      expect(second.data.map((e) => (e.after as { name: string }).name)).toEqual(['A']);
      expect(second.nextCursor).toBeNull();
      expectProblem(await owner.get('/v1/audit-log?cursor=bogus'), 400, 'invalid_cursor', '/querystring/cursor');
      for (const role of ['manager', 'support', 'analyst'] as const) {
        expectProblem(await (await signedIn(api, db, programId, role)).get('/v1/audit-log'), 403, 'insufficient_scope');
      }
    });
  });
});
