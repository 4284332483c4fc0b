/**
 * The referral programme's settings and their validation. The HTTP schema checks shapes; this module checks
 * what a schema cannot (an ordered ladder, thresholds in the right order, an http(s) landing page) and gives
 * each refusal the JSON pointer of its field, so a `PUT /v1/referral-program` names what is wrong. Whether a
 * `rewardId` exists in the catalogue is the service's question (it needs storage).
 */
import { defaultReferralRiskPolicy } from '../fraud/referral-risk.js';
import { DomainError } from '../errors.js';
import type { LimitPeriod } from '../periods.js';

/** Points for a side, or a catalogue reward (its coupon) issued at no points cost. */
export type ReferralRewardSpec = { points: number } | { rewardId: string };

export interface LadderStep {
  /** The referrer's number of successful referrals (this one included) from which the step applies. */
  from: number;
  points: number;
}

export type ReferralLocale = 'en' | 'nl';
export const referralLocales: readonly ReferralLocale[] = ['en', 'nl'];

export interface ReferralSettings {
  enabled: boolean;
  referrerReward: ReferralRewardSpec;
  friendReward: ReferralRewardSpec;
  qualification: {
    /** Minor units of the programme's currency. */
    minOrderTotal: number;
    /** Reward only once the programme's return window (pendingDays) has passed since the qualifying order. */
    afterReturnWindow: boolean;
  };
  caps: { perReferrer: { count: number; period: LimitPeriod } } | null;
  validityDays: number;
  ladder: LadderStep[] | null;
  fraud: { reviewAbove: number; rejectAbove: number };
  landingUrl: string;
  /** Share messages per locale; `{link}` and `{code}` are filled in. Absent: the defaults. */
  messages: Partial<Record<ReferralLocale, string>> | null;
}

/** The settings as a client sends them: optional parts may be left out. */
export interface ReferralSettingsInput {
  enabled: boolean;
  referrerReward: ReferralRewardSpec;
  friendReward: ReferralRewardSpec;
  qualification: { minOrderTotal: number; afterReturnWindow: boolean };
  caps?: { perReferrer: { count: number; period: LimitPeriod } } | null;
  validityDays: number;
  ladder?: LadderStep[] | null;
  fraud?: { reviewAbove: number; rejectAbove: number } | null;
  landingUrl: string;
  messages?: Partial<Record<ReferralLocale, string>> | null;
}

/** The fraud policy when the programme sets none (the scoring core's defaults). */
/** The scoring module's thresholds: a disposable address alone (40) is reviewed, a shared IP alone (30) is not. */
export const defaultFraudThresholds = {
  reviewAbove: defaultReferralRiskPolicy.reviewAbove,
  rejectAbove: defaultReferralRiskPolicy.rejectAbove,
} as const;

const MAX_POINTS = 1_000_000_000;
const MAX_MESSAGE = 1_000;

function fail(pointer: string, detail: string): never {
  throw DomainError.field('validation_failed', pointer, detail);
}

function checkReward(spec: ReferralRewardSpec, pointer: string): ReferralRewardSpec {
  if ('points' in spec) {
    if (!Number.isSafeInteger(spec.points) || spec.points < 1 || spec.points > MAX_POINTS) {
      fail(`${pointer}/points`, `points is a whole number from 1 to ${MAX_POINTS}.`);
    }
    return { points: spec.points };
  }
  if (typeof spec.rewardId !== 'string' || spec.rewardId.length === 0) fail(`${pointer}/rewardId`, 'rewardId names a reward of the catalogue.');
  return { rewardId: spec.rewardId };
}

/**
 * Checks the settings and fills in defaults (no caps, no ladder, the default fraud thresholds, default messages).
 * @throws DomainError validation_failed naming the field
 */
