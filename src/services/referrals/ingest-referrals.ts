/**
 * The referral programme's part of event ingestion (services/events/ingest.ts), set-based like the rest:
 *   - prepare, before the members are locked: the programme's referral settings (one primary-key read; when the
 *     programme has no referral programme nothing else happens), and the members whose points may move — the
 *     referrers of the named members' referrals and the owners of codes carried by purchases — so ingestion
 *     locks them with the named members in one id-ordered statement;
 *   - load, under the locks: the named members' referrals and the referrals qualified by refunded orders;
 *   - note, while the events are planned one by one: what each purchase or refund means for a referral
 *     (attribution, qualification, a refund that disqualifies), decided from the loaded state and what earlier
 *     events of the group did;
 *   - apply, after the group's own writes: the referral steps (services/referrals/lifecycle.ts) in event order.
 *     Their points are ledger transactions of their own, written after the event's; the event's response says
 *     what happened to the referral (`referral: {id, status}`, or `{ignored: reason}` for a code that could not
 *     refer this member).
 *
 * Attribution on a purchase: the member's first purchase (no purchase before it) may carry `data.referralCode`.
 * A member who already purchased, or is already referred, cannot be referred (`existing_member`,
 * `already_referred`); their own code is `self_referral`; an unknown code `referral_code_unknown`. The purchase
 * earns as usual in every case. Qualification: the friend's first purchase whose total reaches the programme's
 * minimum while the referral is signed_up and within its validity. Attribution and qualification need the
 * programme on; a refund that disqualifies a referral is handled even when the programme was switched off since.
 */
import { normaliseReferralCode } from '../../domain/referrals/codes.js';
import { orderStillQualifies, type ReferralStatus } from '../../domain/referrals/referral.js';
import type { ServiceContext } from '../../context.js';
import { lockMembers } from '../../storage/repositories/members.repository.js';
import {
  findMembersByReferralCodes,
  findReferral,
  findReferrerIdsOfMembers,
  findReferralsByOrders,
  findReferralsOfFriends,
  setReferredBy,
  type ReferralRow,
} from '../../storage/repositories/referrals.repository.js';
import type { ProgramRow } from '../../storage/schema.js';
import type { Trx } from '../../storage/transaction.js';
import { recordFingerprints, type ClientContext } from '../fraud/referral-fraud.js';
import { endOnRefund, loadReferralProgram, qualifyReferral, startReferral, type ReferralProgram } from './lifecycle.js';

import type { ReferralIgnoredReason, ReferralNote } from '../../domain/events/plan.js';
export type { ReferralIgnoredReason, ReferralNote };

type Intent =
  | { kind: 'attribute'; eventId: string; friendId: string; referrerId: string; code: string; order: Order | null; context: ClientContext }
  | { kind: 'qualify'; eventId: string; friendId: string; order: Order }
  | { kind: 'refund'; eventId: string; orderId: string; totalMinor: number; refundedMinor: number };

interface Order {
  orderId: string;
  totalMinor: number;
}

interface EventLike {
  type: string;
  memberId?: string;
  externalId?: string;
  data: Record<string, unknown>;
}

const codeOf = (data: Record<string, unknown>): string | null =>
  typeof data.referralCode === 'string' && data.referralCode.trim().length > 0 ? normaliseReferralCode(data.referralCode) : null;

export class GroupReferrals {
  private byFriend = new Map<string, { status: ReferralStatus; expiresAt: number | null }>();
  private qualifyingOrders = new Set<string>();
  private codeOwners = new Map<string, string>();
  private intents: Intent[] = [];
  /** What happened to a referral, by event id, for the events' responses. */
  readonly notes = new Map<string, ReferralNote>();

  private constructor(
    private readonly referralProgram: ReferralProgram | null,
    /** Members to lock with the group's own: referrers and code owners. */
    readonly extraMemberIds: string[],
  ) {}

  private get enabled(): boolean {
    return this.referralProgram?.enabled === true;
  }

  static async prepare(trx: Trx, program: ProgramRow, events: readonly EventLike[]): Promise<GroupReferrals> {
    const programId = program.id;
    const referralProgram = await cachedReferralProgram(trx, program);
    if (!referralProgram) return new GroupReferrals(null, []);
    const memberIds = [...new Set(events.flatMap((e) => (e.memberId !== undefined ? [e.memberId] : [])))];
    const externalIds = [...new Set(events.flatMap((e) => (e.memberId === undefined && e.externalId !== undefined ? [e.externalId] : [])))];
    const extra = new Set(await findReferrerIdsOfMembers(trx, programId, memberIds, externalIds));
    const group = new GroupReferrals(referralProgram, []);
    if (referralProgram.enabled) {
      const codes = [...new Set(events.flatMap((e) => (e.type === 'purchase' ? [codeOf(e.data)] : []).filter((c): c is string => c !== null)))];
      for (const owner of await findMembersByReferralCodes(trx, programId, codes)) {
        group.codeOwners.set(owner.referralCode, owner.id);
        extra.add(owner.id);
      }
    }
    group.extraMemberIds.push(...extra);
    return group;
  }

  /** Under the members' locks: the referrals of the locked members and of the orders refunds name. */
  async load(trx: Trx, programId: string, memberIds: readonly string[], refundOrderIds: readonly string[]): Promise<void> {
    if (!this.referralProgram) return;
    for (const row of await findReferralsOfFriends(trx, programId, memberIds)) {
      this.byFriend.set(row.friendMemberId, { status: row.status, expiresAt: row.expiresAt });
    }
    for (const row of await findReferralsByOrders(trx, programId, refundOrderIds)) {
      if (row.qualifyingOrderId !== null) this.qualifyingOrders.add(row.qualifyingOrderId);
    }
  }

