/**
 * Explainable fraud scoring for referrals. The service gathers facts (who signed up, from where, how many
 * sign-ups the code and the address had lately, whether the qualifying order was refunded); this module turns
 * them into the signals that fire, each with its weight and its evidence, and a decision by the programme's
 * policy. Nothing is hidden in a model: the score is the sum of the weights of the signals that fired, and a
 * reviewer sees exactly which facts made it.
 *
 * Values compared here are opaque: the service passes keyed hashes of IPs, device ids and e-mail identities, and
 * a `labels` map that says how each value is shown in evidence (a truncated hash, a masked address), so the
 * stored evidence never holds a raw IP address. Without a label a value is shown as given.
 *
 * The referral ring (`ringMembersOf`) is decided here too, from the chain of accounts the service found:
 * - the chain is the referrer's own referrers, up to `ringMaxDepth` links up (the referrer's referrer, theirs,
 *   …), and, once the friend has referred others themself, the friend's referrals up to `ringMaxDepth` links
 *   down. The referrer is not part of it: sharing the referrer's device or IP is its own signal.
 * - a chain member sharing the friend's device is linked; one sharing only the friend's IP is linked when it
 *   enrolled within `ringWindowDays` of the friend (a household or office shares an IP for years; a farm of
 *   accounts is made in a burst).
 * - the ring fires when one chain member is linked by device, or at least two are linked by IP: one relative
 *   on the same home network up the chain is common, three accounts from one address in one week are not.
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
  /** How many referral links up (and down) the ring check follows. */
  ringMaxDepth: number;
  /** A chain member sharing only the friend's IP counts towards a ring when enrolled this close to the friend. */
  ringWindowDays: number;
  weights: Readonly<Record<ReferralSignalName, number>>;
}

export const defaultReferralRiskPolicy: ReferralRiskPolicy = {
  reviewAbove: 30,
  rejectAbove: 80,
  maxSignupsPerCode: 5,
  maxSignupsPerIp: 3,
  velocityWindowMinutes: 60,
  ringMaxDepth: 5,
  ringWindowDays: 7,
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
  friend: {
    emailCanonical: string | null;
    emailDomain: string | null;
    /** The IP and device of this sign-up (or of the qualifying visit): velocity counts on the IP. */
    ip: string | null;
    deviceId: string | null;
    /** Other IPs and devices the friend was seen with; compared with the referrer's like `ip` and `deviceId`. */
    otherIps?: readonly string[];
    otherDeviceIds?: readonly string[];
  };
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
  /** How each ring member is linked, for the evidence: `ringLinkOf` of each. */
  ringLinks?: readonly string[];
  /** At qualification: the qualifying order was refunded (in full or in part). */
  qualifyingOrderRefunded?: { orderId: string; refundedMinor: number } | null;
  /** How a compared value is shown in evidence (e.g. a hash truncated, an address masked); default: as is. */
  labels?: Readonly<Record<string, string>>;
}

/** One account in the referral chain around a referral (see the module header). */
export interface ChainMember {
  memberId: string;
  /** `up`: the referrer's referrer and beyond; `down`: the friend's own referrals and beyond. */
  direction: 'up' | 'down';
  /** Links from the referrer (up) or from the friend (down), 1-based. */
  depth: number;
  enrolledAt: number;
  sharesDevice: boolean;
  sharesIp: boolean;
}

/** How a chain member is linked, in words for the evidence: `mbr_… up 2 links, same device`. */
export function ringLinkOf(member: ChainMember): string {
  const shared = member.sharesDevice ? 'same device' : 'same IP';
  return `${member.memberId} ${member.direction} ${member.depth} link${member.depth === 1 ? '' : 's'}, ${shared}`;
}

/** The chain members that make a ring with the friend, or none when the chain does not make one. */
export function ringMembersOf(
  chain: readonly ChainMember[],
  friendEnrolledAt: number,
  policy: Pick<ReferralRiskPolicy, 'ringMaxDepth' | 'ringWindowDays'> = defaultReferralRiskPolicy,
): ChainMember[] {
  const windowMs = policy.ringWindowDays * 86_400_000;
  const inReach = chain.filter((m) => m.depth >= 1 && m.depth <= policy.ringMaxDepth);
  const byDevice = inReach.filter((m) => m.sharesDevice);
  const byIp = inReach.filter((m) => !m.sharesDevice && m.sharesIp && Math.abs(m.enrolledAt - friendEnrolledAt) <= windowMs);
  if (byDevice.length === 0 && byIp.length < 2) return [];
  return [...byDevice, ...byIp];
}

/** Scores a referral: the signals the facts fire, their summed weights, and the decision by the policy. */
export function assessReferral(facts: ReferralFacts, policy: ReferralRiskPolicy = defaultReferralRiskPolicy): ReferralAssessment {
  const fired: FiredSignal[] = [];
  const fire = (signal: ReferralSignalName, evidence: Evidence) => fired.push({ signal, weight: policy.weights[signal], evidence });
  const { friend, referrer } = facts;
  const label = (value: string) => facts.labels?.[value] ?? value;
  const firstShared = (mine: (string | null)[], theirs: readonly string[]) => mine.find((v): v is string => v !== null && theirs.includes(v));

  if (friend.emailCanonical !== null && friend.emailCanonical === referrer.emailCanonical) {
    fire('same_email_as_referrer', { canonicalEmail: label(friend.emailCanonical) });
  }
  if (facts.membersWithSameEmail.length > 0) fire('email_matches_other_member', { memberIds: [...facts.membersWithSameEmail] });
  if (facts.disposableDomain && friend.emailDomain !== null) fire('disposable_email', { domain: friend.emailDomain });
  const sharedDevice = firstShared([friend.deviceId, ...(friend.otherDeviceIds ?? [])], referrer.deviceIds);
  if (sharedDevice !== undefined) fire('same_device_as_referrer', { deviceId: label(sharedDevice) });
  const sharedIp = firstShared([friend.ip, ...(friend.otherIps ?? [])], referrer.ips);
  if (sharedIp !== undefined) fire('same_ip_as_referrer', { ip: label(sharedIp) });
  if (facts.signupsOnCodeInWindow > policy.maxSignupsPerCode) {
    fire('code_velocity', { signups: facts.signupsOnCodeInWindow, max: policy.maxSignupsPerCode, windowMinutes: policy.velocityWindowMinutes });
  }
  if (friend.ip !== null && facts.signupsFromIpInWindow > policy.maxSignupsPerIp) {
    fire('ip_velocity', { ip: label(friend.ip), signups: facts.signupsFromIpInWindow, max: policy.maxSignupsPerIp, windowMinutes: policy.velocityWindowMinutes });
  }
  if (facts.ringMembers.length > 0) {
    fire('referral_ring', { memberIds: [...facts.ringMembers], ...(facts.ringLinks ? { links: [...facts.ringLinks] } : {}) });
  }
  if (facts.qualifyingOrderRefunded) {
    fire('qualifying_order_refunded', { orderId: facts.qualifyingOrderRefunded.orderId, refundedMinor: facts.qualifyingOrderRefunded.refundedMinor });
  }

  const score = fired.reduce((sum, s) => sum + s.weight, 0);
  const decision: ReferralDecision = score > policy.rejectAbove ? 'reject' : score > policy.reviewAbove ? 'review' : 'reward';
  return { score, decision, signals: fired };
}
