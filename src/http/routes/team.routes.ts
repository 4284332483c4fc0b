import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ServiceContext } from '../../context.js';
import { createUser } from '../../services/team/accounts.js';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey } from '../../services/team/api-keys.js';
import { listAuditLog } from '../../services/team/audit.js';
import { changeTeamRole, getTeamMember, listTeam, removeTeamMember } from '../../services/team/team.js';
import { programOf } from '../plugins/auth.js';
import { IdParams, Page, problems } from '../schemas.js';
import {
  AddedTeamMember,
  AddTeamMemberBody,
  ApiKey,
  ApiKeyList,
  AuditEntry,
  AuditLogQuery,
  ChangeRoleBody,
  CreateApiKeyBody,
  CreatedApiKey,
  TeamList,
  TeamMember,
  UserIdParams,
} from './team.schemas.js';

/** Owners' pages: the team and its roles, the secret API keys, the audit log. Every change here is audited. */
export function teamRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/v1/team', {
    config: { scope: 'team:write' },
    schema: { tags: ['team'], summary: "The programme's team", response: { 200: TeamList, ...problems(401, 403) } },
  }, async (request) => listTeam(ctx, programOf(request)));

  r.get('/v1/team/:userId', {
    config: { scope: 'team:write' },
    schema: { tags: ['team'], summary: 'A team member', params: UserIdParams, response: { 200: TeamMember, ...problems(401, 403, 404) } },
  }, async (request) => getTeamMember(ctx, programOf(request), request.params.userId));

  r.post('/v1/team', {
    config: { scope: 'team:write', audit: true },
    schema: {
      tags: ['team'],
      summary: 'Give someone a role in the programme',
      description: 'Creates the user when the address is new and returns a temporary password, shown once. 409 team_member_exists when they already have a role here.',
      body: AddTeamMemberBody,
      response: { 201: AddedTeamMember, ...problems(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const created = await createUser(ctx, { programId: programOf(request), ...request.body });
    const body = created.temporaryPassword === null ? { member: created.member } : { member: created.member, temporaryPassword: created.temporaryPassword };
    return reply.code(201).send(body);
  });

  r.patch('/v1/team/:userId', {
    config: { scope: 'team:write', audit: true },
    schema: {
      tags: ['team'],
      summary: "Change a team member's role",
      description: '409 last_owner when this would leave the programme without an owner.',
      params: UserIdParams,
      body: ChangeRoleBody,
      response: { 200: TeamMember, ...problems(400, 401, 403, 404, 409) },
    },
  }, async (request) => changeTeamRole(ctx, programOf(request), request.params.userId, request.body.role));

  r.delete('/v1/team/:userId', {
    config: { scope: 'team:write', audit: true },
    schema: {
      tags: ['team'],
      summary: 'Remove someone from the team',
      description: 'The user keeps their account (and roles in other programmes). 409 last_owner for the only owner.',
      params: UserIdParams,
      response: { 204: Type.Null(), ...problems(401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    await removeTeamMember(ctx, programOf(request), request.params.userId);
    return reply.code(204).send(null);
  });

  r.get('/v1/api-keys', {
    config: { scope: 'keys:write' },
    schema: { tags: ['api keys'], summary: "The programme's secret API keys, newest first", response: { 200: ApiKeyList, ...problems(401, 403) } },
  }, async (request) => listApiKeys(ctx, programOf(request)));

  r.get('/v1/api-keys/:id', {
    config: { scope: 'keys:write' },
    schema: { tags: ['api keys'], summary: 'A secret API key (without its secret)', params: IdParams, response: { 200: ApiKey, ...problems(401, 403, 404) } },
  }, async (request) => getApiKey(ctx, programOf(request), request.params.id));

  r.post('/v1/api-keys', {
    config: { scope: 'keys:write', audit: true },
    schema: {
      tags: ['api keys'],
      summary: 'Create a secret API key',
      description: 'The response holds the whole key: the only time it is shown.',
      body: CreateApiKeyBody,
      response: { 201: CreatedApiKey, ...problems(400, 401, 403) },
    },
  }, async (request, reply) => reply.code(201).send(await createApiKey(ctx, programOf(request), request.body.name, request.body.scopes)));

  r.delete('/v1/api-keys/:id', {
    config: { scope: 'keys:write', audit: true },
    schema: {
      tags: ['api keys'],
      summary: 'Revoke a secret API key',
      description: 'Takes effect at once on this server and within seconds on others. Revoking a revoked key changes nothing.',
      params: IdParams,
      response: { 200: ApiKey, ...problems(401, 403, 404) },
    },
  }, async (request) => revokeApiKey(ctx, programOf(request), request.params.id));

  r.get('/v1/audit-log', {
    config: { scope: 'audit:read' },
    schema: {
      tags: ['team'],
      summary: 'The audit log, newest first',
      description: 'Every write by a team user and every change to the team or the API keys, with the resource before and after.',
      querystring: AuditLogQuery,
      response: { 200: Page(AuditEntry), ...problems(400, 401, 403) },
    },
  }, async (request) => listAuditLog(ctx, programOf(request), request.query));
}
