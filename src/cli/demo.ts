/**
 * The demo programme: a coffee bar with a year of simulated members and events, so that a fresh install has
 * something to look at: rules, tiers, a rewards catalogue with redemptions, a paid membership plan. Everything
 * goes through the services, exactly as a shop's integration would, and the year is lived rather than
 * back-dated: the services run on a clock that walks from a year ago to now, day by day, recording each day's
 * sign-ups and events, and every week running the release, tier and membership jobs as the runner would. So the
 * ledger, "member since", tier changes and the dashboard's series are spread over the year as in a real
 * programme. Deterministic (seeded), so two installs show the same programme shape.
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
import { releasePendingPoints } from '../services/points-jobs.service.js';
import { reviewTiers } from '../services/tiers.service.js';
import { applyMembershipChanges } from '../services/memberships.service.js';
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

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

async function sendEvents(ctx: ServiceContext, programId: string, events: RecordEventInput[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const results = await recordEventBatch(ctx, programId, events.slice(i, i + 500));
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw failed.error;
  }
}

/** Every few weeks, some members who can afford it redeem: every tenth the €5 off, every third a free coffee. */
async function redeemSome(ctx: ServiceContext, programId: string, memberIds: readonly string[], week: number, rewards: { freeCoffee: string; fiveOff: string }): Promise<void> {
  for (const [m, memberId] of memberIds.entries()) {
    if ((m + week) % 4 !== 0) continue;
    const { balance } = await getMember(ctx, programId, memberId);
    if (m % 10 === 0 && balance.available >= 400) await redeemReward(ctx, programId, memberId, { rewardId: rewards.fiveOff });
    else if (m % 3 === 0 && balance.available >= 100) await redeemReward(ctx, programId, memberId, { rewardId: rewards.freeCoffee });
  }
}

export interface DemoResult {
  programId: string;
  name: string;
  apiKey: string;
  members: number;
  events: number;
}

export async function seedDemo(realCtx: ServiceContext, options: { members?: number } = {}): Promise<DemoResult> {
  const random = seeded(20261123);
  const end = realCtx.clock.now();
  const yearMs = 365 * DAY;
  let simulatedNow = end - yearMs;
  const ctx: ServiceContext = { ...realCtx, clock: { now: () => simulatedNow } };
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

  // The year as a list of what happens when: sign-ups spread over the year (fewer towards its end), each member's visits
  // after their sign-up, a few refunds days after the order, a few reviews.
  type Happening = { at: number; enrol?: { index: number }; event?: RecordEventInput };
  const memberCount = options.members ?? 150;
  const happenings: Happening[] = [];
  for (let m = 0; m < memberCount; m++) {
    // Skewed early (random to the power 1.6): a programme with a history, and still some new members lately.
    const joined = simulatedNow + Math.floor(random() ** 1.6 * (yearMs - 2 * DAY));
    happenings.push({ at: joined, enrol: { index: m } });
    const visits = 2 + Math.floor(random() * 30);
    for (let v = 0; v < visits; v++) {
      const at = joined + HOUR + Math.floor(random() * (end - joined - HOUR));
      const occurredAt = new Date(at).toISOString();
      const items = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ ...pick(menu), quantity: 1 + Math.floor(random() * 2) }));
      const total = items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0);
      const orderId = `demo-order-${m + 1}-${v + 1}`;
      const externalId = `demo-customer-${m + 1}`;
      happenings.push({ at, event: { id: `demo-evt-${orderId}`, type: 'purchase', externalId, occurredAt, data: { orderId, total, currency: 'EUR', items } } });
      if (random() < 0.03) {
        const refundAt = Math.min(end, at + (1 + Math.floor(random() * 10)) * DAY);
        happenings.push({ at: refundAt, event: { id: `demo-refund-${orderId}`, type: 'refund', externalId, occurredAt: new Date(refundAt).toISOString(), data: { orderId } } });
      }
      if (random() < 0.1) {
        const reviewAt = Math.min(end, at + DAY);
        happenings.push({ at: reviewAt, event: { id: `demo-review-${orderId}`, type: 'review', externalId, occurredAt: new Date(reviewAt).toISOString(), data: { rating: 4 + Math.floor(random() * 2) } } });
      }
    }
  }
  happenings.sort((x, y) => x.at - y.at);

  const memberIds: string[] = [];
  let events = 0;
  let next = 0;
  let clubStarted = false;
  const start = simulatedNow;
  for (let dayEnd = start + DAY; ; dayEnd = Math.min(end, dayEnd + DAY)) {
    const batch: RecordEventInput[] = [];
    for (; next < happenings.length && (happenings[next] as Happening).at <= dayEnd; next++) {
      const happening = happenings[next] as Happening;
      if (happening.enrol) {
        // Each member signs up at their own moment; the day's events before it are sent first.
        simulatedNow = happening.at;
        events += batch.length;
        await sendEvents(ctx, program.id, batch.splice(0));
        memberIds.push((await enrolDemoMember(ctx, program.id, happening.enrol.index)).id);
      } else if (happening.event) {
        batch.push(happening.event);
      }
    }
    simulatedNow = dayEnd;
    events += batch.length;
    await sendEvents(ctx, program.id, batch);
    const day = Math.round((dayEnd - start) / DAY);
    if (day % 7 === 0 || dayEnd >= end) {
      // What the job runner would have done by the end of the week.
      await releasePendingPoints(ctx);
      await reviewTiers(ctx);
      await applyMembershipChanges(ctx);
      // Some members spend their beans on a coffee or a discount now and then; a few join the coffee club.
      const week = day / 7;
      if (week % 2 === 0) await redeemSome(ctx, program.id, memberIds, week, { freeCoffee: freeCoffee.id, fiveOff: fiveOff.id });
    }
    if (!clubStarted && dayEnd >= end - 5 * WEEK) {
      clubStarted = true;
      for (const [m, memberId] of memberIds.entries()) {
        if (m % 25 === 1) await recordMembership(ctx, program.id, { memberId, planId: club.id, startsAt: new Date(dayEnd).toISOString(), endsAt: new Date(dayEnd + 365 * DAY).toISOString() });
      }
    }
    if (dayEnd >= end) break;
  }

  async function enrolDemoMember(at: ServiceContext, programId: string, m: number) {
    const first = pick(firstNames);
    const last = pick(lastNames);
    return enrolMember(at, programId, {
      externalId: `demo-customer-${m + 1}`,
      name: `${first} ${last}`,
      email: `${first}.${last.replaceAll(' ', '')}.${m + 1}@example.com`.toLowerCase(),
      locale: random() < 0.7 ? 'nl' : 'en',
      attributes: { store: pick(['Amsterdam-Centrum', 'Utrecht', 'Rotterdam']) },
    });
  }
  return { programId: program.id, name, apiKey, members: memberCount, events };
}

export const demoOwnerEmail = 'owner@demo.trouw.test';

/** The demo programme's owner, with a generated password: the dashboard login a fresh install prints once. */
export async function createDemoOwner(ctx: ServiceContext, programId: string): Promise<{ email: string; password: string }> {
  const created = await createUser(ctx, { programId, email: demoOwnerEmail, name: 'Demo owner', role: 'owner' });
  if (created.temporaryPassword === null) throw new Error(`${demoOwnerEmail} already exists`);
  return { email: demoOwnerEmail, password: created.temporaryPassword };
}
