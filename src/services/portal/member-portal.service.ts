/**
 * What a member sees and does in the portal, for the member a verified token names (member-token.ts): their
 * profile and balance, the rewards their tier may have, their consents, and everything Trouw holds on them as
 * one download. Every function takes the `PortalMember`, never an id from the request, so a member can only
 * ever reach their own data. Redeeming, the ledger, redemptions and the referral view are the existing use
 * cases, called by the routes with the token's member.
 */
import { DomainError } from '../../domain/errors.js';
import { changeConsents, currentConsents, parseConsents, type Consents, type ConsentName } from '../../domain/portal/consents.js';
import { isOpenToTier, isRewardAvailable } from '../../domain/rewards/eligibility.js';
import { localise, type LocalisedText } from '../../domain/rewards/reward.js';
import { maskEmail, maskName } from '../../domain/referrals/share.js';
import type { ServiceContext } from '../../context.js';
import { listMemberFingerprints } from '../../storage/repositories/fraud.repository.js';
import { listExpiringLots } from '../../storage/repositories/ledger.repository.js';
import { findMember, lockMember } from '../../storage/repositories/members.repository.js';
import {
  listAllMemberCoupons, listAllMemberEntries, listAllMemberEvents, listAllMemberLots, listAllMemberMemberships, listAllMemberRedemptions,
  listAllMemberReferrals, listAllMemberTierHistory, setMemberConsents,
} from '../../storage/repositories/portal.repository.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { findRewardsByIds, listRewards as listRewardRows } from '../../storage/repositories/rewards.repository.js';
import { enqueueOutbox } from '../../storage/outbox.js';
import type { MemberRow, ProgramRow } from '../../storage/schema.js';
import { inTransaction, type Trx } from '../../storage/transaction.js';
import { couponSummary, rewardView, type CouponSummary, type RewardRow } from '../rewards/reward-views.js';
import { readTierView } from '../tiers/member-progress.js';
import { withoutDueExpiry } from '../expiry-steps.js';
import { balanceView, iso, memberView, membershipView, tierHistoryView, type BalanceView, type TierProgressView } from '../views.js';
import type { PortalMember } from './member-token.js';

export interface PortalProfile {
  externalId: string;
  name: string | null;
  email: string | null;
  locale: string | null;
  status: string;
  program: { name: string; pointsName: string; currency: string };
  balance: BalanceView;
  tier: string | null;
  tierProgress: TierProgressView | null;
  perks: string[];
  referralCode: string;
  memberSince: string;
}

export interface PortalReward {
  id: string;
  name: string;
  description: string | null;
  pointsCost: number;
  kind: string;
  value: number | null;
  currency: string | null;
  stock: number | null;
  validUntil: string | null;
  imageUrl: string | null;
  affordable: boolean;
}

export interface ConsentsView extends Consents {
  /** When each consent last changed; null: never given. */
  changedAt: Record<ConsentName, string | null>;
}

async function load(db: Trx, member: PortalMember, now: number): Promise<{ program: ProgramRow; row: MemberRow }> {
  const program = await findProgram(db, member.programId);
  const found = await findMember(db, member.programId, member.memberId);
  // The token was verified a moment ago; a member erased since then is as good as an unknown subject.
  if (!program || !found) throw new DomainError('portal_token_invalid', 'The token\'s subject is not a member of this programme.');
  // Points past their expiry are not the member's any more, whether or not the expiry job ran.
  const [row = found] = await withoutDueExpiry(db, [found], now);
  return { program, row };
}

/** The member's own page: who they are, their points and what expires when, their tier and progress. */
export async function getPortalProfile(ctx: ServiceContext, member: PortalMember): Promise<PortalProfile> {
  const db = ctx.storage.db;
  const now = ctx.clock.now();
  const { program, row } = await load(db, member, now);
  const view = memberView(row, ctx.pii);
  const tiers = await readTierView(db, program, row, now);
  return {
    externalId: view.externalId,
    name: view.name,
    email: view.email,
    locale: view.locale,
    status: view.status,
    program: { name: program.name, pointsName: program.pointsName, currency: program.currency },
    balance: balanceView(row, await listExpiringLots(db, row.programId, row.id, now)),
    tier: view.tier,
    tierProgress: tiers.tierProgress,
    perks: tiers.perks,
    referralCode: view.referralCode,
    memberSince: view.createdAt,
  };
}

