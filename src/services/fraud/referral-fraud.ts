/**
 * Gathers the facts behind a referral's fraud check and scores them with domain/fraud/referral-risk.ts. Runs in
 * the caller's transaction (the referral flow calls it when a friend signs up and again when they qualify), so
 * it opens none of its own.
 *
 * What is compared, and where it comes from:
 * - same person: the canonical e-mail identity (domain/fraud/email-identity.ts) of the friend against the
 *   referrer's, both from their encrypted addresses, and against other members through
 *   `members.email_identity_index` (kept by `emailIdentityIndex`).
 * - disposable address: the friend's domain, or a parent domain, is on mailchecker's maintained list.
 * - same device / IP as the referrer: keyed hashes (`ctx.pii.blindIndex`) of the friend's context, sign-up and
 *   known fingerprints against the referrer's `member_fingerprints`. Raw IPs and device ids are never stored;
 *   evidence shows the first characters of the hash.
 * - velocity: referrals on the referrer's code, and referrals signed up from the friend's IP, in the window.
 *   At sign-up the window is the last `velocityWindowMinutes`; at qualification it is centred on the sign-up,
 *   so the first accounts of a burst are caught once the rest of the burst is known.
 * - referral ring: the chain of accounts around the referral (the referrer's referrers, up; the friend's own
 *   referrals, down), judged by `ringMembersOf` (rule in the domain module's header).
 * - refund: the caller says whether the qualifying order was refunded.
 */
import mailchecker from 'mailchecker';
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { emailIdentity, maskedAddress } from '../../domain/fraud/email-identity.js';
import {
  assessReferral as scoreReferral,
  defaultReferralRiskPolicy,
  ringLinkOf,
  ringMembersOf,
  type ChainMember,
  type ReferralAssessment,
  type ReferralRiskPolicy,
} from '../../domain/fraud/referral-risk.js';
import {
  countReferralsFromIp,
  countReferralsOfReferrer,
  findChainMember,
  findMembersByEmailIdentity,
  findReferralOfFriend,
  findSharedFingerprints,
  listMemberFingerprints,
  listReferredMembers,
  upsertFingerprints,
  type FingerprintKind,
} from '../../storage/repositories/fraud.repository.js';
import { findMember } from '../../storage/repositories/members.repository.js';
import type { Trx } from '../../storage/transaction.js';

export type { ReferralAssessment } from '../../domain/fraud/referral-risk.js';

/** What the client may send about the request that caused a change: `context: {ip, userAgent, deviceId}`. */
export interface ClientContext {
  ip?: string;
  userAgent?: string;
  deviceId?: string;
}

/** The most accounts the downward ring walk reads, so a popular member's referral tree cannot slow a sign-up. */
const MAX_DESCENDANTS = 200;
const HASH_SHOWN = 10;

/**
 * The keyed hashes of a client context, as `member_fingerprints`, `referrals.signup_ip_hash` /
 * `signup_device_hash` and `referral_clicks.ip_hash` store them. IPs are compared case-insensitively (IPv6 hex).
 */
export function fingerprintHashes(ctx: ServiceContext, context: ClientContext | null | undefined): { ip: string | null; deviceId: string | null } {
  const ip = context?.ip?.trim().toLowerCase();
  const deviceId = context?.deviceId?.trim();
  return { ip: ip ? ctx.pii.blindIndex(`ip:${ip}`) : null, deviceId: deviceId ? ctx.pii.blindIndex(`device:${deviceId}`) : null };
}

/**
 * The keyed hash of the person behind an address (`members.email_identity_index`): `a.b+x@gmail.com` and
 * `ab@gmail.com` give the same. Null for no address or one that is not an address. Enrolment and profile
 * updates keep the column with it.
 */
export function emailIdentityIndex(ctx: ServiceContext, email: string | null): string | null {
  const identity = email === null ? null : emailIdentity(email);
  return identity ? ctx.pii.blindIndex(`email-identity:${identity.canonical}`) : null;
}

/** True when the domain, or a domain it belongs to (`x.mailinator.com`), is a known disposable-address provider. */
export function isDisposableDomain(domain: string): boolean {
  const list = mailchecker.blacklist();
  let current = domain.trim().toLowerCase();
  for (;;) {
    if (list.has(current)) return true;
    const dot = current.indexOf('.');
    if (dot < 0) return false;
    current = current.slice(dot + 1);
  }
}