  /** A purchase of `member` (already known not to be refused). `purchasesBefore` excludes this one. */
  notePurchase(
    eventId: string,
    member: { id: string; status: string; referredByMemberId: string | null; purchasesBefore: number },
    purchase: { orderId: string; total: number },
    data: Record<string, unknown>,
    context: ClientContext,
    now: number,
  ): void {
    if (!this.enabled || member.status !== 'active') return;
    const settings = (this.referralProgram as ReferralProgram).settings;
    const order = { orderId: purchase.orderId, totalMinor: purchase.total };
    const qualifies = purchase.total >= settings.qualification.minOrderTotal;
    const code = codeOf(data);
    const existing = this.byFriend.get(member.id);
    if (code !== null) {
      let ignored: ReferralIgnoredReason | null = null;
      const owner = this.codeOwners.get(code);
      if (existing || member.referredByMemberId !== null) ignored = 'already_referred';
      else if (member.purchasesBefore > 0) ignored = 'existing_member';
      else if (owner === undefined) ignored = 'referral_code_unknown';
      else if (owner === member.id) ignored = 'self_referral';
      if (ignored !== null || owner === undefined) {
        this.notes.set(eventId, { ignored: ignored ?? 'referral_code_unknown' });
      } else {
        this.intents.push({ kind: 'attribute', eventId, friendId: member.id, referrerId: owner, code, order: qualifies ? order : null, context });
        this.byFriend.set(member.id, { status: qualifies ? 'qualified' : 'signed_up', expiresAt: null });
        return;
      }
    }
    if (existing && existing.status === 'signed_up' && qualifies && (existing.expiresAt === null || existing.expiresAt > now)) {
      this.intents.push({ kind: 'qualify', eventId, friendId: member.id, order });
      existing.status = 'qualified';
      this.qualifyingOrders.add(order.orderId);
    }
  }

  /** A refund of an order (`refundedMinor` after it): a qualifying order that stops qualifying ends its referral. */
  noteRefund(eventId: string, order: { orderId: string; totalMinor: number; refundedMinor: number }): void {
    if (!this.referralProgram) return;
    const isQualifying = this.qualifyingOrders.has(order.orderId) || this.intents.some((i) => i.kind === 'attribute' && i.order?.orderId === order.orderId);
    if (!isQualifying) return;
    if (orderStillQualifies(order, this.referralProgram.settings.qualification.minOrderTotal)) return;
    this.intents.push({ kind: 'refund', eventId, ...order });
  }

  /**
   * Runs the noted steps in event order, after the group's own writes. `locked`: the members this transaction
   * holds; a referrer missing from it (a referral made by a concurrent group between prepare and the locks) is
   * locked late for a reversal, and for a reward the reward job takes over.
   */
  /** Whether `apply` has anything to do: referrals to start, qualify or end in this group. */
  get hasSteps(): boolean {
    return this.referralProgram !== null && this.intents.length > 0;
  }

  async apply(ctx: ServiceContext, trx: Trx, program: ProgramRow, locked: Set<string>, now: number): Promise<void> {
    const referralProgram = this.referralProgram;
    if (!referralProgram || this.intents.length === 0) return;
    const note = (eventId: string, row: ReferralRow | null) => {
      if (row) this.notes.set(eventId, { id: row.id, status: row.status });
    };
    for (const intent of this.intents) {
      if (intent.kind === 'attribute') {
        // A friend attributed on a purchase is linked to the referrer like one enrolled with the code.
        // The purchase's context is the friend's sign-up as far as the fraud check is concerned.
        await setReferredBy(trx, program.id, intent.friendId, intent.referrerId, now);
        await recordFingerprints(ctx, trx, program.id, intent.friendId, intent.context, now);
        let row: ReferralRow | null = await startReferral(
          ctx, trx, program, referralProgram,
          { referrerMemberId: intent.referrerId, friendMemberId: intent.friendId, code: intent.code, context: intent.context },
          now,
        );
        if (intent.order && row.status === 'signed_up') {
          row = (await qualifyReferral(ctx, trx, program, referralProgram, row, intent.order, { referrerLocked: locked.has(intent.referrerId) }, now)) ?? row;
        }
        note(intent.eventId, row);
      } else if (intent.kind === 'qualify') {
        const [row] = await findReferralsOfFriends(trx, program.id, [intent.friendId]);
        if (!row) continue;
        const after = await qualifyReferral(ctx, trx, program, referralProgram, row, intent.order, { referrerLocked: locked.has(row.referrerMemberId) }, now);
        note(intent.eventId, after);
      } else {
        const [found] = await findReferralsByOrders(trx, program.id, [intent.orderId]);
        if (!found) continue;
        if (!locked.has(found.referrerMemberId)) {
          await lockMembers(trx, ctx.storage, program.id, [found.referrerMemberId], []);
          locked.add(found.referrerMemberId);
        }
        const row = await findReferral(trx, program.id, found.id);
        if (!row) continue;
        note(intent.eventId, await endOnRefund(ctx, trx, row, intent.orderId, now));
      }
    }
  }
}

/**
 * The programme's referral programme, cached per process by the programme's `rulesVersion`, which
 * `putReferralProgram` bumps in its transaction: ingestion then pays no query for it per group.
 */
const referralPrograms = new Map<string, { version: number; referralProgram: ReferralProgram | null }>();

async function cachedReferralProgram(trx: Trx, program: ProgramRow): Promise<ReferralProgram | null> {
  const cached = referralPrograms.get(program.id);
  if (cached && cached.version === program.rulesVersion) return cached.referralProgram;
  const referralProgram = await loadReferralProgram(trx, program.id);
  referralPrograms.set(program.id, { version: program.rulesVersion, referralProgram });
  return referralProgram;
}
