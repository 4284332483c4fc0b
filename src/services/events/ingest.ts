/**
 * Event ingestion for a group of events of one programme inside one database transaction, set-based:
 *   1. load: the programme, every member the group names (locked, in id order), the events already recorded
 *      under the group's ids, the orders it names, the usage counters of limited rules and, for refunds, the
 *      members' open lots — a handful of queries whatever the group's size;
 *   2. plan: each event in order, in memory, with the domain's rule engine and ledger postings; an event that
 *      fails changes nothing of the state the next event sees, and becomes its own problem;
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
import { checkEventType, checkSurveyData, parsePurchaseData, parseRefundData } from '../../domain/events/event-data.js';
import { allocateClawback, earnLotTimes, earnPosting, refundClawbackPoints, takePosting, type Lot } from '../../domain/ledger/lots.js';
import type { Posting } from '../../domain/ledger/posting.js';
import { evaluateRules, limitedPeriodKeys, usageKey, type CompiledRule, type RuleFailure } from '../../domain/rules/evaluate.js';
import type { MemberFacts } from '../../domain/rules/rule.js';
import { applyTierMultiplier } from '../../domain/tiers/multiplier.js';
import { checkDailyEarn, type DailyEarnCheck } from '../../domain/fraud/earn-abuse.js';
import type { ServiceContext } from '../../context.js';
import { WriteBatch, type Cell } from '../../storage/bulk.js';
import { outboxRow, type OutboxMessage, type OutboxRow } from '../../storage/outbox.js';
import { sumPointsEarnedSinceOfMembers } from '../../storage/repositories/earn-holds.repository.js';
import { findEvents, findOrders } from '../../storage/repositories/events.repository.js';
import { listOpenLotsOfMembers, postingRows } from '../../storage/repositories/ledger.repository.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { readRuleUsageOfMembers, recordRuleFailures, upsertRuleUsage } from '../../storage/repositories/rules.repository.js';
import type { Database, MemberRow, OrdersTable, ProgramRow } from '../../storage/schema.js';
import type { Trx } from '../../storage/transaction.js';
import { requestHash } from '../request-hash.js';
import type { ClientContext } from '../fraud/referral-fraud.js';
import { GroupReferrals, type ReferralNote } from '../referrals/ingest-referrals.js';
import { GroupTiers } from '../tiers/ingest-tiers.js';
import { tierChangedMessage } from '../tiers/tier-changes.js';
import { iso } from '../views.js';
import { ruleSet } from './rule-set.js';

export interface RecordEventInput {
  id: string;
  type: string;
  memberId?: string;
  externalId?: string;
  occurredAt?: string;
  data: Record<string, unknown>;
  /** The member's device as the client saw it: for the fraud check of a referral this event attributes. */
  context?: ClientContext;
}

export interface EventAward {
  ruleId: string;
  ruleVersion: number;
  points: number;
  /** `held`: the daily earn limit holds the event's award for review (`held` in the response says why). */
  status: 'pending' | 'available' | 'held';
}

/** An award the daily earn limit held for review instead of posting it. */
export interface HeldAward {
  id: string;
  points: number;
  reason: 'daily_earn_limit';
  evidence: DailyEarnCheck['evidence'];
}

export interface EventResponse {
  event: { id: string; type: string; memberId: string; occurredAt: string; receivedAt: string; data: Record<string, unknown> };
  awarded: EventAward[];
  /** Only for refunds: points taken back, and what the member had already spent. */
  clawback?: { points: number; unrecovered: number };
  /** Only when the member's tier multiplied the rules' points: the level, its factor and the points it added. */
  tierMultiplier?: TierMultiplierAward;
  /** Only when the daily earn limit held the award: nothing was posted; a reviewer approves or rejects it. */
  held?: HeldAward;
  /** Only when the event moved a referral (`{id, status}` after it), or carried a code that could not refer (`{ignored}`). */
  referral?: ReferralNote;
  balance: { available: number; pending: number };
}

export interface TierMultiplierAward {
  tier: string;
  factor: number;
  points: number;
}

export interface EventOutcome {
  /** True when the event id was seen before with the same body: the first response, nothing changed. */
  replayed: boolean;
  response: EventResponse;
}

export type IngestOutcome = { ok: true; outcome: EventOutcome } | { ok: false; error: DomainError };

