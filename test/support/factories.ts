/**
 * Test data made through the services, so fixtures never drift from real behaviour.
 */
import type { ServiceContext } from '../../src/context.js';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent, type RecordEventInput } from '../../src/services/events.service.js';
import { enrolMember } from '../../src/services/members.service.js';
import { createProgram, type CreateProgramInput } from '../../src/services/programs.service.js';
import { putTierConfiguration } from '../../src/services/tiers.service.js';
import type { TierConfigurationInput } from '../../src/domain/tiers/tier.js';

let sequence = 0;
const nextId = (prefix: string) => `${prefix}-${++sequence}`;

export async function givenProgram(ctx: ServiceContext, input: Partial<CreateProgramInput> = {}) {
  const { program, apiKey } = await createProgram(ctx, { name: 'Koffie & Co', currency: 'EUR', ...input });
  return { programId: program.id, program, apiKey };
}

export async function givenMember(ctx: ServiceContext, programId: string, options: { points?: number; externalId?: string; email?: string } = {}) {
  const member = await enrolMember(ctx, programId, { externalId: options.externalId ?? nextId('customer'), email: options.email });
  if (options.points) await adjustPoints(ctx, programId, member.id, { points: options.points, reason: 'test setup' });
  return member;
}

export async function givenPurchase(ctx: ServiceContext, programId: string, memberId: string, totalMinor: number, extra: Partial<RecordEventInput> & { orderId?: string } = {}) {
  const { orderId, ...rest } = extra;
  return recordEvent(ctx, programId, {
    id: nextId('evt'),
    type: 'purchase',
    memberId,
    data: { orderId: orderId ?? nextId('order'), total: totalMinor, currency: 'EUR' },
    ...rest,
  });
}

export const uniqueId = nextId;

/** A reward made through the rewards service: by default a €5 discount for 100 points, unlimited stock. */
export async function givenReward(
  ctx: ServiceContext,
  programId: string,
  input: Partial<import('../../src/services/rewards/rewards.service.js').RewardInput> = {},
) {
  const { createReward } = await import('../../src/services/rewards/rewards.service.js');
  return createReward(ctx, programId, { name: `reward ${nextId('rwd')}`, pointsCost: 100, kind: 'discount_fixed', value: 500, ...input });
}

/** Configures the programme's tiers through the service (defaults: spend over 12 rolling months, Bronze/Silver/Gold). */
export async function givenTiers(ctx: ServiceContext, programId: string, input: Partial<TierConfigurationInput> = {}) {
  return putTierConfiguration(ctx, programId, {
    metric: 'spend',
    window: { type: 'rolling', months: 12 },
    levels: [
      { name: 'Bronze', threshold: 0 },
      { name: 'Silver', threshold: 10_000, multiplier: 1.25, perks: ['free shipping'] },
      { name: 'Gold', threshold: 50_000, multiplier: 1.5, perks: ['free shipping', 'lounge access'] },
    ],
    ...input,
  });
}

/**
 * Turns the referral programme on through its service: by default 500 points to the referrer, 250 to the friend,
 * qualifying on a first order of €20, rewarded at once, open for 30 days, landing on https://shop.example/join.
 */
export async function givenReferralProgram(
  ctx: ServiceContext,
  programId: string,
  input: Partial<import('../../src/domain/referrals/settings.js').ReferralSettingsInput> = {},
) {
  const { putReferralProgram } = await import('../../src/services/referrals/settings.service.js');
  return putReferralProgram(ctx, programId, {
    enabled: true,
    referrerReward: { points: 500 },
    friendReward: { points: 250 },
    qualification: { minOrderTotal: 2_000, afterReturnWindow: false },
    validityDays: 30,
    landingUrl: 'https://shop.example/join',
    ...input,
  });
}
