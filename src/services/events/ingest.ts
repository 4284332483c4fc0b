/**
 * Event ingestion for a group of events of one programme inside one database transaction, set-based:
 *   1. load: the programme, every member the group names (locked, in id order), the events already recorded
 *      under the group's ids, the orders it names, the usage counters of limited rules and, for refunds, the
 *      members' open lots — a handful of queries whatever the group's size;
 *   2. plan: each event in order, in memory, by the pure event plan (domain/events/plan.ts), which decides every
 *      posting, lot, hold, order change and message, and derives every balance change from its postings; an
 *      event that fails changes nothing of the state the next event sees, and becomes its own problem;
 *   3. write: one multi-row statement per table (storage/bulk.ts).
 * A single event is a group of one; concurrent single requests are grouped by group-commit.ts, and a batch
 * request is one group. The semantics are those of one-event-at-a-time processing in input order.
 *
 * Referrals (services/referrals/ingest-referrals.ts): with no referral programme this costs no query (its
 * settings are cached by the rules version). Otherwise the referrers of the named members are locked with them,
 * purchases and refunds are noted while planning, and the referral steps run after the group's writes, before
 * the events (whose stored responses say what happened to the referral) are inserted.
 *
 * Tiers (services/tiers/ingest-tiers.ts): each event's activity is counted in its month; an earn's rule total is
 * multiplied by the member's tier multiplier (the effective level before this event; rounded down; the bonus is
 * an award line without a rule, and `tierMultiplier` in the response); then a member whose activity reaches a
 * higher level is upgraded at once, in this transaction (tier history, `members.tier`, `tier.changed`).
 */
import type { Insertable } from 'kysely';
import { DomainError, isDomainError } from '../../domain/errors.js';
import { planEvent, PlanWrites, type EventInput, type EventPlan, type EventResponse, type PlanMember, type PlanOrder } from '../../domain/events/plan.js';
import { dueExpiry } from '../../domain/ledger/lots.js';
import type { MemberFacts } from '../../domain/rules/rule.js';
import type { ServiceContext } from '../../context.js';
import { WriteBatch, type Cell } from '../../storage/bulk.js';
import { outboxRow, type OutboxMessage } from '../../storage/outbox.js';
import { sumPointsEarnedSinceOfMembers } from '../../storage/repositories/earn-holds.repository.js';
import { findEvents, findOrders } from '../../storage/repositories/events.repository.js';
import { listDueExpiryLots, listOpenLotsOfMembers, postingRows } from '../../storage/repositories/ledger.repository.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { readRuleUsageOfMembers, recordRuleFailures, upsertRuleUsage } from '../../storage/repositories/rules.repository.js';
import type { Database, MemberRow } from '../../storage/schema.js';
import type { Trx } from '../../storage/transaction.js';
import { requestHash } from '../request-hash.js';
import { GroupReferrals } from '../referrals/ingest-referrals.js';
import { GroupTiers } from '../tiers/ingest-tiers.js';
import { tierChangedMessage } from '../tiers/tier-changes.js';
import { ruleSet } from './rule-set.js';
import { usageKey } from '../../domain/rules/evaluate.js';

export type { EventAward, EventResponse, HeldAward, TierMultiplierAward } from '../../domain/events/plan.js';
export type RecordEventInput = EventInput;

export interface EventOutcome {
  /** True when the event id was seen before with the same body: the first response, nothing changed. */
  replayed: boolean;
  response: EventResponse;
}

export type IngestOutcome = { ok: true; outcome: EventOutcome } | { ok: false; error: DomainError };

const DAY_MS = 86_400_000;

export function eventHash(input: RecordEventInput): string {
  return requestHash({ type: input.type, memberId: input.memberId, externalId: input.externalId, occurredAt: input.occurredAt, data: input.data, context: input.context });
}

/**
 * Records a group of events in the caller's transaction. Items that arrive as DomainErrors (they failed their
 * shape check upstream) are reported as such. Throws only what is not the events' fault (database errors).
 */
