/** TypeBox schemas of the team, API key management and the audit log. */
import { Type } from 'typebox';
import { apiScopes } from '../../domain/scopes.js';
import { Nullable, PageQuery } from '../schemas.js';
import { Role } from './auth.schemas.js';

export const TeamMember = Type.Object(
  {
    userId: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: Role,
    createdAt: Type.String({ format: 'date-time', description: 'When the user got a role in this programme' }),
  },
  { description: 'A user with a role in the programme' },
);

export const TeamList = Type.Object({ data: Type.Array(TeamMember) });

export const UserIdParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 100 }) });

export const AddTeamMemberBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    role: Role,
  },
  { additionalProperties: false },
);

export const AddedTeamMember = Type.Object({
  member: TeamMember,
  temporaryPassword: Type.Optional(
    Type.String({ description: 'Only when the address was new: the first password, shown once; the user changes it after logging in' }),
  ),
});

export const ChangeRoleBody = Type.Object({ role: Role }, { additionalProperties: false });

const Scope = Type.Union([Type.Literal('*'), ...apiScopes.map((scope) => Type.Literal(scope))]);

export const ApiKey = Type.Object(
  {
    id: Type.String(),
    prefix: Type.String({ description: 'The readable start of the key (sk_ and 8 characters)' }),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    revokedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { description: 'A secret API key, without its secret' },
);

export const ApiKeyList = Type.Object({ data: Type.Array(ApiKey) });

export const CreatedApiKey = Type.Object(
  { ...ApiKey.properties, key: Type.String({ description: 'The whole key: shown once, never again' }) },
  { description: 'A new secret API key, with its secret this once' },
);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Scope, { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
);

const Actor = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('api_key')]),
  id: Type.String(),
  label: Type.String({ description: "The user's e-mail address, or the key's name and prefix" }),
});

export const AuditEntry = Type.Object(
  {
    id: Type.String(),
    actor: Actor,
    action: Type.String({ description: 'The method and route, e.g. `PATCH /v1/rewards/:id`' }),
    target: Type.String({ description: 'The URL path written to' }),
    before: Type.Unknown({ description: 'The resource before the write (null when there was none); secrets redacted' }),
    after: Type.Unknown({ description: 'The response body (null for 204); secrets redacted' }),
    at: Type.String({ format: 'date-time' }),
  },
  { description: 'One write in the programme' },
);

export const AuditLogQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
