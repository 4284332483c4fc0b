/**
 * The owner's side of the member portal: where it lives (slug), what member tokens must say (issuer, audience),
 * and the secrets shops sign them with. A secret is shown once, when it is made; it is kept encrypted (not
 * hashed like an API key) because verifying an HMAC needs it. Several active secrets at once let a shop rotate:
 * make a new one, switch the signer to its kid, revoke the old one.
 */
import crypto from 'node:crypto';
import { DomainError } from '../../domain/errors.js';
import { checkSlug } from '../../domain/portal/slug.js';
import type { ServiceContext } from '../../context.js';
import { findMemberByExternalId } from '../../storage/repositories/members.repository.js';
import {
  findProgramBySlug,
  insertPortalKey,
  listPortalKeys as listPortalKeyRows,
  revokePortalKey as revokePortalKeyRow,
  updatePortalSettings as updatePortalSettingsRow,
} from '../../storage/repositories/portal.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import type { ProgramRow } from '../../storage/schema.js';
import { inTransaction, isUniqueViolation, type Trx } from '../../storage/transaction.js';
import { iso } from '../views.js';
import { maxTokenLifeSeconds, portalIssuerOf, signMemberToken } from './member-token.js';

export interface PortalSettingsView {
  slug: string;
  issuer: string;
  audience: string;
}

export interface PortalKeyView {
  kid: string;
  createdAt: string;
  revokedAt: string | null;
}

function settingsView(program: ProgramRow): PortalSettingsView {
  return { slug: program.slug, issuer: portalIssuerOf(program), audience: program.portalAudience };
}

