/**
 * Members: enrolment, profile, balance and the ledger that explains it. Personal data (email, name, phone,
 * birth date) is encrypted before it reaches storage; email is found through its blind index.
 */
import { DomainError } from '../domain/errors.js';
import type { LedgerTransactionKind, MemberAccount } from '../domain/ledger/posting.js';
import type { ServiceContext } from '../context.js';
import {
  findMember,
  findMemberByExternalId,
  listMembers as listMemberRows,
  updateMember as updateMemberRow,
} from '../storage/repositories/members.repository.js';
import { listExpiringLots, listMemberEntries } from '../storage/repositories/ledger.repository.js';
import { inTransaction, isUniqueViolation } from '../storage/transaction.js';
import { enqueueOutbox } from '../storage/outbox.js';
import { findProgram } from '../storage/repositories/programs.repository.js';
import { decodeCursor, encodeCursor, isIdCursor } from './cursor.js';
import { recordFingerprints, type ClientContext } from './fraud/referral-fraud.js';
import {
  checkAttributes, insertEnrolledMember, nameTermIndexes, normaliseEmail, profileColumns, writeNameTerms, type MemberProfileInput, type NewMemberInput,
} from './member-steps.js';
import { nameQueryTerms } from '../domain/members/name-search.js';
import { loadReferralProgram, startReferral } from './referrals/lifecycle.js';
import { readTierView, readTierViews } from './tiers/member-progress.js';
import { withoutDueExpiry } from './expiry-steps.js';
import { balanceView, iso, memberView, type BalanceView, type MemberView, type Page } from './views.js';

export interface EnrolMemberInput extends NewMemberInput {
  /** The client's view of the sign-up (IP, user agent, device id), kept only as keyed hashes for the fraud check. */
  context?: ClientContext;
}

export interface UpdateMemberInput extends MemberProfileInput {
  externalId?: string;
  status?: 'active' | 'blocked';
}

/**
 * Enrols a member with their own new referral code. With a referrer's code the member is linked to the referrer
 * (`referredBy`); when the programme's referral programme is on, the referral starts in the same transaction
 * (signed_up, then the sign-up fraud check). With the referral programme off (or none), the link is kept but no
 * referral is made: switching the programme on later does not reward earlier sign-ups.
 * @throws DomainError member_external_id_taken, referral_code_unknown, validation_failed
 */