export function checkReferralSettings(input: ReferralSettingsInput): ReferralSettings {
  const referrerReward = checkReward(input.referrerReward, '/referrerReward');
  const friendReward = checkReward(input.friendReward, '/friendReward');
  const { minOrderTotal, afterReturnWindow } = input.qualification;
  if (!Number.isSafeInteger(minOrderTotal) || minOrderTotal < 0) fail('/qualification/minOrderTotal', 'minOrderTotal is a whole number of minor units, 0 or more.');
  if (!Number.isSafeInteger(input.validityDays) || input.validityDays < 1 || input.validityDays > 3650) {
    fail('/validityDays', 'validityDays is a whole number of days from 1 to 3650.');
  }
  let caps: ReferralSettings['caps'] = null;
  if (input.caps) {
    const { count, period } = input.caps.perReferrer;
    if (!Number.isSafeInteger(count) || count < 1) fail('/caps/perReferrer/count', 'count is a whole number, 1 or more.');
    caps = { perReferrer: { count, period } };
  }
  let ladder: LadderStep[] | null = null;
  if (input.ladder && input.ladder.length > 0) {
    ladder = [];
    input.ladder.forEach((step, i) => {
      if (!Number.isSafeInteger(step.from) || step.from < 1) fail(`/ladder/${i}/from`, 'from is a count of successful referrals, 1 or more.');
      if (!Number.isSafeInteger(step.points) || step.points < 1 || step.points > MAX_POINTS) fail(`/ladder/${i}/points`, `points is a whole number from 1 to ${MAX_POINTS}.`);
      const previous = ladder?.[i - 1];
      if (previous && step.from <= previous.from) fail(`/ladder/${i}/from`, 'The ladder is ordered by from, each step above the one before.');
      ladder?.push({ from: step.from, points: step.points });
    });
  }
  const fraud = input.fraud ? { reviewAbove: input.fraud.reviewAbove, rejectAbove: input.fraud.rejectAbove } : { ...defaultFraudThresholds };
  if (!Number.isSafeInteger(fraud.reviewAbove) || fraud.reviewAbove < 0) fail('/fraud/reviewAbove', 'reviewAbove is a whole score, 0 or more.');
  if (!Number.isSafeInteger(fraud.rejectAbove) || fraud.rejectAbove <= fraud.reviewAbove) {
    fail('/fraud/rejectAbove', 'rejectAbove is a whole score above reviewAbove.');
  }
  let url: URL;
  try {
    url = new URL(input.landingUrl);
  } catch {
    fail('/landingUrl', 'landingUrl is an absolute http(s) URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('/landingUrl', 'landingUrl is an absolute http(s) URL.');
  if (url.username !== '' || url.password !== '') fail('/landingUrl', 'landingUrl carries no credentials.');
  let messages: ReferralSettings['messages'] = null;
  if (input.messages) {
    messages = {};
    for (const [locale, text] of Object.entries(input.messages)) {
      if (!(referralLocales as readonly string[]).includes(locale)) fail(`/messages/${locale}`, `Messages are given for ${referralLocales.join(', ')}.`);
      if (typeof text !== 'string' || text.trim().length === 0 || text.length > MAX_MESSAGE) fail(`/messages/${locale}`, `A message has 1 to ${MAX_MESSAGE} characters.`);
      messages[locale as ReferralLocale] = text;
    }
  }
  return {
    enabled: input.enabled,
    referrerReward,
    friendReward,
    qualification: { minOrderTotal, afterReturnWindow },
    caps,
    validityDays: input.validityDays,
    ladder,
    fraud,
    landingUrl: url.toString(),
    messages,
  };
}

/** The rewardIds the settings name, with the pointer of each, for the service's catalogue check. */
export function rewardIdsOf(settings: ReferralSettings): { rewardId: string; pointer: string }[] {
  const ids: { rewardId: string; pointer: string }[] = [];
  if ('rewardId' in settings.referrerReward) ids.push({ rewardId: settings.referrerReward.rewardId, pointer: '/referrerReward/rewardId' });
  if ('rewardId' in settings.friendReward) ids.push({ rewardId: settings.friendReward.rewardId, pointer: '/friendReward/rewardId' });
  return ids;
}
