/**
 * The event plan: what a group of events does to the ledger, decided without I/O. Given the state the service
 * loaded (members under lock with their balances, open lots and lots past expiry, orders, rule usage), the
 * rules, the time and an id source, `planEvent` decides for one event at a time — in input order, each against
 * the state the ones before it left — every posting, new lot, lot change, clawback, held award, order change,
 * tier count and outbox message, and returns the event's response. The service (services/events/ingest.ts)
 * only loads this state and writes what the plan accumulated.
 *
 * Invariants the plan keeps:
 * - every check that can refuse an event runs before its first change to the state, so a refused event leaves
 *   no trace (a 4xx writes nothing);
 * - every balance change is derived from a posting (`applyPosting`), never written beside it;
 * - expiry is a fact of time: a member's lots past their expiry are expired by the member's first accepted event
 *   of the group, before its points, clawbacks or reported balance (DESIGN.md §4.7);
 * - awards and balances stay within the documented bounds (ledger/bounds.ts).
 * Tier activity and referral notes go through two small ports: their state is the service's, their rules are in
 * domain/tiers and domain/referrals.
 */
import { DomainError } from '../errors.js';
import { checkDailyEarn, type DailyEarnCheck } from '../fraud/earn-abuse.js';
import { checkPointsBounds } from '../ledger/bounds.js';
import { allocateClawback, earnLotTimes, earnPosting, expiryPostingOfLots, isPastExpiry, refundClawbackPoints, takePosting, type Lot } from '../ledger/lots.js';
import { balanceDelta, type Posting } from '../ledger/posting.js';
import { evaluateRules, limitedPeriodKeys, usageKey, type CompiledRule, type RuleFailure } from '../rules/evaluate.js';
import type { ReferralStatus } from '../referrals/referral.js';
import type { MemberFacts } from '../rules/rule.js';
import type { TierCounts } from '../tiers/qualification.js';
import { applyTierMultiplier } from '../tiers/multiplier.js';
import { checkEventType, checkSurveyData, parsePurchaseData, parseRefundData } from './event-data.js';

/** Allowance for clocks of the business's systems running ahead of ours. */
const FUTURE_SKEW_MS = 5 * 60_000;

export interface EventClientContext {
  ip?: string;
  userAgent?: string;
  deviceId?: string;
}

