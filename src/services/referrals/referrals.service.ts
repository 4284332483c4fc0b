/**
 * Reading referrals: the programme's list (`GET /v1/referrals`), one referral, and a referrer's own view
 * (`GET /v1/members/{id}/referrals`): their friends with masked names, what each referral earned them, their
 * progress on the ladder, and the share kit (link, message in their locale, share URLs).
 */
import { DomainError } from '../../domain/errors.js';
import { ladderProgress, type ReferralStatus } from '../../domain/referrals/referral.js';
import { maskEmail, maskName, shareKit, type ShareKit } from '../../domain/referrals/share.js';
import type { ServiceContext } from '../../context.js';
import { findMember } from '../../storage/repositories/members.repository.js';
import { findReferral, listReferrals as listReferralRows, listReferralsOfReferrer } from '../../storage/repositories/referrals.repository.js';
import { decodeCursor, encodeCursor, isBeforeCursor } from '../cursor.js';
import type { Page } from '../views.js';
import { loadReferralProgram } from './lifecycle.js';
import { referralView, type ReferralView } from './views.js';


/** The programme's referrals, newest first. @throws DomainError invalid_cursor */
export async function listReferrals(
  ctx: ServiceContext,
  programId: string,
  query: { referrerId?: string; status?: ReferralStatus; cursor?: string; limit?: number },
): Promise<Page<ReferralView>> {
  const limit = query.limit ?? 50;
  const beforeId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isBeforeCursor).before;
  const rows = await listReferralRows(ctx.storage.db, programId, { referrerId: query.referrerId, status: query.status, beforeId, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(referralView), nextCursor: rows.length > limit && last ? encodeCursor({ before: last.id }) : null };
}

/** @throws DomainError referral_not_found */
export async function getReferral(ctx: ServiceContext, programId: string, referralId: string): Promise<ReferralView> {
  const row = await findReferral(ctx.storage.db, programId, referralId);
  if (!row) throw new DomainError('referral_not_found', `No referral ${referralId} in this programme.`);
  return referralView(row);
}

export interface ReferrerFriendView {
  referralId: string;
  friend: string;
  status: ReferralStatus;
  signedUpAt: string;
  /** What the referrer got for this referral (points, a coupon, or `{capped: true}`); null until rewarded. */
  reward: Record<string, unknown> | null;
}

export interface ReferrerView {
  memberId: string;
  code: string;
  enabled: boolean;
  friends: ReferrerFriendView[];
  pointsEarned: number;
  ladder: { count: number; nextStep: { from: number; points: number } | null };
  share: ShareKit | null;
}

/**
 * A referrer's view. `baseUrl` is where this server's links are served (`/r/{programId}/{code}`).
 * @throws DomainError member_not_found
 */
export async function getReferrerView(ctx: ServiceContext, programId: string, memberId: string, baseUrl: string): Promise<ReferrerView> {
  const db = ctx.storage.db;
  const member = await findMember(db, programId, memberId);
  if (!member) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
  const referralProgram = await loadReferralProgram(db, programId);
  const rows = await listReferralsOfReferrer(db, programId, memberId);
  const friends: ReferrerFriendView[] = [];
  let pointsEarned = 0;
  for (const row of rows) {
    const friend = await findMember(db, programId, row.friendMemberId);
    const name = friend?.nameCipher ? maskName(ctx.pii.decrypt(friend.nameCipher)) : null;
    const email = friend?.emailCipher ? maskEmail(ctx.pii.decrypt(friend.emailCipher)) : null;
    const reward = row.referrerReward === null ? null : (JSON.parse(row.referrerReward) as Record<string, unknown> & { points?: number; ladder?: { points?: number } });
    if (row.status === 'rewarded' && reward) pointsEarned += (reward.points ?? 0) + (reward.ladder?.points ?? 0);
    friends.push({ referralId: row.id, friend: name ?? email ?? 'a friend', status: row.status, signedUpAt: new Date(row.createdAt).toISOString(), reward });
  }
  const successful = rows.filter((r) => r.status === 'rewarded').length;
  const link = `${baseUrl.replace(/\/+$/, '')}/r/${encodeURIComponent(programId)}/${encodeURIComponent(member.referralCode)}`;
  return {
    memberId,
    code: member.referralCode,
    enabled: referralProgram?.enabled === true,
    friends,
    pointsEarned,
    ladder: ladderProgress(referralProgram?.settings.ladder ?? null, successful),
    share: referralProgram ? shareKit(link, member.referralCode, member.locale, referralProgram.settings.messages) : null,
  };
}
