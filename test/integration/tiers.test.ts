/**
 * Tiers on both dialects with the fixed TestClock (2026-03-15T12:00Z, programme in Europe/Amsterdam): counting,
 * upgrades inside event ingestion, the review job with its grace days, windows, refunds, the tier multiplier in
 * the ledger, and configuration changes. Levels (givenTiers): Bronze 0, Silver €100 ×1.25, Gold €500 ×1.5.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { recordEvent, recordEventBatch } from '../../src/services/events.service.js';
import { getLedger, getMember, updateMember } from '../../src/services/members.service.js';
import { expireLots } from '../../src/services/points-jobs.service.js';
import { createRule } from '../../src/services/rules.service.js';
import { getTierConfiguration, listTierHistory, putTierConfiguration, reviewTiers } from '../../src/services/tiers.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenTiers, uniqueId } from '../support/factories.js';

async function historyOf(ctx: ServiceContext, programId: string, memberId: string) {
  return (await listTierHistory(ctx, programId, memberId, { limit: 200 })).data.reverse();
}

async function tierMessages(ctx: ServiceContext, memberId: string) {
  const rows = await ctx.storage.db.selectFrom('outboxMessages').selectAll().where('memberId', '=', memberId).where('type', '=', 'tier.changed').orderBy('id').execute();
  return rows.map((row) => JSON.parse(row.data) as { previousTier: string | null; tier: string | null; reason: string });
}

forEachDialect('tiers', (db) => {
  describe('configuration', () => {
    it('stores the configuration with its defaults and versions every change', async () => {
      const { programId } = await givenProgram(db.ctx);
      await expect(getTierConfiguration(db.ctx, programId)).rejects.toMatchObject({ code: 'not_found' });
      const first = await givenTiers(db.ctx, programId);
      expect(first).toMatchObject({ metric: 'spend', window: { type: 'rolling', months: 12 }, reviewMonths: 12, graceDays: 0, version: 1 });
      expect(first.levels[0]).toEqual({ name: 'Bronze', threshold: 0, multiplier: 1, perks: [] });
      const second = await givenTiers(db.ctx, programId, { graceDays: 14 });
      expect(second.version).toBe(2);
      expect(await getTierConfiguration(db.ctx, programId)).toEqual(second);
    });

    it('refuses levels out of order with a pointer and writes nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      await expect(
        putTierConfiguration(db.ctx, programId, { metric: 'spend', window: { type: 'lifetime' }, levels: [{ name: 'A', threshold: 10 }, { name: 'B', threshold: 5 }] }),
      ).rejects.toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/levels/1/threshold' }] });
      await expect(getTierConfiguration(db.ctx, programId)).rejects.toMatchObject({ code: 'not_found' });
    });

    it('places members enrolled before the first configuration by the activity they already had', async () => {
      const { programId } = await givenProgram(db.ctx);
      const big = await givenMember(db.ctx, programId);
      const small = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, big.id, 20_000);
      await givenPurchase(db.ctx, programId, small.id, 500);
      await givenTiers(db.ctx, programId);
      expect((await getMember(db.ctx, programId, big.id)).tier).toBe('Silver');
      expect((await getMember(db.ctx, programId, small.id)).tier).toBe('Bronze');
      expect(await historyOf(db.ctx, programId, big.id)).toEqual([
        expect.objectContaining({ previousTier: null, tier: 'Silver', qualifiedTier: 'Silver', reason: 'configuration', reviewAt: '2027-03-15T12:00:00.000Z' }),
      ]);
    });

    it('re-places members of a level that no longer exists and keeps those whose level remains', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const gold = await givenMember(db.ctx, programId);
      const silver = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, gold.id, 60_000);
      await givenPurchase(db.ctx, programId, silver.id, 12_000);
      db.clock.advanceDays(1);
      // Gold disappears and Silver's threshold rises: Silver holders keep Silver until their review.
      await givenTiers(db.ctx, programId, {
        levels: [
          { name: 'Bronze', threshold: 0 },
          { name: 'Silver', threshold: 20_000 },
          { name: 'Platinum', threshold: 40_000, multiplier: 2 },
        ],
      });
      expect((await getMember(db.ctx, programId, gold.id)).tier).toBe('Platinum');
      expect((await getMember(db.ctx, programId, silver.id)).tier).toBe('Silver');
      expect((await historyOf(db.ctx, programId, gold.id)).at(-1)).toMatchObject({ previousTier: 'Gold', tier: 'Platinum', reason: 'configuration' });
      expect((await historyOf(db.ctx, programId, silver.id)).map((h) => h.reason)).toEqual(['enrolment', 'upgrade']);
    });
  });

  describe('upgrades', () => {
    it('starts a new member at the threshold-0 level', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      expect(member.tier).toBe('Bronze');
      expect(member.tierProgress).toEqual({ metric: 'spend', current: 0, needed: 10_000, nextTier: 'Silver', qualifiedTier: 'Bronze', reviewAt: null });
      expect(await historyOf(db.ctx, programId, member.id)).toEqual([expect.objectContaining({ previousTier: null, tier: 'Bronze', reason: 'enrolment' })]);
    });

    it('upgrades at once on the qualifying purchase, in the same transaction, with history and a tier.changed message', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 6_000);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Bronze');
      const qualifying = await givenPurchase(db.ctx, programId, member.id, 4_000);
      const fetched = await getMember(db.ctx, programId, member.id);
      expect(fetched.tier).toBe('Silver');
      expect(fetched.tierProgress).toEqual({ metric: 'spend', current: 10_000, needed: 40_000, nextTier: 'Gold', qualifiedTier: 'Silver', reviewAt: '2027-03-15T12:00:00.000Z' });
      expect(fetched.perks).toEqual(['free shipping']);
      expect((await historyOf(db.ctx, programId, member.id)).at(-1)).toMatchObject({
        previousTier: 'Bronze',
        tier: 'Silver',
        reason: 'upgrade',
        eventId: qualifying.response.event.id,
        reviewAt: '2027-03-15T12:00:00.000Z',
      });
      expect(await tierMessages(db.ctx, member.id)).toEqual([
        expect.objectContaining({ previousTier: null, tier: 'Bronze', reason: 'enrolment' }),
        expect.objectContaining({ previousTier: 'Bronze', tier: 'Silver', reason: 'upgrade' }),
      ]);
    });

    it('jumps several levels with one purchase', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 75_000);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Gold');
      expect((await historyOf(db.ctx, programId, member.id)).map((h) => [h.previousTier, h.tier])).toEqual([[null, 'Bronze'], ['Bronze', 'Gold']]);
    });

    it('upgrades within a batch, and later events of the batch earn with the new multiplier', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      const purchase = (total: number) => ({ id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: uniqueId('o'), total, currency: 'EUR' } });
      const outcomes = await recordEventBatch(db.ctx, programId, [purchase(10_000), purchase(10_000)]);
      const [first, second] = outcomes.map((o) => (o.ok ? o.outcome.response : null));
      expect(first?.tierMultiplier).toBeUndefined();
      expect(second?.tierMultiplier).toEqual({ tier: 'Silver', factor: 1.25, points: 25 });
      expect(second?.balance.available).toBe(100 + 125);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Silver');
    });

    it('counts points earned, not the balance: expiry does not lower the metric', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 1 });
      await givenTiers(db.ctx, programId, { metric: 'points_earned', window: { type: 'lifetime' }, levels: [{ name: 'Member', threshold: 0 }, { name: 'Star', threshold: 150 }] });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 10_000);
      db.clock.set('2026-04-20T12:00:00Z');
      expect((await expireLots(db.ctx)).points).toBe(100);
      await givenPurchase(db.ctx, programId, member.id, 5_000);
      const fetched = await getMember(db.ctx, programId, member.id);
      expect(fetched.balance.available).toBe(50);
      expect(fetched.tierProgress?.current).toBe(150);
      expect(fetched.tier).toBe('Star');
    });

    it('counts purchases, and a fully refunded order no longer counts', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId, { metric: 'purchases', levels: [{ name: 'New', threshold: 0 }, { name: 'Regular', threshold: 3 }] });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 1_000, { orderId: 'p-1' });
      await givenPurchase(db.ctx, programId, member.id, 1_000, { orderId: 'p-2' });
      await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'p-1', amount: 400 } });
      expect((await getMember(db.ctx, programId, member.id)).tierProgress?.current).toBe(2);
      await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'p-1' } });
      expect((await getMember(db.ctx, programId, member.id)).tierProgress?.current).toBe(1);
      await givenPurchase(db.ctx, programId, member.id, 1_000);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('New');
    });

    it('does not upgrade a blocked member', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      await updateMember(db.ctx, programId, member.id, { status: 'blocked' });
      await givenPurchase(db.ctx, programId, member.id, 60_000);
      const fetched = await getMember(db.ctx, programId, member.id);
      expect(fetched.tier).toBe('Bronze');
      expect(fetched.tierProgress?.current).toBe(60_000);
    });
  });

  describe('counting windows and refunds', () => {
    it('subtracts refunds from the metric', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 30_000, { orderId: 'o-r' });
      db.clock.set('2026-04-02T12:00:00Z');
      await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'o-r', amount: 25_000 } });
      const fetched = await getMember(db.ctx, programId, member.id);
      expect(fetched.tierProgress?.current).toBe(5_000);
      // The upgrade stays until the review; the refund only lowered the metric.
      expect(fetched.tier).toBe('Silver');
      // The refund counts against March, the purchase's month, not April.
      const months = await db.ctx.storage.db.selectFrom('tierMetricMonths').select(['month', 'spendMinor']).where('memberId', '=', member.id).execute();
      expect(months).toEqual([{ month: '2026-03', spendMinor: 5_000 }]);
    });

    it('drops months that leave a rolling window', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId, { window: { type: 'rolling', months: 3 } });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 4_000);
      db.clock.set('2026-05-31T12:00:00Z');
      await givenPurchase(db.ctx, programId, member.id, 3_000);
      expect((await getMember(db.ctx, programId, member.id)).tierProgress?.current).toBe(7_000);
      db.clock.set('2026-06-01T12:00:00Z');
      expect((await getMember(db.ctx, programId, member.id)).tierProgress?.current).toBe(3_000);
      // 3,000 in May plus 7,000 now: Silver, although March's 4,000 would have made more.
      await givenPurchase(db.ctx, programId, member.id, 7_000);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Silver');
    });

    it('starts again at zero with each calendar year', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId, { window: { type: 'calendar_year' } });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 8_000);
      db.clock.set('2026-12-31T22:00:00Z');
      expect((await getMember(db.ctx, programId, member.id)).tierProgress?.current).toBe(8_000);
      // 23:30 UTC on 31 December is already 2027 in Amsterdam.
      db.clock.set('2026-12-31T23:30:00Z');
      expect((await getMember(db.ctx, programId, member.id)).tierProgress?.current).toBe(0);
      await givenPurchase(db.ctx, programId, member.id, 3_000);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Bronze');
    });
  });

  describe('review', () => {
    it('does not downgrade before the review, then goes down one level even with no activity left', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 60_000);
      db.clock.set('2027-03-15T11:59:59Z');
      expect(await reviewTiers(db.ctx)).toBe(0);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Gold');
      db.clock.set('2027-03-15T12:00:00Z');
      expect((await getMember(db.ctx, programId, member.id)).tierProgress?.current).toBe(0);
      expect(await reviewTiers(db.ctx)).toBe(1);
      expect(await reviewTiers(db.ctx)).toBe(0);
      const fetched = await getMember(db.ctx, programId, member.id);
      expect(fetched.tier).toBe('Silver');
      expect(fetched.tierProgress?.reviewAt).toBe('2028-03-15T12:00:00.000Z');
      expect((await historyOf(db.ctx, programId, member.id)).at(-1)).toMatchObject({ previousTier: 'Gold', tier: 'Silver', reason: 'downgrade' });
      db.clock.set('2028-03-15T12:00:00Z');
      expect(await reviewTiers(db.ctx)).toBe(1);
      const last = await getMember(db.ctx, programId, member.id);
      expect(last.tier).toBe('Bronze');
      expect(last.tierProgress?.reviewAt).toBeNull();
      expect((await tierMessages(db.ctx, member.id)).map((m) => m.tier)).toEqual(['Bronze', 'Gold', 'Silver', 'Bronze']);
    });

    it('waits the grace days before going down', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId, { graceDays: 30 });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 12_000);
      db.clock.set('2027-04-14T11:00:00Z');
      expect(await reviewTiers(db.ctx)).toBe(0);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Silver');
      db.clock.set('2027-04-14T12:00:00Z');
      expect(await reviewTiers(db.ctx)).toBe(1);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Bronze');
    });

    it('keeps a member who requalified, with the next review a period later', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 15_000);
      db.clock.set('2027-01-10T12:00:00Z');
      await givenPurchase(db.ctx, programId, member.id, 11_000);
      db.clock.set('2027-03-15T12:00:00Z');
      expect(await reviewTiers(db.ctx)).toBe(1);
      const fetched = await getMember(db.ctx, programId, member.id);
      expect(fetched.tier).toBe('Silver');
      expect(fetched.tierProgress?.reviewAt).toBe('2028-03-15T12:00:00.000Z');
      expect((await historyOf(db.ctx, programId, member.id)).at(-1)).toMatchObject({ previousTier: 'Silver', tier: 'Silver', reason: 'requalified' });
      // A requalification is not a change of level: no webhook.
      expect((await tierMessages(db.ctx, member.id)).map((m) => m.tier)).toEqual(['Bronze', 'Silver']);
    });

    it.runIf(db.dialect === 'postgres')('two workers reviewing at once review each member once', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const members = [];
      for (let i = 0; i < 30; i++) {
        const member = await givenMember(db.ctx, programId);
        await givenPurchase(db.ctx, programId, member.id, 60_000);
        members.push(member);
      }
      db.clock.set('2027-03-15T12:00:00Z');
      const [a, b] = await Promise.all([reviewTiers(db.ctx), reviewTiers(db.ctx)]);
      expect(a + b).toBe(30);
      for (const member of members) {
        const reviews = (await historyOf(db.ctx, programId, member.id)).filter((h) => h.reason === 'downgrade');
        expect(reviews).toHaveLength(1);
        expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Silver');
      }
    });
  });

  describe('multiplier', () => {
    it('applies after the rule multipliers, rounded down, and the ledger shows the tier bonus apart', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      await createRule(db.ctx, programId, { name: 'Double points', trigger: 'purchase', effects: [{ type: 'multiplier', factor: 2 }] });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 10_000);
      // Silver now; base 101 points, ×2 by the rule = 202, ×1.25 by the tier = 252.5 → 252.
      const outcome = await givenPurchase(db.ctx, programId, member.id, 10_150);
      expect(outcome.response.awarded.map((a) => a.points)).toEqual([101, 101]);
      expect(outcome.response.tierMultiplier).toEqual({ tier: 'Silver', factor: 1.25, points: 50 });
      expect(outcome.response.balance.available).toBe(200 + 252);
      const ledger = (await getLedger(db.ctx, programId, member.id, {})).data.filter((e) => e.eventId === outcome.response.event.id);
      expect(ledger.map((e) => [e.ruleId === null ? 'tier' : 'rule', e.points])).toEqual(
        expect.arrayContaining([['rule', 101], ['rule', 101], ['tier', 50]]),
      );
      expect(ledger.find((e) => e.ruleId === null)?.reason).toContain('tier Silver ×1.25 +50');
    });

    it("uses the level the member had when the event arrived, not the one the event reaches", async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      const outcome = await givenPurchase(db.ctx, programId, member.id, 60_000);
      expect(outcome.response.tierMultiplier).toBeUndefined();
      expect(outcome.response.balance.available).toBe(600);
      expect((await getMember(db.ctx, programId, member.id)).tier).toBe('Gold');
    });

    it('takes the tier bonus back in proportion on a refund, and the ledger stays balanced', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 60_000);
      await givenPurchase(db.ctx, programId, member.id, 10_000, { orderId: 'o-gold' });
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'o-gold' } });
      expect(refund.response.clawback).toEqual({ points: 150, unrecovered: 0 });
      expect(refund.response.balance.available).toBe(600);
    });
  });

  describe('history', () => {
    it('pages through a member’s tier history, newest first', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenTiers(db.ctx, programId, { levels: [{ name: 'A', threshold: 0 }, { name: 'B', threshold: 100 }, { name: 'C', threshold: 200 }] });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 100);
      await givenPurchase(db.ctx, programId, member.id, 100);
      const first = await listTierHistory(db.ctx, programId, member.id, { limit: 2 });
      expect(first.data.map((h) => h.tier)).toEqual(['C', 'B']);
      const second = await listTierHistory(db.ctx, programId, member.id, { limit: 2, cursor: first.nextCursor ?? '' });
      expect(second).toMatchObject({ data: [expect.objectContaining({ tier: 'A', reason: 'enrolment' })], nextCursor: null });
    });
  });
});
