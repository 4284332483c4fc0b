/**
 * The demo programme: a coffee bar with a year of simulated members and events, so that a fresh install has
 * something to look at: rules, tiers, a rewards catalogue with redemptions, a paid membership plan. Everything
 * goes through the services, exactly as a shop's integration would.
 * Deterministic (seeded), so two installs show the same programme shape.
 */
import type { ServiceContext } from '../context.js';
import { recordEventBatch, type RecordEventInput } from '../services/events.service.js';
import { enrolMember } from '../services/members.service.js';
import { createProgram } from '../services/programs.service.js';
import { createRule } from '../services/rules.service.js';
import { putTierConfiguration } from '../services/tiers.service.js';
import { createMembershipPlan, recordMembership } from '../services/memberships.service.js';
import { createReward } from '../services/rewards/rewards.service.js';
import { redeemReward } from '../services/rewards/redeem-reward.js';
import { getMember } from '../services/members.service.js';
import { createUser } from '../services/team/accounts.js';

const firstNames = ['Anna', 'Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Sophie', 'Finn', 'Tess', 'Milan', 'Noor', 'Levi', 'Sara', 'Bram', 'Eva', 'Jesse'];
const lastNames = ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder', 'de Boer', 'Bos', 'Vos'];
const menu = [
  { sku: 'espresso', category: 'coffee', unitPrice: 280 },
  { sku: 'flat-white', category: 'coffee', unitPrice: 390 },
  { sku: 'oat-latte', category: 'coffee', unitPrice: 430 },
  { sku: 'croissant', category: 'pastry', unitPrice: 295 },
  { sku: 'appeltaart', category: 'pastry', unitPrice: 450 },
  { sku: 'beans-1kg', category: 'retail', unitPrice: 2850 },
];