/** Allowance for clocks of the business's systems running ahead of ours. */
const FUTURE_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export function eventHash(input: RecordEventInput): string {
  return requestHash({ type: input.type, memberId: input.memberId, externalId: input.externalId, occurredAt: input.occurredAt, data: input.data, context: input.context });
}

/** A member as the plan sees it: the locked row plus what earlier events of the group did to it. */
interface MemberState {
  row: MemberRow;
  available: number;
  pending: number;
  lifetimeEarned: number;
  purchaseCount: number;
  /** Orders refunded after they earned points (the earn-then-refund counter). */
  refundedOrders: number;
  /** Points earned from events in the 24 hours before now, kept only when the programme has a daily limit. */
  earnedLast24h: number;
  /** The effective tier level (`members.tier`), moved by upgrades of earlier events of the group. */
  tier: string | null;
  changed: boolean;
  /** Open lots, loaded only for members with a refund in the group. */
  lots: Lot[] | null;
}

interface OrderState {
  row: Insertable<OrdersTable> & { refundedMinor: number; pointsClawedBack: number; pointsUnrecovered: number; heldPoints: number };
  isNew: boolean;
  changed: boolean;
}

/** Everything the group will write, accumulated by the plan. */
class Writes {
  /** Event rows with their responses, serialised when written (the referral step may still add to them). */
  events: { row: Insertable<Database['events']>; response: EventResponse }[] = [];
  lots: Insertable<Database['lots']>[] = [];
  transactions: Insertable<Database['ledgerTransactions']>[] = [];
  entries: Insertable<Database['ledgerEntries']>[] = [];
  /** Existing lots whose remaining points changed, by id: their new remaining. */
  lotRemaining = new Map<string, number>();
  usage = new Map<string, { ruleId: string; memberId: string; periodKey: string; count: number }>();
  outbox: OutboxRow[] = [];
  holds: Insertable<Database['earnHolds']>[] = [];
  ruleFailures: RuleFailure[] = [];

