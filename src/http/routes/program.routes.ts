import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ServiceContext } from '../../context.js';
import { problemCodes, type ProblemCode } from '../../domain/errors.js';
import { getProgram } from '../../services/programs.service.js';
import { programOf } from '../plugins/auth.js';
import { problemStatus, problemType } from '../problems.js';
import { Program, problems } from '../schemas.js';

export function programRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/v1/program', {
    config: { scope: 'members:read' },
    schema: { tags: ['program'], summary: "The API key's programme", response: { 200: Program, ...problems(401, 403) } },
  }, async (request) => getProgram(ctx, programOf(request)));

  r.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Problem `type` URIs resolve here, so a client can look up what a problem means.
  r.get('/problems/:slug', {
    schema: { tags: ['problems'], summary: 'What a problem type means', params: Type.Object({ slug: Type.String() }) },
  }, async (request, reply) => {
    const code = request.params.slug.replaceAll('-', '_') as ProblemCode;
    if (!(problemCodes as readonly string[]).includes(code)) return reply.callNotFound();
    return { type: problemType(code), code, ...problemStatus[code], documentation: `docs/problems.md#${request.params.slug}` };
  });
}
