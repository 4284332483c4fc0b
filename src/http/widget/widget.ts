/**
 * `GET /widget.js`: the embeddable widget loader. The hand-written loader (loader.ts) and the browser build of
 * @open-iframe-resizer/core are put into one script when the app is built, with no bundler: the library's UMD
 * build is run inside a function that gives it its own `module` and `exports`, so it takes its CommonJS branch
 * and hands its API to the loader as a local (`__trouwResizer`). That keeps the shop's page free of our globals,
 * unaffected by an AMD loader on it, and costs one request instead of two. The library is MIT; its notice
 * travels with the served script.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { loaderScript } from './loader.js';

export function buildWidgetScript(): string {
  const require = createRequire(import.meta.url);
  const resizer = fs.readFileSync(require.resolve('@open-iframe-resizer/core'), 'utf8');
  return [
    '/*! Trouw widget. Includes @open-iframe-resizer/core (MIT License, https://github.com/Lemick/open-iframe-resizer). */',
    '(function () {',
    'var __trouwResizer = (function () { var module = { exports: {} }; var exports = module.exports;',
    resizer,
    'return module.exports; })();',
    loaderScript,
    '})();',
    '',
  ].join('\n');
}

export function widgetRoutes(app: FastifyInstance): void {
  const script = buildWidgetScript();
  app.get('/widget.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      // Shops embed it on their own pages: let them, and let browsers keep it a while.
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(script));
}
