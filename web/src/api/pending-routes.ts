/**
 * Hand-typed routes of the issue-5 contract that docs/openapi.json does not describe yet: sessions, team,
 * API keys, audit log and the member portal. They are written in openapi-typescript's shape so the client
 * takes `paths & PendingPaths`; once the server routes land, regenerate schema.d.ts
 * (`node web/scripts/gen-api.mjs`) and delete this file — the generated types replace it one for one.
 */
import type { Problem } from './problem';

type Json<T> = { headers: { [name: string]: unknown }; content: { 'application/json': T } };
type Fail = { headers: { [name: string]: unknown }; content: { 'application/problem+json': Problem } };
type NoContent = { headers: { [name: string]: unknown }; content?: never };
type Params<Path = never, Query = never> = {
  query?: Query;
  header?: never;
  path: [Path] extends [never] ? never : Path;
  cookie?: never;
};
type Op<Res, Body = never, Path = never, Query = never, Status extends 200 | 201 = 200> = {
  parameters: [Path] extends [never] ? { query?: Query; header?: never; path?: never; cookie?: never } : Params<Path, Query>;
  responses: { [S in Status]: Json<Res> } & { 400: Fail; 401: Fail; 403: Fail; 404: Fail; 409: Fail; 422: Fail; 429: Fail };
} & ([Body] extends [never] ? { requestBody?: never } : { requestBody: { content: { 'application/json': Body } } });
type Op204<Body = never, Path = never> = Omit<Op<never, Body, Path>, 'responses'> & {
  responses: { 204: NoContent; 400: Fail; 401: Fail; 403: Fail; 404: Fail; 409: Fail; 429: Fail };
};
type Route = { parameters: { query?: never; header?: never; path?: never; cookie?: never } };
type Id = { id: string };

export type Role = 'owner' | 'manager' | 'support' | 'analyst';
export interface Session {
  user: { id: string; email: string; name: string | null };
  programs: { id: string; name: string; role: Role }[];
  csrfToken: string;
}
export interface TeamMember { userId: string; email: string; name: string | null; role: Role; createdAt: string }
export interface ApiKey { id: string; prefix: string; name: string; scopes: string[]; createdAt: string; revokedAt: string | null }
export interface AuditEntry {
  id: string;
  actor: { kind: 'user' | 'api_key'; id: string; label: string };
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  at: string;
}
export interface PortalMe {
  profile: { id: string; name: string | null; email: string | null; locale: string | null; referralCode?: string | null };
  balance: { available: number; pending: number; expiring: { points: number; expiresAt: string }[] };
  tier: string | null;
  tierProgress: { current: number; needed: number | null; nextTier: string | null } | null;
  program?: { name: string; pointsName: string };
}
export interface PortalReward {
  id: string;
  name: string | Record<string, string>;
  description: string | Record<string, string> | null;
  pointsCost: number;
  imageUrl?: string | null;
  affordable: boolean;
}
export interface PortalRedemption { id: string; coupon: { code: string; expiresAt: string | null } | null }
export interface PortalHistoryEntry { transactionId: string; kind: string; points: number; reason: string | null; createdAt: string }
/** Assumed to mirror GET /v1/members/{id}/referrals (the referrer view with share URLs). */
export interface PortalReferrals {
  code: string;
  enabled: boolean;
  friends: { referralId: string; friend: string; status: string; signedUpAt: string }[];
  pointsEarned: number;
  share: { link: string; message: string; urls: { email: string; whatsapp: string; x: string; facebook: string } } | null;
}
export interface PortalConsents { [purpose: string]: boolean }

type Slug = { slug: string };

export interface PendingPaths {
  '/v1/auth/login': Route & { post: Op<Session, { email: string; password: string }> };
  '/v1/auth/session': Route & { get: Op<Session> };
  '/v1/auth/logout': Route & { post: Op204 };
  '/v1/auth/password': Route & { post: Op204<{ currentPassword: string; newPassword: string }> };
  '/v1/team': Route & {
    get: Op<{ data: TeamMember[] }>;
    post: Op<{ member: TeamMember; temporaryPassword?: string }, { email: string; name: string; role: Role }, never, never, 201>;
  };
  '/v1/team/{userId}': Route & {
    patch: Op<TeamMember, { role: Role }, { userId: string }>;
    delete: Op204<never, { userId: string }>;
  };
  '/v1/api-keys': Route & {
    get: Op<{ data: ApiKey[] }>;
    post: Op<ApiKey & { key: string }, { name: string; scopes: string[] }, never, never, 201>;
  };
  '/v1/api-keys/{id}': Route & { delete: Op<ApiKey, never, Id> };
  '/v1/audit-log': Route & { get: Op<{ data: AuditEntry[]; nextCursor: string | null }, never, never, { cursor?: string; limit?: number }> };
  '/v1/portal/{slug}/me': Route & { get: Op<PortalMe, never, Slug> };
  '/v1/portal/{slug}/rewards': Route & { get: Op<{ data: PortalReward[] }, never, Slug> };
  '/v1/portal/{slug}/redemptions': Route & { post: Op<PortalRedemption, { rewardId: string }, Slug, never, 201> };
  '/v1/portal/{slug}/history': Route & {
    get: Op<{ data: PortalHistoryEntry[]; nextCursor: string | null }, never, Slug, { cursor?: string }>;
  };
  '/v1/portal/{slug}/referrals': Route & { get: Op<PortalReferrals, never, Slug> };
  '/v1/portal/{slug}/consents': Route & {
    get: Op<PortalConsents, never, Slug>;
    put: Op<PortalConsents, PortalConsents, Slug>;
  };
  '/v1/portal/{slug}/export': Route & { get: Op<Record<string, unknown>, never, Slug> };
}
