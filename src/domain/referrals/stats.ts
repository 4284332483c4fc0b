/**
 * The referral funnel's ratios. Counts come from storage; the formulas live here so they are documented and
 * tested once.
 *
 * Viral coefficient (K-factor), the usual growth-model definition K = i × c, with
 *   i (invites per member)   = link clicks in the period ÷ members at the start of the period,
 *   c (invite conversion)    = referred sign-ups in the period ÷ link clicks in the period,
 * which multiplies out to K = referred sign-ups in the period ÷ members at the start of the period: how many
 * new members each existing member brought in. K is computed from that quotient directly, so codes typed at
 * enrolment without a click still count; i and c are reported alongside (null when a divisor is zero).
 */

export interface FunnelCounts {
  clicks: number;
  signups: number;
  qualified: number;
  rewarded: number;
}

/** a ÷ b rounded to four decimals, or null when b is zero. */
export function ratio(a: number, b: number): number | null {
  if (b === 0) return null;
  return Math.round((a / b) * 10_000) / 10_000;
}

export function conversionRates(counts: FunnelCounts) {
  return {
    clickToSignup: ratio(counts.signups, counts.clicks),
    signupToQualified: ratio(counts.qualified, counts.signups),
    qualifiedToRewarded: ratio(counts.rewarded, counts.qualified),
    signupToRewarded: ratio(counts.rewarded, counts.signups),
  };
}

export function viralCoefficient(counts: { clicks: number; signups: number; membersAtStart: number }) {
  return {
    k: ratio(counts.signups, counts.membersAtStart),
    invitesPerMember: ratio(counts.clicks, counts.membersAtStart),
    inviteConversion: ratio(counts.signups, counts.clicks),
  };
}
