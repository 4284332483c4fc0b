/**
 * The steps of a referral's life that several use cases share inside their own transaction (services do not
 * call services): starting a referral at sign-up, qualifying it on the friend's order, rewarding both sides,
 * reversing the rewards when the qualifying order is refunded, rejecting, and continuing an approved one.
 * None opens a transaction. Steps that move points run under the locks of both members, which the caller took
 * (members in id order, before any other lock). Every status change is a conditional update on the status it
 * leaves (`updateReferral(…, from, …)`), so a job, a review and an event racing on one referral change it once.
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
import { capReached, orderStillQualifies, referrerPoints, type ReferralStatus } from '../../domain/referrals/referral.js';
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
import { findReward } from '../../storage/repositories/rewards.repository.js';
import type { ReferralProgramsTable } from '../../storage/referrals.schema.js';
import type { ProgramRow } from '../../storage/schema.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import type { Trx } from '../../storage/transaction.js';
import { assessReferral, fingerprintHashes, type ClientContext } from '../fraud/referral-fraud.js';
import { couponExpiresAt, freshCouponCodes, newCoupon } from '../rewards/redemption-steps.js';
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

/** What a side was given: points (with the ledger transaction and lot), or a coupon of a catalogue reward. */
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

/** Gives one side its reward: points as a new available lot (reason "referral …"), or a reward's coupon. */
async function give(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  memberId: string,
  spec: ReferralRewardSpec,
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
  // and here nothing was spent; the coupon names the member and the referral (campaign) instead.
  const reward = await findReward(trx, program.id, spec.rewardId);
  const active = reward && reward.active === 1 && (reward.validFrom === null || reward.validFrom <= now) && (reward.validUntil === null || reward.validUntil > now);
  if (!reward || !active || !(await takeRewardUnit(trx, program.id, reward.id, now))) {
    return { rewardId: spec.rewardId, couponCode: null, notGiven: 'reward_not_available' };
  }
  const [code] = await freshCouponCodes(trx, program, 1);
  await insertCoupons(trx, [newCoupon({
    programId: program.id,
    code: code as string,
    rewardId: reward.id,
    memberId,
    campaign: reason,
    expiresAt: couponExpiresAt(program, reward.validUntil, now),
    createdAt: now,
  })]);
  return { rewardId: reward.id, couponCode: code as string };
}

/**
 * Rewards a qualified (or approved) referral on both sides. The friend gets the friend reward; the referrer
 * gets the ladder's points for their count of successful referrals (this one included) or the base reward,
 * unless the cap per referrer per period is reached — then the friend is still rewarded and the referrer's
 * side records `{capped: true}`. The caller holds both members' locks. False when it was no longer rewardable.
 */
export async function rewardReferral(
  ctx: ServiceContext,
  trx: Trx,
  program: ProgramRow,
  referralProgram: ReferralProgram,
  referral: ReferralRow,
  now: number,
): Promise<boolean> {
  const { settings } = referralProgram;
  // The status changes first: a second caller's conditional update matches nothing, so nothing is given twice.
  if (!(await updateReferral(trx, program.id, referral.id, ['qualified', 'flagged', 'signed_up'], { status: 'rewarded', rewardedAt: now, updatedAt: now }))) {
    return false;
  }
  const earlier = (await listReferralsOfReferrer(trx, program.id, referral.referrerMemberId)).filter(
    (r) => r.id !== referral.id && r.status === 'rewarded',
  );
  const rewardedReferrerAt = earlier.filter((r) => r.referrerReward !== null && !('capped' in (JSON.parse(r.referrerReward) as object))).map((r) => r.rewardedAt ?? r.updatedAt);
  const reason = `referral ${referral.id}`;
  const friendReward = await give(ctx, trx, program, referral.friendMemberId, settings.friendReward, `${reason} (friend)`, now);
  let referrerReward: GivenSide;
  if (capReached(settings.caps?.perReferrer ?? null, rewardedReferrerAt, now, program.timezone)) {
    referrerReward = { capped: true };
  } else {
    const points = referrerPoints(settings.referrerReward, settings.ladder, earlier.length + 1);
    const spec: ReferralRewardSpec = 'rewardId' in settings.referrerReward ? settings.referrerReward : { points: points ?? 0 };
    referrerReward = await give(ctx, trx, program, referral.referrerMemberId, spec, `${reason} (referrer)`, now);
    // With a catalogue reward for the referrer, a ladder step's points come on top of the coupon.
    if ('rewardId' in settings.referrerReward && points !== null) {
      const bonus = await give(ctx, trx, program, referral.referrerMemberId, { points }, `${reason} (referrer, ladder)`, now);
      referrerReward = { ...referrerReward, ladder: bonus };
    }
  }
  await updateReferral(trx, program.id, referral.id, ['rewarded'], {
    referrerReward: JSON.stringify(referrerReward),
    friendReward: JSON.stringify(friendReward),
  });
  await message(ctx, trx, 'referral.rewarded', await reread(trx, referral), now);
  return true;
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
  if (!(await updateReferral(trx, referral.programId, referral.id, ['signed_up', 'qualified', 'flagged'], { status: 'rejected', reason, endedAt: now, updatedAt: now }))) {
    return null;
  }
  const after = await reread(trx, referral);
  await message(ctx, trx, 'referral.rejected', after, now);
  return after;
}

/**
 * Rejects an open referral (signed_up, qualified or flagged) with a reason, for the review queue.
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
