/**
 * Paid membership plans (like Amazon Prime), billed by the business elsewhere and recorded here. While a
 * membership is active it grants its plan's level (the member's effective level is at least that) and its
 * perks. It is `scheduled` until `startsAt`, `active` until `endsAt`, then `ended`; the job
 * `applyMembershipChanges` moves it along, in bounded batches that claim the members (SKIP LOCKED on
 * PostgreSQL) and re-read their memberships under the lock, so no membership starts or ends twice.
 *
 * Renewals extend a membership: `renewMembership` moves its `endsAt` later; and recording a new membership for a
 * member and plan that overlaps or abuts one that has not ended extends that one instead (its `endsAt` becomes
 * the later of the two; a scheduled one also starts at the earlier start), answered with the extended
 * membership and `created: false`. An ended membership is not renewed (`membership_ended`): record a new one.
 */
import { DomainError } from '../domain/errors.js';
import { rankOf } from '../domain/tiers/tier.js';
import type { ServiceContext } from '../context.js';
import { enqueueOutbox, type OutboxMessage } from '../storage/outbox.js';
import { findMember, lockMember, lockMembers } from '../storage/repositories/members.repository.js';
import {
  claimMembersWithDueMemberships,
  findMembership,
  findMembershipPlan,
  insertMembership,
  insertMembershipPlan,
  listMembershipPlans as listPlanRows,
  listMembershipsOfMember,
  listOpenMembershipsOfMember,
  updateMembership,
} from '../storage/repositories/memberships.repository.js';
import { findTierConfig } from '../storage/repositories/tiers.repository.js';
import type { MembershipsTable } from '../storage/tiers.schema.js';
import { inTransaction, type Trx } from '../storage/transaction.js';
import type { Selectable } from 'kysely';
import { decodeCursor, encodeCursor, isIdCursor } from './cursor.js';
import { runIdempotent } from './idempotency.js';
import { syncMembershipTier } from './tiers/membership-tier.js';
import type { TierChangeReason } from './tiers/tier-changes.js';
import { membershipPlanView, membershipView, type MembershipPlanView, type MembershipView, type Page } from './views.js';

export interface CreateMembershipPlanInput {
  name: string;
  tier?: string | null;
  perks?: string[];
}

/**
 * Creates a plan; its tier must name a configured level.
 * @throws DomainError validation_failed (/name, /tier, /perks/i)
 */
export async function createMembershipPlan(ctx: ServiceContext, programId: string, input: CreateMembershipPlanInput): Promise<MembershipPlanView> {
  const name = input.name.trim();
  if (name.length === 0) throw DomainError.field('validation_failed', '/name', 'A plan needs a name.');
  const perks = (input.perks ?? []).map((perk) => perk.trim());
  const empty = perks.findIndex((perk) => perk.length === 0);
  if (empty >= 0) throw DomainError.field('validation_failed', `/perks/${empty}`, 'A perk is a non-empty text.');
  return inTransaction(ctx.storage, async (trx) => {
    const tier = input.tier ?? null;
    if (tier !== null) {
      const config = (await findTierConfig(trx, programId))?.config;
      if (!config || rankOf(config.levels, tier) < 0) {
        const known = config ? config.levels.map((l) => l.name).join(', ') : 'none (no tiers are configured)';
        throw DomainError.field('validation_failed', '/tier', `tier names a configured level; the levels are ${known}.`);
      }
    }
    const now = ctx.clock.now();
    const row = { programId, id: ctx.ids.next('pln'), name, tier, perks: JSON.stringify([...new Set(perks)]), createdAt: now };
    await insertMembershipPlan(trx, row);
    return membershipPlanView(row);
  });
}

/** @throws DomainError invalid_cursor */
export async function listMembershipPlans(ctx: ServiceContext, programId: string, query: { cursor?: string; limit?: number }): Promise<Page<MembershipPlanView>> {
  const limit = query.limit ?? 50;
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isIdCursor).after;
  const rows = await listPlanRows(ctx.storage.db, programId, after, limit);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(membershipPlanView), nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null };
}

/** @throws DomainError membership_plan_not_found */
export async function getMembershipPlan(ctx: ServiceContext, programId: string, planId: string): Promise<MembershipPlanView> {
  const row = await findMembershipPlan(ctx.storage.db, programId, planId);
  if (!row) throw new DomainError('membership_plan_not_found', `No membership plan ${planId} in this programme.`);
  return membershipPlanView(row);
}

export interface RecordMembershipInput {
  memberId: string;
  planId: string;
  startsAt: string;
  endsAt: string;
}

export interface MembershipOutcome {
  replayed: boolean;
  /** False when the request extended an overlapping or abutting membership of the same plan. */
  created: boolean;
  membership: MembershipView;
}