  posting(programId: string, posting: Posting, meta: { id: string; memberId: string; reason: string; eventId: string; createdAt: number }): void {
    const rows = postingRows(programId, posting, meta);
    this.transactions.push(rows.transaction);
    this.entries.push(...rows.entries);
  }
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
  const members = new Map<string, MemberState>();
  const byExternalId = new Map<string, MemberState>();
  const earnedLast24h =
    program.maxPointsPerDay === null ? new Map<string, number>() : await sumPointsEarnedSinceOfMembers(trx, programId, memberRows.map((m) => m.id), now - DAY_MS);
  for (const row of memberRows) {
    const state: MemberState = {
      row,
      available: row.available,
      pending: row.pending,
      lifetimeEarned: row.lifetimeEarned,
      purchaseCount: row.purchaseCount,
      refundedOrders: row.refundedOrders,
      earnedLast24h: earnedLast24h.get(row.id) ?? 0,
      tier: row.tier,
      changed: false,
      lots: null,
    };
    members.set(row.id, state);
    byExternalId.set(row.externalId, state);
  }
  // Read after the member locks: a concurrent first post of the same id has then either committed (and is
  // replayed) or not started, so two posts of one event never both post points.
  const seen = new Map((await findEvents(trx, programId, unique(events.map((e) => e.id)))).map((e) => [e.clientEventId, e]));
  const orderIds = unique(events.flatMap((e) => (typeof e.data.orderId === 'string' && (e.type === 'purchase' || e.type === 'refund') ? [e.data.orderId] : [])));
  const orders = new Map<string, OrderState>(
    (await findOrders(trx, programId, orderIds)).map((row) => [row.orderId, { row, isNew: false, changed: false }]),
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
      return member ? [member.row.id] : [];
    }),
  );
  if (refundMemberIds.length > 0) {
    for (const id of refundMemberIds) {
      const member = members.get(id);
      if (member) member.lots = [];
    }
    for (const lot of await listOpenLotsOfMembers(trx, programId, refundMemberIds)) members.get(lot.memberId)?.lots?.push(lot);
  }
  const refundedPurchaseEventIds = unique(
    events.flatMap((e) => {
      const orderId = e.type === 'refund' ? e.data.orderId : undefined;
      const order = typeof orderId === 'string' ? orders.get(orderId) : undefined;
      return order ? [order.row.eventId] : [];
    }),
  );
  const tiers = await GroupTiers.load(trx, program, [...members.keys()], refundedPurchaseEventIds, now);

  // 2. Plan.
  const writes = new Writes();
  const recorded = new Map<string, { requestHash: string; response: EventResponse }>();
  const plan: Plan = { ctx, program, rules, now, members, byExternalId, orders, usage, writes, sentBy, tiers, referrals };
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
      writes.events.push({
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
    writes.events.map(({ row, response }) => {
      const note = referrals.notes.get(row.clientEventId);
      if (note) response.referral = note;
      return { ...row, response: JSON.stringify(response) };
    });
  if (!referrals.hasSteps) {
    await writeGroup(trx, plan, eventRows());
    return outcomes;
  }
  await writeGroup(trx, plan, []);
  await referrals.apply(ctx, trx, program, new Set(members.keys()), now);
  await new WriteBatch(trx).insertMany('events', eventRows()).execute(ctx.storage.dialect);
  return outcomes;
}

interface Plan {
  ctx: ServiceContext;
  program: ProgramRow;
  rules: CompiledRule[];
  now: number;
  members: Map<string, MemberState>;
  byExternalId: Map<string, MemberState>;
  orders: Map<string, OrderState>;
  usage: Map<string, number>;
  writes: Writes;
  sentBy: 'client' | 'system';
  tiers: GroupTiers;
  referrals: GroupReferrals;
}

/**
 * Plans one event against the state left by the events before it. Every check that can refuse the event runs
 * before the first change to the plan's state, so a refused event leaves no trace.
 */
function planEvent(plan: Plan, input: RecordEventInput): EventResponse {
  const { now } = plan;
  checkEventType(input.type, plan.sentBy);
  const occurredAt = input.occurredAt === undefined ? now : Date.parse(input.occurredAt);
  if (Number.isNaN(occurredAt)) throw DomainError.field('validation_failed', '/occurredAt', 'occurredAt is an RFC 3339 date-time.');
  if (occurredAt > now + FUTURE_SKEW_MS) {
    throw DomainError.field('occurred_at_in_future', '/occurredAt', 'occurredAt lies in the future; send events once they happened.');
  }
  const member = resolveMember(plan, input);
  const posted = input.type === 'refund' ? planRefund(plan, member, input) : planEarn(plan, member, input, occurredAt);
  const balance = { available: member.available, pending: member.pending };
  if (posted.message) {
    plan.writes.outbox.push(
      outboxRow(plan.ctx.ids, plan.program.id, { ...posted.message, data: { ...posted.message.data, balance } }, now),
    );
  }
  return {
    event: { id: input.id, type: input.type, memberId: member.row.id, occurredAt: iso(occurredAt), receivedAt: iso(now), data: input.data },
    awarded: posted.awarded,
    ...(posted.clawback ? { clawback: posted.clawback } : {}),
    ...(posted.tierMultiplier ? { tierMultiplier: posted.tierMultiplier } : {}),
    ...(posted.held ? { held: posted.held } : {}),
    balance,
  };
}

function resolveMember(plan: Plan, input: RecordEventInput): MemberState {
  if (input.memberId !== undefined) {
    const member = plan.members.get(input.memberId);
    if (!member) throw DomainError.field('member_not_found', '/memberId', `No member ${input.memberId} in this programme.`);
    return member;
  }
  if (input.externalId !== undefined) {
    const member = plan.byExternalId.get(input.externalId);
    if (!member) throw DomainError.field('member_not_found', '/externalId', `No member with externalId ${input.externalId} in this programme.`);
    return member;
  }
  throw DomainError.field('validation_failed', '/memberId', 'An event names its member by memberId or externalId.');
}

interface Posted {
  awarded: EventAward[];
  clawback?: { points: number; unrecovered: number };
  tierMultiplier?: TierMultiplierAward;
  held?: HeldAward;
  /** The outbox message the event causes, if any; the member's balance after the event is added to its data. */
  message?: OutboxMessage;
}

function planEarn(plan: Plan, member: MemberState, input: RecordEventInput, occurredAt: number): Posted {
  const { ctx, program, now, writes } = plan;
  const isPurchase = input.type === 'purchase';
  const purchase = isPurchase ? parsePurchaseData(input.data) : null;
  if (input.type === 'survey') checkSurveyData(input.data);
  if (purchase) {
    if (purchase.currency !== program.currency) {
      throw DomainError.field('currency_mismatch', '/data/currency', `This programme earns on ${program.currency}; the purchase is in ${purchase.currency}.`);
    }
    if (plan.orders.has(purchase.orderId)) {
      throw DomainError.field('order_already_recorded', '/data/orderId', `Order ${purchase.orderId} was already recorded by another event.`);
    }
  }

  // From here on nothing refuses the event: the plan's state changes.
  const lines: { ruleId: string; ruleVersion: number; points: number }[] = [];
  if (member.row.status === 'active') {
    const event = { type: input.type, occurredAt: new Date(occurredAt), data: input.data };
    const usage = new Map<string, number>();
    for (const key of limitedPeriodKeys(plan.rules, event, program.timezone)) {
      const count = plan.usage.get(`${member.row.id}|${usageKey(key.ruleId, key.periodKey)}`);
      if (count !== undefined) usage.set(usageKey(key.ruleId, key.periodKey), count);
    }
    const evaluation = evaluateRules({ rules: plan.rules, event, member: memberFacts(ctx, member), now: new Date(now), timezone: program.timezone, usage });
    lines.push(...evaluation.awards);
    writes.ruleFailures.push(...evaluation.failures);
    for (const increment of evaluation.usageIncrements) {
      const key = `${member.row.id}|${usageKey(increment.ruleId, increment.periodKey)}`;
      const count = (plan.usage.get(key) ?? 0) + 1;
      plan.usage.set(key, count);
      writes.usage.set(key, { ruleId: increment.ruleId, memberId: member.row.id, periodKey: increment.periodKey, count });
    }
  }

  const ruleTotal = lines.reduce((sum, line) => sum + line.points, 0);
  // The tier multiplier of the level the member had when the event arrived, after the rules' own multipliers.
  const tierLevel = member.row.status === 'active' ? plan.tiers.multiplierLevel(member.tier) : null;
  const { total, bonus } = tierLevel ? applyTierMultiplier(ruleTotal, tierLevel.multiplier) : { total: ruleTotal, bonus: 0 };
  const tierMultiplier = tierLevel && bonus > 0 ? { tier: tierLevel.name, factor: tierLevel.multiplier, points: bonus } : undefined;
  const postedLines = tierMultiplier ? [...lines, { ruleId: null, ruleVersion: null, points: bonus }] : lines;
  let lotId: string | null = null;
  let status: EventAward['status'] = 'available';
  // The daily earn limit, over what the member earned in the last 24 hours including this group's awards.
  const daily = member.row.status === 'active' ? checkDailyEarn(member.earnedLast24h, total, program.maxPointsPerDay) : null;
  const held: HeldAward | undefined =
    daily?.decision === 'flag' ? { id: ctx.ids.next('hld'), points: total, reason: 'daily_earn_limit', evidence: daily.evidence } : undefined;
  if (held) {
    status = 'held';
    writes.holds.push({
      programId: program.id,
      id: held.id,
      memberId: member.row.id,
      eventId: input.id,
      eventType: input.type,
      orderId: purchase?.orderId ?? null,
      points: total,
      lines: JSON.stringify(postedLines),
      occurredAt,
      evidence: JSON.stringify(held.evidence),
      status: 'held',
      pointsAwarded: null,
      transactionId: null,
      review: null,
      createdAt: now,
      updatedAt: now,
    });
  } else if (total > 0) {
    member.earnedLast24h += total;
    lotId = ctx.ids.next('lot');
    const { availableAt, expiresAt } = earnLotTimes(program, input.type, occurredAt);
    const pending = availableAt > now;
    status = pending ? 'pending' : 'available';
    const transactionId = ctx.ids.next('ltx');
    const lot: Lot = { id: lotId, memberId: member.row.id, amount: total, remaining: total, availableAt, releasedAt: pending ? null : now, expiresAt, createdAt: now };
    writes.lots.push({ programId: program.id, transactionId, ...lot });
    member.lots?.push(lot);
    writes.posting(program.id, earnPosting(member.row.id, lotId, postedLines, pending), {
      id: transactionId,
      memberId: member.row.id,
      reason: tierMultiplier
        ? `${input.type} event ${input.id}; tier ${tierMultiplier.tier} ×${tierMultiplier.factor} +${tierMultiplier.points}`
        : `${input.type} event ${input.id}`,
      eventId: input.id,
      createdAt: now,
    });
    if (pending) member.pending += total;
    else member.available += total;
    member.lifetimeEarned += total;
  }
  if (isPurchase) member.purchaseCount += 1;
  member.changed = true;
  const earned = held ? 0 : Math.max(total, 0);
  plan.tiers.count(member.row.id, occurredAt, { pointsEarned: earned, spendMinor: purchase?.total ?? 0, purchases: isPurchase ? 1 : 0 });
  if (isPurchase) plan.tiers.notePurchase(input.id, occurredAt);
  if (member.row.status === 'active') {
    const change = plan.tiers.upgrade(ctx, member.row.id, member.tier, input.id);
    if (change && change.tier !== member.tier) {
      member.tier = change.tier;
      writes.outbox.push(outboxRow(ctx.ids, program.id, tierChangedMessage(change), now));
    }
  }
  if (purchase) {
    plan.referrals.notePurchase(
      input.id,
      { id: member.row.id, status: member.row.status, referredByMemberId: member.row.referredByMemberId, purchasesBefore: member.purchaseCount - 1 },
      purchase,
      input.data,
      input.context ?? {},
      now,
    );
    plan.orders.set(purchase.orderId, {
      isNew: true,
      changed: true,
      row: {
        programId: program.id,
        orderId: purchase.orderId,
        memberId: member.row.id,
        eventId: input.id,
        lotId,
        totalMinor: purchase.total,
        currency: purchase.currency,
        refundedMinor: 0,
        pointsEarned: earned,
        pointsClawedBack: 0,
        pointsUnrecovered: 0,
        heldPoints: held ? total : 0,
        createdAt: now,
      },
    });
  }
  const awarded = lines.map((line) => ({ ...line, status }));
  if (held) {
    return {
      awarded,
      ...(tierMultiplier ? { tierMultiplier } : {}),
      held,
      message: {
        type: 'points.held',
        memberId: member.row.id,
        data: { memberId: member.row.id, eventId: input.id, eventType: input.type, holdId: held.id, points: total, reason: held.reason, evidence: held.evidence },
      },
    };
  }
  if (total <= 0) return { awarded };
  return {
    awarded,
    ...(tierMultiplier ? { tierMultiplier } : {}),
    message: {
      type: 'points.earned',
      memberId: member.row.id,
      data: { memberId: member.row.id, eventId: input.id, eventType: input.type, points: total, status, awarded, ...(tierMultiplier ? { tierMultiplier } : {}) },
    },
  };
}

function planRefund(plan: Plan, member: MemberState, input: RecordEventInput): Posted {
  const { ctx, program, now, writes } = plan;
  const refund = parseRefundData(input.data);
  const order = plan.orders.get(refund.orderId);
  if (!order || order.row.memberId !== member.row.id) {
    throw DomainError.field('order_not_found', '/data/orderId', `No purchase with orderId ${refund.orderId} for this member.`);
  }
  const refundable = order.row.totalMinor - order.row.refundedMinor;
  const amount = refund.amount ?? refundable;
  if (amount > refundable || amount === 0) {
    throw DomainError.field(
      'refund_exceeds_order',
      refund.amount === undefined ? '/data/orderId' : '/data/amount',
      `Order ${refund.orderId} has ${refundable} ${order.row.currency} minor units left to refund; ${amount} were asked.`,
    );
  }

  // From here on nothing refuses the event: the plan's state changes.
  const points = refundClawbackPoints(order.row, amount);
  let taken = 0;
  let unrecovered = 0;
  if (points > 0) {
    const lots = member.lots ?? [];
    const allocation = allocateClawback(lots, points, order.row.lotId ?? null);
    unrecovered = allocation.unrecovered;
    taken = points - unrecovered;
    if (allocation.takes.length > 0) {
      const posting = takePosting('refund', member.row.id, allocation.takes, 'issuance');
      writes.posting(program.id, posting, {
        id: ctx.ids.next('ltx'),
        memberId: member.row.id,
        reason: `refund of order ${refund.orderId}`,
        eventId: input.id,
        createdAt: now,
      });
      for (const take of allocation.takes) {
        const lot = lots.find((l) => l.id === take.lotId);
        if (!lot) continue;
        lot.remaining -= take.points;
        // A lot created earlier in this group is still to be inserted: its row carries the new remaining.
        const unwritten = writes.lots.find((l) => l.id === lot.id);
        if (unwritten) unwritten.remaining = lot.remaining;
        else writes.lotRemaining.set(lot.id, lot.remaining);
        if (take.pending) member.pending -= take.points;
        else member.available -= take.points;
      }
    }
    member.lifetimeEarned -= points;
    member.changed = true;
  }
  // Net of refunds: the money, the points and (once refunded in full) the purchase leave the purchase's month.
  plan.tiers.countRefund(member.row.id, order.row.eventId, {
    pointsEarned: -points,
    spendMinor: -amount,
    purchases: order.row.refundedMinor + amount === order.row.totalMinor ? -1 : 0,
  });
  // A held order counts too: earning (or trying to) and then returning is the pattern, whatever the review says.
  if (order.row.refundedMinor === 0 && (order.row.pointsEarned > 0 || order.row.heldPoints > 0)) {
    member.refundedOrders += 1;
    member.changed = true;
  }
  order.row.refundedMinor += amount;
  plan.referrals.noteRefund(input.id, { orderId: order.row.orderId, totalMinor: order.row.totalMinor, refundedMinor: order.row.refundedMinor });
  order.row.pointsClawedBack += taken;
  order.row.pointsUnrecovered += unrecovered;
  order.changed = true;
  const clawback = { points: taken, unrecovered };
  if (points === 0) return { awarded: [], clawback };
  return {
    awarded: [],
    clawback,
    message: { type: 'points.reversed', memberId: member.row.id, data: { memberId: member.row.id, eventId: input.id, orderId: refund.orderId, ...clawback } },
  };
}

async function writeGroup(trx: Trx, plan: Plan, events: Insertable<Database['events']>[]): Promise<void> {
  const { writes, program, now } = plan;
  const programId = program.id;
  const batch = new WriteBatch(trx)
    .insertMany('events', events)
    .insertMany('orders', [...plan.orders.values()].filter((o) => o.isNew).map((o) => o.row))
    .updateMany(
      'orders',
      programId,
      'order_id',
      ['refunded_minor', 'points_clawed_back', 'points_unrecovered'],
      [...plan.orders.values()]
        .filter((o) => o.changed && !o.isNew)
        .map((o) => [text(o.row.orderId), big(o.row.refundedMinor), big(o.row.pointsClawedBack), big(o.row.pointsUnrecovered)]),
    )
    .insertMany('lots', writes.lots)
    .updateMany('lots', programId, 'id', ['remaining'], [...writes.lotRemaining].map(([id, remaining]) => [text(id), big(remaining)]))
    .insertMany('ledgerTransactions', writes.transactions)
    .insertMany('ledgerEntries', writes.entries)
    .insertMany('outboxMessages', writes.outbox)
    .insertMany('earnHolds', writes.holds)
    .updateMany(
      'members',
      programId,
      'id',
      ['available', 'pending', 'lifetime_earned', 'purchase_count', 'refunded_orders', 'tier', 'updated_at'],
      [...plan.members.values()]
        .filter((m) => m.changed)
        .map((m) => [
          text(m.row.id), big(m.available), big(m.pending), big(m.lifetimeEarned), big(m.purchaseCount), big(m.refundedOrders), nullableText(m.tier), big(now),
        ]),
    );
  for (const statement of upsertRuleUsage(trx, [...writes.usage.values()].map((u) => ({ programId, ...u })))) batch.add(statement);
  for (const statement of recordRuleFailures(trx, programId, writes.ruleFailures, now)) batch.add(statement);
  for (const statement of plan.tiers.statements(trx)) batch.add(statement);
  await batch.execute(plan.ctx.storage.dialect);
}

const text = (value: string): Cell => ({ value, type: 'text' });
const big = (value: number): Cell => ({ value, type: 'bigint' });
const nullableText = (value: string | null): Cell => ({ value, type: 'text' });

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function memberFacts(ctx: ServiceContext, member: MemberState): MemberFacts {
  return {
    id: member.row.id,
    tier: member.tier,
    attributes: JSON.parse(member.row.attributes) as Record<string, unknown>,
    createdAt: new Date(member.row.createdAt),
    birthDate: member.row.birthDateCipher === null ? null : ctx.pii.decrypt(member.row.birthDateCipher),
    purchaseCount: member.purchaseCount,
    lifetimeEarned: member.lifetimeEarned,
  };
}
