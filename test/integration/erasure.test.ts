/**
 * Erasing a member (GDPR right to erasure) on every dialect: the person's data is gone from the database row by
 * row, what the books need stays under the member id, the points left are forfeited so the ledger still
 * balances (checked after every test, as `trouw verify` does), and nothing can bring the member back to life.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { enrolMember, getLedger, listMembers, updateMember } from '../../src/services/members.service.js';
import { eraseMember } from '../../src/services/privacy/erase-member.js';
import { redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram, givenPurchase, givenReward } from '../support/factories.js';

const person = { email: 'Marieke.Jansen@Voorbeeld.nl', name: 'Marieke Jansen-Bakker', phone: '+31 6 1234 5678', birthDate: '1987-04-27', locale: 'nl' };

forEachDialect('member erasure', (db) => {
  async function givenMarieke() {
    const { programId } = await givenProgram(db.ctx, { pendingDays: 14 });
    const member = await enrolMember(db.ctx, programId, {
      externalId: 'shop-cust-77', ...person, attributes: { favouriteDrink: 'flat white' }, context: { ip: '203.0.113.9', deviceId: 'device-abc' },
    });
    await adjustPoints(db.ctx, programId, member.id, { points: 300, reason: 'welcome' });
    await givenPurchase(db.ctx, programId, member.id, 4000);
    return { programId, member };
  }

  const codeOf = (error: unknown) => (isDomainError(error) ? error.code : String(error));

  it('removes every trace of the person and forfeits the points left, pending ones too', async () => {
    const { programId, member } = await givenMarieke();
    const { member: erased, pointsForfeited } = await eraseMember(db.ctx, programId, member.id, { reason: 'erasure request of 2 December' });
    expect(pointsForfeited).toBe(340);
    expect(erased).toMatchObject({
      id: member.id, externalId: `erased:${member.id}`, email: null, name: null, phone: null, birthDate: null, locale: null,
      attributes: {}, status: 'erased', balance: { available: 0, pending: 0 },
    });
    // Nothing of the person is in any table, in any form the tests can think of.
    const raw = db.ctx.storage.db.withoutPlugins();
    const dump: string[] = [];
    for (const table of ['members', 'member_fingerprints', 'member_name_terms', 'outbox_messages', 'events', 'ledger_transactions']) {
      dump.push(JSON.stringify((await sql`select * from ${sql.table(table)}`.execute(raw)).rows));
    }
    const all = dump.join('\n').toLowerCase();
    for (const value of ['marieke', 'jansen', 'voorbeeld', '1234 5678', '1987', 'flat white', 'shop-cust-77']) expect(all).not.toContain(value);
    expect(Number((await sql<{ n: number }>`select count(*) as n from member_fingerprints`.execute(raw)).rows[0]?.n)).toBe(0);
    expect(Number((await sql<{ n: number }>`select count(*) as n from member_name_terms`.execute(raw)).rows[0]?.n)).toBe(0);
    // The books keep the history under the bare id, with the forfeiture last.
    const ledger = await getLedger(db.ctx, programId, member.id, {});
    expect(ledger.data.filter((entry) => entry.kind === 'expiry').map((entry) => [entry.account, entry.points, entry.reason])).toEqual(
      expect.arrayContaining([
        ['member_available', -300, 'member erased: erasure request of 2 December'],
        ['member_pending', -40, 'member erased: erasure request of 2 December'],
      ]),
    );
    const messages = await db.ctx.storage.db.selectFrom('outboxMessages').select(['type', 'data']).where('type', '=', 'member.erased').execute();
    expect(messages.map((m) => JSON.parse(m.data) as unknown)).toEqual([{ memberId: member.id, pointsForfeited: 340, erasedAt: '2026-03-15T12:00:00.000Z' }]);
  });

  it('is found by no e-mail, name or externalId any more, and the externalId can enrol someone new', async () => {
    const { programId, member } = await givenMarieke();
    await eraseMember(db.ctx, programId, member.id, { reason: 'request' });
    expect((await listMembers(db.ctx, programId, { email: person.email })).data).toEqual([]);
    expect((await listMembers(db.ctx, programId, { name: 'marieke' })).data).toEqual([]);
    expect((await listMembers(db.ctx, programId, { externalId: 'shop-cust-77' })).data).toEqual([]);
    const again = await enrolMember(db.ctx, programId, { externalId: 'shop-cust-77', email: person.email });
    expect(again.id).not.toBe(member.id);
    expect(again.balance).toEqual({ available: 0, pending: 0 });
  });

  it('is final: a repeat changes nothing; no update, adjustment or redemption brings the member back', async () => {
    const { programId, member } = await givenMarieke();
    const reward = await givenReward(db.ctx, programId, { pointsCost: 10 });
    const first = await eraseMember(db.ctx, programId, member.id, { reason: 'request' });
    const repeat = await eraseMember(db.ctx, programId, member.id, { reason: 'request again' });
    expect(repeat).toEqual({ member: first.member, pointsForfeited: 0 });
    expect(codeOf(await updateMember(db.ctx, programId, member.id, { status: 'active' }).catch((e: unknown) => e))).toBe('member_erased');
    expect(codeOf(await updateMember(db.ctx, programId, member.id, { email: 'new@example.com' }).catch((e: unknown) => e))).toBe('member_erased');
    expect(codeOf(await adjustPoints(db.ctx, programId, member.id, { points: 50, reason: 'x' }).catch((e: unknown) => e))).toBe('member_erased');
    expect(codeOf(await redeemReward(db.ctx, programId, member.id, { rewardId: reward.id }).catch((e: unknown) => e))).toBe('member_erased');
    const purchase = await givenPurchase(db.ctx, programId, member.id, 5000);
    expect(purchase.response.awarded).toEqual([]);
    expect((await listMembers(db.ctx, programId, {})).data.find((m) => m.id === member.id)?.balance).toEqual({ available: 0, pending: 0 });
  });

  describe('refusals', () => {
    it('needs a reason and a member of this programme', async () => {
      const { programId, member } = await givenMarieke();
      const other = await givenProgram(db.ctx, { name: 'Other' });
      expect(codeOf(await eraseMember(db.ctx, programId, member.id, { reason: '  ' }).catch((e: unknown) => e))).toBe('validation_failed');
      expect(codeOf(await eraseMember(db.ctx, other.programId, member.id, { reason: 'x' }).catch((e: unknown) => e))).toBe('member_not_found');
      expect((await listMembers(db.ctx, programId, { externalId: 'shop-cust-77' })).data[0]?.email).toBe(person.email.toLowerCase());
    });
  });
});
