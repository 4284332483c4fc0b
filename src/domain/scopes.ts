/** What an API key may do. `*` grants everything; a programme's first key has it. */
export const apiScopes = [
  'members:read',
  'members:write',
  'events:write',
  // Changing the programme's own settings (points policy, coupon format): the programme manager.
  'program:write',
  'rules:read',
  'rules:write',
  'rewards:read',
  'rewards:write',
  // Redeeming and cancelling for a member: the shop's account pages or the member portal's backend.
  'redemptions:write',
  // Validating, using, importing and generating coupon codes: the checkout.
  'coupons:write',
  'tiers:read',
  'tiers:write',
  'memberships:write',
  'referrals:read',
  // Configuring the referral programme.
  'referrals:write',
  // Approving or rejecting flagged referrals (support staff review without configuring).
  'referrals:review',
  // The daily earn limit's held awards and a member's earn-abuse picture; write: approving or rejecting them.
  'fraud:read',
  'fraud:write',
  'webhooks:read',
  'webhooks:write',
  // The dashboard's figures and exports.
  'analytics:read',
  // The team (users and roles), API keys, the audit log, the member portal's secrets: owners only.
  'team:write',
  'keys:write',
  'audit:read',
  'portal:write',
] as const;
export type ApiScope = (typeof apiScopes)[number];

export function hasScope(granted: readonly string[], needed: ApiScope): boolean {
  return granted.includes('*') || granted.includes(needed);
}