/** Stores keyed hashes of the member's IP / device (member_fingerprints; upsert last_seen_at). */
export async function recordFingerprints(ctx: ServiceContext, trx: Trx, programId: string, memberId: string, context: ClientContext, now: number): Promise<void> {
  const hashes = fingerprintHashes(ctx, context);
  const rows: { kind: FingerprintKind; valueHash: string }[] = [];
  if (hashes.ip) rows.push({ kind: 'ip', valueHash: hashes.ip });
  if (hashes.deviceId) rows.push({ kind: 'device', valueHash: hashes.deviceId });
  await upsertFingerprints(trx, programId, memberId, rows, now);
}

export interface AssessReferralInput {
  referrerMemberId: string;
  friendMemberId: string;
  context: ClientContext;
  stage: 'signup' | 'qualification';
  qualifyingOrder?: { orderId: string; refundedMinor: number } | null;
}

/**
 * Gathers the facts for a referral and scores it with src/domain/fraud/referral-risk.ts.
 * @throws DomainError member_not_found (the referrer or the friend is not in this programme)
 */
export async function assessReferral(
  ctx: ServiceContext,
  trx: Trx,
  programId: string,
  input: AssessReferralInput,
  policy: { reviewAbove: number; rejectAbove: number },
): Promise<ReferralAssessment> {
  const risk: ReferralRiskPolicy = { ...defaultReferralRiskPolicy, reviewAbove: policy.reviewAbove, rejectAbove: policy.rejectAbove };
  const now = ctx.clock.now();
  const friend = await findMember(trx, programId, input.friendMemberId);
  const referrer = await findMember(trx, programId, input.referrerMemberId);
  if (!friend) throw new DomainError('member_not_found', `No member ${input.friendMemberId} in this programme.`);
  if (!referrer) throw new DomainError('member_not_found', `No member ${input.referrerMemberId} in this programme.`);
  const labels: Record<string, string> = {};
  const hashLabel = (kind: FingerprintKind, hash: string | null) => {
    if (hash !== null) labels[hash] = `${kind}#${hash.slice(0, HASH_SHOWN)}`;
    return hash;
  };

  // Same person and disposable address, from the addresses themselves (decrypted here, never stored in clear).
  const friendIdentity = friend.emailCipher ? emailIdentity(ctx.pii.decrypt(friend.emailCipher)) : null;
  const referrerIdentity = referrer.emailCipher ? emailIdentity(ctx.pii.decrypt(referrer.emailCipher)) : null;
  const friendIdentityIndex = friendIdentity ? emailIdentityIndex(ctx, friendIdentity.canonical) : null;
  const referrerIdentityIndex = referrerIdentity ? emailIdentityIndex(ctx, referrerIdentity.canonical) : null;
  if (friendIdentity && friendIdentityIndex) labels[friendIdentityIndex] = maskedAddress(friendIdentity.canonical);
  const membersWithSameEmail = friendIdentityIndex ? await findMembersByEmailIdentity(trx, programId, friendIdentityIndex, [friend.id, referrer.id]) : [];

  // The friend's fingerprints: this request's, the sign-up's (at qualification) and every one recorded for them.
  const referral = await findReferralOfFriend(trx, programId, friend.id);
  const current = fingerprintHashes(ctx, input.context);
  const signupIp = hashLabel('ip', current.ip ?? referral?.signupIpHash ?? null);
  const signupDevice = hashLabel('device', current.deviceId ?? referral?.signupDeviceHash ?? null);
  const friendPrints = await listMemberFingerprints(trx, programId, friend.id);
  const friendIps = unique([signupIp, referral?.signupIpHash ?? null, ...friendPrints.filter((p) => p.kind === 'ip').map((p) => p.valueHash)]);
  const friendDevices = unique([signupDevice, referral?.signupDeviceHash ?? null, ...friendPrints.filter((p) => p.kind === 'device').map((p) => p.valueHash)]);
  friendIps.forEach((h) => hashLabel('ip', h));
  friendDevices.forEach((h) => hashLabel('device', h));
  const referrerPrints = await listMemberFingerprints(trx, programId, referrer.id);

  // Velocity, on the sign-up's own IP (the one `referrals.signup_ip_hash` holds).
  const windowMs = risk.velocityWindowMinutes * 60_000;
  const anchor = input.stage === 'qualification' && referral ? referral.createdAt : now;
  const from = anchor - windowMs;
  const to = input.stage === 'qualification' ? anchor + windowMs : anchor;
  const velocityIp = input.stage === 'qualification' ? (referral?.signupIpHash ?? signupIp) : signupIp;
  const signupsOnCodeInWindow = 1 + (await countReferralsOfReferrer(trx, programId, referrer.id, from, to, friend.id));
  const signupsFromIpInWindow = velocityIp === null ? 0 : 1 + (await countReferralsFromIp(trx, programId, velocityIp, from, to, friend.id));

  const ring = ringMembersOf(await referralChain(trx, programId, friend.id, referrer,  friendIps, friendDevices, risk.ringMaxDepth), friend.createdAt, risk);

  const refunded = input.stage === 'qualification' && input.qualifyingOrder && input.qualifyingOrder.refundedMinor > 0 ? input.qualifyingOrder : null;
  return scoreReferral(
    {
      friend: {
        emailCanonical: friendIdentityIndex,
        emailDomain: friendIdentity?.domain ?? null,
        ip: velocityIp,
        deviceId: signupDevice,
        otherIps: friendIps,
        otherDeviceIds: friendDevices,
      },
      referrer: {
        memberId: referrer.id,
        emailCanonical: referrerIdentityIndex,
        ips: referrerPrints.filter((p) => p.kind === 'ip').map((p) => p.valueHash),
        deviceIds: referrerPrints.filter((p) => p.kind === 'device').map((p) => p.valueHash),
      },
      disposableDomain: friendIdentity ? isDisposableDomain(friendIdentity.domain) : false,
      membersWithSameEmail,
      signupsOnCodeInWindow,
      signupsFromIpInWindow,
      ringMembers: ring.map((m) => m.memberId),
      ringLinks: ring.map(ringLinkOf),
      qualifyingOrderRefunded: refunded ? { orderId: refunded.orderId, refundedMinor: refunded.refundedMinor } : null,
      labels,
    },
    risk,
  );
}

