import { describe, expect, it } from 'vitest';
import { basketTotal, couponState, couponWorth } from './discount.js';

const reward = (kind: Parameters<typeof couponWorth>[0]['kind'], fields: Partial<Parameters<typeof couponWorth>[0]> = {}) => ({
  kind,
  value: null,
  maxDiscount: null,
  sku: null,
  ...fields,
});

describe('couponWorth', () => {
  it('gives a fixed discount, never above the order total', () => {
    expect(couponWorth(reward('discount_fixed', { value: 500 }), { orderTotal: 2000 }, 'EUR')).toEqual({ discount: { amount: 500, currency: 'EUR' } });
    expect(couponWorth(reward('discount_fixed', { value: 500 }), { orderTotal: 300 }, 'EUR')).toEqual({ discount: { amount: 300, currency: 'EUR' } });
    expect(couponWorth(reward('discount_fixed', { value: 500 }), {}, 'EUR')).toEqual({ discount: { amount: 500, currency: 'EUR' } });
  });

  it('computes a percentage of the total rounded down, capped by maxDiscount', () => {
    expect(couponWorth(reward('discount_percent', { value: 15 }), { orderTotal: 1999 }, 'EUR').discount).toEqual({ amount: 299, currency: 'EUR' });
    expect(couponWorth(reward('discount_percent', { value: 50, maxDiscount: 1000 }), { orderTotal: 5000 }, 'EUR').discount?.amount).toBe(1000);
    expect(couponWorth(reward('discount_percent', { value: 100 }), { orderTotal: 0 }, 'EUR').discount?.amount).toBe(0);
  });

  it('sums the items when no order total is given, and gives no amount without either', () => {
    const items = [{ sku: 'A', quantity: 2, unitPrice: 450 }, { sku: 'B', quantity: 1, unitPrice: 100 }];
    expect(basketTotal({ items })).toBe(1000);
    expect(couponWorth(reward('discount_percent', { value: 10 }), { items }, 'EUR').discount?.amount).toBe(100);
    expect(couponWorth(reward('discount_percent', { value: 10 }), {}, 'EUR')).toEqual({});
  });

  it('gives one free unit of the sku, worth its unit price when the basket holds it', () => {
    const free = reward('free_product', { sku: 'COFFEE' });
    expect(couponWorth(free, {}, 'EUR')).toEqual({ freeProduct: { sku: 'COFFEE', quantity: 1 } });
    expect(couponWorth(free, { items: [{ sku: 'COFFEE', quantity: 3, unitPrice: 280 }] }, 'EUR')).toEqual({
      freeProduct: { sku: 'COFFEE', quantity: 1 },
      discount: { amount: 280, currency: 'EUR' },
    });
    expect(couponWorth(free, { items: [{ sku: 'TEA', quantity: 1, unitPrice: 250 }] }, 'EUR')).toEqual({
      freeProduct: { sku: 'COFFEE', quantity: 1 },
      notApplicable: 'product_not_in_basket',
    });
  });

  it('treats a gift card like money off; experiences and donations take nothing off', () => {
    expect(couponWorth(reward('gift_card', { value: 2500 }), { orderTotal: 1000 }, 'EUR').discount?.amount).toBe(1000);
    expect(couponWorth(reward('experience'), { orderTotal: 1000 }, 'EUR')).toEqual({});
    expect(couponWorth(reward('donation', { value: 100 }), { orderTotal: 1000 }, 'EUR')).toEqual({});
  });
});

describe('couponState', () => {
  it('reads an active coupon past its expiry as expired, before the job marks it', () => {
    expect(couponState({ status: 'active', expiresAt: 1000 }, 999)).toBe('active');
    expect(couponState({ status: 'active', expiresAt: 1000 }, 1000)).toBe('expired');
    expect(couponState({ status: 'active', expiresAt: null }, 1e15)).toBe('active');
    expect(couponState({ status: 'used', expiresAt: 1000 }, 2000)).toBe('used');
  });
});
