import { Type, type Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import { recordEvent, recordEventBatch, type RecordEventInput } from '../../services/events.service.js';
import { programOf } from '../plugins/auth.js';
import { problemBody, validationProblem, type AjvIssue } from '../problems.js';
import { EventBody, EventResult, FreeObject, problems } from '../schemas.js';
import { compileBodyValidator } from '../validation.js';
import { DomainError } from '../../domain/errors.js';

/** A batch of 1,000 events with baskets is a few MiB; single requests keep Fastify's 1 MiB default. */
const BATCH_BODY_LIMIT = 8 * 1024 * 1024;

/** Batch items are checked one by one against the single endpoint's schema, so a bad item fails alone. */
const validateEventBody = compileBodyValidator(EventBody);
/** What one event may weigh, in a batch as on its own (the app's body limit for single requests). */
const EVENT_BODY_LIMIT = 1024 * 1024;

function eventInput(body: Static<typeof EventBody>): RecordEventInput {
  return { ...body, data: body.data ?? {} };
}

function batchItem(raw: unknown): RecordEventInput | DomainError {
  if (Buffer.byteLength(JSON.stringify(raw)) > EVENT_BODY_LIMIT) {
    return new DomainError('body_too_large', `An event may weigh at most ${EVENT_BODY_LIMIT} bytes, in a batch as on its own.`);
  }
  if (validateEventBody(raw)) return eventInput(raw as Static<typeof EventBody>);
  return validationProblem((validateEventBody.errors ?? []) as AjvIssue[]);
}

export function eventRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['events'];

  r.post('/v1/events', {
    config: { scope: 'events:write' },
    schema: {
      tags,
      summary: 'Record an event and earn points',
      description: 'Idempotent on `id`: the same id and body again returns the first response (200, `Idempotent-Replayed: true`); the same id with another body is 409.',
      body: EventBody,
      response: { 201: EventResult, 200: EventResult, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const outcome = await recordEvent(ctx, programOf(request), eventInput(request.body));
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.replayed ? 200 : 201).send(outcome.response);
  });

  r.post('/v1/events/batch', {
    config: { scope: 'events:write' },
    bodyLimit: BATCH_BODY_LIMIT,
    schema: {
      tags,
      summary: 'Record up to 1,000 events; each succeeds or fails on its own',
      description: 'Results come in input order; each has the status the single endpoint would have answered and its result or problem.',
      body: Type.Object({ events: Type.Array(FreeObject, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          results: Type.Array(
            Type.Object({
              status: Type.Integer(),
              replayed: Type.Optional(Type.Boolean()),
              result: Type.Optional(EventResult),
              problem: Type.Optional(Type.Ref('Problem')),
            }),
          ),
        }),
        ...problems(400, 401, 403, 413, 415),
      },
    },
  }, async (request) => {
    const outcomes = await recordEventBatch(ctx, programOf(request), request.body.events.map(batchItem));
    return {
      results: outcomes.map((o) =>
        o.ok
          ? { status: o.outcome.replayed ? 200 : 201, replayed: o.outcome.replayed, result: o.outcome.response }
          : { status: problemBody(o.error).status, problem: problemBody(o.error) },
      ),
    };
  });
}