async function listAllActiveRewards(db: Trx, programId: string): Promise<RewardRow[]> {
  const rows: RewardRow[] = [];
  for (let afterId: string | undefined; ;) {
    // The catalogue only: a reward the referral programme gives is never offered for points.
    const page = await listRewardRows(db, programId, { active: true, audience: 'catalogue', afterId, limit: 200 });
    rows.push(...page.slice(0, 200));
    if (page.length <= 200) return rows;
    afterId = page[199]?.id;
  }
}

/**
 * The rewards the member could redeem now, in the catalogue's order: active, inside their window, in stock, and
 * open to the member's tier; `affordable` says whether their available points cover the cost. Names are in
 * the member's locale. Per-member limits are left to the redemption, which explains them.
 */
export async function listPortalRewards(ctx: ServiceContext, member: PortalMember): Promise<{ data: PortalReward[] }> {
  const db = ctx.storage.db;
  const now = ctx.clock.now();
  const { row } = await load(db, member, ctx.clock.now());
  const data: PortalReward[] = [];
  for (const reward of await listAllActiveRewards(db, member.programId)) {
    const view = rewardView(reward);
    // The redemption's own checks (domain/rewards/eligibility.ts), so the list never offers what it would refuse.
    const window = { active: view.active, validFrom: reward.validFrom, validUntil: reward.validUntil };
    if (!isRewardAvailable(window, now) || !isOpenToTier(view, row.tier)) continue;
    if (reward.stock !== null && reward.stock <= 0) continue;
    data.push({
      id: view.id,
      name: localise(view.name, row.locale),
      description: view.description === null ? null : localise(view.description as LocalisedText, row.locale),
      pointsCost: view.pointsCost,
      kind: view.kind,
      value: view.value,
      currency: view.currency,
      imageUrl: view.imageUrl,
      stock: view.stock,
      validUntil: view.validUntil,
      affordable: row.available >= view.pointsCost,
    });
  }
  return { data };
}

function consentsView(json: string): ConsentsView {
  const stored = parseConsents(json);
  const at = (name: ConsentName) => {
    const entry = stored[name];
    return entry === undefined ? null : iso(entry.changedAt);
  };
  return { ...currentConsents(stored), changedAt: { marketingEmail: at('marketingEmail'), marketingSms: at('marketingSms'), personalisedOffers: at('personalisedOffers') } };
}

export async function getConsents(ctx: ServiceContext, member: PortalMember): Promise<ConsentsView> {
  return consentsView((await load(ctx.storage.db, member, ctx.clock.now())).row.consents);
}

/**
 * Sets the member's consents. Each one that changed gets the time of the change, and a `member.updated` message
 * names the changed consents (`consents.marketingEmail`, …) so the business's systems can follow; an unchanged
 * form writes nothing.
 */
