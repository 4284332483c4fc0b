/**
 * The programme endpoint and the parts of the API that describe the API: the OpenAPI document, the docs UI,
 * the not-found problem and the `/problems/{slug}` pages that every problem `type` resolves to.
 */
import { describe, expect, it } from 'vitest';
import { problemCodes } from '../../src/domain/errors.js';
import { problemStatus } from '../../src/http/problems.js';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { problemOf, useApi, expectProblem } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
  security?: Record<string, string[]>[];
}

interface ProblemPage {
  type: string;
  code: string;
  status: number;
  title: string;
  documentation: string;
}

const slugOf = (code: string) => code.replaceAll('_', '-');


forEachDialect('program api', (db) => {
  const api = useApi(db);

  describe('GET /v1/program', () => {
    it("returns the programme of the key that asks", async () => {
      const { program, apiKey } = await givenProgram(db.ctx, { name: 'Bakkerij Bol', pointsName: 'Broodjes', expiryMonths: 24, pendingDays: 7 });
      const response = await api.as(apiKey).get('/v1/program');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual(program);
      expect(program).toMatchObject({
        name: 'Bakkerij Bol',
        pointsName: 'Broodjes',
        currency: 'EUR',
        timezone: 'Europe/Amsterdam',
        pendingDays: 7,
        expiryMonths: 24,
        createdAt: '2026-03-15T12:00:00.000Z',
      });
      expect(program.id).toMatch(/^prg_/);
    });

    it('answers each key with its own programme only', async () => {
      const first = await givenProgram(db.ctx, { name: 'First' });
      const second = await givenProgram(db.ctx, { name: 'Second', currency: 'USD' });
      await expect(api.as(first.apiKey).get('/v1/program').then((r) => r.json())).resolves.toEqual(first.program);
      await expect(api.as(second.apiKey).get('/v1/program').then((r) => r.json())).resolves.toEqual(second.program);
    });

    it('refuses a request without a key or with an unknown key: 401 with a Bearer challenge', async () => {
      await givenProgram(db.ctx);
      const anonymous = await api.request({ method: 'GET', url: '/v1/program' });
      expectProblem(anonymous, 401, 'unauthenticated');
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer /);
      expectProblem(await api.as(`sk_abcdefgh${'A'.repeat(32)}`).get('/v1/program'), 401, 'unauthenticated');
    });

    it('refuses a key without members:read: 403 insufficient_scope', async () => {
      const { programId } = await givenProgram(db.ctx);
      const eventsOnly = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'pos', ['events:write']));
      expectProblem(await api.as(eventsOnly).get('/v1/program'), 403, 'insufficient_scope');
    });
  });

  describe('GET /openapi.json', () => {
    const documentedPaths = [
      '/v1/members',
      '/v1/members/{id}',
      '/v1/events',
      '/v1/events/batch',
      '/v1/rules',
      '/v1/rules/{id}',
      '/v1/members/{id}/balance',
      '/v1/members/{id}/ledger',
      '/v1/members/{id}/adjustments',
    ];

    it('is an OpenAPI 3.1 document listing the public paths, without a key', async () => {
      const response = await api.request({ method: 'GET', url: '/openapi.json' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const document = response.json<OpenApiDocument>();
      expect(document.openapi).toMatch(/^3\.1\./);
      expect(document.info.title).toBe('Trouw API');
      expect(typeof document.info.version).toBe('string');
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(documentedPaths));
      expect(document.paths['/v1/members']).toHaveProperty('post');
      expect(document.paths['/v1/members']).toHaveProperty('get');
      expect(document.paths['/v1/members/{id}']).toHaveProperty('patch');
      expect(document.paths['/v1/members/{id}/adjustments']).toHaveProperty('post');
    });

    it('declares the bearer security scheme and requires it by default', async () => {
      const document = (await api.request({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
      const schemes = Object.entries(document.components?.securitySchemes ?? {});
      const bearer = schemes.find(([, scheme]) => scheme.type === 'http' && scheme.scheme === 'bearer');
      expect(bearer, 'an http bearer security scheme').toBeDefined();
      expect(document.security).toEqual([{ [bearer?.[0] ?? '']: [] }]);
    });

    it('keeps internal routes out of the document', async () => {
      const document = (await api.request({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
      expect(Object.keys(document.paths)).not.toContain('/openapi.json');
      expect(Object.keys(document.paths)).not.toContain('/health');
      expect(Object.keys(document.paths).some((p) => p.startsWith('/docs'))).toBe(false);
    });

    it('documents error responses as application/problem+json', async () => {
      const document = (await api.request({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
      const enrol = document.paths['/v1/members']?.post?.responses ?? {};
      expect(Object.keys(enrol)).toEqual(expect.arrayContaining(['201', '400', '401', '409', '422']));
      for (const status of ['400', '401', '409', '422']) {
        expect(Object.keys(enrol[status]?.content ?? {}), `response ${status}`).toContain('application/problem+json');
      }
    });
  });

  describe('GET /docs', () => {
    it('serves the API documentation as HTML without a key', async () => {
      let response = await api.request({ method: 'GET', url: '/docs/' });
      if (response.statusCode >= 300 && response.statusCode < 400) {
        response = await api.request({ method: 'GET', url: String(response.headers.location) });
      }
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toMatch(/<html/i);
    });

    it('answers /docs without the slash too', async () => {
      let response = await api.request({ method: 'GET', url: '/docs' });
      for (let hops = 0; hops < 3 && response.statusCode >= 300 && response.statusCode < 400; hops++) {
        const location = String(response.headers.location);
        response = await api.request({ method: 'GET', url: location.startsWith('/') ? location : `/docs/${location.replace(/^\.\//, '')}` });
      }
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
    });
  });

  describe('unknown routes', () => {
    it('answers an unknown path with 404 not_found as problem+json, key or not', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const anonymous = expectProblem(await api.request({ method: 'GET', url: '/v1/nothing-here?x=1' }), 404, 'not_found');
      expect(anonymous.detail).toContain('/v1/nothing-here');
      expect(anonymous.detail).not.toContain('x=1');
      expectProblem(await api.as(apiKey).get('/v1/nothing-here'), 404, 'not_found');
      expectProblem(await api.request({ method: 'GET', url: '/' }), 404, 'not_found');
    });

    it('answers a method a path does not have with 404 not_found and writes nothing', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      expectProblem(await api.as(apiKey).delete(`/v1/members/${member.id}`), 404, 'not_found');
      expect((await api.as(apiKey).get(`/v1/members/${member.id}`)).statusCode).toBe(200);
    });

    it('answers /health with ok, without a key', async () => {
      const response = await api.request({ method: 'GET', url: '/health' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });
  });

  describe('GET /problems/:slug', () => {
    it('explains insufficient-points: 200 with status 422, its code, title and type', async () => {
      const response = await api.request({ method: 'GET', url: '/problems/insufficient-points' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({
        type: '/problems/insufficient-points',
        code: 'insufficient_points',
        status: 422,
        title: 'Not enough points',
        documentation: 'docs/problems.md#insufficient-points',
      });
    });

    it('has a page for every problem code, its type being /problems/<code with dashes>', async () => {
      for (const code of problemCodes) {
        const response = await api.request({ method: 'GET', url: `/problems/${slugOf(code)}` });
        expect(response.statusCode, code).toBe(200);
        const page = response.json<ProblemPage>();
        expect(page, code).toMatchObject({ type: `/problems/${slugOf(code)}`, code, ...problemStatus[code] });
      }
    });

    it('answers an unknown problem slug with 404 not_found', async () => {
      expectProblem(await api.request({ method: 'GET', url: '/problems/no-such-problem' }), 404, 'not_found');
    });

    it('gives every problem a type that is /problems/<code with dashes> and resolves to a page for that code', async () => {
      // Provoke problems of several kinds (auth, routing, schema, parsing, domain) and follow each `type`.
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const responses = [
        await api.request({ method: 'GET', url: '/v1/program' }),
        await api.request({ method: 'GET', url: '/v1/unknown' }),
        await api.as(apiKey).post('/v1/members', { externalId: 5 }),
        await api.request({ method: 'POST', url: '/v1/members', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, payload: '{' }),
        await api.as(apiKey).get('/v1/members/mbr_01h0000000000000000000000'),
        await api.as(apiKey).post(`/v1/members/${member.id}/adjustments`, { points: -10, reason: 'x' }),
        await api.as(apiKey).get('/v1/members?cursor=zzz'),
      ];
      const codes: string[] = [];
      for (const response of responses) {
        const problem = problemOf(response);
        expect(problem.status).toBe(response.statusCode);
        expect(problem.type).toBe(`/problems/${slugOf(problem.code)}`);
        const page = await api.request({ method: 'GET', url: problem.type });
        expect(page.statusCode, problem.type).toBe(200);
        expect(page.json<ProblemPage>()).toMatchObject({ code: problem.code, status: problem.status });
        codes.push(problem.code);
      }
      expect(codes).toEqual(['unauthenticated', 'not_found', 'validation_failed', 'malformed_json', 'member_not_found', 'insufficient_points', 'invalid_cursor']);
    });
  });
});
