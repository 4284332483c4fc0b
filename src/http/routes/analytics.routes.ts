import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ServiceContext } from '../../context.js';
import { getAnalyticsOverview } from '../../services/analytics/overview.service.js';
import { programOf } from '../plugins/auth.js';
import { Nullable, problems } from '../schemas.js';

const Interval = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]);
const instant = Type.String({ format: 'date-time' });

const OverviewQuery = Type.Object(
  {
    from: instant,
    to: instant,
    interval: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { description: 'Default: day up to 92 days, week up to two years, else month' })),
  },
  { additionalProperties: false },
);

const Overview = Type.Object({
  from: instant,
  to: instant,
  interval: Interval,
  timezone: Type.String({ description: "The programme's timezone: where days, weeks and months start" }),
  members: Type.Object({
    total: Type.Integer({ description: 'Enrolled before `to`' }),
    new: Type.Integer({ description: 'Enrolled in the period' }),
    active: Type.Integer({ description: 'With at least one event in the period' }),
  }),
  points: Type.Object({
    issued: Type.Integer(),
    takenBack: Type.Integer({ description: 'By refunds and negative adjustments' }),
    redeemed: Type.Integer({ description: 'Net of cancelled redemptions' }),
    expired: Type.Integer(),
    outstanding: Type.Integer({ description: 'Held by members (available and pending) at `to`' }),
  }),
  redemptions: Type.Integer(),
  redemptionRate: Nullable(Type.Number({ description: 'Points redeemed ÷ points issued in the period; null when none were issued' })),
  tiers: Type.Array(Type.Object({ tier: Nullable(Type.String()), members: Type.Integer() }), { description: 'Members by current tier' }),
  referrals: Type.Object({ clicks: Type.Integer(), signUps: Type.Integer(), qualified: Type.Integer(), rewarded: Type.Integer() }),
  series: Type.Array(
    Type.Object({
      bucket: Type.String({ format: 'date', description: 'The local date the bucket starts' }),
      from: instant,
      to: instant,
      newMembers: Type.Integer(),
      pointsIssued: Type.Integer(),
      pointsRedeemed: Type.Integer(),
      pointsExpired: Type.Integer(),
    }),
  ),
});

export function analyticsRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/v1/analytics/overview', {
    config: { scope: 'analytics:read' },
    schema: {
      tags: ['analytics'],
      summary: "The dashboard's overview of a period",
      description: 'Members, points issued / redeemed / expired / outstanding, redemption rate, tier distribution, referral funnel, and a series by day, week or month in the programme’s timezone.',
      querystring: OverviewQuery,
      response: { 200: Overview, ...problems(400, 401, 403) },
    },
  }, async (request) => getAnalyticsOverview(ctx, programOf(request), request.query));
}
