/**
 * Model-based test of the points ledger (the shape of TigerBeetle's auditor): random sequences of purchases,
 * refunds, adjustments, clock moves and job runs are applied both to the real services and to a small
 * in-memory model written independently from the domain code. After every step the member balances and
 * lifetime totals must agree, rejected commands must be rejected by both, and at the end `trouw verify`'s
 * invariants must hold. fast-check prints the seed and the shrunk command list of any failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { isDomainError } from '../../src/domain/errors.js';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent } from '../../src/services/events.service.js';
import { enrolMember, getMember } from '../../src/services/members.service.js';
import { expireLots, releasePendingPoints } from '../../src/services/points-jobs.service.js';
import { createProgram } from '../../src/services/programs.service.js';
import { verifyLedger } from '../../src/storage/verify.js';
import { forEachDialect } from '../support/dialects.js';

type Command =
  | { kind: 'purchase'; member: number; total: number }
  | { kind: 'refund'; order: number; amount: number | null }
  | { kind: 'adjust'; member: number; points: number }
  | { kind: 'advance'; days: number }
  | { kind: 'jobs' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('purchase' as const), member: fc.nat(2), total: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), order: fc.nat(50), amount: fc.option(fc.integer({ min: 1, max: 12_000 }), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('adjust' as const), member: fc.nat(2), points: fc.integer({ min: -400, max: 400 }).filter((p) => p !== 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'jobs' as const }) },
);

interface ModelLot { seq: number; remaining: number; availableAt: number; released: boolean; expiresAt: number | null }
interface ModelOrder { member: number; total: number; refunded: number; earned: number; recovered: number; lot: ModelLot | null }

/** The model: plain arrays, the rules of DESIGN.md and the issue written out again without the domain code. */
class LedgerModel {
  lots: ModelLot[][] = [[], [], []];
  lifetime = [0, 0, 0];
  orders: ModelOrder[] = [];
  private seq = 0;
  constructor(readonly pendingDays: number, readonly expiryMonths: number | null, readonly timezone: string) {}

  balance(member: number) {
    const lots = this.lots[member] ?? [];
    return {
      available: lots.filter((l) => l.released).reduce((s, l) => s + l.remaining, 0),
      pending: lots.filter((l) => !l.released).reduce((s, l) => s + l.remaining, 0),
    };
  }

  private newLot(member: number, points: number, now: number, pendingDays: number): ModelLot {
    const availableAt = DateTime.fromMillis(now, { zone: this.timezone }).plus({ days: pendingDays }).toMillis();
    const expiresAt = this.expiryMonths === null ? null : DateTime.fromMillis(now, { zone: this.timezone }).plus({ months: this.expiryMonths }).toMillis();
    const lot = { seq: this.seq++, remaining: points, availableAt, released: availableAt <= now, expiresAt };
    this.lots[member]?.push(lot);
    return lot;
  }

