/**
 * What a coupon is worth for a basket, without using it: the answer a checkout needs before it takes payment.
 * - `discount_fixed` and `gift_card`: their value, never more than the order total;
 * - `discount_percent`: the percentage of the order total rounded down (never more than promised), capped by
 *   `maxDiscount`; without a total (or items to sum) no amount can be given;
 * - `free_product`: one unit of its sku; when the basket's items are given and hold the sku, the discount is
 *   that unit's price, and when they do not hold it the coupon does not apply to this basket;
 * - `experience` and `donation`: nothing to take off at a checkout.
 * The coupon's own state (used, expired, cancelled) is decided by `couponState`, before its worth.
 */
import type { Money } from '../money.js';
import type { RewardDefinition } from './reward.js';

export interface BasketItem {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface Basket {
  orderTotal?: number;
  items?: readonly BasketItem[];
}

export interface CouponWorth {
  discount?: Money;
  freeProduct?: { sku: string; quantity: number };
  /** Set when the coupon is fine but does not apply to this basket. */
  notApplicable?: 'product_not_in_basket';
}

export type CouponStatus = 'active' | 'used' | 'expired' | 'cancelled';

/** The basket's total: the order total when given, else the sum of its items, else unknown. */
export function basketTotal(basket: Basket): number | undefined {
  if (basket.orderTotal !== undefined) return basket.orderTotal;
  if (basket.items === undefined) return undefined;
  return basket.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
}

export function couponWorth(
  reward: Pick<RewardDefinition, 'kind' | 'value' | 'maxDiscount' | 'sku'>,
  basket: Basket,
  programCurrency: string,
): CouponWorth {
  const total = basketTotal(basket);
  switch (reward.kind) {
    case 'discount_fixed':
    case 'gift_card': {
      const value = reward.value ?? 0;
      return { discount: { amount: total === undefined ? value : Math.min(value, total), currency: programCurrency } };
    }
    case 'discount_percent': {
      if (total === undefined) return {};
      let amount = Math.floor((total * (reward.value ?? 0)) / 100);
      if (reward.maxDiscount !== null) amount = Math.min(amount, reward.maxDiscount);
      return { discount: { amount, currency: programCurrency } };
    }
    case 'free_product': {
      const sku = reward.sku ?? '';
      const freeProduct = { sku, quantity: 1 };
      if (basket.items === undefined) return { freeProduct };
      const line = basket.items.find((item) => item.sku === sku && item.quantity > 0);
      if (!line) return { freeProduct, notApplicable: 'product_not_in_basket' };
      const amount = total === undefined ? line.unitPrice : Math.min(line.unitPrice, total);
      return { freeProduct, discount: { amount, currency: programCurrency } };
    }
    case 'experience':
    case 'donation':
      return {};
  }
}

/** A coupon's state at `now`: an active coupon past its expiry is expired even before the job marks it. */
export function couponState(coupon: { status: CouponStatus; expiresAt: number | null }, now: number): CouponStatus {
  if (coupon.status === 'active' && coupon.expiresAt !== null && coupon.expiresAt <= now) return 'expired';
  return coupon.status;
}
