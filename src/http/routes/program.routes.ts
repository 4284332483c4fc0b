import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ServiceContext } from '../../context.js';
import { problemCodes, type ProblemCode } from '../../domain/errors.js';
import { getProgram, updateProgram } from '../../services/programs.service.js';
import { programOf } from '../plugins/auth.js';
import { problemStatus, problemType } from '../problems.js';
import { Nullable, Program, problems } from '../schemas.js';

const ProgramPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    pendingDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 })),
    expiryMonths: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 120 }))),
    expiryWarningDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 365 }))),
    maxPointsPerDay: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000_000 }))),
    coupons: Type.Optional(
      Type.Object(
        {
          prefix: Type.Optional(Nullable(Type.String({ maxLength: 30, description: 'Letters and digits; dashes and spaces are ignored' }))),
          length: Type.Optional(Type.Integer({ minimum: 6, maximum: 32, description: 'Random characters per generated code' })),
          validityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          refundExpired: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export function programRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/v1/program', {
    config: { scope: 'members:read' },
    schema: { tags: ['program'], summary: "The API key's programme", response: { 200: Program, ...problems(401, 403) } },
  }, async (request) => getProgram(ctx, programOf(request)));

  r.patch('/v1/program', {
    config: { scope: 'program:write' },
    schema: {
      tags: ['program'],
      summary: "Change the programme's settings",
      description: 'Changes apply to what happens next (new lots, new coupons), never to lots or coupons that exist.',
      body: ProgramPatch,
      response: { 200: Program, ...problems(400, 401, 403) },
    },
  }, async (request) => updateProgram(ctx, programOf(request), request.body));

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
