/** A programme's secret API keys as owners manage them: listed by prefix, created once, revoked. */
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { findApiKeyByPrefix } from '../../storage/repositories/programs.repository.js';
import { findApiKey, listApiKeys as listApiKeyRows, revokeApiKeyRow } from '../../storage/repositories/team.repository.js';
import type { ApiKeysTable } from '../../storage/schema.js';
import { inTransaction } from '../../storage/transaction.js';
import { createApiKey as issueProgramApiKey, forgetApiKey } from '../api-keys.service.js';
import { iso } from '../views.js';

export interface ApiKeyView {
  id: string;
  prefix: string;
  name: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}

function apiKeyView(row: ApiKeysTable): ApiKeyView {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: iso(row.createdAt),
    revokedAt: row.revokedAt === null ? null : iso(row.revokedAt),
  };
}

export async function listApiKeys(ctx: ServiceContext, programId: string): Promise<{ data: ApiKeyView[] }> {
  return { data: (await listApiKeyRows(ctx.storage.db, programId)).map(apiKeyView) };
}

/** @throws DomainError api_key_not_found */
export async function getApiKey(ctx: ServiceContext, programId: string, keyId: string): Promise<ApiKeyView> {
  const row = await findApiKey(ctx.storage.db, programId, keyId);
  if (!row) throw new DomainError('api_key_not_found', `No API key ${keyId}.`);
  return apiKeyView(row);
}

/**
 * Creates a key and returns it in full with its listing: the only time the secret is visible.
 * @throws DomainError validation_failed (/scopes)
 */
export async function createApiKey(ctx: ServiceContext, programId: string, name: string, scopes: string[]): Promise<ApiKeyView & { key: string }> {
  const key = await issueProgramApiKey(ctx, programId, name, scopes);
  const row = await findApiKeyByPrefix(ctx.storage.db, key.slice(0, 11));
  if (!row) throw new Error('the key just created is not there');
  return { ...apiKeyView(row), key };
}

/**
 * Revokes a key: from now on it is refused in this process at once (its cache entry is dropped), and in other
 * processes within the authentication cache's few seconds. Revoking a revoked key changes nothing.
 * @throws DomainError api_key_not_found
 */
export async function revokeApiKey(ctx: ServiceContext, programId: string, keyId: string): Promise<ApiKeyView> {
  const row = await inTransaction(ctx.storage, async (trx) => {
    if (!(await findApiKey(trx, programId, keyId))) throw new DomainError('api_key_not_found', `No API key ${keyId}.`);
    await revokeApiKeyRow(trx, programId, keyId, ctx.clock.now());
    return findApiKey(trx, programId, keyId);
  });
  forgetApiKey(keyId);
  if (!row) throw new DomainError('api_key_not_found', `No API key ${keyId}.`);
  return apiKeyView(row);
}
