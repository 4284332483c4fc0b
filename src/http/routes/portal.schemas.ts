/** TypeBox schemas of the member portal: the owner's settings and secrets, and what a member sees. */
import { Type } from 'typebox';
import { Balance, Nullable } from '../schemas.js';

const instant = Type.String({ format: 'date-time' });

export const PortalSettings = Type.Object({
  slug: Type.String({ description: 'The portal lives at /p/{slug}' }),
  issuer: Type.String({ description: 'The `iss` a member token must carry (default: the programme id)' }),
  audience: Type.String({ description: 'The `aud` a member token must carry (default: trouw:portal)' }),
});

export const PortalSettingsPatch = Type.Object(
  {
    slug: Type.Optional(Type.String({ minLength: 3, maxLength: 40, pattern: '^[a-z0-9][a-z0-9-]*[a-z0-9]$', description: '3–40 lowercase letters, digits and dashes' })),
    issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    audience: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PortalKey = Type.Object({ kid: Type.String(), createdAt: instant, revokedAt: Nullable(instant) });

export const NewPortalKey = Type.Object(
  {
    kid: Type.String({ description: 'Put it in the JWT header as `kid`' }),
    secret: Type.String({ description: 'The HS256 secret (its UTF-8 bytes are the key), shown only now' }),
    createdAt: instant,
  },
  { description: 'A new signing secret for member tokens' },
);

export const KidParams = Type.Object({ kid: Type.String({ minLength: 1, maxLength: 100 }) });
export const SlugParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 100 }) });

export const MemberTokenHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ description: 'Bearer <member token>: an HS256 JWT signed by the shop' })),
});

export const PortalProfile = Type.Object(
  {
    externalId: Type.String(),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    locale: Nullable(Type.String()),
    status: Type.String(),
    program: Type.Object({ name: Type.String(), pointsName: Type.String(), currency: Type.String() }),
    balance: Balance,
    tier: Nullable(Type.String()),
    tierProgress: Nullable(
      Type.Object({
        metric: Type.String(),
        current: Type.Number(),
        needed: Type.Number(),
        nextTier: Nullable(Type.String()),
        qualifiedTier: Nullable(Type.String()),
        reviewAt: Nullable(instant),
      }),
    ),
    perks: Type.Array(Type.String()),
    referralCode: Type.String(),
    memberSince: instant,
  },
  { description: "The signed-in member's own page" },
);

export const PortalReward = Type.Object({
  id: Type.String(),
  name: Type.String({ description: "In the member's locale" }),
  description: Nullable(Type.String()),
  pointsCost: Type.Integer(),
  kind: Type.String(),
  value: Nullable(Type.Integer()),
  currency: Nullable(Type.String()),
  stock: Nullable(Type.Integer()),
  validUntil: Nullable(instant),
  imageUrl: Nullable(Type.String({ description: "The reward's picture (a public path on this server); null: none" })),
  affordable: Type.Boolean({ description: "Whether the member's available points cover the cost" }),
});

const consentFields = {
  marketingEmail: Type.Boolean(),
  marketingSms: Type.Boolean(),
  personalisedOffers: Type.Boolean(),
};

export const ConsentsBody = Type.Object(consentFields, { additionalProperties: false });

export const Consents = Type.Object({
  ...consentFields,
  changedAt: Type.Object({ marketingEmail: Nullable(instant), marketingSms: Nullable(instant), personalisedOffers: Nullable(instant) }),
});

export const MemberExport = Type.Record(Type.String(), Type.Unknown(), { description: 'Everything Trouw holds on the member' });