/** mulberry32: a tiny seeded generator, so the demo is the same on every install. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoResult {
  programId: string;
  name: string;
  apiKey: string;
  members: number;
  events: number;
}

export async function seedDemo(ctx: ServiceContext, options: { members?: number } = {}): Promise<DemoResult> {
  const random = seeded(20261123);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const name = 'Koffiebar Demo';
  const { program, apiKey } = await createProgram(ctx, {
    name,
    pointsName: 'Beans',
    currency: 'EUR',
    timezone: 'Europe/Amsterdam',
    pendingDays: 14,
    expiryMonths: 24,
  });
  await createRule(ctx, program.id, {
    name: 'Double beans at the weekend',
    trigger: 'purchase',
    condition: 'event.occurredAt.getDayOfWeek("Europe/Amsterdam") in [0, 6]',
    effects: [{ type: 'multiplier', factor: 2 }],
  });
  await createRule(ctx, program.id, {
    name: '5 beans per euro on pastries',
    trigger: 'purchase',
    effects: [{ type: 'points', amount: 5, perSpend: 100, itemCondition: 'item.category == "pastry"' }],
  });
  await createRule(ctx, program.id, {
    name: '25 beans for a review, once a month',
    trigger: 'review',
    effects: [{ type: 'points', amount: 25 }],
    limits: { perMember: { count: 1, period: 'month' } },
  });
  await createRule(ctx, program.id, {
    name: '10 beans for answering the survey',
    trigger: 'survey',
    effects: [{ type: 'points', amount: 10 }],
  });

  await putTierConfiguration(ctx, program.id, {
    metric: 'points_earned',
    window: { type: 'rolling', months: 12 },
    reviewMonths: 12,
    graceDays: 30,
    levels: [
      { name: 'Brons', threshold: 0 },
      { name: 'Zilver', threshold: 400, multiplier: 1.25, perks: ['free oat milk'] },
      { name: 'Goud', threshold: 1200, multiplier: 1.5, perks: ['free oat milk', 'early access to new roasts'] },
    ],
  });
  const club = await createMembershipPlan(ctx, program.id, { name: 'Koffieclub', tier: 'Goud', perks: ['a free coffee every Monday'] });
  const freeCoffee = await createReward(ctx, program.id, {
    name: { en: 'Free coffee', nl: 'Gratis koffie' },
    pointsCost: 100,
    kind: 'free_product',
    sku: 'flat-white',
    limits: { perMember: { count: 2, period: 'month' } },
  });
  const fiveOff = await createReward(ctx, program.id, {
    name: { en: '€5 off your order', nl: '€5 korting' },
    pointsCost: 400,
    kind: 'discount_fixed',
    value: 500,
    currency: 'EUR',
  });
  await createReward(ctx, program.id, {
    name: { en: 'Roastery tour', nl: 'Rondleiding door de branderij' },
    description: { en: 'A Saturday morning at our roastery, for Gold members.', nl: 'Een zaterdagochtend in onze branderij, voor Goud-leden.' },
    pointsCost: 1500,
    kind: 'experience',
    stock: 12,
    tiers: ['Goud'],
  });

  const now = ctx.clock.now();
  const yearMs = 365 * 86_400_000;
  const memberCount = options.members ?? 150;
  const events: RecordEventInput[] = [];
  const refunds: RecordEventInput[] = [];
  const memberIds: string[] = [];
  for (let m = 0; m < memberCount; m++) {
    const first = pick(firstNames);
    const last = pick(lastNames);
    const member = await enrolMember(ctx, program.id, {
      externalId: `demo-customer-${m + 1}`,
      name: `${first} ${last}`,
      email: `${first}.${last.replaceAll(' ', '')}.${m + 1}@example.com`.toLowerCase(),
      locale: random() < 0.7 ? 'nl' : 'en',
      attributes: { store: pick(['Amsterdam-Centrum', 'Utrecht', 'Rotterdam']) },
    });
    memberIds.push(member.id);
    const visits = 2 + Math.floor(random() * 30);
    for (let v = 0; v < visits; v++) {
      const occurredAt = new Date(now - Math.floor(random() * yearMs)).toISOString();
      const items = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ ...pick(menu), quantity: 1 + Math.floor(random() * 2) }));
      const total = items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0);
      const orderId = `demo-order-${m + 1}-${v + 1}`;
      events.push({ id: `demo-evt-${orderId}`, type: 'purchase', memberId: member.id, occurredAt, data: { orderId, total, currency: 'EUR', items } });
      if (random() < 0.03) {
        refunds.push({ id: `demo-refund-${orderId}`, type: 'refund', memberId: member.id, occurredAt, data: { orderId } });
      }
      if (random() < 0.1) {
        events.push({ id: `demo-review-${orderId}`, type: 'review', memberId: member.id, occurredAt, data: { rating: 4 + Math.floor(random() * 2) } });
      }
    }
  }
  const all = [...events, ...refunds];
  for (let i = 0; i < all.length; i += 500) {
    const results = await recordEventBatch(ctx, program.id, all.slice(i, i + 500));
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw failed.error;
  }

  // Some members spent their beans on a coffee or a discount; a few pay for the coffee club.
  for (const [m, memberId] of memberIds.entries()) {
    const { balance } = await getMember(ctx, program.id, memberId);
    if (m % 10 === 0 && balance.available >= fiveOff.pointsCost) await redeemReward(ctx, program.id, memberId, { rewardId: fiveOff.id });
    else if (m % 3 === 0 && balance.available >= freeCoffee.pointsCost) await redeemReward(ctx, program.id, memberId, { rewardId: freeCoffee.id });
    if (m % 25 === 1) {
      const day = 86_400_000;
      await recordMembership(ctx, program.id, {
        memberId,
        planId: club.id,
        startsAt: new Date(now - 30 * day).toISOString(),
        endsAt: new Date(now + 335 * day).toISOString(),
      });
    }
  }
  return { programId: program.id, name, apiKey, members: memberCount, events: all.length };
}

export const demoOwnerEmail = 'owner@demo.trouw.test';

/** The demo programme's owner, with a generated password: the dashboard login a fresh install prints once. */
export async function createDemoOwner(ctx: ServiceContext, programId: string): Promise<{ email: string; password: string }> {
  const created = await createUser(ctx, { programId, email: demoOwnerEmail, name: 'Demo owner', role: 'owner' });
  if (created.temporaryPassword === null) throw new Error(`${demoOwnerEmail} already exists`);
  return { email: demoOwnerEmail, password: created.temporaryPassword };
}
