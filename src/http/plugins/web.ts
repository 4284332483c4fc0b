/**
 * Serves the browser apps that `vite build --config web/vite.config.ts` writes to dist/web: hashed assets
 * under /assets/ (cached for a year, immutable: a new build gets new names), the admin dashboard at /admin/
 * (every /admin/* path gets the same index.html so the client router can take over) and the member portal
 * at /p/{slug}.
 *
 * The pages are read per request rather than at boot so `trouw serve` never fails, or needs a restart, for a
 * missing build: without one they answer 503 with how to build. API routes are untouched: only /assets/*,
 * /admin, /admin/* and /p/:slug are registered here.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The repository's dist/web: this file sits three folders down both as src/http/plugins and dist/http/plugins. */
export const defaultWebDir = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

const missingBuild =
  'The web interface has not been built. Run `npx vite build --config web/vite.config.ts` (part of `npm run build`) and reload.\n';

export async function webPages(app: FastifyInstance, options: { dir?: string | undefined } = {}): Promise<void> {
  const dir = (options.dir ?? defaultWebDir).replace(/\/?$/, '/');

  await app.register(fastifyStatic, {
    root: `${dir}assets`,
    prefix: '/assets/',
    // The portal helper may register its own static files; a second `sendFile` decorator would clash.
    decorateReply: false,
    // A missing build is an expected state (tests, `npm run dev` before the first build), not a warning.
    suppressWarning: true,
    immutable: true,
    maxAge: '365d',
    index: false,
    schemaHide: true,
  });

  const sendPage = async (reply: FastifyReply, page: 'admin' | 'portal') => {
    let html: string;
    try {
      html = await readFile(`${dir}${page}/index.html`, 'utf8');
    } catch {
      return reply.code(503).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(missingBuild);
    }
    reply
      // index.html names this build's hashed assets, so it is revalidated on every load.
      .header('Cache-Control', 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer');
    // The dashboard is never framed (clickjacking); the portal is, by the widget on the shop's own site.
    if (page === 'admin') reply.header('X-Frame-Options', 'DENY').header('Content-Security-Policy', "frame-ancestors 'none'");
    return reply.type('text/html; charset=utf-8').send(html);
  };

  const hidden = { schema: { hide: true } };
  app.get('/admin', hidden, (_request, reply) => sendPage(reply, 'admin'));
  app.get('/admin/*', hidden, (_request, reply) => sendPage(reply, 'admin'));
  app.get('/p/:slug', hidden, (_request, reply) => sendPage(reply, 'portal'));
}
