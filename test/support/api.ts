/**
 * The HTTP app on the test database of the running test, driven with `inject()` (no port). `api.as(key)`
 * sends requests with a programme's secret key.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import type { TestDatabase } from './dialects.js';

export interface ApiClient {
  app(): FastifyInstance;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  as(apiKey: string): {
    get(url: string): Promise<LightMyRequestResponse>;
    post(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
    patch(url: string, body?: unknown): Promise<LightMyRequestResponse>;
    delete(url: string): Promise<LightMyRequestResponse>;
  };
}

/** Call inside a `forEachDialect` body: builds the app before each test on that test's database. */
export function useApi(db: TestDatabase): ApiClient {
  let app: FastifyInstance | null = null;
  beforeEach(async () => {
    app = await buildApp(db.ctx);
    await app.ready();
  });
  afterEach(async () => {
    await app?.close();
    app = null;
  });
  const current = () => {
    if (!app) throw new Error('no app outside a test');
    return app;
  };
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  return {
    app: current,
    request: (options) => current().inject(options),
    as: (key) => ({
      get: (url) => current().inject({ method: 'GET', url, headers: auth(key) }),
      post: (url, body, headers = {}) => current().inject({ method: 'POST', url, headers: { ...auth(key), ...headers }, ...(body === undefined ? {} : { payload: body as object }) }),
      patch: (url, body) => current().inject({ method: 'PATCH', url, headers: auth(key), payload: body as object }),
      delete: (url) => current().inject({ method: 'DELETE', url, headers: auth(key) }),
    }),
  };
}

export interface Problem {
  status: number;
  code: string;
  type: string;
  detail: string;
  errors?: { pointer: string; detail: string }[];
}

/** Asserts a problem+json response and returns its body. */
export function problemOf(response: LightMyRequestResponse): Problem {
  if (!String(response.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${String(response.headers['content-type'])}: ${response.body}`);
  }
  return response.json();
}

/**
 * Asserts an RFC 9457 problem: status, media type, code, its `type` URI, a detail, and (when given) that the
 * field errors point at exactly `pointer`.
 */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string, pointer?: string): Problem {
  expect(response.statusCode, response.body).toBe(status);
  const problem = problemOf(response);
  expect(problem).toMatchObject({ status, code, type: `/problems/${code.replaceAll('_', '-')}` });
  expect(problem.detail.length).toBeGreaterThan(0);
  if (pointer !== undefined) {
    expect(problem.errors, 'the problem names the offending field').toBeDefined();
    expect(new Set(problem.errors?.map((e) => e.pointer))).toEqual(new Set([pointer]));
  }
  return problem;
}
