/**
 * The one way the browser apps talk to /v1: openapi-fetch typed by the schema generated from the server's
 * OpenAPI document (`npm run gen:api`), so a changed route breaks the apps' typecheck, not their users.
 *
 * Admin requests ride on the session cookie, so they name the programme (`Trouw-Program`) and, for writes,
 * carry the CSRF token the session handed out; the server refuses a cookie-authenticated write without it.
 * Portal requests carry the member's short-lived token instead and no cookie.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import { isProblem, ProblemError } from './problem';

export type ApiPaths = paths;
export type ApiClient = Client<ApiPaths>;

/** What the admin client needs from the signed-in session; kept outside React so the middleware can read it. */
export const sessionState: { csrfToken: string | null; programId: string | null } = { csrfToken: null, programId: null };

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function sessionHeaders(state: typeof sessionState): Middleware {
  return {
    onRequest({ request }) {
      if (state.programId) request.headers.set('Trouw-Program', state.programId);
      if (!safeMethods.has(request.method.toUpperCase()) && state.csrfToken) {
        request.headers.set('X-CSRF-Token', state.csrfToken);
      }
      return request;
    },
  };
}

export function createAdminClient(options: { baseUrl?: string; fetch?: typeof fetch; state?: typeof sessionState } = {}): ApiClient {
  const client = createClient<ApiPaths>({
    baseUrl: options.baseUrl ?? window.location.origin,
    credentials: 'include',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const state = options.state ?? sessionState;
  client.use(sessionHeaders(state));
  states.set(client, state);
  return client;
}

const states = new WeakMap<ApiClient, typeof sessionState>();

/** Points an admin client's headers at the signed-in session and chosen programme (null values: none). */
export function updateSessionHeaders(client: ApiClient, values: Partial<typeof sessionState>): void {
  Object.assign(states.get(client) ?? sessionState, values);
}

export function createPortalClient(token: string, options: { baseUrl?: string; fetch?: typeof fetch } = {}): ApiClient {
  const client = createClient<ApiPaths>({
    baseUrl: options.baseUrl ?? window.location.origin,
    // The member is identified by the token alone; sending the admin's cookie along would be confusing at best.
    credentials: 'omit',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use({
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  });
  return client;
}

/**
 * Turns openapi-fetch's `{data, error, response}` into the data or a thrown ProblemError, so query and
 * mutation code reads like the happy path and error UIs switch on `problem.code`.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = result.error;
    if (isProblem(body)) throw new ProblemError(body);
    throw new ProblemError({ title: result.response.statusText || 'Error', status: result.response.status, code: 'http_error' });
  }
  return result.data as T;
}

let adminClient: ApiClient | null = null;
export function api(): ApiClient {
  adminClient ??= createAdminClient();
  return adminClient;
}
