/**
 * Explainable fraud scoring for referrals. The service gathers facts (who signed up, from where, how many
 * sign-ups the code and the address had lately, whether the qualifying order was refunded); this module turns
 * them into the signals that fire, each with its weight and its evidence, and a decision by the programme's
 * policy. Nothing is hidden in a model: the score is the sum of the weights of the signals that fired, and a
 * reviewer sees exactly which facts made it.
 */

export const referralSignals = [
  'same_email_as_referrer',
  'email_matches_other_member',
  'disposable_email',
  'same_device_as_referrer',
  'same_ip_as_referrer',
  'code_velocity',
  'ip_velocity',
  'referral_ring',
  'qualifying_order_refunded',
] as const;
export type ReferralSignalName = (typeof referralSignals)[number];

/** Default weights: a signal that alone proves abuse weighs 100; circumstantial ones add up. */
export const defaultSignalWeights: Readonly<Record<ReferralSignalName, number>> = {
  same_email_as_referrer: 100,
  email_matches_other_member: 60,
  disposable_email: 40,
  same_device_as_referrer: 70,
  same_ip_as_referrer: 30,
  code_velocity: 30,
  ip_velocity: 30,
  referral_ring: 60,
  qualifying_order_refunded: 100,
};

export interface ReferralRiskPolicy {
  /** A score above this flags the referral for review. */
  reviewAbove: number;
  /** A score above this rejects it. */
  rejectAbove: number;
  /** More sign-ups than this on one code within `velocityWindowMinutes` fires code_velocity. */
  maxSignupsPerCode: number;
  /** More referred sign-ups than this from one IP address within the window fires ip_velocity. */
  maxSignupsPerIp: number;
  velocityWindowMinutes: number;
  weights: Readonly<Record<ReferralSignalName, number>>;
}

export const defaultReferralRiskPolicy: ReferralRiskPolicy = {
  reviewAbove: 40,
  rejectAbove: 80,
  maxSignupsPerCode: 5,
  maxSignupsPerIp: 3,
  velocityWindowMinutes: 60,
  weights: defaultSignalWeights,
};

export type Evidence = Record<string, string | number | boolean | string[]>;

export interface FiredSignal {
  signal: ReferralSignalName;
  weight: number;
  evidence: Evidence;
}

export type ReferralDecision = 'reward' | 'review' | 'reject';

export interface ReferralAssessment {
  score: number;
  decision: ReferralDecision;
  signals: FiredSignal[];
}

export interface ReferralFacts {
  friend: { emailCanonical: string | null; emailDomain: string | null; ip: string | null; deviceId: string | null };
  referrer: { memberId: string; emailCanonical: string | null; ips: readonly string[]; deviceIds: readonly string[] };
  /** Disposable-address check of the friend's domain (from a maintained list, outside the domain core). */
  disposableDomain: boolean;
  /** Other members (neither friend nor referrer) whose canonical address is the friend's. */
  membersWithSameEmail: readonly string[];
  /** Sign-ups on the referrer's code within the velocity window, this one included. */
  signupsOnCodeInWindow: number;
  /** Referred sign-ups from the friend's IP within the velocity window, this one included. */
  signupsFromIpInWindow: number;
  /** Members up the referrer's own referral chain who share the friend's device or IP: a ring of accounts. */
  ringMembers: readonly string[];
  /** At qualification: the qualifying order was refunded (in full or in part). */
  qualifyingOrderRefunded?: { orderId: string; refundedMinor: number } | null;
}

export function assessReferral(facts: ReferralFacts, policy: ReferralRiskPolicy = defaultReferralRiskPolicy): ReferralAssessment {
  const fired: FiredSignal[] = [];
  const fire = (signal: ReferralSignalName, evidence: Evidence) => fired.push({ signal, weight: policy.weights[signal], evidence });
  const { friend, referrer } = facts;

  if (friend.emailCanonical !== null && friend.emailCanonical === referrer.emailCanonical) {
    fire('same_email_as_referrer', { canonicalEmail: friend.emailCanonical });
  }
  if (facts.membersWithSameEmail.length > 0) fire('email_matches_other_member', { memberIds: [...facts.membersWithSameEmail] });
  if (facts.disposableDomain && friend.emailDomain !== null) fire('disposable_email', { domain: friend.emailDomain });
  if (friend.deviceId !== null && referrer.deviceIds.includes(friend.deviceId)) fire('same_device_as_referrer', { deviceId: friend.deviceId });
  if (friend.ip !== null && referrer.ips.includes(friend.ip)) fire('same_ip_as_referrer', { ip: friend.ip });
  if (facts.signupsOnCodeInWindow > policy.maxSignupsPerCode) {
    fire('code_velocity', { signups: facts.signupsOnCodeInWindow, max: policy.maxSignupsPerCode, windowMinutes: policy.velocityWindowMinutes });
  }
  if (friend.ip !== null && facts.signupsFromIpInWindow > policy.maxSignupsPerIp) {
    fire('ip_velocity', { ip: friend.ip, signups: facts.signupsFromIpInWindow, max: policy.maxSignupsPerIp, windowMinutes: policy.velocityWindowMinutes });
  }
  if (facts.ringMembers.length > 0) fire('referral_ring', { memberIds: [...facts.ringMembers] });
  if (facts.qualifyingOrderRefunded) {
    fire('qualifying_order_refunded', { orderId: facts.qualifyingOrderRefunded.orderId, refundedMinor: facts.qualifyingOrderRefunded.refundedMinor });
  }

  const score = fired.reduce((sum, s) => sum + s.weight, 0);
  const decision: ReferralDecision = score > policy.rejectAbove ? 'reject' : score > policy.reviewAbove ? 'review' : 'reward';
  return { score, decision, signals: fired };
}
