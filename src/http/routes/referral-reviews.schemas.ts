/**
 * TypeBox schemas of the referral review routes (`POST /v1/referrals/{id}/approve|reject`). The reviewed
 * referral is answered with the `Referral` schema of `GET /v1/referrals` (referrals.schemas.ts).
 */
import { Type } from 'typebox';

export const ReviewBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why the referral is approved or rejected; kept on the referral as `review: {action, reason, at}`' }) },
  { additionalProperties: false },
);
