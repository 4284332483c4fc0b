/**
 * TypeBox schemas shared by the routes. They are the one description of the API: Fastify validates requests
 * with them, serialises responses with them, and @fastify/swagger turns them into the OpenAPI document.
 */
import { Type, type TSchema } from 'typebox';

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'Stable URI of the problem, e.g. /problems/insufficient-points' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'The problem code in snake_case (docs/problems.md)' }),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

const problemRef = Type.Ref('Problem');

/** The error responses a route can give, documented with the media type they are sent with. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: 'Problem details', content: { 'application/problem+json': { schema: problemRef } } }]),
  ) as Record<number, TSchema>;
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const FreeObject = Type.Record(Type.String(), Type.Unknown(), { description: 'Any JSON object' });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
};

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) });
}

export const BalanceSummary = Type.Object({ available: Type.Integer(), pending: Type.Integer() });

export const Member = Type.Object(
  {
    id: Type.String(),
    externalId: Type.String(),
    email: Nullable(Type.String()),
    name: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    birthDate: Nullable(Type.String({ format: 'date' })),
    locale: Nullable(Type.String()),
    attributes: FreeObject,
    status: Type.Union([Type.Literal('active'), Type.Literal('blocked'), Type.Literal('erased')]),
    tier: Nullable(Type.String({ description: 'The effective tier level: the higher of the qualified level and the level of an active paid membership' })),
    tierProgress: Type.Optional(
      Nullable(
        Type.Object(
          {
            metric: Type.Union([Type.Literal('points_earned'), Type.Literal('spend'), Type.Literal('purchases')]),
            current: Type.Integer({ description: 'The metric over the current window' }),
            needed: Type.Integer({ description: 'What is still missing to reach nextTier; 0 at the top' }),
            nextTier: Nullable(Type.String()),
            qualifiedTier: Nullable(Type.String({ description: "The level the member's metric earned them" })),
            reviewAt: Nullable(Type.String({ format: 'date-time', description: 'When the qualified level is reviewed' })),
          },
          { description: 'Progress in the programme\'s tiers; null when the programme has no tiers' },
        ),
      ),
    ),
    perks: Type.Optional(Type.Array(Type.String(), { description: "The tier level's perks and those of the member's active memberships" })),
    balance: BalanceSummary,
    lifetimeEarned: Type.Integer(),
    purchaseCount: Type.Integer(),
    referralCode: Type.String(),
    referredBy: Nullable(Type.String({ description: 'Id of the member whose referral code was used at enrolment' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A member of the programme' },
);

/** The personal data and attributes of a member, as enrolment, update and import take them. */
export const MemberProfile = {
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 320 }))),
  name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  phone: Type.Optional(Nullable(Type.String({ pattern: '^\\+?[0-9 ()-]{4,32}$' }))),
  birthDate: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  locale: Type.Optional(Nullable(Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$', description: 'e.g. nl or nl-NL' }))),
  attributes: Type.Optional(FreeObject),
};

export const ExternalId = Type.String({ minLength: 1, maxLength: 200 });

/** What the client saw of the member's device; Trouw keeps only keyed hashes of the IP and device id. */
function ClientContext(description: string) {
  return Type.Object(
    {
      ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      userAgent: Type.Optional(Type.String({ maxLength: 1000 })),
      deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    },
    { additionalProperties: false, description },
  );
}

export const EnrolMemberBody = Type.Object(
  {
    externalId: ExternalId,
    ...MemberProfile,
    referralCode: Type.Optional(Type.String({ minLength: 4, maxLength: 32, description: "The referring member's code" })),
    context: Type.Optional(ClientContext("The friend's sign-up as the client saw it; stored only as keyed hashes, for the referral fraud check")),
  },
  { additionalProperties: false },
);

export const UpdateMemberBody = Type.Object(
  { externalId: Type.Optional(ExternalId), ...MemberProfile, status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('blocked')])) },
  { additionalProperties: false, minProperties: 1 },
);