export async function enrolMember(ctx: ServiceContext, programId: string, input: EnrolMemberInput): Promise<MemberView> {
  const now = ctx.clock.now();
  for (let attempt = 0; ; attempt++) {
    const id = ctx.ids.next('mbr');
    try {
      return await inTransaction(ctx.storage, async (trx) => {
        const program = await findProgram(trx, programId);
        if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
        let row = await insertEnrolledMember(ctx, trx, program, id, input, now);
        if (input.context) await recordFingerprints(ctx, trx, programId, id, input.context, now);
        if (row.referredByMemberId !== null && input.referralCode !== undefined) {
          const referralProgram = await loadReferralProgram(trx, programId);
          if (referralProgram?.enabled) {
            await startReferral(ctx, trx, program, referralProgram, {
              referrerMemberId: row.referredByMemberId,
              friendMemberId: id,
              code: input.referralCode.toUpperCase(),
              context: input.context ?? {},
            }, now);
            // The referral may have changed the new member (a sign-up reward for the friend).
            row = (await findMember(trx, programId, id)) ?? row;
          }
        }
        return { ...memberView(row, ctx.pii), ...(await readTierView(trx, program, row, now)) };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Either a concurrent enrolment took the externalId, or (rarely) the random referral code collided.
      if (await findMemberByExternalId(ctx.storage.db, programId, input.externalId)) {
        throw DomainError.field('member_external_id_taken', '/externalId', `A member with externalId ${input.externalId} already exists.`);
      }
      if (attempt >= 3) throw error;
    }
  }
}

/**
 * The member with their tier progress (`{metric, current, needed, nextTier, qualifiedTier, reviewAt}`, null when
 * the programme has no tiers) and perks (their level's and their active memberships').
 * @throws DomainError member_not_found
 */
export async function getMember(ctx: ServiceContext, programId: string, memberId: string): Promise<MemberView> {
  const db = ctx.storage.db;
  const found = await findMember(db, programId, memberId);
  if (!found) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const program = await findProgram(db, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  const now = ctx.clock.now();
  const [row = found] = await withoutDueExpiry(db, [found], now);
  return { ...memberView(row, ctx.pii), ...(await readTierView(db, program, row, now)) };
}

/**
 * Members, by id, optionally only those with an externalId, an e-mail address (through its blind index) or a
 * name (every word of `name` a word or word beginning of theirs: domain/members/name-search.ts).
 * @throws DomainError invalid_cursor, validation_failed (a name search with no word to search)
 */
export async function listMembers(
  ctx: ServiceContext,
  programId: string,
  query: { externalId?: string; email?: string; name?: string; cursor?: string; limit?: number },
): Promise<Page<MemberView>> {
  const limit = query.limit ?? 50;
  let nameTermIndexesWanted: string[] | undefined;
  if (query.name !== undefined) {
    const words = nameQueryTerms(query.name);
    if (words.length === 0) throw DomainError.field('validation_failed', '/querystring/name', 'Search a name by at least one word of two letters or more.');
    nameTermIndexesWanted = nameTermIndexes(ctx, words);
  }
  const rows = await listMemberRows(ctx.storage.db, programId, {
    externalId: query.externalId,
    emailIndex: query.email === undefined ? undefined : ctx.pii.blindIndex(normaliseEmail(query.email)),
    nameTermIndexes: nameTermIndexesWanted,
    afterId: query.cursor === undefined ? undefined : decodeCursor(query.cursor, isIdCursor).after,
    limit,
  });
  const page = await withoutDueExpiry(ctx.storage.db, rows.slice(0, limit), ctx.clock.now());
  const last = page.at(-1);
  const program = await findProgram(ctx.storage.db, programId);
  const tiers = program ? await readTierViews(ctx.storage.db, program, page, ctx.clock.now()) : new Map<string, never>();
  return {
    data: page.map((row) => ({ ...memberView(row, ctx.pii), ...tiers.get(row.id) })),
    nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null,
  };
}

/**
 * Changes a member's profile; attributes merge key by key (a null value removes the key).
 * @throws DomainError member_not_found, member_erased, member_external_id_taken, validation_failed
 */
export async function updateMember(ctx: ServiceContext, programId: string, memberId: string, input: UpdateMemberInput): Promise<MemberView> {
  try {
    return await inTransaction(ctx.storage, async (trx) => {
      const row = await findMember(trx, programId, memberId);
      if (!row) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
      if (row.status === 'erased') throw new DomainError('member_erased', `Member ${memberId} was erased; an erased member cannot be changed.`);
      const changes = profileColumns(ctx, input);
      if (input.attributes !== undefined) {
        const merged: Record<string, unknown> = { ...(JSON.parse(row.attributes) as Record<string, unknown>) };
        for (const [key, value] of Object.entries(input.attributes)) {
          if (value === null) delete merged[key];
          else merged[key] = value;
        }
        changes.attributes = checkAttributes(merged);
      }
      if (input.externalId !== undefined && input.externalId !== row.externalId) {
        if (await findMemberByExternalId(trx, programId, input.externalId)) {
          throw DomainError.field('member_external_id_taken', '/externalId', `A member with externalId ${input.externalId} already exists.`);
        }
        changes.externalId = input.externalId;
      }
      if (input.status !== undefined) changes.status = input.status;
      const now = ctx.clock.now();
      // The message names what changed, not the new personal data: a webhook receiver that needs it reads the member.
      const changed = Object.keys(input).filter((key) => input[key as keyof UpdateMemberInput] !== undefined);
      changes.updatedAt = now;
      await updateMemberRow(trx, programId, memberId, changes);
      if (input.name !== undefined) await writeNameTerms(ctx, trx, programId, memberId, input.name);
      const [updated] = await withoutDueExpiry(trx, [await findMember(trx, programId, memberId)].filter((row) => row !== undefined), now);
      if (!updated) throw new Error('member vanished inside its own transaction');
      await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'member.updated', memberId, data: { memberId, externalId: updated.externalId, status: updated.status, changed } }], now);
      const program = await findProgram(trx, programId);
      if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
      return { ...memberView(updated, ctx.pii), ...(await readTierView(trx, program, updated, now)) };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw DomainError.field('member_external_id_taken', '/externalId', `A member with externalId ${input.externalId} already exists.`);
    }
    throw error;
  }
}

/** @throws DomainError member_not_found */
export async function getBalance(ctx: ServiceContext, programId: string, memberId: string): Promise<BalanceView> {
  const found = await findMember(ctx.storage.db, programId, memberId);
  if (!found) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const now = ctx.clock.now();
  const [row = found] = await withoutDueExpiry(ctx.storage.db, [found], now);
  return balanceView(row, await listExpiringLots(ctx.storage.db, programId, memberId, now));
}

export interface LedgerEntryView {
  transactionId: string;
  kind: LedgerTransactionKind;
  account: MemberAccount;
  points: number;
  lotId: string | null;
  ruleId: string | null;
  ruleVersion: number | null;
  eventId: string | null;
  reason: string | null;
  createdAt: string;
}

const isEntryCursor = (v: unknown): v is { transactionId: string; line: number } =>
  typeof v === 'object' && v !== null && typeof (v as { transactionId?: unknown }).transactionId === 'string' &&
  typeof (v as { line?: unknown }).line === 'number';

/**
 * The member's ledger entries, newest first: each says which transaction moved how many points on which of
 * the member's accounts, and why (the event and rule, the adjustment's reason, expiry, release).
 * @throws DomainError member_not_found, invalid_cursor
 */
export async function getLedger(
  ctx: ServiceContext,
  programId: string,
  memberId: string,
  query: { cursor?: string; limit?: number },
): Promise<Page<LedgerEntryView>> {
  if (!(await findMember(ctx.storage.db, programId, memberId))) {
    throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  }
  const limit = query.limit ?? 50;
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isEntryCursor);
  const rows = await listMemberEntries(ctx.storage.db, programId, memberId, after, limit);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => ({
      transactionId: r.transactionId,
      kind: r.kind as LedgerTransactionKind,
      account: r.account as MemberAccount,
      points: r.amount,
      lotId: r.lotId,
      ruleId: r.ruleId,
      ruleVersion: r.ruleVersion,
      eventId: r.eventId,
      reason: r.reason,
      createdAt: iso(r.createdAt),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ transactionId: last.transactionId, line: last.line }) : null,
  };
}
