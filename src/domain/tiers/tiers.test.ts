import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import { applyTierMultiplier } from './multiplier.js';
import { memberPerks, tierProgress } from './progress.js';
import { hasReview, inWindow, monthKey, qualifiedRank, upgradeTarget, windowStartMonth } from './qualification.js';
import { nextReviewAt, reviewDecision, reviewDueAt } from './review.js';
import { validateTierConfiguration, type TierConfigurationInput } from './tier.js';

const base: TierConfigurationInput = {
  metric: 'spend',
  window: { type: 'rolling', months: 12 },
  levels: [
    { name: 'Bronze', threshold: 0 },
    { name: 'Silver', threshold: 10_000, multiplier: 1.25, perks: ['free shipping'] },
    { name: 'Gold', threshold: 50_000, multiplier: 1.5, perks: ['free shipping', 'lounge'] },
  ],
};
const config = validateTierConfiguration(base);
const AMS = 'Europe/Amsterdam';

function pointerOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isDomainError(error)) return error.errors[0]?.pointer;
    throw error;
  }
  return undefined;
}

describe('validateTierConfiguration', () => {
  it('fills in the defaults: review after 12 months, no grace, multiplier 1, no perks', () => {
    expect(config).toMatchObject({ reviewMonths: 12, graceDays: 0 });
    expect(config.levels[0]).toEqual({ name: 'Bronze', threshold: 0, multiplier: 1, perks: [] });
  });

  it('refuses thresholds that do not strictly increase, naming the level', () => {
    const levels = [...base.levels.slice(0, 2), { name: 'Gold', threshold: 10_000 }];
    expect(pointerOf(() => validateTierConfiguration({ ...base, levels }))).toBe('/levels/2/threshold');
  });

  it('refuses a name used twice, a multiplier below 1 and an empty perk', () => {
    expect(pointerOf(() => validateTierConfiguration({ ...base, levels: [{ name: 'A', threshold: 0 }, { name: 'A', threshold: 5 }] }))).toBe('/levels/1/name');
    expect(pointerOf(() => validateTierConfiguration({ ...base, levels: [{ name: 'A', threshold: 0, multiplier: 0.5 }] }))).toBe('/levels/0/multiplier');
    expect(pointerOf(() => validateTierConfiguration({ ...base, levels: [{ name: 'A', threshold: 0, perks: [' '] }] }))).toBe('/levels/0/perks/0');
  });

  it('needs months for a rolling window and refuses them for the others', () => {
    expect(pointerOf(() => validateTierConfiguration({ ...base, window: { type: 'rolling' } }))).toBe('/window/months');
    expect(pointerOf(() => validateTierConfiguration({ ...base, window: { type: 'lifetime', months: 3 } }))).toBe('/window/months');
    expect(pointerOf(() => validateTierConfiguration({ ...base, metric: 'balance' }))).toBe('/metric');
  });
});

describe('windows and months', () => {
  it('places an instant in the month of the programme timezone', () => {
    // 23:30 UTC on 31 March is already 1 April in Amsterdam.
    expect(monthKey(Date.parse('2026-03-31T23:30:00Z'), AMS)).toBe('2026-04');
    expect(monthKey(Date.parse('2026-03-31T23:30:00Z'), 'UTC')).toBe('2026-03');
  });

  it('counts the current month and the ones before it in a rolling window', () => {
    const now = Date.parse('2026-03-15T12:00:00Z');
    expect(windowStartMonth({ type: 'rolling', months: 12 }, now, AMS)).toBe('2025-04');
    expect(windowStartMonth({ type: 'rolling', months: 1 }, now, AMS)).toBe('2026-03');
    expect(windowStartMonth({ type: 'calendar_year' }, now, AMS)).toBe('2026-01');
    expect(windowStartMonth({ type: 'lifetime' }, now, AMS)).toBeNull();
    expect(inWindow('2025-03', '2025-04')).toBe(false);
    expect(inWindow('2025-04', '2025-04')).toBe(true);
    expect(inWindow('1999-01', null)).toBe(true);
  });
});