export const Balance = Type.Object({
  available: Type.Integer(),
  pending: Type.Integer(),
  lifetimeEarned: Type.Integer(),
  expiring: Type.Array(Type.Object({ points: Type.Integer(), expiresAt: Type.String({ format: 'date-time' }) })),
});

export const LedgerEntry = Type.Object({
  transactionId: Type.String(),
  kind: Type.Union([
    Type.Literal('earn'), Type.Literal('refund'), Type.Literal('adjustment'), Type.Literal('release'), Type.Literal('expiry'),
    Type.Literal('redemption'), Type.Literal('redemption_cancel'),
  ]),
  account: Type.Union([Type.Literal('member_available'), Type.Literal('member_pending')]),
  points: Type.Integer({ description: 'Positive adds to the account, negative takes from it' }),
  lotId: Nullable(Type.String()),
  ruleId: Nullable(Type.String()),
  ruleVersion: Nullable(Type.Integer()),
  eventId: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

export const AdjustmentBody = Type.Object(
  {
    points: Type.Integer({ description: 'Positive gives points, negative takes them (never below zero)' }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

export const Adjustment = Type.Object({
  transactionId: Type.String(),
  memberId: Type.String(),
  points: Type.Integer(),
  reason: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  balance: BalanceSummary,
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

export const EventBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200, description: "The client's event id, unique per programme" }),
    type: Type.String({ minLength: 1, maxLength: 100, description: 'purchase, refund, review, survey, social_share, visit, event_attended, signup or custom.<name>' }),
    memberId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    externalId: Type.Optional(ExternalId),
    occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
    data: Type.Optional(FreeObject),
    context: Type.Optional(
      ClientContext(
        "The member's device as the client saw it. Used when a purchase's `data.referralCode` attributes a referral (the sign-up fraud check); stored only as keyed hashes, never in the event",
      ),
    ),
  },
  { additionalProperties: false },
);

export const DailyEarnEvidence = Type.Object(
  {
    earnedLast24h: Type.Integer({ description: 'Points the member earned from events in the 24 hours before' }),
    award: Type.Integer({ description: 'What this event would add' }),
    maxPointsPerDay: Type.Integer({ description: "The programme's limit when it was checked" }),
  },
  { description: 'Why the daily earn limit held the award' },
);

export const EventResult = Type.Object(
  {
    event: Type.Object({
      id: Type.String(),
      type: Type.String(),
      memberId: Type.String(),
      occurredAt: Type.String({ format: 'date-time' }),
      receivedAt: Type.String({ format: 'date-time' }),
      data: FreeObject,
    }),
    awarded: Type.Array(
      Type.Object({
        ruleId: Type.String(),
        ruleVersion: Type.Integer(),
        points: Type.Integer(),
        status: Type.Union([Type.Literal('pending'), Type.Literal('available'), Type.Literal('held')], {
          description: '`held`: the daily earn limit holds the award for review; nothing was posted',
        }),
      }),
    ),
    clawback: Type.Optional(Type.Object({ points: Type.Integer(), unrecovered: Type.Integer() })),
    tierMultiplier: Type.Optional(
      Type.Object(
        { tier: Type.String(), factor: Type.Number(), points: Type.Integer({ description: 'Points the multiplier added to the rules’ total' }) },
        { description: "The member's tier multiplier, applied after the rule multipliers, rounded down" },
      ),
    ),
    held: Type.Optional(
      Type.Object(
        {
          id: Type.String({ description: 'The held award, to approve or reject at /v1/earn-holds/{id}' }),
          points: Type.Integer({ description: 'What the event would have earned, tier bonus included' }),
          reason: Type.Literal('daily_earn_limit'),
          evidence: DailyEarnEvidence,
        },
        { description: "The programme's daily earn limit held the award for review instead of posting it" },
      ),
    ),
    referral: Type.Optional(
      Type.Union(
        [
          Type.Object({ id: Type.String(), status: Type.String() }),
          Type.Object({
            ignored: Type.Union([
              Type.Literal('existing_member'), Type.Literal('already_referred'), Type.Literal('self_referral'), Type.Literal('referral_code_unknown'),
            ]),
          }),
        ],
        { description: 'The referral the event moved (its status after), or why the referral code it carried could not refer the member' },
      ),
    ),
    balance: BalanceSummary,
  },
  { description: 'What the event earned and the balance after it' },
);

// Fields other than these are refused by the domain (422 rule_effect_invalid at `/effects/{i}/{field}`), with
// the fields that do not belong to the effect's type, rather than by the schema's 400.
const Effect = Type.Object(
  {
    type: Type.Union([Type.Literal('points'), Type.Literal('multiplier')]),
    amount: Type.Optional(Type.Integer()),
    perSpend: Type.Optional(Type.Integer({ description: 'Minor units of spend per `amount` points' })),
    itemCondition: Type.Optional(Type.String({ maxLength: 4000, description: 'CEL over `item`: which basket lines count' })),
    factor: Type.Optional(Type.Number({ description: 'A multiplier\'s factor, from 1 to 100' })),
  },
  { description: 'A points effect has type, amount, perSpend and itemCondition; a multiplier has type and factor' },
);

const Limits = Type.Object(
  {
    perMember: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ minimum: 1 }),
          period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year'), Type.Literal('lifetime')]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ruleFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  trigger: Type.String({ minLength: 1, maxLength: 100 }),
  condition: Type.Optional(Nullable(Type.String({ maxLength: 4000, description: 'CEL over event, member and now' }))),
  effects: Type.Array(Effect, { minItems: 1, maxItems: 10 }),
  validFrom: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  validUntil: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  limits: Type.Optional(Nullable(Limits)),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  stackable: Type.Optional(Type.Boolean()),
  active: Type.Optional(Type.Boolean()),
};

export const RuleBody = Type.Object(ruleFields, { additionalProperties: false });
export const RulePatch = Type.Partial(Type.Object(ruleFields), { additionalProperties: false, minProperties: 1 });

export const Rule = Type.Object(
  {
    id: Type.String(),
    version: Type.Integer(),
    name: Type.String(),
    trigger: Type.String(),
    condition: Nullable(Type.String()),
    effects: Type.Array(Effect),
    limits: Nullable(Limits),
    validFrom: Nullable(Type.String({ format: 'date-time' })),
    validUntil: Nullable(Type.String({ format: 'date-time' })),
    priority: Type.Integer(),
    stackable: Type.Boolean(),
    active: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    failures: Type.Object(
      {
        count: Type.Integer({ description: 'Events on which the rule failed, over all its versions' }),
        lastAt: Nullable(Type.String({ format: 'date-time' })),
        lastReason: Nullable(Type.String()),
        lastVersion: Nullable(Type.Integer({ description: 'The version that failed last' })),
      },
      { description: 'Events on which the rule went over its cost bound (or no longer passed the checks made on save) and awarded nothing; the event itself was recorded' },
    ),
  },
  { description: 'An earn rule (current version)' },
);

export const Program = Type.Object({
  id: Type.String(),
  name: Type.String(),
  pointsName: Type.String(),
  currency: Type.String(),
  timezone: Type.String(),
  pendingDays: Type.Integer(),
  expiryMonths: Nullable(Type.Integer()),
  expiryWarningDays: Nullable(Type.Integer({ description: 'Days before a lot expires that points.expiring goes out; null: no warning' })),
  maxPointsPerDay: Nullable(
    Type.Integer({ description: 'The daily earn limit: most points a member earns from events in any 24 hours; an award past it is held for review (`/v1/earn-holds`). Null: no limit' }),
  ),
  coupons: Type.Object({
    prefix: Nullable(Type.String({ description: 'What generated coupon codes start with' })),
    length: Type.Integer({ description: 'Random characters per generated code' }),
    validityDays: Type.Integer({ description: "Days a redemption's coupon stays valid (never beyond the reward's validUntil)" }),
    refundExpired: Type.Boolean({ description: 'An expired, unused coupon from a redemption gives its points back' }),
  }),
  createdAt: Type.String({ format: 'date-time' }),
});
