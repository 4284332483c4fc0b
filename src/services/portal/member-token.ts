/**
 * Member tokens: how the member portal knows who is looking. The shop's backend, which already knows its
 * customer, signs a short-lived HS256 JWT with one of the programme's portal secrets: header `kid` names the
 * secret, `iss` and `aud` are the programme's portal settings, `sub` is the member's externalId, and `exp` is
 * at most an hour after `iat`. Only HS256 is accepted, so a token cannot pick a weaker or asymmetric algorithm
 * (`none`, or RS256 with the secret as a "public key"). Every refusal is `portal_token_invalid` with a detail
 * saying what was wrong, so a shop's developer can fix their signer; that a member does not exist is only ever
 * said to the holder of a correctly signed token.
 *
 * The secret's key material is the UTF-8 of the secret as shown (what JWT libraries do with a string secret).
 */
import { errors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { DomainError } from '../../domain/errors.js';
import type { ServiceContext } from '../../context.js';
import { findMemberByExternalId } from '../../storage/repositories/members.repository.js';
import { findActivePortalKey, findProgramBySlug } from '../../storage/repositories/portal.repository.js';
import type { ProgramRow } from '../../storage/schema.js';

/** The longest life a member token may have: exp − iat. */
export const maxTokenLifeSeconds = 3600;
/** Clock skew allowed between the shop's signer and this server. */
const clockToleranceSeconds = 30;
export const defaultPortalAudience = 'trouw:portal';

/** The member a valid token names. */
export interface PortalMember {
  programId: string;
  memberId: string;
  externalId: string;
  status: string;
}

export function portalIssuerOf(program: Pick<ProgramRow, 'id' | 'portalIssuer'>): string {
  return program.portalIssuer ?? program.id;
}

const invalid = (detail: string) => new DomainError('portal_token_invalid', detail);

/** Thrown inside jose's key lookup, so the outer catch can tell a kid problem from jose's own errors. */
class KidProblem extends Error {}

function reasonOf(error: unknown): string {
  if (error instanceof KidProblem) return error.message;
  if (error instanceof errors.JWTExpired) {
    return error.claim === 'iat' ? 'The token was issued more than an hour ago.' : 'The token has expired.';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `The token has no "${error.claim}" claim.`;
    switch (error.claim) {
      case 'iss': return 'The token has the wrong issuer (iss): it must be the programme\'s portal issuer.';
      case 'aud': return 'The token has the wrong audience (aud): it must be the programme\'s portal audience.';
      case 'nbf': return 'The token is not valid yet (nbf).';
      case 'iat': return 'The token was issued in the future (iat).';
      default: return `The token's "${error.claim}" claim is invalid.`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'The token must be signed with HS256.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token\'s signature does not verify (bad signature).';
  return 'The token is malformed: a JWT (header.payload.signature) is expected.';
}

async function programOfSlug(ctx: ServiceContext, slug: string): Promise<ProgramRow> {
  const program = await findProgramBySlug(ctx.storage.db, slug);
  if (!program) throw new DomainError('program_not_found', `No member portal at /p/${slug}.`);
  return program;
}

/**
 * Verifies a member token for the portal at `slug` and returns the member it names.
 * @throws DomainError program_not_found (no portal at this slug), portal_token_invalid
 */
export async function verifyMemberToken(ctx: ServiceContext, slug: string, token: string): Promise<PortalMember> {
  const program = await programOfSlug(ctx, slug);
  let subject: unknown;
  let issuedAt: unknown;
  let expiresAt: unknown;
  try {
    const { payload } = await jwtVerify(
      token,
      async (header: JWTHeaderParameters) => {
        if (typeof header.kid !== 'string' || header.kid.length === 0) throw new KidProblem('The token\'s header has no kid naming the portal secret that signed it.');
        const key = await findActivePortalKey(ctx.storage.db, program.id, header.kid);
        if (!key) throw new KidProblem(`The token's kid ${header.kid} is not an active portal secret of this programme (unknown or revoked).`);
        return new TextEncoder().encode(ctx.pii.decrypt(key.secretCipher));
      },
      {
        algorithms: ['HS256'],
        issuer: portalIssuerOf(program),
        audience: program.portalAudience,
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: maxTokenLifeSeconds,
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(ctx.clock.now()),
      },
    );
    subject = payload.sub;
    issuedAt = payload.iat;
    expiresAt = payload.exp;
  } catch (error) {
    throw invalid(reasonOf(error));
  }
  if (typeof subject !== 'string' || subject.length === 0) throw invalid('The token\'s "sub" claim must be the member\'s externalId.');
  if ((expiresAt as number) - (issuedAt as number) > maxTokenLifeSeconds) {
    throw invalid(`The token lives too long: exp may be at most ${maxTokenLifeSeconds} seconds after iat.`);
  }
  const member = await findMemberByExternalId(ctx.storage.db, program.id, subject);
  if (!member) throw invalid('The token\'s subject is not a member of this programme.');
  return { programId: program.id, memberId: member.id, externalId: member.externalId, status: member.status };
}

/** Signs a member token the way a shop's backend would (the CLI and the demo use it). */
export async function signMemberToken(
  program: Pick<ProgramRow, 'id' | 'portalIssuer' | 'portalAudience'>,
  key: { kid: string; secret: string },
  externalId: string,
  nowMs: number,
  ttlSeconds: number,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setIssuer(portalIssuerOf(program))
    .setAudience(program.portalAudience)
    .setSubject(externalId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(new TextEncoder().encode(key.secret));
}
