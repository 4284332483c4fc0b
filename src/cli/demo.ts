/**
 * The demo programme: a coffee bar with a year of simulated members and events, so that a fresh install has
 * something to look at. Everything goes through the services, exactly as a shop's integration would.
 * Deterministic (seeded), so two installs show the same programme shape.
 */
import type { ServiceContext } from '../context.js';
import { recordEventBatch, type RecordEventInput } from '../services/events.service.js';
import { enrolMember } from '../services/members.service.js';
import { createProgram } from '../services/programs.service.js';
import { createRule } from '../services/rules.service.js';

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

  const now = ctx.clock.now();
  const yearMs = 365 * 86_400_000;
  const memberCount = options.members ?? 150;
  const events: RecordEventInput[] = [];
  const refunds: RecordEventInput[] = [];
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
  return { programId: program.id, name, apiKey, members: memberCount, events: all.length };
}
