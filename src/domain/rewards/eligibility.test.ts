import { describe, expect, it } from 'vitest';
import { checkIssuable, checkRedeemable, countInPeriod, isRewardAvailable, type RedeemCheck } from './eligibility.js';

const now = Date.parse('2026-03-15T12:00:00Z');
const day = 86_400_000;

function check(overrides: { member?: Partial<RedeemCheck['member']>; reward?: Partial<RedeemCheck['reward']>; earlier?: number[] } = {}) {
  return checkRedeemable({
    member: { status: 'active', tier: null, available: 1000, ...overrides.member },
    reward: { audience: 'catalogue', active: true, validFrom: null, validUntil: null, tiers: null, limits: null, stock: null, pointsCost: 100, ...overrides.reward },
    earlierRedemptionsAt: overrides.earlier ?? [],
    now,
    timezone: 'Europe/Amsterdam',
  });
}

describe('checkRedeemable', () => {
  it('lets an active member with enough points redeem an available reward', () => {
    expect(check()).toEqual({ ok: true });
  });

  it('refuses a blocked member before anything else', () => {
    expect(check({ member: { status: 'blocked', available: 0 }, reward: { active: false } })).toMatchObject({ ok: false, code: 'member_blocked' });
  });

  it('refuses a reward only the referral programme gives, before its window, stock or price', () => {
    expect(check({ reward: { audience: 'referral' } })).toMatchObject({ ok: false, code: 'reward_not_redeemable' });
    expect(check({ reward: { audience: 'referral', active: false, stock: 0 }, member: { available: 0 } })).toMatchObject({ code: 'reward_not_redeemable' });
    expect(check({ member: { status: 'blocked' }, reward: { audience: 'referral' } })).toMatchObject({ code: 'member_blocked' });
  });

  it('refuses an inactive reward and one outside its window; validUntil is exclusive', () => {
    expect(check({ reward: { active: false } })).toMatchObject({ code: 'reward_not_available' });
    expect(check({ reward: { validFrom: now + 1 } })).toMatchObject({ code: 'reward_not_available' });
    expect(check({ reward: { validUntil: now } })).toMatchObject({ code: 'reward_not_available' });
    expect(check({ reward: { validFrom: now, validUntil: now + 1 } })).toEqual({ ok: true });
  });

  it('requires one of the listed tiers; no tier is in none of them; an empty list is everyone', () => {
    expect(check({ reward: { tiers: ['Gold'] } })).toMatchObject({ code: 'reward_tier_required' });
    expect(check({ reward: { tiers: ['Gold'] }, member: { tier: 'Silver' } })).toMatchObject({ code: 'reward_tier_required' });
    expect(check({ reward: { tiers: ['Silver', 'Gold'] }, member: { tier: 'Gold' } })).toEqual({ ok: true });
    expect(check({ reward: { tiers: [] } })).toEqual({ ok: true });
  });

  it('counts earlier redemptions in the current period only', () => {
    const limits = { perMember: { count: 2, period: 'month' as const } };
    expect(check({ reward: { limits }, earlier: [now - 1 * day] })).toEqual({ ok: true });
    expect(check({ reward: { limits }, earlier: [now - 1 * day, now - 2 * day] })).toMatchObject({ code: 'reward_limit_reached' });
    // February does not count against March.
    expect(check({ reward: { limits }, earlier: [now - 20 * day, now - 30 * day] })).toEqual({ ok: true });
    expect(check({ reward: { limits: { perMember: { count: 1, period: 'lifetime' } } }, earlier: [now - 900 * day] })).toMatchObject({ code: 'reward_limit_reached' });
  });

  it('refuses when the stock is gone, then when the points do not cover the cost', () => {
    expect(check({ reward: { stock: 0 } })).toMatchObject({ code: 'reward_out_of_stock' });
    expect(check({ reward: { stock: 1 } })).toEqual({ ok: true });
    expect(check({ member: { available: 99 } })).toMatchObject({ code: 'insufficient_points' });
    expect(check({ member: { available: 100 } })).toEqual({ ok: true });
  });
});

describe('countInPeriod', () => {
  it("uses the programme's timezone: 23:30 UTC on 31 March is April in Amsterdam", () => {
    const lateMarchUtc = Date.parse('2026-03-31T23:30:00Z');
    const april = Date.parse('2026-04-02T10:00:00Z');
    expect(countInPeriod([lateMarchUtc], 'month', april, 'Europe/Amsterdam')).toBe(1);
    expect(countInPeriod([lateMarchUtc], 'month', april, 'UTC')).toBe(0);
  });
});

describe('isRewardAvailable', () => {
  it('is false for an inactive reward whatever its window', () => {
    expect(isRewardAvailable({ active: false, validFrom: null, validUntil: null }, now)).toBe(false);
  });
});

describe('checkIssuable', () => {
  const reward = { active: true, validFrom: null, validUntil: null, stock: null };

  it('gives an active reward in its window with stock for the units asked; null stock is unlimited', () => {
    expect(checkIssuable(reward, 1, now)).toEqual({ ok: true });
    expect(checkIssuable({ ...reward, stock: 2 }, 2, now)).toEqual({ ok: true });
    expect(checkIssuable({ ...reward, validFrom: now, validUntil: now + 1 }, 1, now)).toEqual({ ok: true });
  });

  it('says why not, first failing check first', () => {
    expect(checkIssuable(null, 1, now)).toMatchObject({ ok: false, reason: 'reward_not_found' });
    expect(checkIssuable({ ...reward, active: false, stock: 0 }, 1, now)).toMatchObject({ reason: 'reward_inactive', detail: 'The reward is inactive.' });
    expect(checkIssuable({ ...reward, validFrom: now + 1 }, 1, now)).toMatchObject({ reason: 'reward_not_yet_valid' });
    expect(checkIssuable({ ...reward, validUntil: now }, 1, now)).toMatchObject({ reason: 'reward_expired', detail: 'The reward was valid until 2026-03-15T12:00:00.000Z.' });
    expect(checkIssuable({ ...reward, stock: 0 }, 1, now)).toMatchObject({ reason: 'reward_out_of_stock', detail: 'The reward is out of stock.' });
    expect(checkIssuable({ ...reward, stock: 1 }, 2, now)).toMatchObject({ reason: 'reward_out_of_stock', detail: 'The reward has 1 unit(s) left and 2 are needed.' });
  });
});
