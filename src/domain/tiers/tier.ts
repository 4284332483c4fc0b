/**
 * Tiers (DESIGN.md §2, Tier): ordered levels qualified on one metric over a window, each with an earn
 * multiplier and perks, and a retention policy (review every `reviewMonths`, downgrade by at most one level per
 * review, optionally after `graceDays`). This module holds the configuration's shape and its validation; the
 * rules that use it are in qualification.ts, review.ts, progress.ts and multiplier.ts.
 *
 * Levels are ordered by strictly increasing threshold; a level's position is its rank (0 = lowest). A member
 * without a level has rank -1. Names are unique, so a level is referred to by name everywhere else (members,
 * membership plans, rewards).
 */
import { DomainError } from '../errors.js';

export type TierMetric = 'points_earned' | 'spend' | 'purchases';
export const tierMetrics: readonly TierMetric[] = ['points_earned', 'spend', 'purchases'];

export type TierWindow = { type: 'rolling'; months: number } | { type: 'calendar_year' } | { type: 'lifetime' };

export interface TierLevel {
  name: string;
  /** The metric value (points, minor units of money, or purchases) from which a member qualifies. */
  threshold: number;
  /** Applied to an event's earned points after the rule multipliers (multiplier.ts); 1 changes nothing. */
  multiplier: number;
  perks: string[];
}

export interface TierConfiguration {
  metric: TierMetric;
  window: TierWindow;
  /** Months from reaching (or last requalifying for) a level to its review. */
  reviewMonths: number;
  /** Days after the review date before a member who no longer qualifies goes down. */
  graceDays: number;
  levels: TierLevel[];
}

/** What an API client sends: the optional fields get their defaults in `validateTierConfiguration`. */
export interface TierConfigurationInput {
  metric: string;
  window: { type: string; months?: number };
  reviewMonths?: number;
  graceDays?: number;
  levels: { name: string; threshold: number; multiplier?: number; perks?: string[] }[];
}

export const DEFAULT_REVIEW_MONTHS = 12;
export const MAX_LEVELS = 20;
export const MAX_WINDOW_MONTHS = 120;
export const MAX_REVIEW_MONTHS = 120;
export const MAX_GRACE_DAYS = 366;
export const MAX_MULTIPLIER = 100;

/**
 * Checks and normalises a configuration.
 * @throws DomainError validation_failed with the pointer of the first offending field (`/levels/2/threshold`).
 */
export function validateTierConfiguration(input: TierConfigurationInput): TierConfiguration {
  if (!(tierMetrics as readonly string[]).includes(input.metric)) {
    throw DomainError.field('validation_failed', '/metric', `metric is one of ${tierMetrics.join(', ')}.`);
  }
  const window = validateWindow(input.window);
  const reviewMonths = input.reviewMonths ?? DEFAULT_REVIEW_MONTHS;
  if (!Number.isSafeInteger(reviewMonths) || reviewMonths < 1 || reviewMonths > MAX_REVIEW_MONTHS) {
    throw DomainError.field('validation_failed', '/reviewMonths', `reviewMonths is a whole number from 1 to ${MAX_REVIEW_MONTHS}.`);
  }
  const graceDays = input.graceDays ?? 0;
  if (!Number.isSafeInteger(graceDays) || graceDays < 0 || graceDays > MAX_GRACE_DAYS) {
    throw DomainError.field('validation_failed', '/graceDays', `graceDays is a whole number from 0 to ${MAX_GRACE_DAYS}.`);
  }
  if (input.levels.length === 0 || input.levels.length > MAX_LEVELS) {
    throw DomainError.field('validation_failed', '/levels', `A tier configuration has 1 to ${MAX_LEVELS} levels.`);
  }
  const names = new Set<string>();
  const levels: TierLevel[] = input.levels.map((level, i) => {
    const name = level.name.trim();
    if (name.length === 0) throw DomainError.field('validation_failed', `/levels/${i}/name`, 'A level needs a name.');
    if (names.has(name)) throw DomainError.field('validation_failed', `/levels/${i}/name`, `Level names are unique; ${name} appears twice.`);
    names.add(name);
    if (!Number.isSafeInteger(level.threshold) || level.threshold < 0) {
      throw DomainError.field('validation_failed', `/levels/${i}/threshold`, 'threshold is a whole number, 0 or more.');
    }
    const previous = input.levels[i - 1];
    if (previous !== undefined && level.threshold <= previous.threshold) {
      throw DomainError.field(
        'validation_failed',
        `/levels/${i}/threshold`,
        `Levels are ordered by strictly increasing threshold; ${level.threshold} does not exceed ${previous.threshold} of the level before.`,
      );
    }
    const multiplier = level.multiplier ?? 1;
    if (!Number.isFinite(multiplier) || multiplier < 1 || multiplier > MAX_MULTIPLIER) {
      throw DomainError.field('validation_failed', `/levels/${i}/multiplier`, `multiplier is a number from 1 to ${MAX_MULTIPLIER}.`);
    }
    const perks = (level.perks ?? []).map((perk) => perk.trim());
    const empty = perks.findIndex((perk) => perk.length === 0);
    if (empty >= 0) throw DomainError.field('validation_failed', `/levels/${i}/perks/${empty}`, 'A perk is a non-empty text.');
    return { name, threshold: level.threshold, multiplier, perks: [...new Set(perks)] };
  });
  return { metric: input.metric as TierMetric, window, reviewMonths, graceDays, levels };
}

function validateWindow(window: TierConfigurationInput['window']): TierWindow {
  switch (window.type) {
    case 'rolling': {
      const months = window.months;
      if (months === undefined || !Number.isSafeInteger(months) || months < 1 || months > MAX_WINDOW_MONTHS) {
        throw DomainError.field('validation_failed', '/window/months', `A rolling window counts 1 to ${MAX_WINDOW_MONTHS} whole months.`);
      }
      return { type: 'rolling', months };
    }
    case 'calendar_year':
    case 'lifetime':
      if (window.months !== undefined) {
        throw DomainError.field('validation_failed', '/window/months', `months applies only to a rolling window, not to ${window.type}.`);
      }
      return { type: window.type };
    default:
      throw DomainError.field('validation_failed', '/window/type', 'window.type is rolling, calendar_year or lifetime.');
  }
}

/** The rank of a level by name; -1 for no level or a name the configuration no longer has. */
export function rankOf(levels: readonly TierLevel[], name: string | null): number {
  return name === null ? -1 : levels.findIndex((level) => level.name === name);
}

/** The level name of a rank; null below the lowest level. */
export function levelName(levels: readonly TierLevel[], rank: number): string | null {
  return rank < 0 ? null : (levels[rank]?.name ?? null);
}
