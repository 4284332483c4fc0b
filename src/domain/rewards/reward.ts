/**
 * The rewards catalogue: what a reward is and which fields each kind needs. `checkRewardDefinition` is the one
 * place that decides whether a reward is well formed; it names the offending field with a JSON pointer so the
 * API can answer 400/422 on that field. It guarantees for the rest of the code:
 * - money values (`discount_fixed`, `gift_card`, `donation`) are whole minor units in the programme's currency;
 * - a `discount_percent` value is 1..100 and its optional `maxDiscount` cap is in the programme's currency;
 * - a `free_product` names its sku; fields a kind does not use are refused rather than silently kept;
 * - `validUntil` lies after `validFrom`; stock is null (unlimited) or a whole number of 0 or more;
 * - `audience` is `catalogue` (members redeem it for points) or `referral` (only the referral programme gives
 *   it: hidden from the catalogue and refused for points, so it never reaches members at its points price).
 */
import { DomainError } from '../errors.js';
import { limitPeriods, type LimitPeriod } from '../periods.js';

export const rewardKinds = ['discount_fixed', 'discount_percent', 'free_product', 'gift_card', 'experience', 'donation'] as const;
export type RewardKind = (typeof rewardKinds)[number];

export const rewardAudiences = ['catalogue', 'referral'] as const;
export type RewardAudience = (typeof rewardAudiences)[number];

/** A text given once, or per locale (`{"en": "Free coffee", "nl": "Gratis koffie"}`). */
export type LocalisedText = string | Record<string, string>;

export interface RewardLimits {
  perMember?: { count: number; period: LimitPeriod };
}

export interface RewardDefinition {
  name: LocalisedText;
  description: LocalisedText | null;
  pointsCost: number;
  kind: RewardKind;
  /** Minor units for money kinds; a percentage for `discount_percent`. */
  value: number | null;
  currency: string | null;
  /** The largest discount of a `discount_percent` reward, in minor units. */
  maxDiscount: number | null;
  sku: string | null;
  /** Units left; null is unlimited. */
  stock: number | null;
  limits: RewardLimits | null;
  /** The tier names that may redeem; null or empty: every member. */
  tiers: string[] | null;
  validFrom: number | null;
  validUntil: number | null;
  active: boolean;
  partnerId: string | null;
  /** Who gets the reward: members for points (`catalogue`), or referrals only (`referral`). */
  audience: RewardAudience;
}

export const maxPointsCost = 1_000_000_000;
export const maxMoneyValue = 1_000_000_000_000;

const localePattern = /^[a-z]{2,3}(-[A-Z]{2})?$/;

function checkText(value: LocalisedText, pointer: string, maxLength: number): LocalisedText {
  const checkOne = (text: string, at: string) => {
    const trimmed = text.trim();
    if (trimmed.length === 0 || trimmed.length > maxLength) {
      throw DomainError.field('validation_failed', at, `${at.slice(1)} is a text of 1 to ${maxLength} characters.`);
    }
    return trimmed;
  };
  if (typeof value === 'string') return checkOne(value, pointer);
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > 30) {
    throw DomainError.field('validation_failed', pointer, `${pointer.slice(1)} is a text or a map of 1 to 30 locales to texts.`);
  }
  const out: Record<string, string> = {};
  for (const [locale, text] of entries) {
    if (!localePattern.test(locale)) {
      throw DomainError.field('validation_failed', `${pointer}/${locale}`, `${locale} is not a locale such as en or nl-NL.`);
    }
    if (typeof text !== 'string') throw DomainError.field('validation_failed', `${pointer}/${locale}`, 'Each locale maps to a text.');
    out[locale] = checkOne(text, `${pointer}/${locale}`);
  }
  return out;
}

/** The text for a locale: the exact locale, then its language, then English, then the first one given. */
export function localise(text: LocalisedText, locale: string | null): string {
  if (typeof text === 'string') return text;
  if (locale !== null) {
    const exact = text[locale] ?? text[locale.split('-')[0] ?? ''];
    if (exact !== undefined) return exact;
  }
  return text.en ?? Object.values(text)[0] ?? '';
}

/** Kinds whose value is money in minor units. */
const moneyKinds: readonly RewardKind[] = ['discount_fixed', 'gift_card', 'donation'];

function refuse(pointer: string, detail: string): never {
  throw DomainError.field('validation_failed', pointer, detail);
}

/**
 * Checks a whole reward against its kind and normalises it (trimmed texts, the programme's currency filled in
 * for money kinds).
 * @throws DomainError validation_failed, currency_mismatch
 */