export async function updateConsents(ctx: ServiceContext, member: PortalMember, wanted: Consents): Promise<ConsentsView> {
  return inTransaction(ctx.storage, async (trx) => {
    const row = await lockMember(trx, ctx.storage, member.programId, { memberId: member.memberId });
    if (!row) throw new DomainError('portal_token_invalid', 'The token\'s subject is not a member of this programme.');
    const now = ctx.clock.now();
    const { stored, changed } = changeConsents(parseConsents(row.consents), wanted, now);
    if (changed.length === 0) return consentsView(row.consents);
    const json = JSON.stringify(stored);
    await setMemberConsents(trx, member.programId, member.memberId, json, now);
    await enqueueOutbox(trx, ctx.ids, member.programId, [{
      type: 'member.updated',
      memberId: member.memberId,
      data: { memberId: member.memberId, externalId: row.externalId, status: row.status, changed: changed.map((name) => `consents.${name}`), consents: currentConsents(stored) },
    }], now);
    return consentsView(json);
  });
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const json = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/**
 * Everything Trouw holds on the member, decrypted, as one JSON document (the right of access): profile,
 * balance, lots, ledger, events, redemptions and coupons, tier history, memberships, referrals (the other
 * side only masked), consents, and how many IP addresses and devices were seen (counts: the keyed hashes
 * themselves identify nothing to the member and are kept back).
 */
export async function exportMemberData(ctx: ServiceContext, member: PortalMember): Promise<Record<string, unknown>> {
  const db = ctx.storage.db;
  const now = ctx.clock.now();
  const { program, row } = await load(db, member, now);
  const { programId, memberId } = member;
  const redemptions = await listAllMemberRedemptions(db, programId, memberId);
  const coupons = await listAllMemberCoupons(db, programId, memberId);
  const rewards = new Map((await findRewardsByIds(db, programId, [...new Set([...redemptions, ...coupons].map((r) => r.rewardId))])).map((r) => [r.id, r]));
  const rewardName = (rewardId: string) => {
    const reward = rewards.get(rewardId);
    return reward ? localise(JSON.parse(reward.name) as LocalisedText, row.locale) : null;
  };
  const couponsByCode = new Map<string, CouponSummary>(coupons.map((c) => [c.code, couponSummary(c)]));
  const referrals = [];
  for (const referral of await listAllMemberReferrals(db, programId, memberId)) {
    const asReferrer = referral.referrerMemberId === memberId;
    const other = await findMember(db, programId, asReferrer ? referral.friendMemberId : referral.referrerMemberId);
    const otherName = other?.nameCipher ? maskName(ctx.pii.decrypt(other.nameCipher)) : other?.emailCipher ? maskEmail(ctx.pii.decrypt(other.emailCipher)) : null;
    referrals.push({
      id: referral.id,
      role: asReferrer ? 'referrer' : 'friend',
      otherMember: otherName,
      code: referral.code,
      status: referral.status,
      qualifiedAt: isoOrNull(referral.qualifiedAt),
      rewardedAt: isoOrNull(referral.rewardedAt),
      endedAt: isoOrNull(referral.endedAt),
      reward: json(asReferrer ? referral.referrerReward : referral.friendReward),
      createdAt: iso(referral.createdAt),
    });
  }
  const fingerprints = { ip: 0, device: 0 };
  for (const fingerprint of await listMemberFingerprints(db, programId, memberId)) fingerprints[fingerprint.kind] += 1;
  const tiers = await readTierView(db, program, row, now);
  return {
    exportedAt: iso(now),
    program: { id: program.id, name: program.name, pointsName: program.pointsName },
    profile: { ...memberView(row, ctx.pii), tierProgress: tiers.tierProgress, perks: tiers.perks },
    balance: balanceView(row, await listExpiringLots(db, row.programId, row.id, now)),
    lots: (await listAllMemberLots(db, programId, memberId)).map((lot) => ({
      id: lot.id, points: lot.amount, remaining: lot.remaining, availableAt: iso(lot.availableAt), expiresAt: isoOrNull(lot.expiresAt), createdAt: iso(lot.createdAt),
    })),
    ledger: (await listAllMemberEntries(db, programId, memberId)).map((entry) => ({
      transactionId: entry.transactionId, kind: entry.kind, account: entry.account, points: entry.amount, lotId: entry.lotId, eventId: entry.eventId,
      reason: entry.reason, createdAt: iso(entry.createdAt),
    })),
    events: (await listAllMemberEvents(db, programId, memberId)).map((event) => ({
      id: event.clientEventId, type: event.type, occurredAt: iso(event.occurredAt), receivedAt: iso(event.receivedAt), data: json(event.data),
    })),
    redemptions: redemptions.map((redemption) => ({
      id: redemption.id, rewardId: redemption.rewardId, reward: rewardName(redemption.rewardId), points: redemption.points, status: redemption.status,
      coupon: couponsByCode.get(redemption.couponCode) ?? null, createdAt: iso(redemption.createdAt), endedAt: isoOrNull(redemption.endedAt),
    })),
    coupons: coupons.map((coupon) => ({ ...couponSummary(coupon), rewardId: coupon.rewardId, reward: rewardName(coupon.rewardId), createdAt: iso(coupon.createdAt) })),
    tierHistory: (await listAllMemberTierHistory(db, programId, memberId)).map(tierHistoryView),
    memberships: (await listAllMemberMemberships(db, programId, memberId)).map(membershipView),
    referrals,
    consents: consentsView(row.consents),
    fingerprints,
  };
}
