/**
 * The event plan without a database: a small in-memory state (one member, one base rule), events planned in
 * order, and checks of what the plan decided — postings that balance and move the member exactly as the
 * balance says, expiry posted before anything else, refused events that leave the state untouched.
 */
import { describe, expect, it } from 'vitest';
import { balanceDelta } from '../ledger/posting.js';
import type { Lot } from '../ledger/lots.js';
import { compileRule } from '../rules/evaluate.js';
import { planEvent, PlanWrites, type EventPlan, type PlanMember } from './plan.js';

const NOW = Date.parse('2026-03-15T12:00:00Z');

function member(overrides: Partial<PlanMember> = {}): PlanMember {
  return {
    id: 'mbr_1', externalId: 'c-1', status: 'active', referredByMemberId: null, available: 0, pending: 0, lifetimeEarned: 0,
    purchaseCount: 0, refundedOrders: 0, earnedLast24h: 0, tier: null, changed: false, lots: null, dueExpiry: [], ...overrides,
  };
}

function plan(m: PlanMember, overrides: Partial<EventPlan> = {}): EventPlan {
  let n = 0;
  const baseRule = compileRule({
    id: 'rul_base', version: 1, name: 'base', trigger: 'purchase', condition: null, effects: [{ type: 'points', amount: 1, perSpend: 100 }],
    validFrom: null, validUntil: null, limits: null, priority: 0, stackable: true, active: true,
  });
  return {
    program: { id: 'prg_1', currency: 'EUR', timezone: 'Europe/Amsterdam', pendingDays: 0, expiryMonths: 12, maxPointsPerDay: null },
    rules: [baseRule],
    now: NOW,
    sentBy: 'client',
    nextId: (prefix) => `${prefix}_${++n}`,
    memberFacts: (x) => ({ id: x.id, tier: x.tier, attributes: {}, createdAt: new Date(0), birthDate: null, purchaseCount: x.purchaseCount, lifetimeEarned: x.lifetimeEarned }),
    members: new Map([[m.id, m]]),
    byExternalId: new Map([[m.externalId, m]]),
    orders: new Map(),
    usage: new Map(),
    tiers: { multiplierLevel: () => null, count: () => undefined, countRefund: () => undefined, notePurchase: () => undefined, upgrade: () => null },
    referrals: { notePurchase: () => undefined, noteRefund: () => undefined },
    writes: new PlanWrites(),
    ...overrides,
  };
}

const purchase = (id: string, orderId: string, total: number) => ({ id, type: 'purchase', memberId: 'mbr_1', data: { orderId, total, currency: 'EUR' } });

/** The member's balance as the plan's postings move it from `start`. */
function replay(p: EventPlan, start: { available: number; pending: number }) {
  const balance = { ...start };
  for (const { posting } of p.writes.postings) {
    expect(posting.entries.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
    const delta = balanceDelta(posting, 'mbr_1');
    balance.available += delta.available;
    balance.pending += delta.pending;
  }
  return balance;
}

describe('event plan', () => {
  it('a purchase and a partial refund: every balance change comes from a posting', () => {
    const m = member({ lots: [] });
    const p = plan(m);
    expect(planEvent(p, purchase('e1', 'o1', 2599)).balance).toEqual({ available: 25, pending: 0 });
    const refund = planEvent(p, { id: 'e2', type: 'refund', memberId: 'mbr_1', data: { orderId: 'o1', amount: 1300 } });
    expect(refund.clawback).toEqual({ points: 12, unrecovered: 0 });
    expect(replay(p, { available: 0, pending: 0 })).toEqual({ available: m.available, pending: m.pending });
    expect(m).toMatchObject({ available: 13, lifetimeEarned: 13, purchaseCount: 1, refundedOrders: 1 });
    expect(p.writes.lots).toEqual([expect.objectContaining({ amount: 25, remaining: 13 })]);
    expect(p.writes.messages.map((msg) => msg.type)).toEqual(['points.earned', 'points.reversed']);
  });

  it('lots past their expiry are expired first, once, by the member\'s first accepted event', () => {
    const expired: Lot = { id: 'lot_old', memberId: 'mbr_1', amount: 40, remaining: 40, availableAt: 0, releasedAt: 0, expiresAt: NOW - 1, createdAt: 0 };
    const m = member({ available: 40, dueExpiry: [expired] });
    const p = plan(m);
    expect(planEvent(p, purchase('e1', 'o1', 1000)).balance).toEqual({ available: 10, pending: 0 });
    planEvent(p, purchase('e2', 'o2', 1000));
    expect(p.writes.postings.map((x) => x.posting.kind)).toEqual(['expiry', 'earn', 'earn']);
    expect(p.writes.lotRemaining.get('lot_old')).toBe(0);
    expect(p.writes.messages.map((msg) => msg.type)).toEqual(['points.expired', 'points.earned', 'points.earned']);
    expect(replay(p, { available: 40, pending: 0 })).toEqual({ available: 20, pending: 0 });
  });

  it('a refused event changes nothing, not even the expiry it would have posted', () => {
    const expired: Lot = { id: 'lot_old', memberId: 'mbr_1', amount: 40, remaining: 40, availableAt: 0, releasedAt: 0, expiresAt: NOW - 1, createdAt: 0 };
    const m = member({ available: 40, dueExpiry: [expired] });
    const p = plan(m);
    const before = structuredClone(m);
    expect(() => planEvent(p, { ...purchase('e1', 'o1', 1000), data: { orderId: 'o1', total: 1000, currency: 'USD' } })).toThrow(expect.objectContaining({ code: 'currency_mismatch' }));
    expect(() => planEvent(p, { id: 'e2', type: 'refund', memberId: 'mbr_1', data: { orderId: 'nope' } })).toThrow(expect.objectContaining({ code: 'order_not_found' }));
    expect(m).toEqual(before);
    expect(p.writes.postings).toEqual([]);
    expect(p.writes.messages).toEqual([]);
  });

  it('an award past the per-entry bound is refused before anything changes', () => {
    const m = member();
    const p = plan(m, { rules: [compileRule({
      id: 'rul_big', version: 1, name: 'big', trigger: 'purchase', condition: null, effects: [{ type: 'points', amount: 1000, perSpend: 1 }],
      validFrom: null, validUntil: null, limits: null, priority: 0, stackable: true, active: true,
    })] });
    expect(() => planEvent(p, purchase('e1', 'o1', 100_000_000))).toThrow(expect.objectContaining({ code: 'points_limit_exceeded' }));
    expect(p.writes.postings).toEqual([]);
    expect(p.orders.size).toBe(0);
  });
});
