/**
 * Team users for API tests: a user with a role in a programme, logged in through `POST /v1/auth/login`, and a
 * client that sends the session cookie, `Trouw-Program` and (on writes) `X-CSRF-Token` as the dashboard does.
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TeamRole } from '../../src/domain/roles.js';
import { createUser } from '../../src/services/team/accounts.js';
import type { ApiClient } from './api.js';
import type { TestDatabase } from './dialects.js';

export const testPassword = 'stroopwafel-fiets-2026';

let counter = 0;

export async function givenUser(db: TestDatabase, programId: string, role: TeamRole, email = `user${++counter}@team.example`) {
  const created = await createUser(db.ctx, { programId, email, role, name: `Test ${role}`, password: testPassword });
  return { userId: created.member.userId, email };
}

export interface SessionClient {
  userId: string;
  email: string;
  cookie: string;
  csrfToken: string;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  send(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export async function logIn(api: ApiClient, email: string, password = testPassword): Promise<{ cookie: string; csrfToken: string }> {
  const response = await api.request({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  expect(response.statusCode, response.body).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'trouw_session');
  if (!cookie) throw new Error('no session cookie');
  return { cookie: `trouw_session=${cookie.value}`, csrfToken: response.json<{ csrfToken: string }>().csrfToken };
}

/** A user of `role` in `programId`, logged in, whose requests name that programme. */
export async function signedIn(api: ApiClient, db: TestDatabase, programId: string, role: TeamRole, email?: string): Promise<SessionClient> {
  const user = await givenUser(db, programId, role, email);
  const { cookie, csrfToken } = await logIn(api, user.email);
  const base = { cookie, 'trouw-program': programId };
  return {
    ...user,
    cookie,
    csrfToken,
    get: (url, headers = {}) => api.request({ method: 'GET', url, headers: { ...base, ...headers } }),
    send: (method, url, body, headers = {}) =>
      api.request({
        method,
        url,
        headers: { ...base, 'x-csrf-token': csrfToken, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      }),
  };
}
