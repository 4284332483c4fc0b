/** TypeBox schemas of the daily earn limit's review queue (`/v1/earn-holds`) and a member's fraud view. */
import { Type } from 'typebox';
import { DailyEarnEvidence, Nullable, PageQuery } from '../schemas.js';

const HoldStatus = Type.Union([Type.Literal('held'), Type.Literal('approved'), Type.Literal('rejected')]);

export const EarnHold = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    eventId: Type.String({ description: "The client's id of the event whose award is held" }),
    eventType: Type.String(),
    orderId: Nullable(Type.String()),
    points: Type.Integer({ description: 'What the event would have earned, tier bonus included' }),
    reason: Type.Literal('daily_earn_limit'),
    evidence: DailyEarnEvidence,
    status: HoldStatus,
    pointsAwarded: Nullable(Type.Integer({ description: 'What the approval posted: `points`, less the share of the order refunded before it' })),
    transactionId: Nullable(Type.String({ description: "The approval's ledger transaction" })),
    review: Nullable(
      Type.Object({ action: Type.Union([Type.Literal('approve'), Type.Literal('reject')]), reason: Type.String(), at: Type.String({ format: 'date-time' }) }),
    ),
    occurredAt: Type.String({ format: 'date-time' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: "An award the programme's daily earn limit held for review instead of posting it" },
);

export const EarnHoldListQuery = Type.Object(
  { status: Type.Optional(HoldStatus), memberId: Type.Optional(Type.String({ maxLength: 100 })), ...PageQuery },
  { additionalProperties: false },
);

export const MemberFraud = Type.Object(
  {
    refundedOrders: Type.Integer({ description: 'Orders refunded after they earned (or were held to earn) points: the earn-then-refund counter' }),
    purchases: Type.Integer(),
    earnedLast24h: Type.Integer({ description: 'Points earned from events in the last 24 hours' }),
    maxPointsPerDay: Nullable(Type.Integer({ description: "The programme's daily earn limit; null: none" })),
    holds: Type.Object({ held: Type.Integer(), approved: Type.Integer(), rejected: Type.Integer() }, { description: "The member's held awards by status" }),
    signals: Type.Array(
      Type.Object({
        signal: Type.Literal('earn_then_refund'),
        evidence: Type.Object({ refundedOrders: Type.Integer(), purchases: Type.Integer() }),
      }),
      { description: 'earn_then_refund fires from 3 refunded orders that are at least half the purchases' },
    ),
  },
  { description: "A member's earn-abuse picture" },
);
