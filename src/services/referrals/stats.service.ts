/**
 * The referral programme's measurement (`GET /v1/referral-program/stats?from&to`), over the half-open period
 * [from, to). Each count is taken at the moment its step happened:
 * - clicks: link clicks in the period; signUps: referrals made in the period; qualified / rewarded: referrals
 *   that qualified / were rewarded in the period (whatever happened to them later); rejected: ended as rejected
 *   in the period; flagged: sign-ups of the period that await review now;
 * - revenue of referred friends: their orders placed in the period, net of what was refunded of those orders;
 * - cost of rewards: points and coupons given by referrals rewarded in the period (reversals are reported apart);
 * - share of new members by referral: members enrolled in the period with a referrer ÷ members enrolled;
 * - K-factor: see domain/referrals/stats.ts; top referrers: by referrals rewarded in the period.
 */
import { sql } from 'kysely';
import { DomainError } from '../../domain/errors.js';
import { reportingPeriod } from '../../domain/periods.js';
import { conversionRates, ratio, viralCoefficient } from '../../domain/referrals/stats.js';
import type { ServiceContext } from '../../context.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import type { GivenSide } from './lifecycle.js';

export interface ReferralStats {
  from: string;
  to: string;
  currency: string;
  clicks: number;
  signUps: number;
  qualified: number;
  rewarded: number;
  flagged: number;
  rejected: number;
  expired: number;
  reversed: number;
  conversion: ReturnType<typeof conversionRates>;
  revenueOfReferredFriends: number;
  cost: { points: number; coupons: number; reversedPoints: number };
  newMembers: { total: number; byReferral: number; share: number | null };
  viral: ReturnType<typeof viralCoefficient> & { membersAtStart: number };
  topReferrers: { memberId: string; rewarded: number; signUps: number }[];
}

function pointsOf(side: GivenSide | null): { points: number; coupons: number } {
  if (!side) return { points: 0, coupons: 0 };
  let points = 'points' in side ? side.points : 0;
  let coupons = 'couponCode' in side && side.couponCode !== null ? 1 : 0;
  if (side.ladder) {
    const extra = pointsOf(side.ladder);
    points += extra.points;
    coupons += extra.coupons;
  }
  return { points, coupons };
}

/** @throws DomainError validation_failed (from after to) */
export async function getReferralStats(ctx: ServiceContext, programId: string, query: { from: string; to: string }): Promise<ReferralStats> {
  const { from, to } = reportingPeriod(query);
  const db = ctx.storage.db;
  const program = await findProgram(db, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  const count = async (column: 'createdAt' | 'qualifiedAt' | 'rewardedAt' | 'endedAt', status?: string) => {
    let q = db.selectFrom('referrals').select((eb) => eb.fn.countAll<string>().as('n')).where('programId', '=', programId).where(column, '>=', from).where(column, '<', to);
    if (status !== undefined) q = q.where('status', '=', status as never);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const clicks = Number(
    (await db.selectFrom('referralClicks').select((eb) => eb.fn.countAll<string>().as('n')).where('programId', '=', programId)
      .where('clickedAt', '>=', from).where('clickedAt', '<', to).executeTakeFirstOrThrow()).n,
  );
  const signUps = await count('createdAt');
  const qualified = await count('qualifiedAt');
  const rewarded = await count('rewardedAt');
  const flagged = await count('createdAt', 'flagged');
  const rejected = await count('endedAt', 'rejected');
  const expired = await count('endedAt', 'expired');
  const reversed = await count('endedAt', 'reversed');

  const revenue = await db
    .selectFrom('orders')
    .select(sql<string>`coalesce(sum(total_minor - refunded_minor), 0)`.as('net'))
    .where('programId', '=', programId)
    .where('createdAt', '>=', from)
    .where('createdAt', '<', to)
    .where('memberId', 'in', (eb) => eb.selectFrom('referrals').select('friendMemberId').where('programId', '=', programId))
    .executeTakeFirstOrThrow();

  const given = await db
    .selectFrom('referrals')
    .select(['status', 'referrerReward', 'friendReward'])
    .where('programId', '=', programId)
    .where('rewardedAt', '>=', from)
    .where('rewardedAt', '<', to)
    .execute();
  const cost = { points: 0, coupons: 0, reversedPoints: 0 };
  for (const row of given) {
    for (const stored of [row.referrerReward, row.friendReward]) {
      const part = pointsOf(stored === null ? null : (JSON.parse(stored) as GivenSide));
      cost.points += part.points;
      cost.coupons += part.coupons;
      if (row.status === 'reversed') cost.reversedPoints += part.points;
    }
  }

  const members = await db
    .selectFrom('members')
    .select([
      sql<string>`sum(case when created_at >= ${from} and created_at < ${to} then 1 else 0 end)`.as('enrolled'),
      sql<string>`sum(case when created_at >= ${from} and created_at < ${to} and referred_by_member_id is not null then 1 else 0 end)`.as('referred'),
      sql<string>`sum(case when created_at < ${from} then 1 else 0 end)`.as('before'),
    ])
    .where('programId', '=', programId)
    .executeTakeFirstOrThrow();
  const enrolled = Number(members.enrolled ?? 0);
  const byReferral = Number(members.referred ?? 0);
  const membersAtStart = Number(members.before ?? 0);

  // Ranked by the database: only the ten rows leave it, however many referrers the programme has.
  const rewardedInPeriod = sql<string>`sum(case when rewarded_at >= ${from} and rewarded_at < ${to} then 1 else 0 end)`;
  const signUpsInPeriod = sql<string>`sum(case when created_at >= ${from} and created_at < ${to} then 1 else 0 end)`;
  const top = await db
    .selectFrom('referrals')
    .select(['referrerMemberId', rewardedInPeriod.as('rewarded'), signUpsInPeriod.as('signups')])
    .where('programId', '=', programId)
    .where((eb) => eb.or([eb.and([eb('rewardedAt', '>=', from), eb('rewardedAt', '<', to)]), eb.and([eb('createdAt', '>=', from), eb('createdAt', '<', to)])]))
    .groupBy('referrerMemberId')
    .having(rewardedInPeriod, '>', sql<string>`0`)
    .orderBy(rewardedInPeriod, 'desc')
    .orderBy(signUpsInPeriod, 'desc')
    .orderBy('referrerMemberId')
    .limit(10)
    .execute();
  const topReferrers = top.map((r) => ({ memberId: r.referrerMemberId, rewarded: Number(r.rewarded), signUps: Number(r.signups) }));

  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    currency: program.currency,
    clicks,
    signUps,
    qualified,
    rewarded,
    flagged,
    rejected,
    expired,
    reversed,
    conversion: conversionRates({ clicks, signups: signUps, qualified, rewarded }),
    revenueOfReferredFriends: Number(revenue.net),
    cost,
    newMembers: { total: enrolled, byReferral, share: ratio(byReferral, enrolled) },
    viral: { ...viralCoefficient({ clicks, signups: signUps, membersAtStart }), membersAtStart },
    topReferrers,
  };
}