/**
 * The accounts around a referral that the ring rule looks at: the referrer's referrers (up to `maxDepth` links
 * up from the referrer) and the friend's own referrals (up to `maxDepth` links down), each with whether it
 * shares one of the friend's devices or IPs. The referrer and the friend themselves are left out.
 */
async function referralChain(
  trx: Trx,
  programId: string,
  friendId: string,
  referrer: { id: string; referredByMemberId: string | null },
  friendIps: readonly string[],
  friendDevices: readonly string[],
  maxDepth: number,
): Promise<ChainMember[]> {
  const seen = new Set([friendId, referrer.id]);
  const found: { memberId: string; direction: 'up' | 'down'; depth: number; enrolledAt: number }[] = [];
  let next = referrer.referredByMemberId;
  for (let depth = 1; depth <= maxDepth && next !== null && !seen.has(next); depth++) {
    const member = await findChainMember(trx, programId, next);
    if (!member) break;
    seen.add(member.id);
    found.push({ memberId: member.id, direction: 'up', depth, enrolledAt: member.createdAt });
    next = member.referredByMemberId;
  }
  let frontier = [friendId];
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    const referred = (await listReferredMembers(trx, programId, frontier, MAX_DESCENDANTS)).filter((m) => !seen.has(m.id));
    for (const member of referred) {
      seen.add(member.id);
      found.push({ memberId: member.id, direction: 'down', depth, enrolledAt: member.createdAt });
    }
    if (found.length >= MAX_DESCENDANTS) break;
    frontier = referred.map((m) => m.id);
  }
  const shared = await findSharedFingerprints(trx, programId, found.map((m) => m.memberId), { ips: friendIps, deviceIds: friendDevices });
  return found.map((m) => ({
    ...m,
    sharesDevice: shared.some((s) => s.memberId === m.memberId && s.kind === 'device'),
    sharesIp: shared.some((s) => s.memberId === m.memberId && s.kind === 'ip'),
  }));
}

function unique(values: (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))];
}
