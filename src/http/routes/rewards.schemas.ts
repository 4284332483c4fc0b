/**
 * TypeBox schemas of the rewards, redemptions and coupons routes. Shapes and types are checked here; the rules
 * that depend on a reward's kind are checked by the domain (domain/rewards/reward.ts), which names the field.
 */
import { Type } from 'typebox';
import { BalanceSummary, Nullable, PageQuery } from '../schemas.js';

export const RewardKind = Type.Union([Type.Literal('discount_fixed'), Type.Literal('discount_percent'), Type.Literal('free_product'), Type.Literal('gift_card'), Type.Literal('experience'), Type.Literal('donation')], {
  description: 'discount_fixed (value: minor units), discount_percent (value: 1..100, maxDiscount), free_product (sku), gift_card (value), experience, donation',
});

const LocalisedText = (maxLength: number) =>
  Type.Union([
    Type.String({ minLength: 1, maxLength }),
    Type.Record(Type.String(), Type.String({ minLength: 1, maxLength }), { description: 'Per locale, e.g. {"en": "Free coffee", "nl": "Gratis koffie"}' }),
  ]);

const Period = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year'), Type.Literal('lifetime')], {
  description: "Calendar periods in the programme's timezone",
});

const RewardLimits = Type.Object(
  { perMember: Type.Optional(Type.Object({ count: Type.Integer({ minimum: 1 }), period: Period }, { additionalProperties: false })) },
  { additionalProperties: false },
);

const instant = Type.String({ format: 'date-time' });

export const RewardAudience = Type.Union([Type.Literal('catalogue'), Type.Literal('referral')], {
  description: 'catalogue: members redeem it for points; referral: only the referral programme gives it (hidden from the catalogue, refused for points)',
});

const rewardFields = {
  name: LocalisedText(200),
  description: Type.Optional(Nullable(LocalisedText(2000))),
  pointsCost: Type.Integer({ minimum: 1, description: 'What the reward costs in points' }),
  kind: RewardKind,
  value: Type.Optional(Nullable(Type.Integer({ description: 'Minor units (discount_fixed, gift_card, donation) or a percentage (discount_percent)' }))),
  currency: Type.Optional(Nullable(Type.String({ pattern: '^[A-Za-z]{3}$', description: "The programme's currency; filled in when left out" }))),
  maxDiscount: Type.Optional(Nullable(Type.Integer({ description: 'discount_percent only: the largest discount in minor units' }))),
  sku: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
  stock: Type.Optional(Nullable(Type.Integer({ minimum: 0, description: 'Units left; null is unlimited' }))),
  limits: Type.Optional(Nullable(RewardLimits)),
  tiers: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, description: 'Tier names that may redeem; empty or null: everyone' }))),
  validFrom: Type.Optional(Nullable(instant)),
  validUntil: Type.Optional(Nullable(instant)),
  active: Type.Optional(Type.Boolean()),
  partnerId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
  audience: Type.Optional(RewardAudience),
};

export const RewardBody = Type.Object(rewardFields, { additionalProperties: false });
export const RewardPatch = Type.Partial(Type.Object(rewardFields), { additionalProperties: false, minProperties: 1 });

export const Reward = Type.Object(
  {
    id: Type.String(),
    name: LocalisedText(200),
    description: Nullable(LocalisedText(2000)),
    pointsCost: Type.Integer(),
    kind: RewardKind,
    value: Nullable(Type.Integer()),
    currency: Nullable(Type.String()),
    maxDiscount: Nullable(Type.Integer()),
    sku: Nullable(Type.String()),
    stock: Nullable(Type.Integer({ description: 'Units left; null is unlimited' })),
    redeemedCount: Type.Integer({ description: 'Redemptions that stand (not cancelled or refunded)' }),
    imageUrl: Nullable(Type.String({ description: 'Path of the picture on this server (PUT /v1/rewards/{id}/image); public and cacheable for good' })),
    limits: Nullable(RewardLimits),
    tiers: Nullable(Type.Array(Type.String())),
    validFrom: Nullable(instant),
    validUntil: Nullable(instant),
    active: Type.Boolean(),
    partnerId: Nullable(Type.String()),
    audience: RewardAudience,
    createdAt: instant,
    updatedAt: instant,
  },
  { description: 'A reward of the catalogue, or one the referral programme gives' },
);

