/**
 * Races on one member: many parallel requests that each could be the one that overdraws, and many parallel
 * first posts of one event id. On PostgreSQL these really run in parallel over a pool of connections; on SQLite
 * they queue on the single writer, which the same assertions cover.
 */
import { describe, expect, it } from 'vitest';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent } from '../../src/services/events.service.js';
import { getBalance, getLedger } from '../../src/services/members.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

forEachDialect('concurrency', (db) => {
  describe('parallel negative adjustments', () => {
    it('succeed exactly as often as the balance allows and never go below zero', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { points: 70 });
      const attempts = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => adjustPoints(db.ctx, programId, member.id, { points: -10, reason: `race ${i}` })),
      );
      const succeeded = attempts.filter((a) => a.status === 'fulfilled').length;
      const refused = attempts.filter((a) => a.status === 'rejected');
      expect(succeeded).toBe(7);
      expect(refused).toHaveLength(43);
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'insufficient_points' });
      expect(await getBalance(db.ctx, programId, member.id)).toMatchObject({ available: 0, pending: 0 });
    });

    it('with one Idempotency-Key apply once and replay the rest', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId, { points: 500 });
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, () => adjustPoints(db.ctx, programId, member.id, { points: -100, reason: 'once' }, 'key-1')),
      );
      expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
      expect(new Set(outcomes.map((o) => o.adjustment.transactionId)).size).toBe(1);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(400);
    });
  });

  describe('parallel posts of one event id', () => {
    it('award once; every caller gets the same response', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const input = { id: 'evt-race', type: 'purchase', memberId: member.id, data: { orderId: 'o-race', total: 4200, currency: 'EUR' } };
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => recordEvent(db.ctx, programId, input)));
      expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
      for (const o of outcomes) expect(o.response).toEqual(outcomes[0]?.response);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(42);
      const earnEntries = (await getLedger(db.ctx, programId, member.id, {})).data.filter((e) => e.kind === 'earn');
      expect(earnEntries).toHaveLength(1);
    });
  });
});
