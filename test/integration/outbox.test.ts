/**
 * The outbox: every change the business may care about leaves one message, written in the change's own
 * transaction — so a change that is refused leaves none, and a replayed request adds none.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent, recordEventBatch } from '../../src/services/events.service.js';
import { enrolMember, updateMember } from '../../src/services/members.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase } from '../support/factories.js';

async function messages(ctx: ServiceContext, programId: string) {
  const rows = await ctx.storage.db.selectFrom('outboxMessages').selectAll().where('programId', '=', programId).orderBy('id').execute();
  return rows.map((row) => ({ type: row.type, memberId: row.memberId, data: JSON.parse(row.data) as Record<string, unknown>, dispatchedAt: row.dispatchedAt }));
}

forEachDialect('outbox', (db) => {
  describe('members', () => {
    it('enrolment writes member.created and a change writes member.updated naming the fields, not their values', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await enrolMember(db.ctx, programId, { externalId: 'c-1', email: 'anna@example.nl' });
      await updateMember(db.ctx, programId, member.id, { email: 'anna.de.vries@example.nl', name: 'Anna de Vries' });
      const written = await messages(db.ctx, programId);
      expect(written).toEqual([
        { type: 'member.created', memberId: member.id, data: { memberId: member.id, externalId: 'c-1', referredByMemberId: null }, dispatchedAt: null },
        { type: 'member.updated', memberId: member.id, data: { memberId: member.id, externalId: 'c-1', status: 'active', changed: ['email', 'name'] }, dispatchedAt: null },
      ]);
      expect(JSON.stringify(written)).not.toMatch(/anna|Vries/i);
    });

    it('a refused enrolment writes nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      await enrolMember(db.ctx, programId, { externalId: 'taken' });
      await expect(enrolMember(db.ctx, programId, { externalId: 'taken' })).rejects.toMatchObject({ code: 'member_external_id_taken' });
      expect((await messages(db.ctx, programId)).map((m) => m.type)).toEqual(['member.created']);
    });
  });

  describe('events', () => {
    it('an earning event writes points.earned with the awards and the balance after', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const outcome = await givenPurchase(db.ctx, programId, member.id, 2599);
      const earned = (await messages(db.ctx, programId)).filter((m) => m.type === 'points.earned');
      expect(earned).toEqual([
        {
          type: 'points.earned',
          memberId: member.id,
          data: {
            memberId: member.id,
            eventId: outcome.response.event.id,
            eventType: 'purchase',
            points: 25,
            status: 'available',
            awarded: outcome.response.awarded,
            balance: { available: 25, pending: 0 },
          },
          dispatchedAt: null,
        },
      ]);
    });

    it('a refund writes points.reversed; a replay and a refused event write nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 5000, { orderId: 'o-1' });
      const refund = { id: 'refund-1', type: 'refund', memberId: member.id, data: { orderId: 'o-1', amount: 2000 } };
      await recordEvent(db.ctx, programId, refund);
      await recordEvent(db.ctx, programId, refund);
      await expect(recordEvent(db.ctx, programId, { id: 'refund-2', type: 'refund', memberId: member.id, data: { orderId: 'nope' } })).rejects.toMatchObject({ code: 'order_not_found' });
      const reversed = (await messages(db.ctx, programId)).filter((m) => m.type === 'points.reversed');
      expect(reversed).toEqual([
        {
          type: 'points.reversed',
          memberId: member.id,
          data: { memberId: member.id, eventId: 'refund-1', orderId: 'o-1', points: 20, unrecovered: 0, balance: { available: 30, pending: 0 } },
          dispatchedAt: null,
        },
      ]);
    });

    it('a batch writes one message per earning event and none for the failed items', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const results = await recordEventBatch(db.ctx, programId, [
        { id: 'b-1', type: 'purchase', memberId: member.id, data: { orderId: 'b-o-1', total: 1000, currency: 'EUR' } },
        { id: 'b-2', type: 'purchase', memberId: member.id, data: { orderId: 'b-o-2', total: 1000, currency: 'USD' } },
        { id: 'b-3', type: 'visit', memberId: member.id, data: {} },
        { id: 'b-4', type: 'purchase', memberId: member.id, data: { orderId: 'b-o-4', total: 2000, currency: 'EUR' } },
      ]);
      expect(results.map((r) => r.ok)).toEqual([true, false, true, true]);
      const earned = (await messages(db.ctx, programId)).filter((m) => m.type === 'points.earned');
      expect(earned.map((m) => [m.data.eventId, m.data.points, m.data.balance])).toEqual([
        ['b-1', 10, { available: 10, pending: 0 }],
        ['b-4', 20, { available: 30, pending: 0 }],
      ]);
    });
  });

  describe('adjustments', () => {
    it('write points.adjusted once, also when the Idempotency-Key is replayed; a refused one writes nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      await adjustPoints(db.ctx, programId, member.id, { points: 80, reason: 'goodwill' }, 'adj-1');
      await adjustPoints(db.ctx, programId, member.id, { points: 80, reason: 'goodwill' }, 'adj-1');
      await expect(adjustPoints(db.ctx, programId, member.id, { points: -500, reason: 'too much' })).rejects.toMatchObject({ code: 'insufficient_points' });
      const adjusted = (await messages(db.ctx, programId)).filter((m) => m.type === 'points.adjusted');
      expect(adjusted).toHaveLength(1);
      expect(adjusted[0]?.data).toMatchObject({ memberId: member.id, points: 80, reason: 'goodwill', balance: { available: 80, pending: 0 } });
    });
  });
});
