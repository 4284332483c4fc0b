/**
 * The steps of a referral's life that several use cases share inside their own transaction (services do not
 * call services): starting a referral at sign-up, qualifying it on the friend's order, rewarding both sides,
 * reversing the rewards when the qualifying order is refunded, rejecting, and continuing an approved one.
 * None opens a transaction. Steps that move points run under the locks of both members, which the caller took
 * (members in id order, before any other lock). Every status change is a conditional update on the status it
 * leaves (`updateReferral(…, from, …)`), so a job, a review and an event racing on one referral change it once.
 *
 * Payout: `rewardReferral` decides both sides with the domain (domain/referrals/payout.ts), locks the catalogue
 * rewards it gives (after the members, in id order, as a redemption locks member then reward) and checks they
 * can be given; if one cannot, nothing is given and the referral becomes reward_failed with the reason
 * (referral.reward_failed), never `rewarded` with an empty side. A retry (services/referrals/retry-reward.ts)
 * runs the same step again. A referral's coupon names the referral (`referral_id`) and counts in the reward's
 * redeemed_count while it stands, like a redemption.
 *
 * Fraud: the fraud check (services/fraud/referral-fraud.ts) runs at sign-up and at qualification; its decision
 * is applied here: reward → go on; review → flagged (referral.flagged); reject → rejected (referral.rejected).
 * The score of the latest check and the signals of every check (each with its stage and evidence) are kept on
 * the referral.
 */
import type { Selectable } from 'kysely';
import { DomainError } from '../../domain/errors.js';
import type { FiredSignal, ReferralAssessment } from '../../domain/fraud/referral-risk.js';
import { allocateClawback, earnPosting, takePosting } from '../../domain/ledger/lots.js';
import { addDays, addMonths } from '../../domain/periods.js';
import { invariant } from '../../domain/invariant.js';
import {
  catalogueRewardsOf,
  describePayoutFailure,
  payoutFailures,
  planPayout,
  type PayoutFailure,
} from '../../domain/referrals/payout.js';
import { orderStillQualifies, rewardableStatuses, type ReferralStatus } from '../../domain/referrals/referral.js';
import type { ReferralRewardSpec, ReferralSettings } from '../../domain/referrals/settings.js';
import type { WebhookEventType } from '../../domain/webhooks/event-types.js';
import type { ServiceContext } from '../../context.js';
import { cancelCoupon, insertCoupons } from '../../storage/repositories/coupons.repository.js';
import { findOrders } from '../../storage/repositories/events.repository.js';
import { postDueExpiry } from '../expiry-steps.js';
import { insertLot, listOpenLots, writeMemberPosting } from '../../storage/repositories/ledger.repository.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import {
  findReferral,
  findReferralProgram,
  insertReferral,
  listReferralsOfReferrer,
  returnRewardUnit,
  takeRewardUnit,
  updateReferral,
  type ReferralRow,
} from '../../storage/repositories/referrals.repository.js';
import { lockReward } from '../../storage/repositories/rewards.repository.js';
import type { ReferralProgramsTable } from '../../storage/referrals.schema.js';
import type { ProgramRow } from '../../storage/schema.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import type { Trx } from '../../storage/transaction.js';
import { assessReferral, fingerprintHashes, type ClientContext } from '../fraud/referral-fraud.js';
import { couponExpiresAt, freshCouponCodes, newCoupon } from '../rewards/redemption-steps.js';
import { iso } from '../views.js';
import { referralView } from './views.js';

export type { ClientContext };

export interface ReferralProgram {
  programId: string;
  enabled: boolean;
  settings: ReferralSettings;
}

export function referralProgramOf(row: Selectable<ReferralProgramsTable>): ReferralProgram {
  return { programId: row.programId, enabled: row.enabled === 1, settings: JSON.parse(row.settings) as ReferralSettings };
}

export async function loadReferralProgram(db: Trx, programId: string): Promise<ReferralProgram | null> {
  const row = await findReferralProgram(db, programId);
  return row ? referralProgramOf(row) : null;
}

