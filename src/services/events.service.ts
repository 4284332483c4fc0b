/**
 * Event ingestion: the business tells us what a member did; we store it once (idempotent on the client's event
 * id), evaluate the programme's earn rules and post the points. A refund claws back the points of its order in
 * proportion to the money refunded. One event is one database transaction; a batch is one transaction with a
 * savepoint per event, so one bad event does not undo the others.
 */
import { sql } from 'kysely';
import { DomainError, isDomainError } from '../domain/errors.js';
import {
  checkEventType,
  checkSurveyData,
  parsePurchaseData,
  parseRefundData,
} from '../domain/events/event-data.js';
import { allocateClawback, earnPosting, refundClawbackPoints, takePosting, type AwardLine } from '../domain/ledger/lots.js';
import { addDays, addMonths } from '../domain/periods.js';
import { compileRule, evaluateRules, limitedPeriodKeys, usageKey, type CompiledRule } from '../domain/rules/evaluate.js';
import type { MemberFacts, RuleDefinition } from '../domain/rules/rule.js';
import type { ServiceContext } from '../context.js';
import { findEvent, findOrder, insertEvent, insertOrder, recordOrderRefund } from '../storage/repositories/events.repository.js';
import { insertLot, listOpenLots, writeMemberPosting } from '../storage/repositories/ledger.repository.js';
import { applyBalanceDelta, lockMember } from '../storage/repositories/members.repository.js';
import { findProgram } from '../storage/repositories/programs.repository.js';
import { incrementRuleUsage, listCurrentRules, readRuleUsage } from '../storage/repositories/rules.repository.js';
import type { MemberRow, ProgramRow, RuleRow } from '../storage/schema.js';
import { inTransaction, isUniqueViolation, type Trx } from '../storage/transaction.js';
import { requestHash } from './request-hash.js';
import { iso } from './views.js';

export interface RecordEventInput {
  id: string;
  type: string;
  memberId?: string;
  externalId?: string;
  occurredAt?: string;
  data: Record<string, unknown>;
}

export interface EventAward {
  ruleId: string;
  ruleVersion: number;
  points: number;
  status: 'pending' | 'available';
}

export interface EventResponse {
  event: { id: string; type: string; memberId: string; occurredAt: string; receivedAt: string; data: Record<string, unknown> };
  awarded: EventAward[];
  /** Only for refunds: points taken back, and what the member had already spent. */
  clawback?: { points: number; unrecovered: number };
  balance: { available: number; pending: number };
}

export interface EventOutcome {
  /** True when the event id was seen before with the same body: the first response, nothing changed. */
  replayed: boolean;
  response: EventResponse;
}

/** Allowance for clocks of the business's systems running ahead of ours. */
const FUTURE_SKEW_MS = 5 * 60_000;

/**
 * Records one event and posts what it earns (or, for a refund, claws back).
 * @throws DomainError validation_failed, unknown_currency, currency_mismatch, member_not_found,
 *   event_id_reused_with_different_body, order_already_recorded, order_not_found, refund_exceeds_order,
 *   occurred_at_in_future, program_not_found
 */
