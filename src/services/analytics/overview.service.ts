/**
 * The dashboard's overview (`GET /v1/analytics/overview?from&to&interval`) over the half-open period [from, to):
 * - members: enrolled before `to` (total), enrolled in the period (new), with an event in the period (active);
 * - points, from the programme's side of the ledger: issued (taken from `issuance`), taken back (refunds and
 *   negative adjustments, returned to `issuance`), redeemed (net of cancelled redemptions) and expired in the
 *   period; outstanding: what members held (available + pending) at `to`;
 * - the redemption rate: points redeemed ÷ points issued in the period;
 * - the tier distribution (now, not at `to`: tier history is not replayed), the referral funnel of the period;
 * - a series by day, week or month in the programme's timezone (domain/analytics/buckets.ts).
 * Every figure is a SQL aggregate: only sums leave the database, however many members there are.
 */
import { sql, type RawBuilder } from 'kysely';
import { bucketsOf, type Bucket, type BucketInterval } from '../../domain/analytics/buckets.js';
import { DomainError } from '../../domain/errors.js';
import { reportingPeriod } from '../../domain/periods.js';
import { ratio } from '../../domain/referrals/stats.js';
import type { ServiceContext } from '../../context.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import { getReferralStats } from '../referrals/stats.service.js';

export interface OverviewSeriesPoint {
  bucket: string;
  from: string;
  to: string;
  newMembers: number;
  pointsIssued: number;
  pointsRedeemed: number;
  pointsExpired: number;
}

export interface AnalyticsOverview {
  from: string;
  to: string;
  interval: BucketInterval;
  timezone: string;
  members: { total: number; new: number; active: number };
  points: { issued: number; takenBack: number; redeemed: number; expired: number; outstanding: number };
  redemptions: number;
  redemptionRate: number | null;
  tiers: { tier: string | null; members: number }[];
  referrals: { clicks: number; signUps: number; qualified: number; rewarded: number };
  series: OverviewSeriesPoint[];
}

const DAY_MS = 86_400_000;

/** Days up to a quarter, weeks up to two years, months beyond. */
function defaultInterval(from: number, to: number): BucketInterval {
  const days = (to - from) / DAY_MS;
  return days <= 92 ? 'day' : days <= 731 ? 'week' : 'month';
}

/** `case when col < b1.to then 0 when col < b2.to then 1 … end`: the bucket of each row, in SQL. */
function bucketOf(column: string, buckets: readonly Bucket[]): RawBuilder<number> {
  return sql<number>`case ${sql.join(buckets.map((b, i) => sql`when ${sql.ref(column)} < ${b.to} then ${sql.lit(i)}`), sql` `)} end`;
}

/** @throws DomainError validation_failed (from, to, interval), program_not_found */
export async function getAnalyticsOverview(
  ctx: ServiceContext,
  programId: string,
  query: { from: string; to: string; interval?: BucketInterval },
): Promise<AnalyticsOverview> {
  const { from, to } = reportingPeriod(query);
  const db = ctx.storage.db;
  const program = await findProgram(db, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  const interval = query.interval ?? defaultInterval(from, to);
  const buckets = bucketsOf(from, to, interval, program.timezone);
  if (!buckets) throw DomainError.field('validation_failed', '/interval', `At most 400 buckets: choose a longer interval than ${interval} for this period.`);

  const ledger = await db
    .selectFrom('ledgerEntries')
    .select([
      bucketOf('created_at', buckets).as('bucket'),
      'account',
      sql<string>`coalesce(sum(case when amount < 0 then -amount else 0 end), 0)`.as('out'),
      sql<string>`coalesce(sum(case when amount > 0 then amount else 0 end), 0)`.as('in'),
    ])
    .where('programId', '=', programId)
    .where('account', 'in', ['issuance', 'redeemed', 'expired'])
    .where('createdAt', '>=', from)
    .where('createdAt', '<', to)
    .groupBy(['bucket', 'account'])
    .execute();
  const enrolments = await db
    .selectFrom('members')
    .select([bucketOf('created_at', buckets).as('bucket'), (eb) => eb.fn.countAll<string>().as('n')])
    .where('programId', '=', programId)
    .where('createdAt', '>=', from)
    .where('createdAt', '<', to)
    .groupBy('bucket')
    .execute();

  const series: OverviewSeriesPoint[] = buckets.map((b) => ({
    bucket: b.label, from: new Date(b.from).toISOString(), to: new Date(b.to).toISOString(), newMembers: 0, pointsIssued: 0, pointsRedeemed: 0, pointsExpired: 0,
  }));
  const points = { issued: 0, takenBack: 0, redeemed: 0, expired: 0, outstanding: 0 };
  for (const row of ledger) {
    const point = series[Number(row.bucket)];
    if (!point) continue;
    const out = Number(row.out);
    const into = Number(row.in);
    if (row.account === 'issuance') {
      point.pointsIssued += out;
      points.issued += out;
      points.takenBack += into;
    } else if (row.account === 'redeemed') {
      point.pointsRedeemed += into - out;
      points.redeemed += into - out;
    } else {
      point.pointsExpired += into - out;
      points.expired += into - out;
    }
  }
  let newMembers = 0;
  for (const row of enrolments) {
    const point = series[Number(row.bucket)];
    if (!point) continue;
    point.newMembers += Number(row.n);
    newMembers += Number(row.n);
  }

  const held = await db
    .selectFrom('ledgerEntries')
    .select(sql<string>`coalesce(sum(amount), 0)`.as('points'))
    .where('programId', '=', programId)
    .where('account', 'in', ['member_available', 'member_pending'])
    .where('createdAt', '<', to)
    .executeTakeFirstOrThrow();
  points.outstanding = Number(held.points);
  const total = await db.selectFrom('members').select((eb) => eb.fn.countAll<string>().as('n')).where('programId', '=', programId).where('createdAt', '<', to).executeTakeFirstOrThrow();
  const active = await db
    .selectFrom('events')
    .select(sql<string>`count(distinct member_id)`.as('n'))
    .where('programId', '=', programId)
    .where('occurredAt', '>=', from)
    .where('occurredAt', '<', to)
    .executeTakeFirstOrThrow();
  const redemptions = await db
    .selectFrom('redemptions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('programId', '=', programId)
    .where('createdAt', '>=', from)
    .where('createdAt', '<', to)
    .executeTakeFirstOrThrow();
  const tiers = await db
    .selectFrom('members')
    .select(['tier', (eb) => eb.fn.countAll<string>().as('n')])
    .where('programId', '=', programId)
    .groupBy('tier')
    .orderBy('tier')
    .execute();
  const referral = await getReferralStats(ctx, programId, { from: query.from, to: query.to });

  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    interval,
    timezone: program.timezone,
    members: { total: Number(total.n), new: newMembers, active: Number(active.n) },
    points,
    redemptions: Number(redemptions.n),
    redemptionRate: ratio(points.redeemed, points.issued),
    tiers: tiers.map((t) => ({ tier: t.tier, members: Number(t.n) })),
    referrals: { clicks: referral.clicks, signUps: referral.signUps, qualified: referral.qualified, rewarded: referral.rewarded },
    series,
  };
}