function parseInstant(value: string, pointer: string): number {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw DomainError.field('validation_failed', pointer, `${pointer.slice(1)} is an RFC 3339 date-time.`);
  return at;
}

function membershipMessage(type: OutboxMessage['type'], row: Selectable<MembershipsTable>, extra: Record<string, unknown> = {}): OutboxMessage {
  return { type, memberId: row.memberId, data: { ...membershipView(row), ...extra } };
}

/**
 * Records a paid membership (billed elsewhere), or extends an overlapping one of the same plan (module header).
 * Retries are safe with an Idempotency-Key.
 * @throws DomainError validation_failed, member_not_found, membership_plan_not_found, member_blocked,
 *   idempotency_key_reused_with_different_body
 */
export async function recordMembership(
  ctx: ServiceContext,
  programId: string,
  input: RecordMembershipInput,
  idempotencyKey?: string,
): Promise<MembershipOutcome> {
  const startsAt = parseInstant(input.startsAt, '/startsAt');
  const endsAt = parseInstant(input.endsAt, '/endsAt');
  if (endsAt <= startsAt) throw DomainError.field('validation_failed', '/endsAt', 'endsAt is after startsAt.');
  const request = { key: idempotencyKey, scope: 'membership', body: { memberId: input.memberId, planId: input.planId, startsAt, endsAt } };
  const { replayed, value } = await runIdempotent(
    ctx,
    programId,
    request,
    async (trx, now) => {
      const member = await lockMember(trx, ctx.storage, programId, { memberId: input.memberId });
      if (!member) throw DomainError.field('member_not_found', '/memberId', `No member ${input.memberId} in this programme.`);
      const plan = await findMembershipPlan(trx, programId, input.planId);
      if (!plan) throw DomainError.field('membership_plan_not_found', '/planId', `No membership plan ${input.planId} in this programme.`);
      if (member.status !== 'active') throw new DomainError('member_blocked', `Member ${member.id} is blocked; unblock them before giving them a membership.`);
      if (endsAt <= now) throw DomainError.field('validation_failed', '/endsAt', 'endsAt lies in the past; a membership that has already ended grants nothing.');

      const overlapping = (await listOpenMembershipsOfMember(trx, programId, member.id)).find(
        (m) => m.planId === plan.id && m.startsAt <= endsAt && startsAt <= m.endsAt,
      );
      const messages: OutboxMessage[] = [];
      let row: Selectable<MembershipsTable>;
      let reason: TierChangeReason | null = null;
      if (overlapping) {
        const { planTier: _tier, planPerks: _perks, ...existing } = overlapping;
        const newStartsAt = existing.status === 'scheduled' ? Math.min(existing.startsAt, startsAt) : existing.startsAt;
        const starts = existing.status === 'scheduled' && newStartsAt <= now;
        row = { ...existing, startsAt: newStartsAt, endsAt: Math.max(existing.endsAt, endsAt), status: starts ? 'active' : existing.status, updatedAt: now };
        await updateMembership(trx, programId, row.id, { startsAt: row.startsAt, endsAt: row.endsAt, status: row.status, updatedAt: now });
        if (row.endsAt !== existing.endsAt || row.startsAt !== existing.startsAt) {
          messages.push(membershipMessage('membership.renewed', row, { previousEndsAt: new Date(existing.endsAt).toISOString() }));
        }
        if (starts) {
          messages.push(membershipMessage('membership.started', row));
          reason = 'membership_started';
        }
      } else {
        const status = startsAt <= now ? 'active' : 'scheduled';
        row = { programId, id: ctx.ids.next('mbs'), memberId: member.id, planId: plan.id, status, startsAt, endsAt, createdAt: now, updatedAt: now };
        await insertMembership(trx, row);
        if (status === 'active') {
          messages.push(membershipMessage('membership.started', row));
          reason = 'membership_started';
        }
      }
      await enqueueOutbox(trx, ctx.ids, programId, messages, now);
      if (reason) await syncMembershipTier(ctx, trx, programId, member, { reason, membershipId: row.id }, now);
      return { created: !overlapping, membership: membershipView(row) };
    },
    (outcome) => (outcome.created ? 201 : 200),
  );
  return { ...value, replayed };
}

/**
 * Extends a membership that has not ended to a later `endsAt`.
 * @throws DomainError membership_not_found, membership_ended, member_blocked, validation_failed (/endsAt)
 */
