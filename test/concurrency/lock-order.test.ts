/**
 * One lock order everywhere: programme, then member id; member before lots (docs/ARCHITECTURE.md). Method: two
 * programmes whose members' lots are all due for release and expiry, then, at the same time, two workers (own
 * connection pools, as two `trouw worker` processes) running the release, expiry and coupon-expiry jobs, and a
 * stream of concurrent events that alternate between the programmes (so group commit writes groups holding both,
 * in either arrival order) — refunds that take back from the very lots the jobs want, purchases, redemptions and
 * cancellations on a few hot members. A deadlock would be detected by PostgreSQL and retried by inTransaction;
 * the test asserts there were none, and that the ledger still balances (checked after every test).
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { openStorage } from '../../src/storage/db.js';
import { transactionRetries } from '../../src/storage/transaction.js';
import { expireLots, releasePendingPoints } from '../../src/services/points-jobs.service.js';
import { expireCoupons } from '../../src/services/rewards/coupon-expiry.js';
import { cancelRedemption, redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { recordEvent } from '../../src/services/events.service.js';
import { updateProgram } from '../../src/services/programs.service.js';
import { isDomainError } from '../../src/domain/errors.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReward } from '../support/factories.js';

const MEMBERS = 4;
const ORDERS_PER_MEMBER = 6;

forEachDialect('lock order', (db) => {
  describe.runIf(db.dialect === 'postgres')('ingestion and jobs at once across two programmes', () => {
    it('never deadlock', async () => {
      const ctx = db.ctx;
      const programmes: { programId: string; name: string; members: string[]; rewardId: string }[] = [];
      for (const name of ['Noord', 'Zuid']) {
        const { programId } = await givenProgram(ctx, { name, pendingDays: 1, expiryMonths: 1 });
        await updateProgram(ctx, programId, { coupons: { refundExpired: true, validityDays: 1 } });
        const reward = await givenReward(ctx, programId, { pointsCost: 5 });
        const members = [];
        for (let m = 0; m < MEMBERS; m++) {
          const member = await givenMember(ctx, programId, { points: 200 });
          for (let o = 0; o < ORDERS_PER_MEMBER; o++) await givenPurchase(ctx, programId, member.id, 2000, { orderId: `${name}-${m}-${o}` });
          members.push(member.id);
        }
        programmes.push({ programId, name, members, rewardId: reward.id });
      }
      // Redemptions whose coupons will be due for expiry (and refund) in the same run.
      const redemptions: { programId: string; id: string }[] = [];
      for (const p of programmes) {
        for (const memberId of p.members) redemptions.push({ programId: p.programId, id: (await redeemReward(ctx, p.programId, memberId, { rewardId: p.rewardId })).redemption.id });
      }
      // Past the return window, the coupons' validity and the lots' expiry: everything is due at once.
      db.clock.advanceDays(40);

      const workers: ServiceContext[] = [0, 1].map(() => ({ ...ctx, storage: openStorage({ databaseUrl: db.databaseUrl, sqlitePath: '', poolSize: 4 }) }));
      try {
        const jobs = workers.map(async (worker) => {
          for (let round = 0; round < 3; round++) {
            await releasePendingPoints(worker);
            await expireCoupons(worker, 2);
            await expireLots(worker);
          }
        });
        const writes = Array.from({ length: MEMBERS * ORDERS_PER_MEMBER }, async (_, i) => {
          // Alternate programmes so grouped events name both, in both orders.
          const p = programmes[i % 2]!;
          const q = programmes[(i + 1) % 2]!;
          const memberIndex = Math.floor(i / 2) % MEMBERS;
          await Promise.all([
            recordEvent(ctx, p.programId, { id: `refund-${i}`, type: 'refund', memberId: p.members[memberIndex]!, data: { orderId: `${p.name}-${memberIndex}-${Math.floor(i / 8) % ORDERS_PER_MEMBER}`, amount: 100 } }).catch(refusedOnly),
            recordEvent(ctx, q.programId, { id: `buy-${i}`, type: 'purchase', memberId: q.members[MEMBERS - 1 - memberIndex]!, data: { orderId: `late-${i}`, total: 1500, currency: 'EUR' } }),
            redeemReward(ctx, q.programId, q.members[memberIndex]!, { rewardId: q.rewardId }).catch(refusedOnly),
            i < redemptions.length ? cancelRedemption(ctx, redemptions[i]!.programId, redemptions[i]!.id).catch(refusedOnly) : null,
          ]);
        });
        await Promise.all([...jobs, ...writes]);
        // Whatever the interleaving, the jobs leave nothing due behind once they run again.
        await releasePendingPoints(ctx);
        await expireLots(ctx);
        expect(await releasePendingPoints(ctx)).toEqual({ lots: 0, points: 0 });
        expect(await expireLots(ctx)).toEqual({ lots: 0, points: 0 });
      } finally {
        for (const worker of workers) await worker.storage.close();
      }
      const retries = [ctx, ...workers].map((c) => transactionRetries(c.storage).deadlocks);
      expect(retries, 'deadlocks detected and retried by inTransaction (main, worker 1, worker 2)').toEqual([0, 0, 0]);
    });
  });
});

/** A refusal the domain gives on purpose (a coupon already expired, points already gone) is an outcome here. */
function refusedOnly(error: unknown): null {
  if (isDomainError(error)) return null;
  throw error;
}