export async function ingestEvents(
  ctx: ServiceContext,
  trx: Trx,
  programId: string,
  inputs: readonly (RecordEventInput | DomainError)[],
  sentBy: 'client' | 'system' = 'client',
): Promise<IngestOutcome[]> {
  const program = await findProgram(trx, programId);
  if (!program) {
    const missing = new DomainError('program_not_found', `No programme ${programId}.`);
    return inputs.map(() => ({ ok: false, error: missing }));
  }
  const events = inputs.filter((i): i is RecordEventInput => !isDomainError(i));
  const now = ctx.clock.now();

  // 1. Load.
  const referrals = await GroupReferrals.prepare(trx, program, events);
  const memberRows = await lockMembers(
    trx,
    ctx.storage,
    programId,
    unique([...events.flatMap((e) => (e.memberId !== undefined ? [e.memberId] : [])), ...referrals.extraMemberIds]),
    unique(events.flatMap((e) => (e.memberId === undefined && e.externalId !== undefined ? [e.externalId] : []))),
  );
  const rows = new Map(memberRows.map((row) => [row.id, row]));
  const members = new Map<string, PlanMember>();
  const byExternalId = new Map<string, PlanMember>();
  const earnedLast24h =
    program.maxPointsPerDay === null ? new Map<string, number>() : await sumPointsEarnedSinceOfMembers(trx, programId, memberRows.map((m) => m.id), now - DAY_MS);
  for (const row of memberRows) {
    const member: PlanMember = {
      id: row.id,
      externalId: row.externalId,
      status: row.status,
      referredByMemberId: row.referredByMemberId,
      available: row.available,
      pending: row.pending,
      lifetimeEarned: row.lifetimeEarned,
      purchaseCount: row.purchaseCount,
      refundedOrders: row.refundedOrders,
      earnedLast24h: earnedLast24h.get(row.id) ?? 0,
      tier: row.tier,
      changed: false,
      lots: null,
      dueExpiry: [],
    };
    members.set(row.id, member);
    byExternalId.set(row.externalId, member);
  }
  // Read after the member locks: a concurrent first post of the same id has then either committed (and is
  // replayed) or not started, so two posts of one event never both post points.
  const seen = new Map((await findEvents(trx, programId, unique(events.map((e) => e.id)))).map((e) => [e.clientEventId, e]));
  const orderIds = unique(events.flatMap((e) => (typeof e.data.orderId === 'string' && (e.type === 'purchase' || e.type === 'refund') ? [e.data.orderId] : [])));
  const orders = new Map<string, PlanOrder>(
    (await findOrders(trx, programId, orderIds)).map((row) => [row.orderId, { ...row, lotId: row.lotId ?? null, isNew: false, changed: false }]),
  );
  await referrals.load(
    trx,
    programId,
    [...members.keys()],
    unique(events.flatMap((e) => (e.type === 'refund' && typeof e.data.orderId === 'string' ? [e.data.orderId] : []))),
  );
  const rules = await ruleSet(trx, program);
  const limitedRuleIds = rules.filter((r) => r.definition.limits?.perMember).map((r) => r.definition.id);
  const usage = new Map<string, number>();
  for (const row of await readRuleUsageOfMembers(trx, programId, [...members.keys()], limitedRuleIds)) {
    usage.set(`${row.memberId}|${usageKey(row.ruleId, row.periodKey)}`, row.count);
  }
  const refundMemberIds = unique(
    events.filter((e) => e.type === 'refund').flatMap((e) => {
      const member = e.memberId !== undefined ? members.get(e.memberId) : e.externalId !== undefined ? byExternalId.get(e.externalId) : undefined;
      return member ? [member.id] : [];
    }),
  );
  if (refundMemberIds.length > 0) {
    for (const id of refundMemberIds) {
      const member = members.get(id);
      if (member) member.lots = [];
    }
    for (const lot of await listOpenLotsOfMembers(trx, programId, refundMemberIds)) members.get(lot.memberId)?.lots?.push(lot);
  }
  // Expiry is a fact of time: lots past their expiry are expired by the member's first accepted event of the group.
  for (const lot of dueExpiry(await listDueExpiryLots(trx, programId, [...members.keys()], now), now)) members.get(lot.memberId)?.dueExpiry.push(lot);
  const refundedPurchaseEventIds = unique(
    events.flatMap((e) => {
      const orderId = e.type === 'refund' ? e.data.orderId : undefined;
      const order = typeof orderId === 'string' ? orders.get(orderId) : undefined;
      return order ? [order.eventId] : [];
    }),
  );
  const tiers = await GroupTiers.load(trx, program, [...members.keys()], refundedPurchaseEventIds, now);

  // 2. Plan.
  const plan: EventPlan = {
    program,
    rules,
    now,
    sentBy,
    nextId: (prefix) => ctx.ids.next(prefix),
    memberFacts: (member) => memberFacts(ctx, rows.get(member.id) as MemberRow, member),
    members,
    byExternalId,
    orders,
    usage,
    tiers: {
      multiplierLevel: (tier) => tiers.multiplierLevel(tier),
      count: (memberId, occurredAt, delta) => tiers.count(memberId, occurredAt, delta),
      countRefund: (memberId, purchaseEventId, delta) => tiers.countRefund(memberId, purchaseEventId, delta),
      notePurchase: (eventId, occurredAt) => tiers.notePurchase(eventId, occurredAt),
      upgrade: (memberId, currentTier, eventId) => {
        const change = tiers.upgrade(ctx, memberId, currentTier, eventId);
        return change ? { tier: change.tier, message: tierChangedMessage(change) } : null;
      },
    },
    referrals,
    writes: new PlanWrites(),
  };
  const planned: { row: Insertable<Database['events']>; response: EventResponse }[] = [];
  const recorded = new Map<string, { requestHash: string; response: EventResponse }>();
  const outcomes = inputs.map((input): IngestOutcome => {
    if (isDomainError(input)) return { ok: false, error: input };
    const hash = eventHash(input);
    const inGroup = recorded.get(input.id);
    const earlier = inGroup ?? seen.get(input.id);
    if (earlier) {
      if (earlier.requestHash !== hash) {
        return { ok: false, error: DomainError.field('event_id_reused_with_different_body', '/id', `Event ${input.id} was already recorded with a different body.`) };
      }
      // A repeat inside the group shares the first's response object, which the referral step may still complete.
      return { ok: true, outcome: { replayed: true, response: inGroup ? inGroup.response : (JSON.parse(earlier.response as string) as EventResponse) } };
    }
    try {
      const response = planEvent(plan, input);
      planned.push({
        response,
        row: {
          programId,
          clientEventId: input.id,
          type: input.type,
          memberId: response.event.memberId,
          occurredAt: Date.parse(response.event.occurredAt),
          receivedAt: now,
          data: JSON.stringify(input.data),
          requestHash: hash,
          response: '',
        },
      });
      recorded.set(input.id, { requestHash: hash, response });
      return { ok: true, outcome: { replayed: false, response } };
    } catch (error) {
      if (isDomainError(error)) return { ok: false, error };
      throw error;
    }
  });

  // 3. Write: the group's postings and state, then the referral steps, then the events with their responses.
  // Without referral steps (the common case) the events go in the same batch: one round trip on PostgreSQL.
  const eventRows = () =>
    planned.map(({ row, response }) => {
      const note = referrals.notes.get(row.clientEventId);
      if (note) response.referral = note;
      return { ...row, response: JSON.stringify(response) };
    });
  if (!referrals.hasSteps) {
    await writeGroup(ctx, trx, plan, tiers, eventRows());
    return outcomes;
  }
  await writeGroup(ctx, trx, plan, tiers, []);
  await referrals.apply(ctx, trx, program, new Set(members.keys()), now);
  await new WriteBatch(trx).insertMany('events', eventRows()).execute(ctx.storage.dialect);
  return outcomes;
}