export async function recordEvent(ctx: ServiceContext, programId: string, input: RecordEventInput): Promise<EventOutcome> {
  const hash = eventHash(input);
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(ctx.storage, (trx) => recordInTransaction(ctx, trx, programId, input, hash));
    } catch (error) {
      // Two concurrent first posts of one event id: the loser's insert hits the key; run again to replay.
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

export type BatchItemOutcome = { ok: true; outcome: EventOutcome } | { ok: false; error: DomainError };

/**
 * Records up to 1,000 events in one transaction, each inside its own savepoint: an event that fails leaves no
 * trace and the others go on. Results come back in input order; an item that already failed its shape check
 * upstream is passed in as its DomainError and reported as such.
 */
export async function recordEventBatch(
  ctx: ServiceContext,
  programId: string,
  inputs: readonly (RecordEventInput | DomainError)[],
): Promise<BatchItemOutcome[]> {
  return inTransaction(ctx.storage, async (trx) => {
    const results: BatchItemOutcome[] = [];
    for (const input of inputs) {
      if (isDomainError(input)) {
        results.push({ ok: false, error: input });
        continue;
      }
      await sql.raw('savepoint trouw_event').execute(trx);
      try {
        const outcome = await recordInTransaction(ctx, trx, programId, input, eventHash(input));
        await sql.raw('release savepoint trouw_event').execute(trx);
        results.push({ ok: true, outcome });
      } catch (error) {
        await sql.raw('rollback to savepoint trouw_event').execute(trx);
        if (!isDomainError(error)) throw error;
        results.push({ ok: false, error });
      }
    }
    return results;
  });
}

function eventHash(input: RecordEventInput): string {
  return requestHash({ type: input.type, memberId: input.memberId, externalId: input.externalId, occurredAt: input.occurredAt, data: input.data });
}

async function recordInTransaction(ctx: ServiceContext, trx: Trx, programId: string, input: RecordEventInput, hash: string): Promise<EventOutcome> {
  checkEventType(input.type);
  const program = await findProgram(trx, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  const now = ctx.clock.now();
  const occurredAt = input.occurredAt === undefined ? now : Date.parse(input.occurredAt);
  if (Number.isNaN(occurredAt)) throw DomainError.field('validation_failed', '/occurredAt', 'occurredAt is an RFC 3339 date-time.');
  if (occurredAt > now + FUTURE_SKEW_MS) {
    throw DomainError.field('occurred_at_in_future', '/occurredAt', 'occurredAt lies in the future; send events once they happened.');
  }
  // The member's lock comes first: a concurrent first post of the same id then either committed (and is
  // replayed here) or has not started, so two posts of one event never both reach the posting below.
  const member = await resolveMember(ctx, trx, programId, input);
  const seen = await findEvent(trx, programId, input.id);
  if (seen) {
    if (seen.requestHash !== hash) {
      throw DomainError.field('event_id_reused_with_different_body', '/id', `Event ${input.id} was already recorded with a different body.`);
    }
    return { replayed: true, response: JSON.parse(seen.response) as EventResponse };
  }

  const posted =
    input.type === 'refund'
      ? await postRefund(ctx, trx, program, member, input, now)
      : await postEarn(ctx, trx, program, member, input, occurredAt, now);

  const response: EventResponse = {
    event: { id: input.id, type: input.type, memberId: member.id, occurredAt: iso(occurredAt), receivedAt: iso(now), data: input.data },
    awarded: posted.awarded,
    ...(posted.clawback ? { clawback: posted.clawback } : {}),
    balance: { available: member.available + posted.delta.available, pending: member.pending + posted.delta.pending },
  };
  await insertEvent(trx, {
    programId,
    clientEventId: input.id,
    type: input.type,
    memberId: member.id,
    occurredAt,
    receivedAt: now,
    data: JSON.stringify(input.data),
    requestHash: hash,
    response: JSON.stringify(response),
  });
  return { replayed: false, response };
}

async function resolveMember(ctx: ServiceContext, trx: Trx, programId: string, input: RecordEventInput): Promise<MemberRow> {
  if (input.memberId !== undefined) {
    const member = await lockMember(trx, ctx.storage, programId, { memberId: input.memberId });
    if (!member) throw DomainError.field('member_not_found', '/memberId', `No member ${input.memberId} in this programme.`);
    return member;
  }
  if (input.externalId !== undefined) {
    const member = await lockMember(trx, ctx.storage, programId, { externalId: input.externalId });
    if (!member) throw DomainError.field('member_not_found', '/externalId', `No member with externalId ${input.externalId} in this programme.`);
    return member;
  }
  throw DomainError.field('validation_failed', '/memberId', 'An event names its member by memberId or externalId.');
}

interface Posted {
  awarded: EventAward[];
  clawback?: { points: number; unrecovered: number };
  delta: { available: number; pending: number };
}

async function postEarn(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  member: MemberRow,
  input: RecordEventInput,
  occurredAt: number,
  now: number,
): Promise<Posted> {
  const isPurchase = input.type === 'purchase';
  const purchase = isPurchase ? parsePurchaseData(input.data) : null;
  if (input.type === 'survey') checkSurveyData(input.data);
  if (purchase) {
    if (purchase.currency !== program.currency) {
      throw DomainError.field('currency_mismatch', '/data/currency', `This programme earns on ${program.currency}; the purchase is in ${purchase.currency}.`);
    }
    if (await findOrder(trx, program.id, purchase.orderId)) {
      throw DomainError.field('order_already_recorded', '/data/orderId', `Order ${purchase.orderId} was already recorded by another event.`);
    }
  }

  const lines: (AwardLine & { ruleId: string; ruleVersion: number })[] = [];
  if (member.status === 'active') {
    const rules = await ruleSet(trx, program);
    const event = { type: input.type, occurredAt: new Date(occurredAt), data: input.data };
    const keys = limitedPeriodKeys(rules, event, program.timezone);
    const usageRows = await readRuleUsage(trx, program.id, member.id, keys);
    const usage = new Map(usageRows.map((row) => [usageKey(row.ruleId, row.periodKey), row.count]));
    const evaluation = evaluateRules({ rules, event, member: memberFacts(ctx, member), now: new Date(now), timezone: program.timezone, usage });
    for (const award of evaluation.awards) lines.push({ ruleId: award.ruleId, ruleVersion: award.ruleVersion, points: award.points });
    for (const increment of evaluation.usageIncrements) {
      await incrementRuleUsage(trx, program.id, member.id, increment.ruleId, increment.periodKey);
    }
  }

  const total = lines.reduce((sum, line) => sum + line.points, 0);
  let lotId: string | null = null;
  let delta = { available: 0, pending: 0 };
  let status: EventAward['status'] = 'available';
  if (total > 0) {
    lotId = ctx.ids.next('lot');
    const availableAt = isPurchase && program.pendingDays > 0 ? addDays(new Date(occurredAt), program.pendingDays, program.timezone).getTime() : occurredAt;
    const pending = availableAt > now;
    status = pending ? 'pending' : 'available';
    const expiresAt = program.expiryMonths === null ? null : addMonths(new Date(occurredAt), program.expiryMonths, program.timezone).getTime();
    const transactionId = ctx.ids.next('ltx');
    await insertLot(trx, {
      programId: program.id,
      id: lotId,
      memberId: member.id,
      transactionId,
      amount: total,
      remaining: total,
      availableAt,
      releasedAt: pending ? null : now,
      expiresAt,
      createdAt: now,
    });
    delta = await writeMemberPosting(
      trx,
      program.id,
      earnPosting(member.id, lotId, lines, pending),
      { id: transactionId, memberId: member.id, reason: `${input.type} event ${input.id}`, eventId: input.id, createdAt: now },
      { lifetimeEarned: total, purchases: isPurchase ? 1 : 0 },
    );
  } else if (isPurchase) {
    // A purchase that earns nothing still counts as a purchase for rules like "your 5th order".
    await applyBalanceDelta(trx, program.id, member.id, { available: 0, pending: 0, purchases: 1 }, now);
  }
  if (purchase) {
    await insertOrder(trx, {
      programId: program.id,
      orderId: purchase.orderId,
      memberId: member.id,
      eventId: input.id,
      lotId,
      totalMinor: purchase.total,
      currency: purchase.currency,
      refundedMinor: 0,
      pointsEarned: Math.max(total, 0),
      pointsClawedBack: 0,
      pointsUnrecovered: 0,
      createdAt: now,
    });
  }
  return { awarded: lines.map((line) => ({ ...line, status })), delta };
}

async function postRefund(ctx: ServiceContext, trx: Trx, program: ProgramRow, member: MemberRow, input: RecordEventInput, now: number): Promise<Posted> {
  const refund = parseRefundData(input.data);
  const order = await findOrder(trx, program.id, refund.orderId);
  if (!order || order.memberId !== member.id) {
    throw DomainError.field('order_not_found', '/data/orderId', `No purchase with orderId ${refund.orderId} for this member.`);
  }
  const refundable = order.totalMinor - order.refundedMinor;
  const amount = refund.amount ?? refundable;
  if (amount > refundable || amount === 0) {
    throw DomainError.field(
      'refund_exceeds_order',
      refund.amount === undefined ? '/data/orderId' : '/data/amount',
      `Order ${order.orderId} has ${refundable} ${order.currency} minor units left to refund; ${amount} were asked.`,
    );
  }
  const points = refundClawbackPoints(order, amount);
  let taken = 0;
  let unrecovered = 0;
  let delta = { available: 0, pending: 0 };
  if (points > 0) {
    const lots = await listOpenLots(trx, program.id, member.id);
    const allocation = allocateClawback(lots, points, order.lotId);
    unrecovered = allocation.unrecovered;
    taken = points - unrecovered;
    if (allocation.takes.length > 0) {
      delta = await writeMemberPosting(
        trx,
        program.id,
        takePosting('refund', member.id, allocation.takes, 'issuance'),
        { id: ctx.ids.next('ltx'), memberId: member.id, reason: `refund of order ${order.orderId}`, eventId: input.id, createdAt: now },
        { takes: allocation.takes, lifetimeEarned: -points },
      );
    } else {
      await applyBalanceDelta(trx, program.id, member.id, { available: 0, pending: 0, lifetimeEarned: -points }, now);
    }
  }
  await recordOrderRefund(trx, program.id, order.orderId, {
    refundedMinor: order.refundedMinor + amount,
    pointsClawedBack: order.pointsClawedBack + taken,
    pointsUnrecovered: order.pointsUnrecovered + unrecovered,
  });
  return { awarded: [], clawback: { points: taken, unrecovered }, delta };
}

function memberFacts(ctx: ServiceContext, member: MemberRow): MemberFacts {
  return {
    id: member.id,
    tier: member.tier,
    attributes: JSON.parse(member.attributes) as Record<string, unknown>,
    createdAt: new Date(member.createdAt),
    birthDate: member.birthDateCipher === null ? null : ctx.pii.decrypt(member.birthDateCipher),
    purchaseCount: member.purchaseCount,
    lifetimeEarned: member.lifetimeEarned,
  };
}

/**
 * The programme's compiled rules, cached per process and reloaded when the programme's `rulesVersion` moved
 * (every rule change bumps it in the same transaction), so a rule edit applies to the next event in every
 * process without compiling rules per event.
 */
const ruleSets = new Map<string, { version: number; rules: CompiledRule[] }>();

async function ruleSet(trx: Trx, program: ProgramRow): Promise<CompiledRule[]> {
  const cached = ruleSets.get(program.id);
  if (cached && cached.version === program.rulesVersion) return cached.rules;
  const rows = await listCurrentRules(trx, program.id);
  const rules = rows.map((row) => compileRule(ruleDefinition(row)));
  ruleSets.set(program.id, { version: program.rulesVersion, rules });
  return rules;
}

export function ruleDefinition(row: RuleRow): RuleDefinition {
  return {
    id: row.id,
    version: row.version,
    name: row.name,
    trigger: row.trigger,
    condition: row.condition,
    effects: JSON.parse(row.effects) as RuleDefinition['effects'],
    validFrom: row.validFrom === null ? null : new Date(row.validFrom),
    validUntil: row.validUntil === null ? null : new Date(row.validUntil),
    limits: row.limits === null ? null : (JSON.parse(row.limits) as RuleDefinition['limits']),
    priority: row.priority,
    stackable: row.stackable === 1,
    active: row.active === 1,
  };
}
