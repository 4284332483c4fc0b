/** TypeBox schemas of the referral programme routes. */
import { Type } from 'typebox';
import { FreeObject, Nullable, PageQuery } from '../schemas.js';

const instant = Type.String({ format: 'date-time' });

const RewardSpec = Type.Union([
  Type.Object({ points: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }) }, { additionalProperties: false }),
  Type.Object({ rewardId: Type.String({ minLength: 1, maxLength: 100, description: 'A reward (best one of audience referral), issued as a coupon at no points cost; it must be active, in its window and in stock when saved' }) }, { additionalProperties: false }),
], { description: 'Points, or a catalogue reward' });

const Period = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year'), Type.Literal('lifetime')]);

const settingsProperties = {
  enabled: Type.Boolean(),
  referrerReward: RewardSpec,
  friendReward: RewardSpec,
  qualification: Type.Object(
    {
      minOrderTotal: Type.Integer({ minimum: 0, description: "Minor units of the programme's currency" }),
      afterReturnWindow: Type.Boolean({ description: "Reward only once the programme's return window (pendingDays) has passed" }),
    },
    { additionalProperties: false },
  ),
  validityDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'Days a signed-up referral stays open for qualification' }),
  landingUrl: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) page the link redirects to, with ?ref=CODE' }),
};

const Caps = Type.Object(
  { perReferrer: Type.Object({ count: Type.Integer({ minimum: 1 }), period: Period }, { additionalProperties: false }) },
  { additionalProperties: false, description: 'At most `count` rewarded referrals per referrer per period (programme timezone); over it, only the friend is rewarded' },
);
const Ladder = Type.Array(
  Type.Object({ from: Type.Integer({ minimum: 1 }), points: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
  { maxItems: 50, description: "The referrer's points by their count of successful referrals (this one included), ordered by from" },
);
const Fraud = Type.Object(
  { reviewAbove: Type.Integer({ minimum: 0 }), rejectAbove: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false, description: 'A fraud score above reviewAbove flags the referral; above rejectAbove rejects it' },
);
const Messages = Type.Object(
  { en: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })), nl: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) },
  { additionalProperties: false, description: 'Share messages per locale; {link} and {code} are filled in' },
);

export const ReferralProgramBody = Type.Object(
  {
    ...settingsProperties,
    caps: Type.Optional(Nullable(Caps)),
    ladder: Type.Optional(Nullable(Ladder)),
    fraud: Type.Optional(Nullable(Fraud)),
    messages: Type.Optional(Nullable(Messages)),
  },
  { additionalProperties: false },
);

export const ReferralProgram = Type.Object(
  {
    ...settingsProperties,
    caps: Nullable(Caps),
    ladder: Nullable(Ladder),
    fraud: Fraud,
    messages: Nullable(Messages),
    createdAt: instant,
    updatedAt: instant,
  },
  { description: "The programme's referral settings" },
);

export const ReferralStatus = Type.Union([
  Type.Literal('signed_up'), Type.Literal('qualified'), Type.Literal('rewarded'), Type.Literal('flagged'),
  Type.Literal('rejected'), Type.Literal('expired'), Type.Literal('reversed'), Type.Literal('reward_failed'),
], { description: 'reward_failed: the reward was due but a catalogue reward could not be given; nothing was given until a retry pays it' });

const PayoutFailure = Type.Object(
  {
    at: instant,
    sides: Type.Array(
      Type.Object({
        side: Type.Union([Type.Literal('friend'), Type.Literal('referrer')]),
        rewardId: Type.String(),
        reason: Type.Union([
          Type.Literal('reward_not_found'), Type.Literal('reward_inactive'), Type.Literal('reward_not_yet_valid'),
          Type.Literal('reward_expired'), Type.Literal('reward_out_of_stock'),
        ]),
        detail: Type.String(),
      }),
    ),
  },
  { description: 'Why the reward could not be given, per side; set while the referral is reward_failed' },
);