/**
 * What a side was given: points (with the ledger transaction and lot), or a coupon of a catalogue reward.
 * `notGiven` is only found on referrals rewarded before migration 0015; a payout now gives everything or
 * leaves the referral reward_failed.
 */
export type GivenReward =
  | { points: number; transactionId: string; lotId: string }
  | { rewardId: string; couponCode: string }
  | { rewardId: string; couponCode: null; notGiven: 'reward_not_available' }
  | { capped: true };

/** What a side was given; a referrer with a catalogue reward also gets a ladder step's points (`ladder`). */
export type GivenSide = GivenReward & { ladder?: GivenReward };

export interface StoredSignal extends FiredSignal {
  stage: 'signup' | 'qualification';
}

async function message(ctx: ServiceContext, trx: Trx, type: WebhookEventType, row: ReferralRow, now: number): Promise<void> {
  await enqueueOutbox(trx, ctx.ids, row.programId, [{ type, memberId: row.referrerMemberId, data: { ...referralView(row) } }], now);
}

async function reread(trx: Trx, row: ReferralRow): Promise<ReferralRow> {
  const fresh = await findReferral(trx, row.programId, row.id);
  if (!fresh) throw new Error(`referral ${row.id} vanished inside its own transaction`);
  return fresh;
}

function signalsWith(row: ReferralRow, assessment: ReferralAssessment, stage: StoredSignal['stage']): string {
  const earlier = (JSON.parse(row.signals) as StoredSignal[]).filter((s) => s.stage !== stage);
  return JSON.stringify([...earlier, ...assessment.signals.map((s) => ({ ...s, stage }))]);
}

/**
 * Applies a fraud decision to a referral in `from`: review flags it, reject rejects it; `reward` only records
 * the score and signals. Returns the row after the change.
 */
async function applyAssessment(
  ctx: ServiceContext,
  trx: Trx,
  row: ReferralRow,
  from: readonly ReferralStatus[],
  assessment: ReferralAssessment,
  stage: StoredSignal['stage'],
  extra: Partial<ReferralRow>,
  now: number,
): Promise<{ row: ReferralRow; changed: boolean }> {
  const evidence = { score: assessment.score, signals: signalsWith(row, assessment, stage), updatedAt: now };
  if (assessment.decision === 'reward') {
    const changed = await updateReferral(trx, row.programId, row.id, from, { ...evidence, ...extra });
    return { row: await reread(trx, row), changed };
  }
  const status: ReferralStatus = assessment.decision === 'review' ? 'flagged' : 'rejected';
  const reason = assessment.decision === 'reject' ? `fraud score ${assessment.score} above the rejection threshold at ${stage}` : null;
  const changes = { ...evidence, ...extra, status, ...(status === 'rejected' ? { reason, endedAt: now } : {}) };
  const changed = await updateReferral(trx, row.programId, row.id, from, changes);
  const after = await reread(trx, row);
  if (changed) await message(ctx, trx, status === 'flagged' ? 'referral.flagged' : 'referral.rejected', after, now);
  return { row: after, changed };
}

/**
 * Starts a referral when a referred friend joins (enrolment with a code, or a first purchase carrying one):
 * signed_up, open for the programme's validity days, then checked for fraud.
 */