/** Turns what the plan decided into rows: one multi-row statement per table (storage/bulk.ts). */
async function writeGroup(ctx: ServiceContext, trx: Trx, plan: EventPlan, tiers: GroupTiers, events: Insertable<Database['events']>[]): Promise<void> {
  const { writes, now } = plan;
  const programId = plan.program.id;
  const transactions: Insertable<Database['ledgerTransactions']>[] = [];
  const entries: Insertable<Database['ledgerEntries']>[] = [];
  for (const p of writes.postings) {
    const rows = postingRows(programId, p.posting, { id: p.id, memberId: p.memberId, reason: p.reason, eventId: p.eventId, createdAt: now });
    transactions.push(rows.transaction);
    entries.push(...rows.entries);
  }
  const orders = [...plan.orders.values()];
  const batch = new WriteBatch(trx)
    .insertMany('events', events)
    .insertMany('orders', orders.filter((o) => o.isNew).map(({ isNew: _isNew, changed: _changed, ...row }) => ({ programId, ...row })))
    .updateMany(
      'orders',
      programId,
      'order_id',
      ['refunded_minor', 'points_clawed_back', 'points_unrecovered'],
      orders
        .filter((o) => o.changed && !o.isNew)
        .map((o) => [text(o.orderId), big(o.refundedMinor), big(o.pointsClawedBack), big(o.pointsUnrecovered)]),
    )
    .insertMany('lots', writes.lots.map((lot) => ({ programId, ...lot })))
    .updateMany('lots', programId, 'id', ['remaining'], [...writes.lotRemaining].map(([id, remaining]) => [text(id), big(remaining)]))
    .insertMany('ledgerTransactions', transactions)
    .insertMany('ledgerEntries', entries)
    // The plan's message types are the outbox's (domain/webhooks/event-types.ts); the plan does not import storage.
    .insertMany('outboxMessages', writes.messages.map((message) => outboxRow(ctx.ids, programId, message as OutboxMessage, now)))
    .insertMany(
      'earnHolds',
      writes.holds.map((hold) => ({
        programId,
        ...hold,
        lines: JSON.stringify(hold.lines),
        evidence: JSON.stringify(hold.evidence),
        status: 'held',
        pointsAwarded: null,
        transactionId: null,
        review: null,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .updateMany(
      'members',
      programId,
      'id',
      ['available', 'pending', 'lifetime_earned', 'purchase_count', 'refunded_orders', 'tier', 'updated_at'],
      [...plan.members.values()]
        .filter((m) => m.changed)
        .map((m) => [text(m.id), big(m.available), big(m.pending), big(m.lifetimeEarned), big(m.purchaseCount), big(m.refundedOrders), nullableText(m.tier), big(now)]),
    );
  for (const statement of upsertRuleUsage(trx, [...writes.usage.values()].map((u) => ({ programId, ...u })))) batch.add(statement);
  for (const statement of recordRuleFailures(trx, programId, writes.ruleFailures, now)) batch.add(statement);
  for (const statement of tiers.statements(trx)) batch.add(statement);
  await batch.execute(ctx.storage.dialect);
}

const text = (value: string): Cell => ({ value, type: 'text' });
const big = (value: number): Cell => ({ value, type: 'bigint' });
const nullableText = (value: string | null): Cell => ({ value, type: 'text' });

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function memberFacts(ctx: ServiceContext, row: MemberRow, member: PlanMember): MemberFacts {
  return {
    id: member.id,
    tier: member.tier,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    createdAt: new Date(row.createdAt),
    birthDate: row.birthDateCipher === null ? null : ctx.pii.decrypt(row.birthDateCipher),
    purchaseCount: member.purchaseCount,
    lifetimeEarned: member.lifetimeEarned,
  };
}