export interface EventInput {
  id: string;
  type: string;
  memberId?: string;
  externalId?: string;
  occurredAt?: string;
  data: Record<string, unknown>;
  /** The member's device as the client saw it: for the fraud check of a referral this event attributes. */
  context?: EventClientContext;
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

export interface TierMultiplierAward {
  tier: string;
  factor: number;
  points: number;
}

/** Why a referral code on an event did not refer anyone. */
export type ReferralIgnoredReason = 'existing_member' | 'already_referred' | 'self_referral' | 'referral_code_unknown';
/** What an event did to a referral: moved it (`{id, status}` after it) or carried a code that could not refer. */
export type ReferralNote = { id: string; status: ReferralStatus } | { ignored: ReferralIgnoredReason };

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

/** A member as the plan sees it: the locked row's facts plus what earlier events of the group did to them. */
export interface PlanMember {
  id: string;
  externalId: string;
  status: string;
  referredByMemberId: string | null;
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
  /** Lots past their expiry whose expiry is not posted yet: the member's first accepted event posts it. */
  dueExpiry: Lot[];
}

export interface PlanOrder {
  orderId: string;
  memberId: string;
  eventId: string;
  lotId: string | null;
  totalMinor: number;
  currency: string;
  refundedMinor: number;
  pointsEarned: number;
  pointsClawedBack: number;
  pointsUnrecovered: number;
  heldPoints: number;
  createdAt: number;
  isNew: boolean;
  changed: boolean;
}

/** An outbox message the plan decided; `memberId` null for a message about the programme. */
export interface PlannedMessage {
  type: string;
  memberId: string | null;
  data: Record<string, unknown>;
}

export interface PlannedPosting {
  posting: Posting;
  id: string;
  memberId: string;
  reason: string;
  eventId: string | null;
}

export interface PlannedHold {
  id: string;
  memberId: string;
  eventId: string;
  eventType: string;
  orderId: string | null;
  points: number;
  lines: { ruleId: string | null; ruleVersion: number | null; points: number }[];
  occurredAt: number;
  evidence: DailyEarnCheck['evidence'];
}

/** Everything the group will write, accumulated by the plan in the order it decided it. */
export class PlanWrites {
  postings: PlannedPosting[] = [];
  /** New lots with the ledger transaction that created them; `remaining` follows later events of the group. */
  lots: (Lot & { transactionId: string })[] = [];
  /** Existing lots whose remaining points changed, by id: their new remaining. */
  lotRemaining = new Map<string, number>();
  usage = new Map<string, { ruleId: string; memberId: string; periodKey: string; count: number }>();
  messages: PlannedMessage[] = [];
  holds: PlannedHold[] = [];
  /** Rules that failed alone on an event (their cost bound, a condition error): recorded on the rule. */
  ruleFailures: RuleFailure[] = [];
}

/** The tier side of the plan: activity counts and upgrades, kept by the service for the group (GroupTiers). */
export interface TierActivity {
  multiplierLevel(tier: string | null): { name: string; multiplier: number } | null;
  count(memberId: string, occurredAt: number, delta: TierCounts): void;
  countRefund(memberId: string, purchaseEventId: string, delta: TierCounts): void;
  notePurchase(eventId: string, occurredAt: number): void;
  /** The member's new effective level when this event lifts them, with its `tier.changed` message; else null. */
  upgrade(memberId: string, currentTier: string | null, eventId: string): { tier: string | null; message: PlannedMessage } | null;
}

/** The referral side of the plan: purchases and refunds it notes for the referral steps after the group. */
export interface ReferralNotes {
  notePurchase(
    eventId: string,
    member: { id: string; status: string; referredByMemberId: string | null; purchasesBefore: number },
    purchase: { orderId: string; total: number },
    data: Record<string, unknown>,
    context: EventClientContext,
    now: number,
  ): void;
  noteRefund(eventId: string, order: { orderId: string; totalMinor: number; refundedMinor: number }): void;
}

export interface EventPlan {
  program: { id: string; currency: string; timezone: string; pendingDays: number; expiryMonths: number | null; maxPointsPerDay: number | null };
  rules: readonly CompiledRule[];
  now: number;
  sentBy: 'client' | 'system';
  nextId(prefix: 'ltx' | 'lot' | 'hld'): string;
  /** The member as rule conditions see it (`member.…` in CEL). */
  memberFacts(member: PlanMember): MemberFacts;
  members: Map<string, PlanMember>;
  byExternalId: Map<string, PlanMember>;
  orders: Map<string, PlanOrder>;
  /** Rule usage counters of limited rules, by `memberId|usageKey`. */
  usage: Map<string, number>;
  tiers: TierActivity;
  referrals: ReferralNotes;
  writes: PlanWrites;
}

interface Posted {
  awarded: EventAward[];
  clawback?: { points: number; unrecovered: number };
  tierMultiplier?: TierMultiplierAward;
  held?: HeldAward;
  /** The outbox message the event causes, if any; the member's balance after the event is added to its data. */
  message?: PlannedMessage;
}

const iso = (at: number) => new Date(at).toISOString();

/**
 * Plans one event against the state left by the events before it.
 * @throws DomainError validation_failed, occurred_at_in_future, member_not_found, currency_mismatch,
 *   order_already_recorded, order_not_found, refund_exceeds_order, points_limit_exceeded, and the event data's
 *   own problems (event-data.ts) — each before the plan's state changes.
 */
export function planEvent(plan: EventPlan, input: EventInput): EventResponse {
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
  if (posted.message) plan.writes.messages.push({ ...posted.message, data: { ...posted.message.data, balance } });
  return {
    event: { id: input.id, type: input.type, memberId: member.id, occurredAt: iso(occurredAt), receivedAt: iso(now), data: input.data },
    awarded: posted.awarded,
    ...(posted.clawback ? { clawback: posted.clawback } : {}),
    ...(posted.tierMultiplier ? { tierMultiplier: posted.tierMultiplier } : {}),
    ...(posted.held ? { held: posted.held } : {}),
    balance,
  };
}

function resolveMember(plan: EventPlan, input: EventInput): PlanMember {
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

/** Records a posting and moves the member's balance by exactly what its entries move (the one balance path). */
function applyPosting(plan: EventPlan, member: PlanMember, posting: Posting, meta: { reason: string; eventId: string | null; id?: string }): string {
  const id = meta.id ?? plan.nextId('ltx');
  plan.writes.postings.push({ posting, id, memberId: member.id, reason: meta.reason, eventId: meta.eventId });
  const delta = balanceDelta(posting, member.id);
  member.available += delta.available;
  member.pending += delta.pending;
  member.changed = true;
  return id;
}

/** A lot's new remaining points: on the unwritten row for a lot of this group, else as a change to write. */
function setLotRemaining(plan: EventPlan, member: PlanMember, lotId: string, remaining: number): void {
  const open = member.lots?.find((l) => l.id === lotId);
  if (open) open.remaining = remaining;
  const unwritten = plan.writes.lots.find((l) => l.id === lotId);
  if (unwritten) unwritten.remaining = remaining;
  else plan.writes.lotRemaining.set(lotId, remaining);
}

/**
 * Posts the expiry of the member's lots past their expiry, once, before the first event of the group that
 * changes the member: its points, clawbacks and the balance it reports never include expired points.
 */
function planDueExpiry(plan: EventPlan, member: PlanMember): void {
  if (member.dueExpiry.length === 0) return;
  const lots = member.dueExpiry;
  member.dueExpiry = [];
  const { posting, takes } = expiryPostingOfLots(member.id, lots);
  applyPosting(plan, member, posting, { reason: 'points expired', eventId: null });
  for (const take of takes) setLotRemaining(plan, member, take.lotId, 0);
  const points = takes.reduce((sum, take) => sum + take.points, 0);
  plan.writes.messages.push({ type: 'points.expired', memberId: member.id, data: { memberId: member.id, points, balance: { available: member.available, pending: member.pending } } });
}

function planEarn(plan: EventPlan, member: PlanMember, input: EventInput, occurredAt: number): Posted {
  const { program, now, writes } = plan;
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

  // The rules decide first, on the state as it stands; nothing changes yet.
  const active = member.status === 'active';
  const lines: { ruleId: string; ruleVersion: number; points: number }[] = [];
  const usageIncrements: { ruleId: string; periodKey: string }[] = [];
  const ruleFailures: RuleFailure[] = [];
  if (active) {
    const event = { type: input.type, occurredAt: new Date(occurredAt), data: input.data };
    const usage = new Map<string, number>();
    for (const key of limitedPeriodKeys(plan.rules, event, program.timezone)) {
      const count = plan.usage.get(`${member.id}|${usageKey(key.ruleId, key.periodKey)}`);
      if (count !== undefined) usage.set(usageKey(key.ruleId, key.periodKey), count);
    }
    const evaluation = evaluateRules({ rules: plan.rules, event, member: plan.memberFacts(member), now: new Date(now), timezone: program.timezone, usage });
    lines.push(...evaluation.awards);
    usageIncrements.push(...evaluation.usageIncrements);
    ruleFailures.push(...evaluation.failures);
  }
  const ruleTotal = lines.reduce((sum, line) => sum + line.points, 0);
  // The tier multiplier of the level the member had when the event arrived, after the rules' own multipliers.
  const tierLevel = active ? plan.tiers.multiplierLevel(member.tier) : null;
  const { total, bonus } = tierLevel ? applyTierMultiplier(ruleTotal, tierLevel.multiplier) : { total: ruleTotal, bonus: 0 };
  if (total > 0) {
    const expiring = member.dueExpiry.reduce((sum, lot) => sum + lot.remaining, 0);
    checkPointsBounds(total, { available: member.available + member.pending - expiring, pending: 0 }, purchase ? '/data/total' : null);
  }

  // From here on nothing refuses the event: the plan's state changes.
  planDueExpiry(plan, member);
  writes.ruleFailures.push(...ruleFailures);
  for (const increment of usageIncrements) {
    const key = `${member.id}|${usageKey(increment.ruleId, increment.periodKey)}`;
    const count = (plan.usage.get(key) ?? 0) + 1;
    plan.usage.set(key, count);
    writes.usage.set(key, { ruleId: increment.ruleId, memberId: member.id, periodKey: increment.periodKey, count });
  }
  const tierMultiplier = tierLevel && bonus > 0 ? { tier: tierLevel.name, factor: tierLevel.multiplier, points: bonus } : undefined;
  const postedLines = tierMultiplier ? [...lines, { ruleId: null, ruleVersion: null, points: bonus }] : lines;
  let lotId: string | null = null;
  let status: EventAward['status'] = 'available';
  // The daily earn limit, over what the member earned in the last 24 hours including this group's awards.
  const daily = active ? checkDailyEarn(member.earnedLast24h, total, program.maxPointsPerDay) : null;
  const held: HeldAward | undefined = daily?.decision === 'flag' ? { id: plan.nextId('hld'), points: total, reason: 'daily_earn_limit', evidence: daily.evidence } : undefined;
  if (held) {
    status = 'held';
    writes.holds.push({
      id: held.id,
      memberId: member.id,
      eventId: input.id,
      eventType: input.type,
      orderId: purchase?.orderId ?? null,
      points: total,
      lines: postedLines,
      occurredAt,
      evidence: held.evidence,
    });
  } else if (total > 0) {
    member.earnedLast24h += total;
    lotId = plan.nextId('lot');
    const { availableAt, expiresAt } = earnLotTimes(program, input.type, occurredAt);
    const pending = availableAt > now;
    status = pending ? 'pending' : 'available';
    const transactionId = plan.nextId('ltx');
    const lot: Lot = { id: lotId, memberId: member.id, amount: total, remaining: total, availableAt, releasedAt: pending ? null : now, expiresAt, createdAt: now };
    writes.lots.push({ ...lot, transactionId });
    member.lots?.push({ ...lot });
    applyPosting(plan, member, earnPosting(member.id, lotId, postedLines, pending), {
      id: transactionId,
      reason: tierMultiplier
        ? `${input.type} event ${input.id}; tier ${tierMultiplier.tier} ×${tierMultiplier.factor} +${tierMultiplier.points}`
        : `${input.type} event ${input.id}`,
      eventId: input.id,
    });
    member.lifetimeEarned += total;
    // An event back-dated past the expiry period earns points that have already expired.
    if (isPastExpiry(lot, now)) {
      member.dueExpiry.push(lot);
      planDueExpiry(plan, member);
    }
  }
  if (isPurchase) member.purchaseCount += 1;
  member.changed = true;
  const earned = held ? 0 : Math.max(total, 0);
  plan.tiers.count(member.id, occurredAt, { pointsEarned: earned, spendMinor: purchase?.total ?? 0, purchases: isPurchase ? 1 : 0 });
  if (isPurchase) plan.tiers.notePurchase(input.id, occurredAt);
  if (active) {
    const change = plan.tiers.upgrade(member.id, member.tier, input.id);
    if (change && change.tier !== member.tier) {
      member.tier = change.tier;
      writes.messages.push(change.message);
    }
  }
  if (purchase) {
    plan.referrals.notePurchase(
      input.id,
      { id: member.id, status: member.status, referredByMemberId: member.referredByMemberId, purchasesBefore: member.purchaseCount - 1 },
      purchase,
      input.data,
      input.context ?? {},
      now,
    );
    plan.orders.set(purchase.orderId, {
      isNew: true,
      changed: true,
      orderId: purchase.orderId,
      memberId: member.id,
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
        memberId: member.id,
        data: { memberId: member.id, eventId: input.id, eventType: input.type, holdId: held.id, points: total, reason: held.reason, evidence: held.evidence },
      },
    };
  }
  if (total <= 0) return { awarded };
  return {
    awarded,
    ...(tierMultiplier ? { tierMultiplier } : {}),
    message: {
      type: 'points.earned',
      memberId: member.id,
      data: { memberId: member.id, eventId: input.id, eventType: input.type, points: total, status, awarded, ...(tierMultiplier ? { tierMultiplier } : {}) },
    },
  };
}

function planRefund(plan: EventPlan, member: PlanMember, input: EventInput): Posted {
  const { now } = plan;
  const refund = parseRefundData(input.data);
  const order = plan.orders.get(refund.orderId);
  if (!order || order.memberId !== member.id) {
    throw DomainError.field('order_not_found', '/data/orderId', `No purchase with orderId ${refund.orderId} for this member.`);
  }
  const refundable = order.totalMinor - order.refundedMinor;
  const amount = refund.amount ?? refundable;
  if (amount > refundable || amount === 0) {
    throw DomainError.field(
      'refund_exceeds_order',
      refund.amount === undefined ? '/data/orderId' : '/data/amount',
      `Order ${refund.orderId} has ${refundable} ${order.currency} minor units left to refund; ${amount} were asked.`,
    );
  }

  // From here on nothing refuses the event: the plan's state changes.
  planDueExpiry(plan, member);
  const points = refundClawbackPoints(order, amount);
  let taken = 0;
  let unrecovered = 0;
  if (points > 0) {
    const allocation = allocateClawback(member.lots ?? [], points, order.lotId, now);
    unrecovered = allocation.unrecovered;
    taken = points - unrecovered;
    if (allocation.takes.length > 0) {
      applyPosting(plan, member, takePosting('refund', member.id, allocation.takes, 'issuance'), { reason: `refund of order ${refund.orderId}`, eventId: input.id });
      for (const take of allocation.takes) {
        const lot = member.lots?.find((l) => l.id === take.lotId);
        if (lot) setLotRemaining(plan, member, lot.id, lot.remaining - take.points);
      }
    }
    member.lifetimeEarned -= points;
    member.changed = true;
  }
  // Net of refunds: the money, the points and (once refunded in full) the purchase leave the purchase's month.
  plan.tiers.countRefund(member.id, order.eventId, {
    pointsEarned: -points,
    spendMinor: -amount,
    purchases: order.refundedMinor + amount === order.totalMinor ? -1 : 0,
  });
  // A held order counts too: earning (or trying to) and then returning is the pattern, whatever the review says.
  if (order.refundedMinor === 0 && (order.pointsEarned > 0 || order.heldPoints > 0)) {
    member.refundedOrders += 1;
    member.changed = true;
  }
  order.refundedMinor += amount;
  plan.referrals.noteRefund(input.id, { orderId: order.orderId, totalMinor: order.totalMinor, refundedMinor: order.refundedMinor });
  order.pointsClawedBack += taken;
  order.pointsUnrecovered += unrecovered;
  order.changed = true;
  const clawback = { points: taken, unrecovered };
  if (points === 0) return { awarded: [], clawback };
  return {
    awarded: [],
    clawback,
    message: { type: 'points.reversed', memberId: member.id, data: { memberId: member.id, eventId: input.id, orderId: refund.orderId, ...clawback } },
  };
}
