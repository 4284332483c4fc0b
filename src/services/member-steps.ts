/**
 * The steps of enrolling and changing a member, shared by the single enrolment and update (members.service.ts)
 * and the bulk member import (bulk/): personal data is encrypted before it reaches storage, and e-mail is
 * findable only through its blind index.
 */
import type { Updateable } from 'kysely';
import { DomainError } from '../domain/errors.js';
import { monthDay } from '../domain/periods.js';
import { randomCode, type ServiceContext } from '../context.js';
import { nameSearchTerms } from '../domain/members/name-search.js';
import { findMember, findMemberByExternalId, findMemberByReferralCode, insertMember, replaceMemberNameTerms } from '../storage/repositories/members.repository.js';
import { enqueueOutbox } from '../storage/outbox.js';
import type { MemberRow, MembersTable, ProgramRow } from '../storage/schema.js';
import type { Trx } from '../storage/transaction.js';
import { emailIdentityIndex } from './fraud/referral-fraud.js';
import { placeEnrolledMember } from './tiers/enrolment.js';

export interface MemberProfileInput {
  email?: string | null;
  name?: string | null;
  phone?: string | null;
  birthDate?: string | null;
  locale?: string | null;
  attributes?: Record<string, unknown>;
}

const MAX_ATTRIBUTES_BYTES = 8_192;
const REFERRAL_CODE_LENGTH = 8;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The attributes as stored (JSON text).
 * @throws DomainError validation_failed when they are too large
 */
export function checkAttributes(attributes: Record<string, unknown>): string {
  const json = JSON.stringify(attributes);
  if (Buffer.byteLength(json) > MAX_ATTRIBUTES_BYTES) {
    throw DomainError.field('validation_failed', '/attributes', `attributes may hold at most ${MAX_ATTRIBUTES_BYTES} bytes of JSON.`);
  }
  return json;
}

/** The columns a profile change sets: personal data sealed, e-mail with its blind indexes. */
export function profileColumns(ctx: ServiceContext, input: MemberProfileInput): Updateable<MembersTable> {
  const seal = (value: string | null | undefined) => (value === undefined ? undefined : value === null ? null : ctx.pii.encrypt(value));
  const columns: Updateable<MembersTable> = {};
  if (input.email !== undefined) {
    columns.emailCipher = seal(input.email === null ? null : normaliseEmail(input.email));
    columns.emailIndex = input.email === null ? null : ctx.pii.blindIndex(normaliseEmail(input.email));
    // The person behind the address (dots and +tags folded where the provider ignores them): the same-person signal.
    columns.emailIdentityIndex = emailIdentityIndex(ctx, input.email);
  }
  if (input.name !== undefined) columns.nameCipher = seal(input.name);
  if (input.phone !== undefined) columns.phoneCipher = seal(input.phone);
  if (input.birthDate !== undefined) {
    columns.birthDateCipher = seal(input.birthDate);
    // Month and day in the clear (no year) let the birthday job find today's members by index.
    columns.birthday = input.birthDate === null ? null : input.birthDate.slice(5, 10);
  }
  if (input.locale !== undefined) columns.locale = input.locale;
  return columns;
}

/**
 * The keyed hashes a name's search terms are stored and looked up as. Prefixed, so a name term and an e-mail
 * address never share an index value.
 */
export function nameTermIndexes(ctx: ServiceContext, terms: readonly string[]): string[] {
  return terms.map((term) => ctx.pii.blindIndex(`member-name:${term}`));
}

/** Keeps the member's name terms in step with a name just written (null: no name, no terms). */
export async function writeNameTerms(ctx: ServiceContext, trx: Trx, programId: string, memberId: string, name: string | null): Promise<void> {
  await replaceMemberNameTerms(trx, programId, memberId, name === null ? [] : nameTermIndexes(ctx, nameSearchTerms(name)));
}

export interface NewMemberInput extends MemberProfileInput {
  externalId: string;
  /** The referral code of the member who referred this one: kept as the link `referredByMemberId`. */
  referralCode?: string;
}

/**
 * Writes a new member with their own referral code, the `member.created` message and their starting tier, in
 * the caller's transaction. A random referral code may collide (a unique violation the caller retries).
 * @throws DomainError member_external_id_taken, referral_code_unknown, validation_failed
 */
export async function insertEnrolledMember(ctx: ServiceContext, trx: Trx, program: ProgramRow, id: string, input: NewMemberInput, now: number): Promise<MemberRow> {
  const programId = program.id;
  const attributes = checkAttributes(input.attributes ?? {});
  if (await findMemberByExternalId(trx, programId, input.externalId)) {
    throw DomainError.field('member_external_id_taken', '/externalId', `A member with externalId ${input.externalId} already exists.`);
  }
  let referredBy: string | null = null;
  if (input.referralCode !== undefined) {
    const referrer = await findMemberByReferralCode(trx, programId, input.referralCode.toUpperCase());
    if (!referrer) throw DomainError.field('referral_code_unknown', '/referralCode', `No member has referral code ${input.referralCode}.`);
    referredBy = referrer.id;
  }
  await insertMember(trx, {
    programId,
    id,
    externalId: input.externalId,
    emailCipher: null,
    emailIndex: null,
    nameCipher: null,
    phoneCipher: null,
    birthDateCipher: null,
    birthday: null,
    locale: null,
    ...profileColumns(ctx, input),
    anniversary: monthDay(new Date(now), program.timezone),
    attributes,
    referralCode: randomCode(REFERRAL_CODE_LENGTH),
    referredByMemberId: referredBy,
    tier: null,
    status: 'active',
    available: 0,
    pending: 0,
    lifetimeEarned: 0,
    purchaseCount: 0,
    refundedOrders: 0,
    createdAt: now,
    updatedAt: now,
  });
  if (input.name) await writeNameTerms(ctx, trx, programId, id, input.name);
  await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'member.created', memberId: id, data: { memberId: id, externalId: input.externalId, referredByMemberId: referredBy } }], now);
  await placeEnrolledMember(ctx, trx, program, id, now);
  const row = await findMember(trx, programId, id);
  if (!row) throw new Error('member vanished inside its own transaction');
  return row;
}