async function mustFindProgram(db: Trx, programId: string): Promise<ProgramRow> {
  const program = await findProgram(db, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  return program;
}

/** @throws DomainError program_not_found */
export async function getPortalSettings(ctx: ServiceContext, programId: string): Promise<PortalSettingsView> {
  return settingsView(await mustFindProgram(ctx.storage.db, programId));
}

function checkClaimValue(value: string, pointer: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw DomainError.field('validation_failed', pointer, `${pointer.slice(1)} is a text of 1 to 200 characters.`);
  return trimmed;
}

const slugTaken = (slug: string) => DomainError.field('program_slug_taken', '/slug', `Another programme's portal lives at /p/${slug}.`);

/**
 * Moves the portal to another slug or changes what member tokens must carry as `iss` and `aud`. Tokens signed
 * for the old values stop working at once.
 * @throws DomainError program_not_found, validation_failed, program_slug_taken
 */
export async function updatePortalSettings(
  ctx: ServiceContext,
  programId: string,
  input: { slug?: string; issuer?: string; audience?: string },
): Promise<PortalSettingsView> {
  const slug = input.slug === undefined ? undefined : checkSlug(input.slug, '/slug');
  const issuer = input.issuer === undefined ? undefined : checkClaimValue(input.issuer, '/issuer');
  const audience = input.audience === undefined ? undefined : checkClaimValue(input.audience, '/audience');
  try {
    return await inTransaction(ctx.storage, async (trx) => {
      await mustFindProgram(trx, programId);
      if (slug !== undefined) {
        const holder = await findProgramBySlug(trx, slug);
        if (holder && holder.id !== programId) throw slugTaken(slug);
      }
      await updatePortalSettingsRow(trx, programId, { slug, portalIssuer: issuer, portalAudience: audience, updatedAt: ctx.clock.now() });
      return settingsView(await mustFindProgram(trx, programId));
    });
  } catch (error) {
    // Two programmes claiming one free slug at once: the unique index decides, the loser hears it as taken.
    if (isUniqueViolation(error) && slug !== undefined) throw slugTaken(slug);
    throw error;
  }
}

function newSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function newKid(): string {
  return `pk_${crypto.randomBytes(12).toString('base64url')}`;
}

async function addKey(ctx: ServiceContext, trx: Trx, programId: string, now: number): Promise<{ kid: string; secret: string }> {
  const key = { kid: newKid(), secret: newSecret() };
  await insertPortalKey(trx, { programId, kid: key.kid, secretCipher: ctx.pii.encrypt(key.secret), createdAt: now, revokedAt: null });
  return key;
}

/**
 * Makes a new signing secret; the answer is the only time the secret is shown.
 * @throws DomainError program_not_found
 */
export async function createPortalKey(ctx: ServiceContext, programId: string): Promise<{ kid: string; secret: string; createdAt: string }> {
  const now = ctx.clock.now();
  return inTransaction(ctx.storage, async (trx) => {
    await mustFindProgram(trx, programId);
    const key = await addKey(ctx, trx, programId, now);
    return { ...key, createdAt: iso(now) };
  });
}

/** The programme's signing secrets, without the secrets, oldest first. */
export async function listPortalKeys(ctx: ServiceContext, programId: string): Promise<{ data: PortalKeyView[] }> {
  const rows = await listPortalKeyRows(ctx.storage.db, programId);
  return { data: rows.map((row) => ({ kid: row.kid, createdAt: iso(row.createdAt), revokedAt: row.revokedAt === null ? null : iso(row.revokedAt) })) };
}

/**
 * Revokes a signing secret: tokens with its kid are refused from now on. Revoking a revoked secret changes nothing.
 * @throws DomainError portal_key_not_found
 */
export async function revokePortalKey(ctx: ServiceContext, programId: string, kid: string): Promise<PortalKeyView> {
  const now = ctx.clock.now();
  return inTransaction(ctx.storage, async (trx) => {
    await revokePortalKeyRow(trx, programId, kid, now);
    const row = (await listPortalKeyRows(trx, programId)).find((key) => key.kid === kid);
    if (!row) throw new DomainError('portal_key_not_found', `No portal secret ${kid} in this programme.`);
    return { kid: row.kid, createdAt: iso(row.createdAt), revokedAt: row.revokedAt === null ? null : iso(row.revokedAt) };
  });
}

/**
 * Signs a member token as a shop's backend would, with the programme's newest active secret (making one when it
 * has none): for the CLI, demos and trying the portal out.
 * @throws DomainError program_not_found, member_not_found, validation_failed (ttl)
 */
export async function issueMemberToken(
  ctx: ServiceContext,
  programId: string,
  externalId: string,
  ttlSeconds = 600,
): Promise<{ token: string; kid: string; slug: string; expiresAt: string }> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTokenLifeSeconds) {
    throw DomainError.field('validation_failed', '/ttl', `A token lives 1 to ${maxTokenLifeSeconds} seconds.`);
  }
  const now = ctx.clock.now();
  const { program, key } = await inTransaction(ctx.storage, async (trx) => {
    const program = await mustFindProgram(trx, programId);
    if (!(await findMemberByExternalId(trx, programId, externalId))) throw new DomainError('member_not_found', `No member with externalId ${externalId} in this programme.`);
    const active = (await listPortalKeyRows(trx, programId)).filter((row) => row.revokedAt === null).at(-1);
    const key = active ? { kid: active.kid, secret: ctx.pii.decrypt(active.secretCipher) } : await addKey(ctx, trx, programId, now);
    return { program, key };
  });
  const token = await signMemberToken(program, key, externalId, now, ttlSeconds);
  return { token, kid: key.kid, slug: program.slug, expiresAt: iso((Math.floor(now / 1000) + ttlSeconds) * 1000) };
}

/**
 * A link that opens the member portal signed in as the member: `{baseUrl}/p/{slug}#token=…` (the token in the
 * fragment, so it never reaches a server log). The token lives the longest allowed, an hour.
 * @throws DomainError program_not_found, member_not_found
 */
export async function issueDemoPortalLink(ctx: ServiceContext, programId: string, externalId: string, baseUrl: string): Promise<string> {
  const { token, slug } = await issueMemberToken(ctx, programId, externalId, maxTokenLifeSeconds);
  return `${baseUrl.replace(/\/+$/, '')}/p/${encodeURIComponent(slug)}#token=${token}`;
}
