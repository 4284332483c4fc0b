/**
 * Paid memberships on both dialects with the fixed TestClock: the plan's level is held while the membership is
 * active and the member falls back to their qualified level when the job ends it; renewals extend it; the job
 * is idempotent, also with two workers at once on PostgreSQL.
 */
import { expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { getMember, updateMember } from '../../src/services/members.service.js';
import {
  applyMembershipChanges,
  createMembershipPlan,
  listMemberships,
  recordMembership,
  renewMembership,
} from '../../src/services/memberships.service.js';
import { listTierHistory } from '../../src/services/tiers.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenTiers } from '../support/factories.js';

async function messageTypes(ctx: ServiceContext, memberId: string) {
  const rows = await ctx.storage.db.selectFrom('outboxMessages').select('type').where('memberId', '=', memberId).where('type', 'like', 'membership.%').orderBy('id').execute();
  return rows.map((row) => row.type);
}

forEachDialect('memberships', (db) => {
  async function setup() {
    const { programId } = await givenProgram(db.ctx);
    await givenTiers(db.ctx, programId);
    const plan = await createMembershipPlan(db.ctx, programId, { name: 'Koffie Plus', tier: 'Gold', perks: ['free refills'] });
    const member = await givenMember(db.ctx, programId);
    return { programId, plan, member };
  }

  it('refuses a plan whose tier is not a configured level, naming the field', async () => {
    const { programId } = await givenProgram(db.ctx);
    await givenTiers(db.ctx, programId);
    await expect(createMembershipPlan(db.ctx, programId, { name: 'X', tier: 'Diamond' })).rejects.toMatchObject({
      code: 'validation_failed',
      errors: [{ pointer: '/tier' }],
    });
    expect(await db.ctx.storage.db.selectFrom('membershipPlans').selectAll().execute()).toEqual([]);
  });

  it('holds the plan tier while active, then falls back to the qualified level when it ends', async () => {
    const { programId, plan, member } = await setup();
    await givenPurchase(db.ctx, programId, member.id, 12_000);
    const outcome = await recordMembership(db.ctx, programId, { memberId: member.id, planId: plan.id, startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' });
    expect(outcome).toMatchObject({ created: true, membership: { status: 'active' } });
    const during = await getMember(db.ctx, programId, member.id);
    expect(during.tier).toBe('Gold');
    expect(during.tierProgress).toMatchObject({ qualifiedTier: 'Silver', nextTier: null });
    expect(during.perks).toEqual(['free shipping', 'lounge access', 'free refills']);
    // The membership's level multiplies earnings like a qualified one.
    const earned = await givenPurchase(db.ctx, programId, member.id, 1_000);
    expect(earned.response.tierMultiplier).toEqual({ tier: 'Gold', factor: 1.5, points: 5 });

    db.clock.set('2026-04-15T11:59:00Z');
    expect(await applyMembershipChanges(db.ctx)).toBe(0);
    expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Gold');
    db.clock.set('2026-04-15T12:00:00Z');
    expect(await applyMembershipChanges(db.ctx)).toBe(1);
    expect(await applyMembershipChanges(db.ctx)).toBe(0);
    const after = await getMember(db.ctx, programId, member.id);
    expect(after.tier).toBe('Silver');
    expect(after.perks).toEqual(['free shipping']);
    const history = (await listTierHistory(db.ctx, programId, member.id, {})).data;
    expect(history.slice(0, 2)).toEqual([
      expect.objectContaining({ previousTier: 'Gold', tier: 'Silver', reason: 'membership_ended', membershipId: outcome.membership.id }),
      expect.objectContaining({ previousTier: 'Silver', tier: 'Gold', reason: 'membership_started', membershipId: outcome.membership.id }),
    ]);
    expect(await messageTypes(db.ctx, member.id)).toEqual(['membership.started', 'membership.ended']);
  });

  it('starts a scheduled membership when its time comes', async () => {
    const { programId, plan, member } = await setup();
    const outcome = await recordMembership(db.ctx, programId, { memberId: member.id, planId: plan.id, startsAt: '2026-04-01T00:00:00Z', endsAt: '2026-05-01T00:00:00Z' });
    expect(outcome.membership.status).toBe('scheduled');
    expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Bronze');
    db.clock.set('2026-04-01T00:00:00Z');
    expect(await applyMembershipChanges(db.ctx)).toBe(1);
    expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Gold');
    expect((await listMemberships(db.ctx, programId, member.id, {})).data.map((m) => m.status)).toEqual(['active']);
  });

  it('extends with a renewal, and a new abutting membership of the same plan extends the existing one', async () => {
    const { programId, plan, member } = await setup();
    const first = await recordMembership(db.ctx, programId, { memberId: member.id, planId: plan.id, startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' });
    const renewed = await renewMembership(db.ctx, programId, first.membership.id, { endsAt: '2026-05-15T12:00:00Z' });
    expect(renewed).toMatchObject({ id: first.membership.id, status: 'active', endsAt: '2026-05-15T12:00:00.000Z' });
    const abutting = await recordMembership(db.ctx, programId, { memberId: member.id, planId: plan.id, startsAt: '2026-05-15T12:00:00Z', endsAt: '2026-06-15T12:00:00Z' });
    expect(abutting).toMatchObject({ created: false, membership: { id: first.membership.id, endsAt: '2026-06-15T12:00:00.000Z' } });
    await expect(renewMembership(db.ctx, programId, first.membership.id, { endsAt: '2026-06-01T00:00:00Z' })).rejects.toMatchObject({
      code: 'validation_failed',
      errors: [{ pointer: '/endsAt' }],
    });
    db.clock.set('2026-05-20T00:00:00Z');
    expect(await applyMembershipChanges(db.ctx)).toBe(0);
    expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Gold');
    db.clock.set('2026-06-15T12:00:00Z');
    expect(await applyMembershipChanges(db.ctx)).toBe(1);
    expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Bronze');
    await expect(renewMembership(db.ctx, programId, first.membership.id, { endsAt: '2026-09-01T00:00:00Z' })).rejects.toMatchObject({ code: 'membership_ended' });
    expect(await messageTypes(db.ctx, member.id)).toEqual(['membership.started', 'membership.renewed', 'membership.renewed', 'membership.ended']);
  });

  it('replays a repeated Idempotency-Key and changes nothing', async () => {
    const { programId, plan, member } = await setup();
    const input = { memberId: member.id, planId: plan.id, startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' };
    const first = await recordMembership(db.ctx, programId, input, 'key-1');
    const again = await recordMembership(db.ctx, programId, input, 'key-1');
    expect(again).toEqual({ ...first, replayed: true });
    await expect(recordMembership(db.ctx, programId, { ...input, endsAt: '2026-05-15T12:00:00Z' }, 'key-1')).rejects.toMatchObject({
      code: 'idempotency_key_reused_with_different_body',
    });
    expect((await listMemberships(db.ctx, programId, member.id, {})).data).toHaveLength(1);
  });

  it('refuses a blocked member and writes nothing', async () => {
    const { programId, plan, member } = await setup();
    await updateMember(db.ctx, programId, member.id, { status: 'blocked' });
    await expect(
      recordMembership(db.ctx, programId, { memberId: member.id, planId: plan.id, startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' }),
    ).rejects.toMatchObject({ code: 'member_blocked' });
    expect((await listMemberships(db.ctx, programId, member.id, {})).data).toEqual([]);
  });

  it('does not see another programme’s plan or member', async () => {
    const { plan, member } = await setup();
    const other = await givenProgram(db.ctx);
    const stranger = await givenMember(db.ctx, other.programId);
    await expect(
      recordMembership(db.ctx, other.programId, { memberId: stranger.id, planId: plan.id, startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' }),
    ).rejects.toMatchObject({ code: 'membership_plan_not_found', errors: [{ pointer: '/planId' }] });
    await expect(
      recordMembership(db.ctx, other.programId, { memberId: member.id, planId: plan.id, startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' }),
    ).rejects.toMatchObject({ code: 'member_not_found' });
  });

  it.runIf(db.dialect === 'postgres')('two workers ending memberships at once end each once', async () => {
    const { programId, plan } = await setup();
    const members = [];
    for (let i = 0; i < 20; i++) {
      const member = await givenMember(db.ctx, programId);
      await recordMembership(db.ctx, programId, { memberId: member.id, planId: plan.id, startsAt: '2026-03-15T12:00:00Z', endsAt: '2026-04-15T12:00:00Z' });
      members.push(member);
    }
    db.clock.set('2026-04-16T00:00:00Z');
    const [a, b] = await Promise.all([applyMembershipChanges(db.ctx), applyMembershipChanges(db.ctx)]);
    expect(a + b).toBe(20);
    for (const member of members) {
      expect(await messageTypes(db.ctx, member.id)).toEqual(['membership.started', 'membership.ended']);
      const ended = (await listTierHistory(db.ctx, programId, member.id, {})).data.filter((h) => h.reason === 'membership_ended');
      expect(ended).toHaveLength(1);
    }
  });
});