export const RewardListQuery = Type.Object({
  ...PageQuery,
  active: Type.Optional(Type.Boolean()),
  kind: Type.Optional(RewardKind),
  audience: Type.Optional(
    Type.Union([Type.Literal('catalogue'), Type.Literal('referral'), Type.Literal('all')], {
      description: 'Default catalogue (what members may redeem); referral: the rewards only the referral programme gives; all: both',
    }),
  ),
});

const CouponStatus = Type.Union([Type.Literal('active'), Type.Literal('used'), Type.Literal('expired'), Type.Literal('cancelled')]);

const couponSummaryFields = {
  code: Type.String(),
  status: CouponStatus,
  expiresAt: Nullable(instant),
  usedAt: Nullable(instant),
  orderId: Nullable(Type.String()),
};

export const Redemption = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    reward: Reward,
    points: Type.Integer(),
    status: Type.Union([Type.Literal('completed'), Type.Literal('cancelled'), Type.Literal('refunded')]),
    coupon: Type.Object(couponSummaryFields),
    createdAt: instant,
    endedAt: Nullable(instant),
    balance: Type.Optional(BalanceSummary),
  },
  { description: 'Points spent on a reward, and its coupon' },
);

export const RedeemBody = Type.Object({ rewardId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

export const Coupon = Type.Object({
  ...couponSummaryFields,
  reward: Reward,
  memberId: Nullable(Type.String()),
  redemptionId: Nullable(Type.String()),
  campaign: Nullable(Type.String()),
  createdAt: instant,
});

export const CodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 100 }) });

const Money = Type.Object({ amount: Type.Integer({ description: 'Minor units' }), currency: Type.String() });

export const ValidateCouponBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 100 }),
    orderTotal: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: "Minor units in the programme's currency" })),
    items: Type.Optional(
      Type.Array(
        Type.Object(
          {
            sku: Type.String({ minLength: 1, maxLength: 100 }),
            quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            unitPrice: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
  },
  { additionalProperties: false },
);

export const CouponValidation = Type.Object(
  {
    code: Type.String(),
    valid: Type.Boolean(),
    reason: Type.Optional(Type.Union([Type.Literal('used'), Type.Literal('expired'), Type.Literal('cancelled'), Type.Literal('refunded'), Type.Literal('product_not_in_basket')])),
    status: CouponStatus,
    expiresAt: Nullable(instant),
    reward: Reward,
    discount: Type.Optional(Money),
    freeProduct: Type.Optional(Type.Object({ sku: Type.String(), quantity: Type.Integer() })),
  },
  { description: 'What the coupon is worth for this basket; nothing was changed' },
);

export const UseCouponBody = Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const ImportQuery = Type.Object({
  rewardId: Type.String({ minLength: 1, maxLength: 100 }),
  campaign: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});

export const CouponBatch = Type.Object({
  batchId: Type.String(),
  rewardId: Type.String(),
  campaign: Nullable(Type.String()),
  count: Type.Integer(),
});

export const GenerateCouponsBody = Type.Object(
  {
    rewardId: Type.String({ minLength: 1, maxLength: 100 }),
    count: Type.Integer({ minimum: 1, maximum: 10_000 }),
    campaign: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    expiresAt: Type.Optional(instant),
  },
  { additionalProperties: false },
);

export const GeneratedCoupons = Type.Object({
  batchId: Type.String(),
  rewardId: Type.String(),
  campaign: Nullable(Type.String()),
  count: Type.Integer(),
  expiresAt: instant,
  codes: Type.Array(Type.String()),
});
