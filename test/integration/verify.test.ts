import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/storage/verify.js';
import { forEachDialect } from '../support/dialects.js';
import { enrolMember } from '../../src/services/members.service.js';
import { givenMember, givenProgram, givenPurchase, givenReferralProgram, givenReward, uniqueId } from '../support/factories.js';

/** Each case tampers with the database behind the services' back and expects verify to name the damage. */
forEachDialect('trouw verify', (db) => {
  async function ledgerWithPoints() {
    const { programId } = await givenProgram(db.ctx);
    const member = await givenMember(db.ctx, programId);
    await givenPurchase(db.ctx, programId, member.id, 5000);
    expect(await verifyLedger(db.ctx.storage)).toEqual([]);
    return { programId, member };
  }
  const raw = () => db.ctx.storage.db.withoutPlugins();
  const repair = async (fix: () => Promise<unknown>) => {
    await fix();
    expect(await verifyLedger(db.ctx.storage)).toEqual([]);
  };

  describe('detects tampering', () => {
    it('an edited entry amount breaks the zero sum and the balance', async () => {
      await ledgerWithPoints();
      await sql`update ledger_entries set amount = amount + 7 where account = 'member_available'`.execute(raw());
      const violations = await verifyLedger(db.ctx.storage);
      expect(violations.map((v) => v.invariant)).toEqual(
        expect.arrayContaining(['every ledger transaction sums to zero', "a member's materialised balance equals the sum of their entries"]),
      );
      await repair(() => sql`update ledger_entries set amount = amount - 7 where account = 'member_available'`.execute(raw()));
    });

    it('a materialised balance changed by hand', async () => {
      const { member } = await ledgerWithPoints();
      await sql`update members set available = available + 100 where id = ${member.id}`.execute(raw());
      const violations = await verifyLedger(db.ctx.storage);
      expect(violations).toHaveLength(1);
      expect(violations[0]?.detail).toContain(member.id);
      await repair(() => sql`update members set available = available - 100 where id = ${member.id}`.execute(raw()));
    });

    it('a deleted entry', async () => {
      await ledgerWithPoints();
      await sql`delete from ledger_entries where account = 'issuance'`.execute(raw());
      expect((await verifyLedger(db.ctx.storage)).map((v) => v.invariant)).toContain('every ledger transaction sums to zero');
      await repair(() => sql`delete from ledger_transactions`.execute(raw()).then(() => sql`delete from ledger_entries`.execute(raw())).then(() => sql`update members set available = 0, pending = 0`.execute(raw())).then(() => sql`delete from lots`.execute(raw())));
    });

    it("a lot's remaining points edited", async () => {
      await ledgerWithPoints();
      await sql`update lots set remaining = remaining - 1`.execute(raw());
      expect((await verifyLedger(db.ctx.storage)).map((v) => v.invariant)).toEqual([
        "a lot's remaining points equal its entries, on the account its release state says",
      ]);
      await repair(() => sql`update lots set remaining = remaining + 1`.execute(raw()));
    });

    it("a referral's coupon cancelled without giving its count back", async () => {
      const { programId } = await givenProgram(db.ctx);
      const reward = await givenReward(db.ctx, programId, { audience: 'referral' });
      await givenReferralProgram(db.ctx, programId, { friendReward: { rewardId: reward.id } });
      const referrer = await givenMember(db.ctx, programId);
      const friend = await enrolMember(db.ctx, programId, { externalId: uniqueId('friend'), referralCode: referrer.referralCode });
      await givenPurchase(db.ctx, programId, friend.id, 2_500);
      expect(await verifyLedger(db.ctx.storage)).toEqual([]);
      await sql`update coupons set status = 'cancelled', ended_at = 1 where referral_id is not null`.execute(raw());
      const violations = await verifyLedger(db.ctx.storage);
      expect(violations).toEqual([{ invariant: 'a reward counts the redemptions that stand', detail: `reward ${reward.id} shows 1 redemptions, 0 stand` }]);
      await repair(() => sql`update rewards set redeemed_count = 0 where id = ${reward.id}`.execute(raw()));
    });

    it('scopes the check to one programme', async () => {
      const first = await ledgerWithPoints();
      const second = await ledgerWithPoints();
      await sql`update members set pending = pending + 3 where id = ${first.member.id}`.execute(raw());
      expect(await verifyLedger(db.ctx.storage, second.programId)).toEqual([]);
      expect(await verifyLedger(db.ctx.storage, first.programId)).toHaveLength(1);
      await repair(() => sql`update members set pending = pending - 3 where id = ${first.member.id}`.execute(raw()));
    });
  });
});