export async function renewMembership(ctx: ServiceContext, programId: string, membershipId: string, input: { endsAt: string }): Promise<MembershipView> {
  const endsAt = parseInstant(input.endsAt, '/endsAt');
  const found = await findMembership(ctx.storage.db, programId, membershipId);
  if (!found) throw new DomainError('membership_not_found', `No membership ${membershipId} in this programme.`);
  return inTransaction(ctx.storage, async (trx) => {
    const member = await lockMember(trx, ctx.storage, programId, { memberId: found.memberId });
    const membership = await findMembership(trx, programId, membershipId);
    if (!member || !membership) throw new DomainError('membership_not_found', `No membership ${membershipId} in this programme.`);
    if (membership.status === 'ended') {
      throw new DomainError('membership_ended', `Membership ${membershipId} ended on ${new Date(membership.endsAt).toISOString()}; record a new membership.`);
    }
    if (member.status !== 'active') throw new DomainError('member_blocked', `Member ${member.id} is blocked; unblock them before renewing their membership.`);
    if (endsAt <= membership.endsAt) {
      throw DomainError.field('validation_failed', '/endsAt', `A renewal extends the membership: endsAt is after ${new Date(membership.endsAt).toISOString()}.`);
    }
    const now = ctx.clock.now();
    const row = { ...membership, endsAt, updatedAt: now };
    await updateMembership(trx, programId, membershipId, { endsAt, updatedAt: now });
    await enqueueOutbox(trx, ctx.ids, programId, [membershipMessage('membership.renewed', row, { previousEndsAt: new Date(membership.endsAt).toISOString() })], now);
    return membershipView(row);
  });
}

/** @throws DomainError membership_not_found */
export async function getMembership(ctx: ServiceContext, programId: string, membershipId: string): Promise<MembershipView> {
  const row = await findMembership(ctx.storage.db, programId, membershipId);
  if (!row) throw new DomainError('membership_not_found', `No membership ${membershipId} in this programme.`);
  return membershipView(row);
}

/** A member's memberships, oldest first. @throws DomainError member_not_found, invalid_cursor */
export async function listMemberships(
  ctx: ServiceContext,
  programId: string,
  memberId: string,
  query: { cursor?: string; limit?: number },
): Promise<Page<MembershipView>> {
  const db = ctx.storage.db;
  if (!(await findMember(db, programId, memberId))) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const limit = query.limit ?? 50;
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isIdCursor).after;
  const rows = await listMembershipsOfMember(db, programId, memberId, after, limit);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(membershipView), nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null };
}

const MEMBERSHIP_BATCH = 100;

/**
 * The membership job: starts memberships whose `startsAt` has come and ends those whose `endsAt` has passed,
 * in batches until none is due, and moves the members' levels with them. Returns how many memberships changed.
 */
export async function applyMembershipChanges(ctx: ServiceContext): Promise<number> {
  let changed = 0;
  for (;;) {
    // Counted from the committed attempt only: a PostgreSQL retry runs the batch again from the start.
    const batch = await inTransaction(ctx.storage, async (trx) => {
      const now = ctx.clock.now();
      const claims = await claimMembersWithDueMemberships(trx, ctx.storage, now, MEMBERSHIP_BATCH);
      const byProgram = new Map<string, string[]>();
      for (const claim of claims) byProgram.set(claim.programId, [...(byProgram.get(claim.programId) ?? []), claim.id]);
      let count = 0;
      for (const [programId, memberIds] of byProgram) {
        // Already locked by the claim; this re-reads them in a statement that sees every commit before the lock.
        for (const member of await lockMembers(trx, ctx.storage, programId, memberIds, [])) {
          count += await applyDueMemberships(ctx, trx, programId, member, now);
        }
      }
      return { claimed: claims.length, count };
    });
    changed += batch.count;
    if (batch.claimed === 0) return changed;
  }
}

async function applyDueMemberships(ctx: ServiceContext, trx: Trx, programId: string, member: { id: string; tier: string | null }, now: number): Promise<number> {
  const messages: OutboxMessage[] = [];
  let cause: { reason: TierChangeReason; membershipId: string } | null = null;
  let changed = 0;
  for (const open of await listOpenMembershipsOfMember(trx, programId, member.id)) {
    const { planTier: _tier, planPerks: _perks, ...membership } = open;
    const starts = membership.status === 'scheduled' && membership.startsAt <= now;
    const ends = membership.endsAt <= now;
    if (!starts && !ends) continue;
    changed += 1;
    const row = { ...membership, status: ends ? 'ended' : 'active', updatedAt: now };
    await updateMembership(trx, programId, row.id, { status: row.status, updatedAt: now });
    if (starts) messages.push(membershipMessage('membership.started', row));
    if (ends) messages.push(membershipMessage('membership.ended', row));
    // A start outweighs an end as the reason of a level change made by the same run.
    if (!cause || starts) cause = { reason: ends ? 'membership_ended' : 'membership_started', membershipId: row.id };
  }
  if (!cause) return 0;
  await enqueueOutbox(trx, ctx.ids, programId, messages, now);
  await syncMembershipTier(ctx, trx, programId, member, cause, now);
  return changed;
}
