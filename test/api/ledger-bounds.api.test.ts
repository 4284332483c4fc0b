/**
 * The documented bounds on points (README "Limits", domain/ledger/bounds.ts) over the API on both dialects: an
 * award or adjustment past them is a 422 that writes nothing, PostgreSQL integers past 2^53 are an error rather
 * than a rounded number, and the lots' CHECK constraint refuses what slips past the domain.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { maxMemberPoints, maxPointsPerEntry } from '../../src/domain/ledger/bounds.js';
import { parseSafeNumber } from '../../src/storage/db.js';
import { isCheckViolation } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, uniqueId } from '../support/factories.js';

forEachDialect('ledger bounds', (db) => {
  const api = useApi(db);

  async function counts(programId: string) {
    const count = async (table: 'events' | 'ledgerEntries' | 'lots' | 'orders') =>
      Number((await db.ctx.storage.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('programId', '=', programId).executeTakeFirstOrThrow()).n);
    return { events: await count('events'), entries: await count('ledgerEntries'), lots: await count('lots'), orders: await count('orders') };
  }

  describe('points per entry and per member', () => {
    it('a purchase whose award would pass the per-entry maximum is refused whole, naming the total', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const client = api.as(apiKey);
      // A bonus of one point per minor unit on top of the base rule's point per whole euro.
      const rule = await client.post('/v1/rules', { name: 'cent bonus', trigger: 'purchase', effects: [{ type: 'points', amount: 1, perSpend: 1 }] });
      expect(rule.statusCode, rule.body).toBe(201);
      const before = await counts(programId);
      // 10^10 minor units earn 10^10 + 10^8 points: more than one entry may move.
      const total = maxPointsPerEntry;
      const response = await client.post('/v1/events', { id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: 'big', total, currency: 'EUR' } });
      expectProblem(response, 422, 'points_limit_exceeded', '/data/total');
      expect(await counts(programId)).toEqual(before);
      const fits = await client.post('/v1/events', { id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: 'big', total: total - total / 100, currency: 'EUR' } });
      expect(fits.statusCode, fits.body).toBe(201);
    });

    it('a rule that multiplies a large total past the bound is a clean 422, never a 500 or a rounded award', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const client = api.as(apiKey);
      const rule = await client.post('/v1/rules', { name: 'huge', trigger: 'purchase', effects: [{ type: 'points', amount: 1000, perSpend: 1 }] });
      expect(rule.statusCode, rule.body).toBe(201);
      const before = await counts(programId);
      // The largest total an event takes (10^12 minor units) at 1,000 points per minor unit: 10^15 points.
      const response = await client.post('/v1/events', { id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: 'max', total: 1_000_000_000_000, currency: 'EUR' } });
      expectProblem(response, 422, 'points_limit_exceeded', '/data/total');
      expect(await counts(programId)).toEqual(before);
    });

    it('an award or adjustment that would leave the member above the per-member maximum is refused, nothing written', async () => {
      const { programId, apiKey } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const client = api.as(apiKey);
      // The largest purchase (10^12 minor units) earns 10^10 points on the base rule: ten of them fill the member.
      for (let i = 0; i < maxMemberPoints / maxPointsPerEntry; i++) {
        const big = await client.post('/v1/events', { id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: `fill-${i}`, total: 1_000_000_000_000, currency: 'EUR' } });
        expect(big.statusCode, big.body).toBe(201);
      }
      const before = await counts(programId);
      expectProblem(await client.post(`/v1/members/${member.id}/adjustments`, { points: 1, reason: 'one more' }), 422, 'points_limit_exceeded', '/points');
      expectProblem(
        await client.post('/v1/events', { id: uniqueId('evt'), type: 'purchase', memberId: member.id, data: { orderId: 'o', total: 100, currency: 'EUR' } }),
        422,
        'points_limit_exceeded',
        '/data/total',
      );
      expect(await counts(programId)).toEqual(before);
      const member2 = (await client.get(`/v1/members/${member.id}`)).json<{ balance: { available: number; pending: number } }>();
      expect(member2.balance.available + member2.balance.pending).toBe(maxMemberPoints);
    });
  });

  describe('storage', () => {
    it('a lot can neither go below zero nor hold more than it was given: the CHECK refuses it', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenMember(db.ctx, programId, { points: 50 });
      for (const remaining of [-1, 51]) {
        const tamper = db.ctx.storage.db.updateTable('lots').set({ remaining }).where('programId', '=', programId).execute();
        await expect(tamper).rejects.toSatisfy(isCheckViolation);
      }
    });

    it.runIf(db.dialect === 'postgres')('a PostgreSQL integer past 2^53 is an error, never a silently rounded number', async () => {
      await expect(sql`select 9007199254740993::int8 as n`.execute(db.ctx.storage.db)).rejects.toThrow(/cannot hold exactly/);
      await expect(sql`select sum(x) as n from (values (9007199254740991::int8), (2::int8)) as t(x)`.execute(db.ctx.storage.db)).rejects.toThrow(/cannot hold exactly/);
      const { rows } = await sql<{ n: number }>`select 9007199254740991::int8 as n`.execute(db.ctx.storage.db);
      expect(rows[0]?.n).toBe(Number.MAX_SAFE_INTEGER);
    });
  });
});

describe('parseSafeNumber', () => {
  it('reads whole numbers up to 2^53 − 1 and decimals exactly as Number does, and refuses the rest', () => {
    expect(parseSafeNumber('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseSafeNumber('-9007199254740991')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(parseSafeNumber('12.5')).toBe(12.5);
    expect(() => parseSafeNumber('9007199254740992')).toThrow(RangeError);
    expect(() => parseSafeNumber('NaN')).toThrow(RangeError);
  });
});
