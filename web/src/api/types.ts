/**
 * Names for the response shapes the apps pass around, taken from the generated schema (schema.d.ts, made by
 * `npm run gen:api` from docs/openapi.json) so they cannot drift from the server.
 */
import type { paths } from './schema';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: infer S } ? JsonOf<S> : R extends { 201: infer S } ? JsonOf<S> : never
  : never;

export type Session = Ok<'/v1/auth/session', 'get'>;
export type Role = Session['programs'][number]['role'];
export type PortalMe = Ok<'/v1/portal/{slug}/me', 'get'>;
export type Member = Ok<'/v1/members/{id}', 'get'>;

type CreateKeyBody = NonNullable<paths['/v1/api-keys']['post']['requestBody']>['content']['application/json'];
export type ApiScope = CreateKeyBody['scopes'][number];
