import { describe, expect, it } from 'vitest';
import { catalogueRewardsOf, describePayoutFailure, payoutFailures, planPayout } from './payout.js';
import { checkReferralSettings, type ReferralSettingsInput } from './settings.js';

const now = Date.parse('2026-03-15T12:00:00Z');
const tz = 'Europe/Amsterdam';

const settingsWith = (input: Partial<ReferralSettingsInput>) =>
  checkReferralSettings({
    enabled: true,
    referrerReward: { points: 500 },
    friendReward: { points: 250 },
    qualification: { minOrderTotal: 2_000, afterReturnWindow: false },
    validityDays: 30,
    landingUrl: 'https://shop.example/join',
    ...input,
  });

const fresh = { successfulBefore: 0, rewardedReferrerAt: [] };

describe('planPayout', () => {
  it('gives the friend reward and the referrer the ladder step reached (this referral included)', () => {
    const settings = settingsWith({ ladder: [{ from: 2, points: 800 }] });
    expect(planPayout(settings, fresh, now, tz)).toEqual({ friend: { points: 250 }, referrer: { reward: { points: 500 }, ladderPoints: null } });
    expect(planPayout(settings, { successfulBefore: 1, rewardedReferrerAt: [] }, now, tz).referrer).toEqual({ reward: { points: 800 }, ladderPoints: null });
  });

  it("puts a ladder step's points on top of a catalogue reward for the referrer", () => {
    const settings = settingsWith({ referrerReward: { rewardId: 'rwd_r' }, ladder: [{ from: 1, points: 100 }] });
    expect(planPayout(settings, fresh, now, tz).referrer).toEqual({ reward: { rewardId: 'rwd_r' }, ladderPoints: 100 });
    expect(planPayout(settingsWith({ referrerReward: { rewardId: 'rwd_r' } }), fresh, now, tz).referrer).toEqual({ reward: { rewardId: 'rwd_r' }, ladderPoints: null });
  });

  it('gives the referrer nothing over the cap; the friend is still rewarded', () => {
    const settings = settingsWith({ caps: { perReferrer: { count: 1, period: 'month' } }, friendReward: { rewardId: 'rwd_f' } });
    const plan = planPayout(settings, { successfulBefore: 1, rewardedReferrerAt: [now - 86_400_000] }, now, tz);
    expect(plan).toEqual({ friend: { rewardId: 'rwd_f' }, referrer: null });
    expect(catalogueRewardsOf(plan)).toEqual([{ side: 'friend', rewardId: 'rwd_f' }]);
  });
});

describe('payoutFailures', () => {
  const ok: { active: boolean; validFrom: number | null; validUntil: number | null; stock: number | null } = { active: true, validFrom: null, validUntil: null, stock: null };

  it('is empty when every catalogue reward can be given', () => {
    const needs = [{ side: 'friend' as const, rewardId: 'rwd_f' }, { side: 'referrer' as const, rewardId: 'rwd_r' }];
    expect(payoutFailures(needs, new Map([['rwd_f', ok], ['rwd_r', { ...ok, stock: 1 }]]), now)).toEqual([]);
  });

  it('names each side whose reward cannot be given, with the reason', () => {
    const needs = [{ side: 'friend' as const, rewardId: 'rwd_f' }, { side: 'referrer' as const, rewardId: 'rwd_gone' }];
    const failures = payoutFailures(needs, new Map([['rwd_f', { ...ok, active: false }]]), now);
    expect(failures).toEqual([
      { side: 'friend', rewardId: 'rwd_f', reason: 'reward_inactive', detail: 'The reward is inactive.' },
      { side: 'referrer', rewardId: 'rwd_gone', reason: 'reward_not_found', detail: 'The reward does not exist in this programme.' },
    ]);
    expect(describePayoutFailure(failures)).toBe(
      "The friend's reward rwd_f cannot be given: the reward is inactive. The referrer's reward rwd_gone cannot be given: the reward does not exist in this programme.",
    );
  });

  it('needs stock for two when both sides get the same reward', () => {
    const needs = [{ side: 'friend' as const, rewardId: 'rwd_1' }, { side: 'referrer' as const, rewardId: 'rwd_1' }];
    expect(payoutFailures(needs, new Map([['rwd_1', { ...ok, stock: 1 }]]), now).map((f) => f.reason)).toEqual(['reward_out_of_stock', 'reward_out_of_stock']);
    expect(payoutFailures(needs, new Map([['rwd_1', { ...ok, stock: 2 }]]), now)).toEqual([]);
  });
});