describe('qualification and upgrades', () => {
  it('qualifies for the highest level whose threshold the metric reaches', () => {
    expect(qualifiedRank(config.levels, 0)).toBe(0);
    expect(qualifiedRank(config.levels, 9_999)).toBe(0);
    expect(qualifiedRank(config.levels, 10_000)).toBe(1);
    expect(qualifiedRank(config.levels, 1_000_000)).toBe(2);
    expect(qualifiedRank([{ name: 'A', threshold: 5, multiplier: 1, perks: [] }], 4)).toBe(-1);
  });

  it('upgrades by several levels at once, never down', () => {
    expect(upgradeTarget(config, 0, 60_000)).toBe(2);
    expect(upgradeTarget(config, 2, 0)).toBeNull();
    expect(upgradeTarget(config, 1, 10_000)).toBeNull();
  });

  it('has no review at a level with threshold 0 or without a level', () => {
    expect(hasReview(config.levels, 0)).toBe(false);
    expect(hasReview(config.levels, -1)).toBe(false);
    expect(hasReview(config.levels, 1)).toBe(true);
    expect(nextReviewAt(config, 0, Date.parse('2026-03-15T12:00:00Z'), AMS)).toBeNull();
    expect(nextReviewAt(config, 2, Date.parse('2026-03-15T12:00:00Z'), AMS)).toBe(Date.parse('2027-03-15T12:00:00Z'));
  });
});

describe('reviewDecision', () => {
  const reviewAt = Date.parse('2027-03-15T12:00:00Z');

  it('keeps a level the metric still reaches, with the next review a period later', () => {
    expect(reviewDecision(config, 2, 50_000, reviewAt, AMS)).toEqual({ outcome: 'requalified', rank: 2, reviewAt: Date.parse('2028-03-15T12:00:00Z') });
  });

  it('goes down exactly one level, even when the metric is zero', () => {
    expect(reviewDecision(config, 2, 0, reviewAt, AMS)).toEqual({ outcome: 'downgraded', rank: 1, reviewAt: Date.parse('2028-03-15T12:00:00Z') });
    expect(reviewDecision(config, 1, 0, reviewAt, AMS)).toEqual({ outcome: 'downgraded', rank: 0, reviewAt: null });
  });

  it('is due after the grace days', () => {
    expect(reviewDueAt(reviewAt, 0)).toBe(reviewAt);
    expect(reviewDueAt(reviewAt, 30)).toBe(reviewAt + 30 * 86_400_000);
  });
});

describe('applyTierMultiplier', () => {
  it('multiplies the total and rounds down with exact decimals', () => {
    expect(applyTierMultiplier(101, 1.5)).toEqual({ total: 151, bonus: 50 });
    // 1.15 × 100 is 114.99999999999999 in binary floating point; the decimal factor gives 115.
    expect(applyTierMultiplier(100, 1.15)).toEqual({ total: 115, bonus: 15 });
    expect(applyTierMultiplier(0, 2)).toEqual({ total: 0, bonus: 0 });
    expect(applyTierMultiplier(77, 1)).toEqual({ total: 77, bonus: 0 });
  });
});

describe('tierProgress and perks', () => {
  it('shows what is missing to the next level above the effective one', () => {
    expect(tierProgress({ config, value: 12_000, effectiveRank: 1, qualifiedRank: 1, reviewAt: 5 })).toEqual({
      metric: 'spend',
      current: 12_000,
      needed: 38_000,
      nextTier: 'Gold',
      qualifiedTier: 'Silver',
      reviewAt: 5,
    });
    expect(tierProgress({ config, value: 0, effectiveRank: 2, qualifiedRank: 0, reviewAt: null })).toMatchObject({ needed: 0, nextTier: null, qualifiedTier: 'Bronze' });
  });

  it("merges the level's perks with the memberships' perks, each once", () => {
    expect(memberPerks(config.levels, 2, [['lounge', 'early access']])).toEqual(['free shipping', 'lounge', 'early access']);
    expect(memberPerks(config.levels, -1, [])).toEqual([]);
  });
});
