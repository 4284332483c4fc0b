import { describe, expect, it } from 'vitest';
import { recordEvent, recordEventBatch } from '../../src/services/events.service.js';
import { getBalance, getLedger, getMember } from '../../src/services/members.service.js';
import { createRule } from '../../src/services/rules.service.js';
import { releasePendingPoints, expireLots } from '../../src/services/points-jobs.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, uniqueId } from '../support/factories.js';

forEachDialect('events', (db) => {
  describe('purchase', () => {
    it('earns 1 point per whole euro through the base rule, rounded down', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const outcome = await givenPurchase(db.ctx, programId, member.id, 2599);
      expect(outcome.replayed).toBe(false);
      expect(outcome.response.awarded).toHaveLength(1);
      expect(outcome.response.awarded[0]).toMatchObject({ points: 25, status: 'available' });
      expect(outcome.response.balance).toEqual({ available: 25, pending: 0 });
      expect((await getMember(db.ctx, programId, member.id)).balance).toEqual({ available: 25, pending: 0 });
    });

    it('replays the first response for the same event id and body, and changes nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const input = { id: 'evt-replay', type: 'purchase', memberId: member.id, data: { orderId: 'o-1', total: 1000, currency: 'EUR' } };
      const first = await recordEvent(db.ctx, programId, input);
      const second = await recordEvent(db.ctx, programId, { ...input, data: { currency: 'EUR', total: 1000, orderId: 'o-1' } });
      expect(second.replayed).toBe(true);
      expect(second.response).toEqual(first.response);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(10);
    });

    it('refuses the same event id with a different body', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const input = { id: 'evt-x', type: 'purchase', memberId: member.id, data: { orderId: 'o-1', total: 1000, currency: 'EUR' } };
      await recordEvent(db.ctx, programId, input);
      await expect(recordEvent(db.ctx, programId, { ...input, data: { ...input.data, total: 9000 } })).rejects.toMatchObject({
        code: 'event_id_reused_with_different_body',
      });
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(10);
    });

    it('keeps purchase points pending for the return window, then the job releases them', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 14 });
      const member = await givenMember(db.ctx, programId);
      const outcome = await givenPurchase(db.ctx, programId, member.id, 5000);
      expect(outcome.response.awarded[0]?.status).toBe('pending');
      expect(outcome.response.balance).toEqual({ available: 0, pending: 50 });
      db.clock.advanceDays(13);
      expect((await releasePendingPoints(db.ctx)).lots).toBe(0);
      db.clock.advanceDays(1);
      expect(await releasePendingPoints(db.ctx)).toEqual({ lots: 1, points: 50 });
      expect(await releasePendingPoints(db.ctx)).toEqual({ lots: 0, points: 0 });
      expect((await getBalance(db.ctx, programId, member.id))).toMatchObject({ available: 50, pending: 0 });
    });

    it('expires what is left of a lot after expiryMonths, once', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 12 });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 7000);
      const balance = await getBalance(db.ctx, programId, member.id);
      expect(balance.expiring).toEqual([{ points: 70, expiresAt: '2027-03-15T12:00:00.000Z' }]);
      db.clock.set('2027-03-15T12:00:00Z');
      expect(await expireLots(db.ctx)).toEqual({ lots: 1, points: 70 });
      expect(await expireLots(db.ctx)).toEqual({ lots: 0, points: 0 });
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(0);
    });
  });

  describe('refund', () => {
    it('claws back in proportion to the money refunded, never more than earned', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 10000, { orderId: 'o-77' });
      const partial = await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'o-77', amount: 2500 } });
      expect(partial.response.clawback).toEqual({ points: 25, unrecovered: 0 });
      const rest = await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'o-77' } });
      expect(rest.response.clawback).toEqual({ points: 75, unrecovered: 0 });
      expect(rest.response.balance).toEqual({ available: 0, pending: 0 });
      await expect(
        recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'o-77', amount: 1 } }),
      ).rejects.toMatchObject({ code: 'refund_exceeds_order' });
    });

    it('refuses a refund of an unknown order', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      await expect(
        recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'nope' } }),
      ).rejects.toMatchObject({ code: 'order_not_found', errors: [{ pointer: '/data/orderId' }] });
    });

    it('inside the return window takes pending points first', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 30 });
      const member = await givenMember(db.ctx, programId, { points: 100 });
      await givenPurchase(db.ctx, programId, member.id, 4000, { orderId: 'o-p' });
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'o-p' } });
      expect(refund.response.balance).toEqual({ available: 100, pending: 0 });
    });

    it('reports what the member already spent as unrecovered instead of going below zero', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 5000, { orderId: 'o-s' });
      const { adjustPoints } = await import('../../src/services/adjustments.service.js');
      await adjustPoints(db.ctx, programId, member.id, { points: -40, reason: 'spent elsewhere' });
      const refund = await recordEvent(db.ctx, programId, { id: uniqueId('r'), type: 'refund', memberId: member.id, data: { orderId: 'o-s' } });
      expect(refund.response.clawback).toEqual({ points: 10, unrecovered: 40 });
      expect(refund.response.balance).toEqual({ available: 0, pending: 0 });
    });
  });

  describe('rules', () => {
    it('applies a multiplier campaign and explains each award in the ledger', async () => {
      const { programId } = await givenProgram(db.ctx);
      const rule = await createRule(db.ctx, programId, {
        name: 'Double points in March',
        trigger: 'purchase',
        condition: 'event.occurredAt.getMonth("Europe/Amsterdam") == 2',
        effects: [{ type: 'multiplier', factor: 2 }],
      });
      const member = await givenMember(db.ctx, programId);
      const outcome = await givenPurchase(db.ctx, programId, member.id, 1000);
      expect(outcome.response.awarded.map((a) => a.points)).toEqual([10, 10]);
      expect(outcome.response.awarded[1]?.ruleId).toBe(rule.id);
      const ledger = await getLedger(db.ctx, programId, member.id, {});
      expect(ledger.data.filter((e) => e.account === 'member_available').map((e) => e.ruleId).sort()).toEqual(
        outcome.response.awarded.map((a) => a.ruleId).sort(),
      );
    });
  });

  describe('batch', () => {
    it('records good events and reports bad ones without failing the others', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const results = await recordEventBatch(db.ctx, programId, [
        { id: 'b-1', type: 'purchase', memberId: member.id, data: { orderId: 'b-o1', total: 1000, currency: 'EUR' } },
        { id: 'b-2', type: 'purchase', memberId: member.id, data: { orderId: 'b-o2', total: -5, currency: 'EUR' } },
        { id: 'b-3', type: 'purchase', memberId: 'mbr_missing', data: { orderId: 'b-o3', total: 100, currency: 'EUR' } },
        { id: 'b-4', type: 'visit', memberId: member.id, data: {} },
        { id: 'b-1', type: 'purchase', memberId: member.id, data: { orderId: 'b-o1', total: 1000, currency: 'EUR' } },
      ]);
      expect(results.map((r) => (r.ok ? (r.outcome.replayed ? 'replayed' : 'ok') : r.error.code))).toEqual([
        'ok', 'validation_failed', 'member_not_found', 'ok', 'replayed',
      ]);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(10);
    });
  });
});
