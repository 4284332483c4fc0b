/**
 * Properties of the tier rules over random configurations and metrics: upgrades only go up, a review moves at
 * most one level down, and the tier multiplier never takes points and rounds down.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTierMultiplier } from './multiplier.js';
import { qualifiedRank, upgradeTarget } from './qualification.js';
import { reviewDecision } from './review.js';
import { validateTierConfiguration } from './tier.js';

const configArb = fc
  .array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 6 })
  .chain((steps) =>
    fc.record({ zeroBase: fc.boolean(), steps: fc.constant(steps), multipliers: fc.array(fc.integer({ min: 100, max: 300 }), { minLength: steps.length, maxLength: steps.length }) }),
  )
  .map(({ zeroBase, steps, multipliers }) => {
    let threshold = zeroBase ? 0 : 1;
    const levels = steps.map((step, i) => {
      const level = { name: `L${i}`, threshold, multiplier: (multipliers[i] ?? 100) / 100 };
      threshold += step;
      return level;
    });
    return validateTierConfiguration({ metric: 'points_earned', window: { type: 'lifetime' }, levels });
  });

describe('tier properties', () => {
  it('an upgrade only ever raises the level, to exactly the qualified one', () => {
    fc.assert(
      fc.property(configArb, fc.integer({ min: -1, max: 5 }), fc.integer({ min: 0, max: 100_000 }), (config, current, value) => {
        const rank = Math.min(current, config.levels.length - 1);
        const target = upgradeTarget(config, rank, value);
        if (target === null) expect(qualifiedRank(config.levels, value)).toBeLessThanOrEqual(rank);
        else {
          expect(target).toBeGreaterThan(rank);
          expect(target).toBe(qualifiedRank(config.levels, value));
        }
      }),
    );
  });

  it('a review keeps the level the metric reaches and otherwise goes down exactly one level', () => {
    fc.assert(
      fc.property(configArb, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100_000 }), (config, current, value) => {
        const rank = Math.min(current, config.levels.length - 1);
        const decision = reviewDecision(config, rank, value, Date.parse('2027-01-01T00:00:00Z'), 'UTC');
        expect(decision.rank).toBeGreaterThanOrEqual(rank - 1);
        if (qualifiedRank(config.levels, value) >= rank) expect(decision.rank).toBeGreaterThanOrEqual(rank);
        else expect(decision.rank).toBe(rank - 1);
        if (decision.rank < 0) expect(decision.reviewAt).toBeNull();
      }),
    );
  });

  it('the tier multiplier never takes points and never adds more than the exact product', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 100, max: 1_000 }), (points, hundredths) => {
        const factor = hundredths / 100;
        const { total, bonus } = applyTierMultiplier(points, factor);
        expect(total).toBe(points + bonus);
        expect(bonus).toBeGreaterThanOrEqual(0);
        // Exact in integers: total = floor(points * hundredths / 100).
        expect(total).toBe(Math.floor((points * hundredths) / 100));
      }),
    );
  });
});