export const Referral = Type.Object(
  {
    id: Type.String(),
    referrerId: Type.String(),
    friendId: Type.String(),
    code: Type.String(),
    status: ReferralStatus,
    score: Type.Integer({ description: 'The fraud score of the latest check' }),
    signals: Type.Array(FreeObject, { description: 'The fraud signals that fired, each with its weight, evidence and stage' }),
    qualifyingOrderId: Nullable(Type.String()),
    qualifyingTotal: Nullable(Type.Integer({ description: 'Minor units' })),
    expiresAt: Nullable(instant),
    qualifiedAt: Nullable(instant),
    rewardDueAt: Nullable(instant),
    rewardedAt: Nullable(instant),
    endedAt: Nullable(instant),
    reason: Nullable(Type.String()),
    review: Nullable(FreeObject),
    referrerReward: Nullable(FreeObject),
    friendReward: Nullable(FreeObject),
    payoutFailure: Nullable(PayoutFailure),
    createdAt: instant,
    updatedAt: instant,
  },
  { description: 'A referral: a friend brought in by a referrer, through its states' },
);

export const ReferralListQuery = Type.Object({
  referrerId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  status: Type.Optional(ReferralStatus),
  ...PageQuery,
});

export const ReferrerView = Type.Object(
  {
    memberId: Type.String(),
    code: Type.String(),
    enabled: Type.Boolean(),
    friends: Type.Array(
      Type.Object({
        referralId: Type.String(),
        friend: Type.String({ description: 'Masked: "A*** d*** V***" or "a***@example.com"' }),
        status: ReferralStatus,
        signedUpAt: instant,
        reward: Nullable(FreeObject),
      }),
    ),
    pointsEarned: Type.Integer({ description: 'Points the referrer holds from rewarded referrals' }),
    ladder: Type.Object({
      count: Type.Integer({ description: 'Successful (rewarded) referrals' }),
      nextStep: Nullable(Type.Object({ from: Type.Integer(), points: Type.Integer() })),
    }),
    share: Nullable(
      Type.Object({
        link: Type.String(),
        locale: Type.String(),
        message: Type.String(),
        urls: Type.Object({ email: Type.String(), whatsapp: Type.String(), x: Type.String(), facebook: Type.String() }),
      }),
    ),
  },
  { description: "A referrer's view: friends, rewards, ladder progress and what to share" },
);

export const ReferralCodeBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 64, description: '4–16 letters and digits; stored upper case' }) },
  { additionalProperties: false },
);

export const ReferralCode = Type.Object({ memberId: Type.String(), referralCode: Type.String(), customisedAt: instant });

export const StatsQuery = Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) });

const rate = Nullable(Type.Number());

export const ReferralStats = Type.Object({
  from: instant,
  to: instant,
  currency: Type.String(),
  clicks: Type.Integer(),
  signUps: Type.Integer(),
  qualified: Type.Integer(),
  rewarded: Type.Integer(),
  flagged: Type.Integer(),
  rejected: Type.Integer(),
  expired: Type.Integer(),
  reversed: Type.Integer(),
  conversion: Type.Object({ clickToSignup: rate, signupToQualified: rate, qualifiedToRewarded: rate, signupToRewarded: rate }),
  revenueOfReferredFriends: Type.Integer({ description: 'Minor units: orders of referred friends in the period, net of refunds' }),
  cost: Type.Object({ points: Type.Integer(), coupons: Type.Integer(), reversedPoints: Type.Integer() }),
  newMembers: Type.Object({ total: Type.Integer(), byReferral: Type.Integer(), share: rate }),
  viral: Type.Object(
    { k: rate, invitesPerMember: rate, inviteConversion: rate, membersAtStart: Type.Integer() },
    { description: 'K = referred sign-ups ÷ members at the start of the period (= invites per member × invite conversion, clicks as invites)' },
  ),
  topReferrers: Type.Array(Type.Object({ memberId: Type.String(), rewarded: Type.Integer(), signUps: Type.Integer() })),
});