export function checkRewardDefinition(input: RewardDefinition, programCurrency: string): RewardDefinition {
  const name = checkText(input.name, '/name', 200);
  const description = input.description === null ? null : checkText(input.description, '/description', 2000);
  if (!Number.isSafeInteger(input.pointsCost) || input.pointsCost < 1 || input.pointsCost > maxPointsCost) {
    refuse('/pointsCost', `pointsCost is a whole number of points from 1 to ${maxPointsCost}.`);
  }
  if (!(rewardKinds as readonly string[]).includes(input.kind)) refuse('/kind', `kind is one of ${rewardKinds.join(', ')}.`);
  const kind = input.kind;
  const { value, maxDiscount } = input;
  let { currency, sku } = input;

  if (moneyKinds.includes(kind)) {
    if (value === null) {
      if (kind !== 'donation') refuse('/value', `A ${kind} reward needs a value in minor units.`);
    } else if (!Number.isSafeInteger(value) || value < 1 || value > maxMoneyValue) {
      refuse('/value', 'value is a whole number of minor units above 0.');
    }
    if (value === null && currency !== null) refuse('/currency', 'currency goes with a value.');
    if (value !== null) {
      currency = currency === null ? programCurrency : currency.toUpperCase();
      if (currency !== programCurrency) {
        throw DomainError.field('currency_mismatch', '/currency', `The reward's value must be in the programme's currency ${programCurrency}.`);
      }
    }
  } else if (kind === 'discount_percent') {
    if (value === null) refuse('/value', 'A discount_percent reward needs a value: the percentage, 1 to 100.');
    if (!Number.isSafeInteger(value) || value < 1 || value > 100) refuse('/value', 'value is a whole percentage from 1 to 100.');
    if (currency !== null) refuse('/currency', 'A percentage discount has no currency; maxDiscount is in the programme currency.');
  } else {
    if (value !== null) refuse('/value', `A ${kind} reward has no value.`);
    if (currency !== null) refuse('/currency', `A ${kind} reward has no currency.`);
  }

  if (maxDiscount !== null) {
    if (kind !== 'discount_percent') refuse('/maxDiscount', 'maxDiscount caps a discount_percent reward only.');
    if (!Number.isSafeInteger(maxDiscount) || maxDiscount < 1 || maxDiscount > maxMoneyValue) {
      refuse('/maxDiscount', 'maxDiscount is a whole number of minor units above 0.');
    }
  }
  if (sku !== null) {
    sku = sku.trim();
    if (sku.length === 0 || sku.length > 100) refuse('/sku', 'sku is a text of 1 to 100 characters.');
  }
  if (kind === 'free_product' && sku === null) refuse('/sku', 'A free_product reward names the product: sku is required.');

  if (input.stock !== null && (!Number.isSafeInteger(input.stock) || input.stock < 0 || input.stock > maxPointsCost)) {
    refuse('/stock', 'stock is a whole number of 0 or more, or null for unlimited.');
  }
  const perMember = input.limits?.perMember;
  if (perMember !== undefined) {
    if (!Number.isSafeInteger(perMember.count) || perMember.count < 1) refuse('/limits/perMember/count', 'count is a whole number above 0.');
    if (!limitPeriods.includes(perMember.period)) refuse('/limits/perMember/period', `period is one of ${limitPeriods.join(', ')}.`);
  }
  let tiers = input.tiers;
  if (tiers !== null) {
    tiers = tiers.map((tier, i) => {
      const trimmed = tier.trim();
      if (trimmed.length === 0 || trimmed.length > 100) refuse(`/tiers/${i}`, 'A tier name is a text of 1 to 100 characters.');
      return trimmed;
    });
    const duplicate = tiers.findIndex((tier, i) => tiers?.indexOf(tier) !== i);
    if (duplicate >= 0) refuse(`/tiers/${duplicate}`, `The tier ${tiers[duplicate]} is named twice.`);
    if (tiers.length === 0) tiers = null;
  }
  if (input.validFrom !== null && input.validUntil !== null && input.validUntil <= input.validFrom) {
    refuse('/validUntil', 'validUntil lies after validFrom.');
  }
  if (!(rewardAudiences as readonly string[]).includes(input.audience)) refuse('/audience', `audience is one of ${rewardAudiences.join(', ')}.`);
  return {
    ...input,
    name,
    description,
    kind,
    value,
    currency,
    maxDiscount,
    sku,
    limits: perMember === undefined ? null : { perMember: { count: perMember.count, period: perMember.period } },
    tiers,
  };
}