export async function startReferral(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  referralProgram: ReferralProgram,
  input: { referrerMemberId: string; friendMemberId: string; code: string; context: ClientContext },
  now: number,
): Promise<ReferralRow> {
  const { settings } = referralProgram;
  const hashes = fingerprintHashes(ctx, input.context);
  const row: ReferralRow = {
    programId: program.id,
    id: ctx.ids.next('rfl'),
    referrerMemberId: input.referrerMemberId,
    friendMemberId: input.friendMemberId,
    code: input.code,
    status: 'signed_up',
    clickId: null,
    signupIpHash: hashes.ip,
    signupDeviceHash: hashes.deviceId,
    score: 0,
    signals: '[]',
    qualifyingOrderId: null,
    qualifyingTotalMinor: null,
    expiresAt: addDays(new Date(now), settings.validityDays, program.timezone).getTime(),
    qualifiedAt: null,
    rewardDueAt: null,
    rewardedAt: null,
    endedAt: null,
    reason: null,
    review: null,
    referrerReward: null,
    friendReward: null,
    payoutFailure: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertReferral(trx, row);
  await message(ctx, trx, 'referral.signed_up', row, now);
  const assessment = await assessReferral(
    ctx,
    trx,
    program.id,
    { referrerMemberId: input.referrerMemberId, friendMemberId: input.friendMemberId, context: input.context, stage: 'signup', qualifyingOrder: null },
    settings.fraud,
  );
  return (await applyAssessment(ctx, trx, row, ['signed_up'], assessment, 'signup', {}, now)).row;
}

export function rewardDueAt(program: ProgramRow, settings: ReferralSettings, qualifiedAt: number): number {
  return settings.qualification.afterReturnWindow && program.pendingDays > 0
    ? addDays(new Date(qualifiedAt), program.pendingDays, program.timezone).getTime()
    : qualifiedAt;
}

/**
 * Qualifies a signed-up referral on the friend's order (total at least the minimum, checked by the caller),
 * after a second fraud check. A clean referral becomes qualified and, when no return window applies and the
 * caller holds the referrer's lock, is rewarded at once; otherwise the reward job rewards it when due.
 * Returns the row after the change, or null when the referral had moved on (expired meanwhile).
 */
export async function qualifyReferral(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  referralProgram: ReferralProgram,
  referral: ReferralRow,
  order: { orderId: string; totalMinor: number },
  options: { referrerLocked: boolean },
  now: number,
): Promise<ReferralRow | null> {
  if (referral.status !== 'signed_up' || (referral.expiresAt !== null && referral.expiresAt <= now)) return null;
  const { settings } = referralProgram;
  const assessment = await assessReferral(
    ctx,
    trx,
    program.id,
    {
      referrerMemberId: referral.referrerMemberId,
      friendMemberId: referral.friendMemberId,
      context: {},
      stage: 'qualification',
      qualifyingOrder: { orderId: order.orderId, refundedMinor: 0 },
    },
    settings.fraud,
  );
  const due = rewardDueAt(program, settings, now);
  const qualification = { qualifyingOrderId: order.orderId, qualifyingTotalMinor: order.totalMinor, qualifiedAt: now, rewardDueAt: due };
  if (assessment.decision !== 'reward') {
    const { row, changed } = await applyAssessment(ctx, trx, referral, ['signed_up'], assessment, 'qualification', qualification, now);
    return changed ? row : null;
  }
  const { row, changed } = await applyAssessment(ctx, trx, referral, ['signed_up'], assessment, 'qualification', { ...qualification, status: 'qualified' }, now);
  if (!changed) return null;
  await message(ctx, trx, 'referral.qualified', row, now);
  if (due <= now && options.referrerLocked) {
    await rewardReferral(ctx, trx, program, referralProgram, row, now);
    return reread(trx, row);
  }
  return row;
}

type CatalogueReward = NonNullable<Awaited<ReturnType<typeof lockReward>>>;

/**
 * Gives one side its reward: points as a new available lot (reason "referral …"), or a reward's coupon. The
 * caller checked under the reward's lock that the reward can be given (`payoutFailures`), so its stock is there.
 */
async function give(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  referralId: string,
  memberId: string,
  spec: ReferralRewardSpec,
  rewards: ReadonlyMap<string, CatalogueReward>,
  reason: string,
  now: number,
): Promise<GivenReward> {
  if ('points' in spec) {
    const transactionId = ctx.ids.next('ltx');
    const lotId = ctx.ids.next('lot');
    await insertLot(trx, {
      programId: program.id,
      id: lotId,
      memberId,
      transactionId,
      amount: spec.points,
      remaining: spec.points,
      availableAt: now,
      releasedAt: now,
      expiresAt: program.expiryMonths === null ? null : addMonths(new Date(now), program.expiryMonths, program.timezone).getTime(),
      createdAt: now,
    });
    await writeMemberPosting(trx, program.id, earnPosting(memberId, lotId, [{ ruleId: null, ruleVersion: null, points: spec.points }], false), {
      id: transactionId,
      memberId,
      reason,
      eventId: null,
      createdAt: now,
    });
    return { points: spec.points, transactionId, lotId };
  }
  // A catalogue reward is issued as the member's coupon at no points cost. Not a redemption row: a redemption
  // records the points it spent (its ledger transaction, the lots it took) so that a cancel can give them back,
  // and here nothing was spent. The coupon names the member, the referral (`referralId`) and a campaign
  // instead, and counts in the reward's redeemed_count while it stands.
  const reward = rewards.get(spec.rewardId);
  invariant(reward !== undefined, `reward ${spec.rewardId} was not locked for the payout`);
  invariant(await takeRewardUnit(trx, program.id, reward.id, now), `reward ${reward.id} had no stock after the payout checked it`);
  const [code] = await freshCouponCodes(trx, program, 1);
  await insertCoupons(trx, [newCoupon({
    programId: program.id,
    code: code as string,
    rewardId: reward.id,
    memberId,
    campaign: reason,
    referralId,
    expiresAt: couponExpiresAt(program, reward.validUntil, now),
    createdAt: now,
  })]);
  return { rewardId: reward.id, couponCode: code as string };
}

/** What rewarding a referral came to: rewarded, or reward_failed with the reason (nothing given). */
export type RewardOutcome = { outcome: 'rewarded' } | { outcome: 'reward_failed'; failure: PayoutFailure; reason: string };

/**
 * Rewards a referral that is due (qualified, approved, or reward_failed being retried) on both sides, as
 * domain/referrals/payout.ts plans it: the friend reward, and the referrer's ladder points or base reward unless
 * the cap per referrer per period is reached (then the referrer's side records `{capped: true}`). The catalogue
 * rewards it gives are locked (after the members, in id order) and checked first: if one cannot be given,
 * nothing is given and the referral becomes reward_failed with the reason on `reason` and `payoutFailure`
 * (referral.reward_failed). The caller holds both members' locks. Null when it was no longer rewardable.
 */
export async function rewardReferral(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  referralProgram: ReferralProgram,
  referral: ReferralRow,
  now: number,
): Promise<RewardOutcome | null> {
  const { settings } = referralProgram;
  const earlier = (await listReferralsOfReferrer(trx, program.id, referral.referrerMemberId)).filter(
    (r) => r.id !== referral.id && r.status === 'rewarded',
  );
  const rewardedReferrerAt = earlier.filter((r) => r.referrerReward !== null && !('capped' in (JSON.parse(r.referrerReward) as object))).map((r) => r.rewardedAt ?? r.updatedAt);
  const plan = planPayout(settings, { successfulBefore: earlier.length, rewardedReferrerAt }, now, program.timezone);
  const needs = catalogueRewardsOf(plan);
  const rewards = new Map<string, CatalogueReward>();
  for (const rewardId of [...new Set(needs.map((n) => n.rewardId))].sort()) {
    const row = await lockReward(trx, ctx.storage, program.id, rewardId);
    if (row) rewards.set(rewardId, row);
  }
  const issuable = new Map([...rewards].map(([id, row]) => [id, { active: row.active === 1, validFrom: row.validFrom, validUntil: row.validUntil, stock: row.stock }]));
  const failed = payoutFailures(needs, issuable, now);
  if (failed.length > 0) {
    const failure: PayoutFailure = { at: iso(now), sides: failed };
    const reason = describePayoutFailure(failed);
    const changes = { status: 'reward_failed' as const, reason, payoutFailure: JSON.stringify(failure), rewardedAt: null, updatedAt: now };
    if (!(await updateReferral(trx, program.id, referral.id, rewardableStatuses, changes))) return null;
    await message(ctx, trx, 'referral.reward_failed', await reread(trx, referral), now);
    return { outcome: 'reward_failed', failure, reason };
  }
  // The status changes first: a second caller's conditional update matches nothing, so nothing is given twice.
  const claimed = { status: 'rewarded' as const, rewardedAt: now, reason: null, payoutFailure: null, updatedAt: now };
  if (!(await updateReferral(trx, program.id, referral.id, rewardableStatuses, claimed))) return null;
  const label = `referral ${referral.id}`;
  const friendReward = await give(ctx, trx, program, referral.id, referral.friendMemberId, plan.friend, rewards, `${label} (friend)`, now);
  let referrerReward: GivenSide;
  if (plan.referrer === null) {
    referrerReward = { capped: true };
  } else {
    referrerReward = await give(ctx, trx, program, referral.id, referral.referrerMemberId, plan.referrer.reward, rewards, `${label} (referrer)`, now);
    if (plan.referrer.ladderPoints !== null) {
      const bonus = await give(ctx, trx, program, referral.id, referral.referrerMemberId, { points: plan.referrer.ladderPoints }, rewards, `${label} (referrer, ladder)`, now);
      referrerReward = { ...referrerReward, ladder: bonus };
    }
  }
  await updateReferral(trx, program.id, referral.id, ['rewarded'], {
    referrerReward: JSON.stringify(referrerReward),
    friendReward: JSON.stringify(friendReward),
  });
  await message(ctx, trx, 'referral.rewarded', await reread(trx, referral), now);
  return { outcome: 'rewarded' };
}

interface Reversal {
  points: number;
  unrecovered: number;
  couponCancelled?: boolean;
}

/** Takes one side's reward back: the points from the reward's own lot first, never below zero; an unused coupon is cancelled. */
async function takeBack(ctx: ServiceContext, trx: Trx, programId: string, memberId: string, given: GivenSide, reason: string, now: number): Promise<Reversal> {
  const result: Reversal = { points: 0, unrecovered: 0 };
  const parts: GivenReward[] = [given, ...(given.ladder ? [given.ladder] : [])];
  // Points past their expiry went to `expired`, not back to the member: post that before taking anything back.
  if (parts.some((part) => 'points' in part)) await postDueExpiry(ctx, trx, programId, memberId, now);
  for (const part of parts) {
    if ('points' in part) {
      const lots = await listOpenLots(trx, programId, memberId);
      const { takes, unrecovered } = allocateClawback(lots, part.points, part.lotId, now);
      if (takes.length > 0) {
        await writeMemberPosting(trx, programId, takePosting('refund', memberId, takes, 'issuance'), {
          id: ctx.ids.next('ltx'),
          memberId,
          reason,
          eventId: null,
          createdAt: now,
        }, { takes });
      }
      result.points += part.points - unrecovered;
      result.unrecovered += unrecovered;
    } else if ('couponCode' in part && part.couponCode !== null) {
      const cancelled = await cancelCoupon(trx, programId, part.couponCode, now);
      if (cancelled) await returnRewardUnit(trx, programId, part.rewardId, now);
      result.couponCancelled = cancelled;
    }
  }
  return result;
}

/**
 * Ends a referral whose qualifying order was refunded (below the minimum, or in full): a rewarded one is
 * reversed on both sides through the ledger (never a silent delete), an open one is rejected. The caller holds
 * both members' locks. Returns the row after, or null when there was nothing to end.
 */
export async function endOnRefund(ctx: ServiceContext, trx: Trx, referral: ReferralRow, orderId: string, now: number): Promise<ReferralRow | null> {
  const reason = `qualifying order ${orderId} refunded`;
  if (referral.status === 'rewarded') {
    if (!(await updateReferral(trx, referral.programId, referral.id, ['rewarded'], { status: 'reversed', reason, endedAt: now, updatedAt: now }))) return null;
    const label = `reversal of referral ${referral.id}`;
    const reversal: Record<string, Reversal> = {};
    for (const side of ['referrer', 'friend'] as const) {
      const stored = side === 'referrer' ? referral.referrerReward : referral.friendReward;
      if (stored === null) continue;
      const memberId = side === 'referrer' ? referral.referrerMemberId : referral.friendMemberId;
      reversal[side] = await takeBack(ctx, trx, referral.programId, memberId, JSON.parse(stored) as GivenSide, label, now);
    }
    const after = await reread(trx, referral);
    await enqueueOutbox(trx, ctx.ids, referral.programId, [{
      type: 'referral.reversed',
      memberId: referral.referrerMemberId,
      data: { ...referralView(after), reversal },
    }], now);
    return after;
  }
  return rejectOpen(ctx, trx, referral, reason, now);
}

async function rejectOpen(ctx: ServiceContext, trx: Trx, referral: ReferralRow, reason: string, now: number): Promise<ReferralRow | null> {
  if (!(await updateReferral(trx, referral.programId, referral.id, ['signed_up', 'qualified', 'flagged', 'reward_failed'], { status: 'rejected', reason, endedAt: now, updatedAt: now }))) {
    return null;
  }
  const after = await reread(trx, referral);
  await message(ctx, trx, 'referral.rejected', after, now);
  return after;
}

/**
 * Rejects an open referral (signed_up, qualified, flagged or reward_failed) with a reason, for the review queue.
 * @throws DomainError referral_not_reviewable when it already ended or was rewarded
 */
export async function rejectReferral(ctx: ServiceContext, trx: Trx, referralRow: ReferralRow, reason: string, now: number): Promise<ReferralRow> {
  const after = await rejectOpen(ctx, trx, referralRow, reason, now);
  if (!after) throw new DomainError('referral_not_reviewable', `The referral ${referralRow.id} is not open any more.`);
  return after;
}

/**
 * Continues an approved (flagged) referral exactly where the flow stopped: flagged at sign-up → signed_up
 * again; flagged at qualification → qualified, and rewarded at once when no return window applies or it has
 * passed (a qualifying order refunded meanwhile rejects it instead). Locks both members (id order) itself, so
 * call it before taking other locks.
 * @throws DomainError referral_not_reviewable when the referral is not flagged
 */
export async function continueApprovedReferral(ctx: ServiceContext, trx: Trx, referralRow: ReferralRow, now: number): Promise<ReferralRow> {
  const programId = referralRow.programId;
  await lockMembers(trx, ctx.storage, programId, [referralRow.referrerMemberId, referralRow.friendMemberId].sort(), []);
  const referral = await reread(trx, referralRow);
  if (referral.status !== 'flagged') throw new DomainError('referral_not_reviewable', `The referral ${referral.id} is ${referral.status}, not flagged.`);
  const program = await findProgram(trx, programId);
  const referralProgram = await loadReferralProgram(trx, programId);
  if (!program || !referralProgram) throw new DomainError('referral_not_found', `No referral ${referral.id} in this programme.`);
  if (referral.qualifyingOrderId === null) {
    await updateReferral(trx, programId, referral.id, ['flagged'], { status: 'signed_up', updatedAt: now });
    return reread(trx, referral);
  }
  const [order] = await findOrders(trx, programId, [referral.qualifyingOrderId]);
  if (!order || !orderStillQualifies(order, referralProgram.settings.qualification.minOrderTotal)) {
    return (await rejectOpen(ctx, trx, referral, `qualifying order ${referral.qualifyingOrderId} refunded`, now)) ?? reread(trx, referral);
  }
  const due = referral.rewardDueAt ?? rewardDueAt(program, referralProgram.settings, referral.qualifiedAt ?? now);
  await updateReferral(trx, programId, referral.id, ['flagged'], { status: 'qualified', rewardDueAt: due, qualifiedAt: referral.qualifiedAt ?? now, updatedAt: now });
  const qualified = await reread(trx, referral);
  await message(ctx, trx, 'referral.qualified', qualified, now);
  if (due <= now) await rewardReferral(ctx, trx, program, referralProgram, qualified, now);
  return reread(trx, referral);
}
