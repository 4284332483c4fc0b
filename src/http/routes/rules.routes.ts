import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.js';
import type { RuleEffect } from '../../domain/rules/rule.js';
import { createRule, deleteRule, getRule, listRules, tryRule, updateRule } from '../../services/rules.service.js';
import { programOf } from '../plugins/auth.js';
import { FreeObject, IdParams, Nullable, Page, PageQuery, problems, Rule, RuleBody, RulePatch } from '../schemas.js';

const TryRuleBody = Type.Object(
  {
    rule: RuleBody,
    event: Type.Object(
      { type: Type.String({ minLength: 1, maxLength: 100 }), occurredAt: Type.Optional(Type.String({ format: 'date-time' })), data: Type.Optional(FreeObject) },
      { additionalProperties: false },
    ),
    member: Type.Optional(
      Type.Object(
        {
          tier: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
          attributes: Type.Optional(FreeObject),
          purchaseCount: Type.Optional(Type.Integer({ minimum: 0 })),
          lifetimeEarned: Type.Optional(Type.Integer({ minimum: 0 })),
          birthDate: Type.Optional(Nullable(Type.String({ format: 'date' }))),
          createdAt: Type.Optional(Type.String({ format: 'date-time' })),
        },
        { additionalProperties: false, description: 'The sample member; defaults: no tier, no attributes, new today' },
      ),
    ),
  },
  { additionalProperties: false },
);

const TryRuleResult = Type.Object({
  matched: Type.Boolean(),
  points: Type.Integer({ description: "What the rule alone would award (before a tier multiplier)" }),
  reason: Nullable(
    Type.Union([Type.Literal('trigger'), Type.Literal('inactive'), Type.Literal('window'), Type.Literal('condition'), Type.Literal('failed')], {
      description: 'Why it did not match; `failed`: the rule went over its cost bound on this sample (see `failure`)',
    }),
  ),
  failure: Nullable(Type.String({ description: 'Why the rule failed on this sample, as ingestion would record it on the rule' })),
});

export function ruleRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['rules'];

  r.get('/v1/rules', {
    config: { scope: 'rules:read' },
    schema: {
      tags,
      summary: 'List the earn rules (current versions), oldest first',
      querystring: Type.Object(PageQuery),
      response: { 200: Page(Rule), ...problems(400, 401, 403) },
    },
  }, async (request) => listRules(ctx, programOf(request), request.query));

  r.post('/v1/rules', {
    config: { scope: 'rules:write' },
    schema: {
      tags,
      summary: 'Create an earn rule',
      description:
        'The condition is CEL over `event`, `member` and `now`; it is parsed, type-checked and held to the cost limits here (README, Earn rules), so an invalid or too costly one is a 422 now, never an error at event time.',
      body: RuleBody,
      response: { 201: Rule, ...problems(400, 401, 403, 422) },
    },
  }, async (request, reply) =>
    reply.code(201).send(await createRule(ctx, programOf(request), { ...request.body, effects: request.body.effects as RuleEffect[] })),
  );

  r.post('/v1/rules/try', {
    config: { scope: 'rules:read' },
    schema: {
      tags,
      summary: 'Try an unsaved rule on a sample event and member',
      description:
        'Runs the rule through the same checks and engine as ingestion and writes nothing: an invalid rule is the 422 a save would give (pointers under `/rule`); otherwise whether it matches, the points, and why not. Per-member limits are not counted. The sample\'s `event.data` and `member.attributes` are held to the limits of event data (422 `event_data_too_large`).',
      body: TryRuleBody,
      response: { 200: TryRuleResult, ...problems(400, 401, 403, 422) },
    },
  }, async (request) => {
    const { rule, ...rest } = request.body;
    return tryRule(ctx, programOf(request), { ...rest, rule: { ...rule, effects: rule.effects as RuleEffect[] }, event: { ...rest.event, data: rest.event.data ?? {} } });
  });

  r.get('/v1/rules/:id', {
    config: { scope: 'rules:read' },
    schema: { tags, summary: 'Get an earn rule', params: IdParams, response: { 200: Rule, ...problems(401, 403, 404) } },
  }, async (request) => getRule(ctx, programOf(request), request.params.id));

  r.patch('/v1/rules/:id', {
    config: { scope: 'rules:write' },
    schema: {
      tags,
      summary: 'Change an earn rule (makes a new version)',
      params: IdParams,
      body: RulePatch,
      response: { 200: Rule, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => {
    const { effects, ...rest } = request.body;
    return updateRule(ctx, programOf(request), request.params.id, { ...rest, ...(effects ? { effects: effects as RuleEffect[] } : {}) });
  });

  r.delete('/v1/rules/:id', {
    config: { scope: 'rules:write' },
    schema: { tags, summary: 'Retire an earn rule', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await deleteRule(ctx, programOf(request), request.params.id);
    return reply.code(204).send(null);
  });
}
