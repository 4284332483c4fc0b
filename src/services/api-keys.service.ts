/**
 * Secret API keys: `sk_` + 8 readable characters (the prefix, kept in clear to find the key) + 32 secret ones.
 * Only a SHA-256 hash of the whole key is stored: the key has 190 bits of randomness, so a slow password hash
 * would add latency to every request without adding safety. Verified keys are cached briefly so that
 * authentication does not cost a database read per request; a revocation takes effect at once in the process
 * that revoked the key (`forgetApiKey`) and within the cache's TTL in others.
 */
import crypto from 'node:crypto';
import { randomCode, type ServiceContext } from '../context.js';
import { DomainError } from '../domain/errors.js';
import { apiScopes } from '../domain/scopes.js';
import { findApiKeyByPrefix, findProgram, insertApiKey } from '../storage/repositories/programs.repository.js';
import { inTransaction, type Trx } from '../storage/transaction.js';

export interface ApiPrincipal {
  programId: string;
  keyId: string;
  scopes: string[];
  /** What the key is for and its readable prefix: how the audit log names it. */
  name: string;
  prefix: string;
}

const PREFIX_LENGTH = 11; // 'sk_' + 8
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 1_000;
const cache = new Map<string, { principal: ApiPrincipal; until: number }>();

function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/** Creates a key inside the caller's transaction and returns it in full: the only time it is visible. */
export async function issueApiKey(ctx: ServiceContext, trx: Trx, programId: string, name: string, scopes: string[]): Promise<string> {
  const prefix = `sk_${randomCode(8).toLowerCase()}`;
  const key = prefix + crypto.randomBytes(24).toString('base64url');
  await insertApiKey(trx, {
    id: ctx.ids.next('key'),
    programId,
    prefix,
    secretHash: hashKey(key),
    scopes: JSON.stringify(scopes),
    name,
    createdAt: ctx.clock.now(),
    revokedAt: null,
  });
  return key;
}

/** The programme and scopes of a presented key, or null when it is unknown, wrong or revoked. */
export async function authenticateApiKey(ctx: ServiceContext, presented: string): Promise<ApiPrincipal | null> {
  if (!presented.startsWith('sk_') || presented.length !== PREFIX_LENGTH + 32) return null;
  const now = Date.now();
  const hash = hashKey(presented);
  const cached = cache.get(hash);
  if (cached && cached.until > now) return cached.principal;
  const row = await findApiKeyByPrefix(ctx.storage.db, presented.slice(0, PREFIX_LENGTH));
  if (!row || row.revokedAt !== null) return null;
  const a = Buffer.from(row.secretHash, 'hex');
  const b = Buffer.from(hash, 'hex');
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
  const principal: ApiPrincipal = { programId: row.programId, keyId: row.id, scopes: JSON.parse(row.scopes) as string[], name: row.name, prefix: row.prefix };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(hash, { principal, until: now + CACHE_TTL_MS });
  return principal;
}

/**
 * Creates another secret key for a programme, e.g. a read-only one for a reporting tool.
 * @throws DomainError program_not_found, validation_failed (unknown scope)
 */
export async function createApiKey(ctx: ServiceContext, programId: string, name: string, scopes: string[]): Promise<string> {
  const unknown = scopes.find((scope) => scope !== '*' && !(apiScopes as readonly string[]).includes(scope));
  if (unknown !== undefined || scopes.length === 0) {
    throw DomainError.field('validation_failed', '/scopes', `Scopes are * or any of ${apiScopes.join(', ')}${unknown ? `; ${unknown} is not one` : ''}.`);
  }
  return inTransaction(ctx.storage, async (trx) => {
    if (!(await findProgram(trx, programId))) throw new DomainError('program_not_found', `No programme ${programId}.`);
    return issueApiKey(ctx, trx, programId, name, scopes);
  });
}

/** Drops a key from this process's cache, so its revocation takes effect here at once. */
export function forgetApiKey(keyId: string): void {
  for (const [hash, entry] of cache) {
    if (entry.principal.keyId === keyId) cache.delete(hash);
  }
}
