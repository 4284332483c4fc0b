import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { checkRewardDefinition, localise, type RewardDefinition } from './reward.js';

const base: RewardDefinition = {
  name: 'Free coffee',
  description: null,
  pointsCost: 100,
  kind: 'discount_fixed',
  value: 500,
  currency: null,
  maxDiscount: null,
  sku: null,
  stock: null,
  limits: null,
  tiers: null,
  validFrom: null,
  validUntil: null,
  active: true,
  partnerId: null,
  audience: 'catalogue',
};

function refusal(overrides: Partial<RewardDefinition>): { code: string; pointer: string | undefined } {
  try {
    checkRewardDefinition({ ...base, ...overrides }, 'EUR');
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, pointer: error.errors[0]?.pointer };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('checkRewardDefinition', () => {
  it("fills in the programme's currency for money kinds and trims texts", () => {
    expect(checkRewardDefinition({ ...base, name: '  Coffee ' }, 'EUR')).toMatchObject({ name: 'Coffee', currency: 'EUR' });
    expect(checkRewardDefinition({ ...base, name: { en: 'Free coffee', nl: 'Gratis koffie' } }, 'EUR').name).toEqual({ en: 'Free coffee', nl: 'Gratis koffie' });
  });

  it('refuses money in another currency than the programme', () => {
    expect(refusal({ currency: 'USD' })).toEqual({ code: 'currency_mismatch', pointer: '/currency' });
  });

  it('checks the fields each kind needs and refuses those it does not use', () => {
    expect(refusal({ value: null })).toEqual({ code: 'validation_failed', pointer: '/value' });
    expect(refusal({ kind: 'discount_percent', value: 101 })).toEqual({ code: 'validation_failed', pointer: '/value' });
    expect(refusal({ kind: 'discount_percent', value: 0 })).toEqual({ code: 'validation_failed', pointer: '/value' });
    expect(refusal({ kind: 'discount_percent', value: 10, currency: 'EUR' })).toEqual({ code: 'validation_failed', pointer: '/currency' });
    expect(refusal({ maxDiscount: 100 })).toEqual({ code: 'validation_failed', pointer: '/maxDiscount' });
    expect(refusal({ kind: 'free_product', value: null })).toEqual({ code: 'validation_failed', pointer: '/sku' });
    expect(refusal({ kind: 'free_product', sku: 'X' })).toEqual({ code: 'validation_failed', pointer: '/value' });
    expect(refusal({ kind: 'experience' })).toEqual({ code: 'validation_failed', pointer: '/value' });
    expect(checkRewardDefinition({ ...base, kind: 'discount_percent', value: 10, maxDiscount: 1000 }, 'EUR').maxDiscount).toBe(1000);
    expect(checkRewardDefinition({ ...base, kind: 'donation', value: null }, 'EUR')).toMatchObject({ value: null, currency: null });
  });

  it('names the bad part of a localised text, a tier, the window and the limits', () => {
    expect(refusal({ name: { english: 'x' } })).toEqual({ code: 'validation_failed', pointer: '/name/english' });
    expect(refusal({ name: { nl: ' ' } })).toEqual({ code: 'validation_failed', pointer: '/name/nl' });
    expect(refusal({ name: {} })).toEqual({ code: 'validation_failed', pointer: '/name' });
    expect(refusal({ tiers: ['Gold', 'Gold'] })).toEqual({ code: 'validation_failed', pointer: '/tiers/1' });
    expect(refusal({ validFrom: 2000, validUntil: 1000 })).toEqual({ code: 'validation_failed', pointer: '/validUntil' });
    expect(refusal({ limits: { perMember: { count: 0, period: 'month' } } })).toEqual({ code: 'validation_failed', pointer: '/limits/perMember/count' });
    expect(refusal({ stock: -1 })).toEqual({ code: 'validation_failed', pointer: '/stock' });
    expect(refusal({ pointsCost: 0 })).toEqual({ code: 'validation_failed', pointer: '/pointsCost' });
  });

  it('keeps a referral-only audience and refuses an unknown one', () => {
    expect(checkRewardDefinition({ ...base, audience: 'referral' }, 'EUR').audience).toBe('referral');
    expect(refusal({ audience: 'members' as RewardDefinition['audience'] })).toEqual({ code: 'validation_failed', pointer: '/audience' });
  });
});

describe('localise', () => {
  it('picks the exact locale, then the language, then English, then the first', () => {
    const text = { en: 'Free coffee', nl: 'Gratis koffie' };
    expect(localise(text, 'nl-BE')).toBe('Gratis koffie');
    expect(localise(text, 'de')).toBe('Free coffee');
    expect(localise({ fr: 'Café offert' }, null)).toBe('Café offert');
    expect(localise('Coffee', 'nl')).toBe('Coffee');
  });
});
