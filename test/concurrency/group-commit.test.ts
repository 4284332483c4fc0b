/**
 * Single events sent concurrently are grouped into shared transactions (group commit). Whatever the grouping,
 * each caller must get what it would have got alone: its own award, replay or problem, with the others'
 * events unaffected.
 */
import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/services/events.service.js';
import { getMember } from '../../src/services/members.service.js';
import type { ServiceContext } from '../../src/context.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

forEachDialect('group commit', (db) => {
  describe('contexts', () => {
    it('records each event with its own caller\'s context (clock and ids), not the first caller\'s, whatever the grouping', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      // Two callers on the same storage whose clocks disagree by a day, and whose ids are told apart by a mark.
      const contexts = [0, 1].map((day): ServiceContext => ({
        ...db.ctx,
        clock: { now: () => db.clock.now() + day * 86_400_000 },
        ids: { next: (prefix) => (prefix === 'ltx' ? `ltx_ctx${day}_${db.ctx.ids.next('ltx').slice(4)}` : db.ctx.ids.next(prefix)) },
      }));
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          recordEvent(contexts[i % 2]!, programId, { id: `ctx-${i}`, type: 'purchase', memberId: member.id, data: { orderId: `ctx-o${i}`, total: 1000, currency: 'EUR' } }),
        ),
      );
      outcomes.forEach((outcome, i) => expect(Date.parse(outcome.response.event.receivedAt), `event ${i}`).toBe(contexts[i % 2]!.clock.now()));
      const transactions = await db.ctx.storage.db.selectFrom('ledgerTransactions').select(['id', 'eventId']).where('programId', '=', programId).execute();
      for (const { id, eventId } of transactions) expect(id.startsWith(`ltx_ctx${Number(eventId?.slice(4)) % 2}_`), `${id} of ${eventId}`).toBe(true);
    });
  });

  describe('concurrent single events', () => {
    it('are each answered as if sent alone: awards, replays and problems do not leak between them', async () => {
      const { programId } = await givenProgram(db.ctx);
      const members = await Promise.all(Array.from({ length: 10 }, (_, i) => givenMember(db.ctx, programId, { externalId: `gc-${i}` })));
      const attempts = Array.from({ length: 300 }, (_, i) => {
        const member = members[i % members.length]!;
        if (i % 10 === 3) return { kind: 'bad', input: { id: `gc-e${i}`, type: 'purchase', memberId: member.id, data: { orderId: `gc-o${i}`, total: 1000, currency: 'USD' } } };
        if (i % 10 === 7) return { kind: 'replay', input: { id: `gc-e${i - 1}`, type: 'purchase', memberId: members[(i - 1) % members.length]!.id, data: { orderId: `gc-o${i - 1}`, total: 1000 * (((i - 1) % 5) + 1), currency: 'EUR' } } };
        return { kind: 'good', input: { id: `gc-e${i}`, type: 'purchase', memberId: member.id, data: { orderId: `gc-o${i}`, total: 1000 * ((i % 5) + 1), currency: 'EUR' } } };
      });
      const results = await Promise.allSettled(attempts.map((a) => recordEvent(db.ctx, programId, a.input)));

      const expected = new Map<string, number>();
      results.forEach((result, i) => {
        const attempt = attempts[i]!;
        if (attempt.kind === 'bad') {
          expect(result.status).toBe('rejected');
          expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'currency_mismatch' });
          return;
        }
        expect(result.status, `attempt ${i}`).toBe('fulfilled');
        const { response } = (result as PromiseFulfilledResult<Awaited<ReturnType<typeof recordEvent>>>).value;
        const points = (attempt.input.data.total as number) / 100;
        expect(response.awarded.reduce((sum, a) => sum + a.points, 0)).toBe(points);
        if (attempt.kind === 'good') expected.set(attempt.input.memberId, (expected.get(attempt.input.memberId) ?? 0) + points);
      });
      const replays = results.filter((r, i) => attempts[i]!.kind !== 'bad' && r.status === 'fulfilled' && r.value.replayed);
      expect(replays.length).toBeGreaterThanOrEqual(attempts.filter((a) => a.kind === 'replay').length);
      expect(results.filter((r) => r.status === 'fulfilled' && !r.value.replayed)).toHaveLength(attempts.filter((a) => a.kind === 'good').length);
      for (const member of members) {
        expect((await getMember(db.ctx, programId, member.id)).balance.available).toBe(expected.get(member.id) ?? 0);
      }
    });
  });
});
