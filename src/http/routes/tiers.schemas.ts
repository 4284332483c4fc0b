/** TypeBox schemas of the tiers, tier history, membership plan and membership routes. */
import { Type } from 'typebox';
import { Nullable } from '../schemas.js';

const Metric = Type.Union([Type.Literal('points_earned'), Type.Literal('spend'), Type.Literal('purchases')], {
  description: 'points_earned: points earned from events (never the balance); spend: money spent in minor units; purchases: number of purchases. All net of refunds.',
});

const WindowType = Type.Union([Type.Literal('rolling'), Type.Literal('calendar_year'), Type.Literal('lifetime')]);

const Level = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    threshold: Type.Integer({ minimum: 0, description: 'The metric value from which a member qualifies; levels are ordered by strictly increasing threshold' }),
    multiplier: Type.Optional(Type.Number({ minimum: 1, maximum: 100, description: "Applied to an event's points after the rule multipliers, rounded down; default 1" })),
    perks: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const TierConfigurationBody = Type.Object(
  {
    metric: Metric,
    window: Type.Object(
      {
        type: WindowType,
        months: Type.Optional(Type.Integer({ minimum: 1, maximum: 120, description: 'Only for rolling: whole calendar months, the current one included' })),
      },
      { additionalProperties: false },
    ),
    reviewMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 120, description: 'Months from reaching or requalifying for a level to its review; default 12' })),
    graceDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 366, description: 'Days after the review date before a downgrade; default 0' })),
    levels: Type.Array(Level, { minItems: 1, maxItems: 20 }),
  },
  { additionalProperties: false },
);

export const TierConfiguration = Type.Object(
  {
    metric: Metric,
    window: Type.Object({ type: WindowType, months: Type.Optional(Type.Integer()) }),
    reviewMonths: Type.Integer(),
    graceDays: Type.Integer(),
    levels: Type.Array(
      Type.Object({ name: Type.String(), threshold: Type.Integer(), multiplier: Type.Number(), perks: Type.Array(Type.String()) }),
    ),
    version: Type.Integer(),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: "The programme's tiers" },
);

export const TierHistoryEntry = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    previousTier: Nullable(Type.String()),
    tier: Nullable(Type.String({ description: 'The effective level after the change (member.tier)' })),
    qualifiedTier: Nullable(Type.String({ description: "The level the member's metric earned them, after the change" })),
    reason: Type.Union([
      Type.Literal('enrolment'),
      Type.Literal('upgrade'),
      Type.Literal('requalified'),
      Type.Literal('downgrade'),
      Type.Literal('review_upgrade'),
      Type.Literal('membership_started'),
      Type.Literal('membership_renewed'),
      Type.Literal('membership_ended'),
      Type.Literal('configuration'),
    ]),
    eventId: Nullable(Type.String({ description: 'The event that caused an upgrade' })),
    membershipId: Nullable(Type.String()),
    reviewAt: Nullable(Type.String({ format: 'date-time' })),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: "A change of a member's tier, with its reason" },
);

export const MembershipPlanBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    tier: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'A configured level the plan grants while active' }))),
    perks: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const MembershipPlan = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tier: Nullable(Type.String()),
  perks: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

export const MembershipBody = Type.Object(
  {
    memberId: Type.String({ minLength: 1, maxLength: 100 }),
    planId: Type.String({ minLength: 1, maxLength: 100 }),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const RenewMembershipBody = Type.Object(
  { endsAt: Type.String({ format: 'date-time', description: 'The new end, after the current one' }) },
  { additionalProperties: false },
);

export const Membership = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    planId: Type.String(),
    status: Type.Union([Type.Literal('scheduled'), Type.Literal('active'), Type.Literal('ended')]),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A paid membership billed elsewhere' },
);
