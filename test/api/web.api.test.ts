/**
 * The built browser apps over HTTP: /admin, /admin/* and /p/{slug} answer the right index.html, hashed
 * assets are cached as immutable, a missing build answers 503 with how to build (never a crash), and the
 * API keeps its routes. A throw-away dist/web is written to a temporary folder, so no Vite build is needed.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { expectProblem } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';

let built: string;

beforeAll(async () => {
  built = await mkdtemp(join(tmpdir(), 'trouw-web-'));
  await mkdir(join(built, 'admin'));
  await mkdir(join(built, 'portal'));
  await mkdir(join(built, 'assets'));
  await writeFile(join(built, 'admin', 'index.html'), '<!doctype html><title>admin page</title>');
  await writeFile(join(built, 'portal', 'index.html'), '<!doctype html><title>portal page</title>');
  await writeFile(join(built, 'assets', 'admin-AbC123.js'), 'console.log("admin")');
});

afterAll(async () => {
  await rm(built, { recursive: true, force: true });
});

forEachDialect('web pages', (db) => {
  let app: FastifyInstance | null = null;
  const start = async (webDir: string) => {
    app = await buildApp(db.ctx, { webDir });
    await app.ready();
    return app;
  };
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  describe('with a build', () => {
    it.each(['/admin', '/admin/', '/admin/members/mbr_1', '/admin/referrals?status=flagged'])('%s answers the dashboard page', async (url) => {
      const response = await (await start(built)).inject({ method: 'GET', url });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('admin page');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['x-frame-options']).toBe('DENY');
    });

    it('/p/{slug} answers the portal page, which may be framed by the widget', async () => {
      const response = await (await start(built)).inject({ method: 'GET', url: '/p/koffiebar' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('portal page');
      expect(response.headers['x-frame-options']).toBeUndefined();
    });

    it('hashed assets are served with an immutable, long cache', async () => {
      const response = await (await start(built)).inject({ method: 'GET', url: '/assets/admin-AbC123.js' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/javascript/);
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    });

    it('an unknown asset is a 404, and paths outside the assets folder are not served', async () => {
      const server = await start(built);
      expect((await server.inject({ method: 'GET', url: '/assets/nope.js' })).statusCode).toBe(404);
      const escaped = await server.inject({ method: 'GET', url: '/assets/..%2fadmin%2findex.html' });
      expect(escaped.statusCode).not.toBe(200);
    });
  });

  describe('without a build', () => {
    it.each(['/admin/', '/admin/members', '/p/koffiebar'])('%s answers 503 saying how to build', async (url) => {
      const response = await (await start(join(built, 'missing'))).inject({ method: 'GET', url });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toContain('vite build');
    });
  });

  describe('the API is not shadowed', () => {
    it('API routes still answer JSON, and unknown API paths stay problem+json 404s', async () => {
      const server = await start(built);
      const { apiKey } = await givenProgram(db.ctx);
      const program = await server.inject({ method: 'GET', url: '/v1/program', headers: { authorization: `Bearer ${apiKey}` } });
      expect(program.statusCode).toBe(200);
      expect(program.headers['content-type']).toMatch(/^application\/json/);
      expectProblem(await server.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'not_found');
      expectProblem(await server.inject({ method: 'GET', url: '/p/koffiebar/more' }), 404, 'not_found');
      const openapi = await server.inject({ method: 'GET', url: '/openapi.json' });
      expect(Object.keys(openapi.json<{ paths: object }>().paths).some((path) => path.startsWith('/admin') || path.startsWith('/p/'))).toBe(false);
    });
  });
});
