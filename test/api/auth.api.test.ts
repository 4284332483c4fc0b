/**
 * Team sign-in over HTTP, on every dialect: login and the session cookie, lock-out and the login rate limit,
 * sliding and absolute session expiry (moved with the test clock), logout, password change, and how the cookie
 * authenticates the rest of /v1 (programme header, CSRF token, role scopes) beside unchanged API keys.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';
import { givenUser, logIn, signedIn, testPassword } from '../support/sessions.js';

const minute = 60_000;
const hour = 60 * minute;

async function counts(db: TestDatabase) {
  const count = async (table: 'members' | 'sessions' | 'auditLog') =>
    Number((await db.ctx.storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst())?.n ?? 0);
  return { members: await count('members'), sessions: await count('sessions'), audit: await count('auditLog') };
}

forEachDialect('auth api', (db) => {
  const api = useApi(db);
  const login = (email: string, password: string, headers: Record<string, string> = {}) =>
    api.request({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, headers });
  const session = (cookie: string) => api.request({ method: 'GET', url: '/v1/auth/session', headers: { cookie } });

  describe('POST /v1/auth/login', () => {
    it('opens a session: user, programmes with roles, CSRF token, and an HttpOnly SameSite=Strict cookie', async () => {
      const { programId } = await givenProgram(db.ctx, { name: 'Koffiebar' });
      const other = await givenProgram(db.ctx, { name: 'Fietsen' });
      const user = await givenUser(db, programId, 'owner', 'Anna@Example.NL');
      await givenUser(db, other.programId, 'analyst', 'anna@example.nl');

      const response = await login('  ANNA@example.nl ', testPassword);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<{ user: unknown; programs: { id: string; role: string }[]; csrfToken: string }>();
      expect(body.user).toEqual({ id: user.userId, email: 'anna@example.nl', name: 'Test owner' });
      expect(body.programs).toEqual(expect.arrayContaining([{ id: programId, name: 'Koffiebar', role: 'owner' }, { id: other.programId, name: 'Fietsen', role: 'analyst' }]));
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const cookie = response.cookies.find((c) => c.name === 'trouw_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', maxAge: 7 * 24 * 3600 });
      expect(cookie?.secure).toBeFalsy();
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Only the token's hash is stored: the database does not hold a working cookie.
      const rows = await db.ctx.storage.db.selectFrom('sessions').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.id).toBe(crypto.createHash('sha256').update(cookie?.value ?? '').digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(cookie?.value);
      // The address is personal data: encrypted, found through its blind index.
      const users = await db.ctx.storage.db.selectFrom('users').selectAll().execute();
      expect(JSON.stringify(users)).not.toContain('anna@example.nl');
    });

    it('marks the cookie Secure when the operator says TLS ends at a proxy', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const app = await buildApp(db.ctx, { cookieSecure: true });
      try {
        const response = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: user.email, password: testPassword } });
        expect(response.cookies.find((c) => c.name === 'trouw_session')?.secure).toBe(true);
      } finally {
        await app.close();
      }
    });

    it('answers a wrong password and an unknown address alike', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const wrong = expectProblem(await login(user.email, 'not-the-password!'), 401, 'invalid_credentials');
      const unknown = expectProblem(await login('nobody@example.nl', 'not-the-password!'), 401, 'invalid_credentials');
      expect(unknown.detail).toBe(wrong.detail);
      expect((await counts(db)).sessions).toBe(0);
    });

    it('names a missing field', async () => {
      expectProblem(await api.request({ method: 'POST', url: '/v1/auth/login', payload: { email: 'a@b.nl' } }), 400, 'validation_failed', '/password');
    });

    it('locks the account for 15 minutes after 5 wrong passwords in a row, then lets the right one in', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      for (let i = 0; i < 5; i++) expectProblem(await login(user.email, `wrong-password-${i}`), 401, 'invalid_credentials');
      const locked = await login(user.email, testPassword);
      expectProblem(locked, 429, 'login_locked');
      expect(Number(locked.headers['retry-after'])).toBe(15 * 60);
      db.clock.current += 14 * minute;
      const still = await login(user.email, testPassword);
      expectProblem(still, 429, 'login_locked');
      expect(Number(still.headers['retry-after'])).toBe(60);
      db.clock.current += minute;
      expect((await login(user.email, testPassword)).statusCode).toBe(200);
    });

    it('counts failures in a row only: a success in between starts again', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      for (let i = 0; i < 4; i++) await login(user.email, 'wrong-password-x');
      expect((await login(user.email, testPassword)).statusCode).toBe(200);
      for (let i = 0; i < 4; i++) await login(user.email, 'wrong-password-y');
      expect((await login(user.email, testPassword)).statusCode).toBe(200);
    });

    it('limits one address to 10 login attempts a minute', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await login(`guess${i}@example.nl`, 'whatever-password')).statusCode);
      expect(statuses).toEqual(Array(10).fill(401));
      const limited = await login('guess11@example.nl', 'whatever-password');
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('GET /v1/auth/session', () => {
    it('gives the login body back, so a reloaded page recovers its CSRF token', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'support');
      const response = await login(user.email, testPassword);
      const { cookie } = await logIn(api, user.email);
      const restored = await session(cookie);
      expect(restored.statusCode).toBe(200);
      expect(Object.keys(restored.json<object>()).sort()).toEqual(Object.keys(response.json<object>()).sort());
      expect(restored.json<{ programs: unknown[] }>().programs).toEqual([{ id: programId, name: 'Koffie & Co', role: 'support' }]);
    });

    it('is 401 without a cookie or with an unknown one', async () => {
      expectProblem(await api.request({ method: 'GET', url: '/v1/auth/session' }), 401, 'unauthenticated');
      expectProblem(await session('trouw_session=made-up'), 401, 'unauthenticated');
    });

    it('ends after 12 hours without use, and slides while used', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const { cookie } = await logIn(api, user.email);
      db.clock.current += 11 * hour;
      expect((await session(cookie)).statusCode).toBe(200);
      db.clock.current += 11 * hour;
      expect((await session(cookie)).statusCode).toBe(200);
      db.clock.current += 12 * hour;
      expectProblem(await session(cookie), 401, 'unauthenticated');
      expect((await counts(db)).sessions).toBe(0);
    });

    it('ends 7 days after login however busy', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const { cookie } = await logIn(api, user.email);
      for (let elapsed = 0; elapsed + 11 * hour < 7 * 24 * hour; elapsed += 11 * hour) {
        db.clock.current += 11 * hour;
        expect((await session(cookie)).statusCode).toBe(200);
      }
      db.clock.current += 11 * hour;
      expectProblem(await session(cookie), 401, 'unauthenticated');
    });
  });

  describe('POST /v1/auth/logout', () => {
    it('ends the session and clears the cookie', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const { cookie, csrfToken } = await logIn(api, user.email);
      const response = await api.request({ method: 'POST', url: '/v1/auth/logout', headers: { cookie, 'x-csrf-token': csrfToken } });
      expect(response.statusCode).toBe(204);
      const cleared = response.cookies.find((c) => c.name === 'trouw_session');
      expect(cleared?.value).toBe('');
      expect(cleared?.expires?.getTime()).toBeLessThan(Date.now());
      expectProblem(await session(cookie), 401, 'unauthenticated');
    });

    it('needs the CSRF token', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const { cookie } = await logIn(api, user.email);
      expectProblem(await api.request({ method: 'POST', url: '/v1/auth/logout', headers: { cookie } }), 403, 'csrf_token_invalid');
      expect((await session(cookie)).statusCode).toBe(200);
    });
  });

  describe('POST /v1/auth/password', () => {
    it('changes the password, keeps this session and ends the others', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const here = await logIn(api, user.email);
      const elsewhere = await logIn(api, user.email);
      const response = await api.request({
        method: 'POST',
        url: '/v1/auth/password',
        headers: { cookie: here.cookie, 'x-csrf-token': here.csrfToken },
        payload: { currentPassword: testPassword, newPassword: 'hagelslag-op-brood-42' },
      });
      expect(response.statusCode, response.body).toBe(204);
      expect((await session(here.cookie)).statusCode).toBe(200);
      expectProblem(await session(elsewhere.cookie), 401, 'unauthenticated');
      expectProblem(await login(user.email, testPassword), 401, 'invalid_credentials');
      expect((await login(user.email, 'hagelslag-op-brood-42')).statusCode).toBe(200);
    });

    it('refuses a wrong current password and a weak new one, naming the field, changing nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await givenUser(db, programId, 'owner');
      const { cookie, csrfToken } = await logIn(api, user.email);
      const change = (payload: object) =>
        api.request({ method: 'POST', url: '/v1/auth/password', headers: { cookie, 'x-csrf-token': csrfToken }, payload });
      expectProblem(await change({ currentPassword: 'not-my-password', newPassword: 'hagelslag-op-brood-42' }), 400, 'validation_failed', '/currentPassword');
      expectProblem(await change({ currentPassword: testPassword, newPassword: 'short' }), 422, 'weak_password', '/newPassword');
      expectProblem(await change({ currentPassword: testPassword, newPassword: 'Password1234' }), 422, 'weak_password', '/newPassword');
      expect((await login(user.email, testPassword)).statusCode).toBe(200);
    });
  });

  describe('the session cookie on /v1', () => {
    it('reads the programme named in Trouw-Program', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      await api.as(apiKey).post('/v1/members', { externalId: 'c-1' });
      const user = await signedIn(api, db, programId, 'analyst');
      const response = await user.get('/v1/members');
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ data: { externalId: string }[] }>().data.map((m) => m.externalId)).toEqual(['c-1']);
    });

    it('is 400 without Trouw-Program and 403 for a programme the user has no role in', async () => {
      const { programId } = await givenProgram(db.ctx);
      const foreign = await givenProgram(db.ctx, { name: 'Elders' });
      const user = await signedIn(api, db, programId, 'owner');
      expectProblem(await api.request({ method: 'GET', url: '/v1/members', headers: { cookie: user.cookie } }), 400, 'program_not_selected');
      expectProblem(await user.get('/v1/members', { 'trouw-program': foreign.programId }), 403, 'program_access_denied');
      expectProblem(await user.get('/v1/members', { 'trouw-program': 'prg_unknown' }), 403, 'program_access_denied');
    });

    it('needs the CSRF token on writes: without or with a wrong one nothing is written', async () => {
      const { programId } = await givenProgram(db.ctx);
      const user = await signedIn(api, db, programId, 'support');
      const before = await counts(db);
      expectProblem(await api.request({ method: 'POST', url: '/v1/members', headers: { cookie: user.cookie, 'trouw-program': programId }, payload: { externalId: 'c-1' } }), 403, 'csrf_token_invalid');
      expectProblem(await user.send('POST', '/v1/members', { externalId: 'c-1' }, { 'x-csrf-token': 'wrong' }), 403, 'csrf_token_invalid');
      expect(await counts(db)).toEqual(before);
      const created = await user.send('POST', '/v1/members', { externalId: 'c-1' });
      expect(created.statusCode, created.body).toBe(201);
    });

    it("another session's CSRF token does not do", async () => {
      const { programId } = await givenProgram(db.ctx);
      const a = await signedIn(api, db, programId, 'owner');
      const b = await signedIn(api, db, programId, 'owner');
      expectProblem(await a.send('POST', '/v1/members', { externalId: 'c-1' }, { 'x-csrf-token': b.csrfToken }), 403, 'csrf_token_invalid');
    });

    it("lets the role's scopes decide", async () => {
      const { programId } = await givenProgram(db.ctx);
      const analyst = await signedIn(api, db, programId, 'analyst');
      const problem = expectProblem(await analyst.send('POST', '/v1/members', { externalId: 'c-1' }), 403, 'insufficient_scope');
      expect(problem.detail).toContain('analyst');
      expect((await counts(db)).members).toBe(0);
    });

    it('leaves API keys as they were: no CSRF token, no programme header, the key decides', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const response = await api.as(apiKey).post('/v1/members', { externalId: 'c-1' });
      expect(response.statusCode, response.body).toBe(201);
      // An API client's ordinary writes are not audited (the log is for the team's and for key changes).
      expect((await counts(db)).audit).toBe(0);
      expectProblem(await api.request({ method: 'GET', url: '/v1/members' }), 401, 'unauthenticated');
      expectProblem(await api.as('sk_wrongwrongwrongwrongwrongwrongwrongwron').get('/v1/members'), 401, 'unauthenticated');
    });

    it('prefers the API key when a request carries both', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const user = await signedIn(api, db, programId, 'analyst');
      const response = await api.request({ method: 'POST', url: '/v1/members', headers: { authorization: `Bearer ${apiKey}`, cookie: user.cookie }, payload: { externalId: 'c-1' } });
      expect(response.statusCode, response.body).toBe(201);
    });
  });
});