  private static byExpiry(a: ModelLot, b: ModelLot) {
    return (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.seq - b.seq;
  }

  purchase(member: number, total: number, now: number) {
    const earned = Math.floor(total / 100);
    const lot = earned > 0 ? this.newLot(member, earned, now, this.pendingDays) : null;
    this.lifetime[member]! += earned;
    this.orders.push({ member, total, refunded: 0, earned, recovered: 0, lot });
  }

  /** Returns false when the service must refuse the refund. */
  refund(order: ModelOrder, amount: number | null): boolean {
    const refundable = order.total - order.refunded;
    const refund = amount ?? refundable;
    if (refund === 0 || refund > refundable) return false;
    order.refunded += refund;
    const target = order.total === 0 ? order.earned : Math.floor((order.earned * order.refunded) / order.total);
    let points = target - order.recovered;
    order.recovered = target;
    this.lifetime[order.member]! -= points;
    const lots = this.lots[order.member] ?? [];
    const own = order.lot ? [order.lot] : [];
    const pending = lots.filter((l) => l !== order.lot && !l.released).sort(LedgerModel.byExpiry);
    const available = lots.filter((l) => l !== order.lot && l.released).sort(LedgerModel.byExpiry);
    for (const lot of [...own, ...pending, ...available]) {
      const take = Math.min(lot.remaining, points);
      lot.remaining -= take;
      points -= take;
    }
    return true;
  }

  /** Returns false when the service must refuse the adjustment (not enough available points). */
  adjust(member: number, points: number, now: number): boolean {
    if (points > 0) {
      this.newLot(member, points, now, 0);
      return true;
    }
    if (this.balance(member).available < -points) return false;
    let left = -points;
    for (const lot of (this.lots[member] ?? []).filter((l) => l.released).sort(LedgerModel.byExpiry)) {
      const take = Math.min(lot.remaining, left);
      lot.remaining -= take;
      left -= take;
    }
    return true;
  }

  jobs(now: number) {
    for (const lots of this.lots) {
      for (const lot of lots) if (!lot.released && lot.availableAt <= now) lot.released = true;
      for (const lot of lots) if (lot.expiresAt !== null && lot.expiresAt <= now) lot.remaining = 0;
    }
  }
}

const settingsArb = fc.record({ pendingDays: fc.constantFrom(0, 14), expiryMonths: fc.constantFrom(null, 6) });

forEachDialect('ledger model', (db) => {
  describe('random command sequences', () => {
    it('agree with the in-memory model after every step and keep every invariant', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(settingsArb, fc.array(commandArb, { minLength: 1, maxLength: 40 }), async (settings, commands) => {
          const ctx = db.ctx;
          const { program } = await createProgram(ctx, { name: `model ${run++}`, ...settings });
          const members = [];
          for (let i = 0; i < 3; i++) members.push(await enrolMember(ctx, program.id, { externalId: `m${i}` }));
          const model = new LedgerModel(settings.pendingDays, settings.expiryMonths, program.timezone);
          let step = 0;
          for (const command of commands) {
            step++;
            const now = db.clock.now();
            switch (command.kind) {
              case 'purchase': {
                const member = members[command.member]!;
                await recordEvent(ctx, program.id, {
                  id: `p${step}`,
                  type: 'purchase',
                  memberId: member.id,
                  data: { orderId: `o${step}`, total: command.total, currency: 'EUR' },
                });
                model.purchase(command.member, command.total, now);
                break;
              }
              case 'refund': {
                if (model.orders.length === 0) break;
                const index = command.order % model.orders.length;
                const order = model.orders[index]!;
                const orderId = `o${orderIdStep(model, index, commands)}`;
                const accepted = model.refund(order, command.amount);
                const attempt = recordEvent(ctx, program.id, {
                  id: `r${step}`,
                  type: 'refund',
                  memberId: members[order.member]!.id,
                  data: command.amount === null ? { orderId } : { orderId, amount: command.amount },
                });
                if (accepted) await attempt;
                else await expect(attempt).rejects.toMatchObject({ code: 'refund_exceeds_order' });
                break;
              }
              case 'adjust': {
                const accepted = model.adjust(command.member, command.points, now);
                const attempt = adjustPoints(ctx, program.id, members[command.member]!.id, { points: command.points, reason: 'model' });
                if (accepted) await attempt;
                else await expect(attempt).rejects.toSatisfy((e: unknown) => isDomainError(e) && e.code === 'insufficient_points');
                break;
              }
              case 'advance':
                db.clock.advanceDays(command.days);
                break;
              case 'jobs':
                await releasePendingPoints(ctx);
                await expireLots(ctx);
                model.jobs(db.clock.now());
                break;
            }
            for (let i = 0; i < members.length; i++) {
              const actual = await getMember(ctx, program.id, members[i]!.id);
              expect(actual.balance, `member ${i} after step ${step} (${command.kind})`).toEqual(model.balance(i));
              expect(actual.lifetimeEarned, `lifetime of member ${i} after step ${step}`).toBe(model.lifetime[i]);
            }
          }
          expect(await verifyLedger(ctx.storage, program.id)).toEqual([]);
        }),
        { numRuns: db.dialect === 'sqlite' ? 150 : 60 },
      );
    });
  });
});

/** The step number of the n-th purchase in the sequence, which named its order `o<step>`. */
function orderIdStep(_model: LedgerModel, index: number, commands: Command[]): number {
  let seen = -1;
  for (let i = 0; i < commands.length; i++) {
    if (commands[i]!.kind === 'purchase' && ++seen === index) return i + 1;
  }
  throw new Error('order index out of range');
}
