/**
 * The scheduled jobs as a member sees them: outbox messages for released, expired and expiring points, and the
 * yearly birthday and anniversary events in the programme's timezone, each once however often the job runs.
 */
import { describe, expect, it } from 'vitest';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { recordEvent, recordEventBatch } from '../../src/services/events.service.js';
import { enrolMember, getBalance } from '../../src/services/members.service.js';
import { expireLots, releasePendingPoints, warnExpiringPoints } from '../../src/services/points-jobs.service.js';
import { createRule } from '../../src/services/rules.service.js';
import { recordYearlyTriggers } from '../../src/services/yearly-triggers.service.js';
import { runAllJobs, startJobRunner } from '../../src/jobs/runner.js';
import { takeLease } from '../../src/storage/repositories/job-leases.repository.js';
import type { ServiceContext } from '../../src/context.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase } from '../support/factories.js';

async function outbox(ctx: ServiceContext, programId: string, type?: string) {
  let query = ctx.storage.db.selectFrom('outboxMessages').selectAll().where('programId', '=', programId);
  if (type) query = query.where('type', '=', type);
  const rows = await query.orderBy('id').execute();
  return rows.map((row) => ({ type: row.type, memberId: row.memberId, data: JSON.parse(row.data) as Record<string, unknown> }));
}

async function birthdayRule(ctx: ServiceContext, programId: string, trigger: 'birthday' | 'anniversary', points: number) {
  return createRule(ctx, programId, { name: `${trigger} gift`, trigger, effects: [{ type: 'points', amount: points }] });
}

forEachDialect('jobs', (db) => {
  describe('release and expiry', () => {
    it('tell the business once per member, with the balance after', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 14, expiryMonths: 12 });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 3000);
      await givenPurchase(db.ctx, programId, member.id, 2000);
      db.clock.advanceDays(14);
      expect(await releasePendingPoints(db.ctx)).toEqual({ lots: 2, points: 50 });
      expect(await outbox(db.ctx, programId, 'points.released')).toEqual([
        { type: 'points.released', memberId: member.id, data: { memberId: member.id, points: 50, balance: { available: 50, pending: 0 } } },
      ]);
      db.clock.advanceDays(366);
      expect(await expireLots(db.ctx)).toEqual({ lots: 2, points: 50 });
      expect(await expireLots(db.ctx)).toEqual({ lots: 0, points: 0 });
      expect(await outbox(db.ctx, programId, 'points.expired')).toEqual([
        { type: 'points.expired', memberId: member.id, data: { memberId: member.id, points: 50, balance: { available: 0, pending: 0 } } },
      ]);
    });
  });

  describe('expiry warnings', () => {
    it('warn once per lot, expiryWarningDays ahead, listing what expires when', async () => {
      const { programId } = await givenProgram(db.ctx, { expiryMonths: 12 });
      const member = await givenMember(db.ctx, programId, { points: 300 });
      const other = await givenMember(db.ctx, programId);
      db.clock.advanceDays(300);
      await adjustPoints(db.ctx, programId, other.id, { points: 40, reason: 'later lot' });
      expect(await warnExpiringPoints(db.ctx)).toEqual({ lots: 0, points: 0 });
      db.clock.set('2027-02-14T12:00:00Z'); // 29 days before 2027-03-15
      expect(await warnExpiringPoints(db.ctx)).toEqual({ lots: 1, points: 300 });
      await adjustPoints(db.ctx, programId, member.id, { points: -100, reason: 'spent some' });
      expect(await warnExpiringPoints(db.ctx)).toEqual({ lots: 0, points: 0 });
      const warnings = await outbox(db.ctx, programId, 'points.expiring');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({
        memberId: member.id,
        data: { memberId: member.id, points: 300, lots: [{ points: 300, expiresAt: warnings[0]?.data.firstExpiresAt }] },
      });
      expect(Date.parse(String(warnings[0]?.data.firstExpiresAt))).toBeGreaterThan(db.clock.now());
    });

    it('stay silent for programmes whose points never expire', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenMember(db.ctx, programId, { points: 300 });
      db.clock.advanceDays(2000);
      expect(await warnExpiringPoints(db.ctx)).toEqual({ lots: 0, points: 0 });
    });
  });

  describe('birthday', () => {
    it('records one birthday event on the day in the programme timezone, which rules reward', async () => {
      const { programId } = await givenProgram(db.ctx, { timezone: 'Pacific/Auckland' });
      await birthdayRule(db.ctx, programId, 'birthday', 250);
      const member = await enrolMember(db.ctx, programId, { externalId: 'bday', birthDate: '1990-03-17' });
      // 2026-03-16T12:00Z is 17 March 01:00 in Auckland: already the birthday there, not yet in UTC.
      db.clock.set('2026-03-16T10:00:00Z');
      expect(await recordYearlyTriggers(db.ctx)).toEqual({ birthday: 0, anniversary: 0 });
      db.clock.set('2026-03-16T12:00:00Z');
      expect(await recordYearlyTriggers(db.ctx)).toEqual({ birthday: 1, anniversary: 0 });
      expect(await recordYearlyTriggers(db.ctx)).toEqual({ birthday: 0, anniversary: 0 });
      db.clock.set('2026-03-17T09:00:00Z');
      expect(await recordYearlyTriggers(db.ctx)).toEqual({ birthday: 0, anniversary: 0 });
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(250);
      const earned = await outbox(db.ctx, programId, 'points.earned');
      expect(earned).toHaveLength(1);
      expect(earned[0]?.data).toMatchObject({ eventType: 'birthday', eventId: `trouw:birthday:${member.id}:2026`, points: 250 });
      db.clock.set('2027-03-16T12:00:00Z');
      expect(await recordYearlyTriggers(db.ctx)).toEqual({ birthday: 1, anniversary: 0 });
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(500);
    });

    it('celebrates 29 February on 28 February outside leap years', async () => {
      const { programId } = await givenProgram(db.ctx, { timezone: 'UTC' });
      await birthdayRule(db.ctx, programId, 'birthday', 100);
      const member = await enrolMember(db.ctx, programId, { externalId: 'leap', birthDate: '2000-02-29' });
      db.clock.set('2027-02-28T08:00:00Z');
      expect((await recordYearlyTriggers(db.ctx)).birthday).toBe(1);
      db.clock.set('2027-03-01T08:00:00Z');
      expect((await recordYearlyTriggers(db.ctx)).birthday).toBe(0);
      db.clock.set('2028-02-28T08:00:00Z');
      expect((await recordYearlyTriggers(db.ctx)).birthday).toBe(0);
      db.clock.set('2028-02-29T08:00:00Z');
      expect((await recordYearlyTriggers(db.ctx)).birthday).toBe(1);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(200);
    });

    it('follows a changed birth date, and skips blocked members and members without one', async () => {
      const { programId } = await givenProgram(db.ctx, { timezone: 'UTC' });
      await birthdayRule(db.ctx, programId, 'birthday', 100);
      const { updateMember } = await import('../../src/services/members.service.js');
      const moved = await enrolMember(db.ctx, programId, { externalId: 'moved', birthDate: '1980-01-01' });
      await updateMember(db.ctx, programId, moved.id, { birthDate: '1980-06-01' });
      const blocked = await enrolMember(db.ctx, programId, { externalId: 'blocked', birthDate: '1980-06-01' });
      await updateMember(db.ctx, programId, blocked.id, { status: 'blocked' });
      await enrolMember(db.ctx, programId, { externalId: 'unknown' });
      db.clock.set('2026-06-01T08:00:00Z');
      expect((await recordYearlyTriggers(db.ctx)).birthday).toBe(1);
      expect((await getBalance(db.ctx, programId, moved.id)).available).toBe(100);
      expect((await getBalance(db.ctx, programId, blocked.id)).available).toBe(0);
    });

    it("cannot have its event id taken by a client, alone or in a batch", async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      const id = `trouw:birthday:${member.id}:2026`;
      await expect(recordEvent(db.ctx, programId, { id, type: 'visit', memberId: member.id, data: {} })).rejects.toMatchObject({
        code: 'validation_failed',
        errors: [{ pointer: '/id' }],
      });
      const [refused, recorded] = await recordEventBatch(db.ctx, programId, [
        { id: 'TROUW:anniversary:x', type: 'visit', memberId: member.id, data: {} },
        { id: 'visit-1', type: 'visit', memberId: member.id, data: {} },
      ]);
      expect(refused).toMatchObject({ ok: false, error: { code: 'validation_failed', errors: [{ pointer: '/id' }] } });
      expect(recorded?.ok).toBe(true);
      expect(await db.ctx.storage.db.selectFrom('events').select('clientEventId').where('programId', '=', programId).execute()).toEqual([{ clientEventId: 'visit-1' }]);
    });

    it('cannot be sent by a client', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await givenMember(db.ctx, programId);
      await expect(recordEvent(db.ctx, programId, { id: 'fake-bday', type: 'birthday', memberId: member.id, data: {} })).rejects.toMatchObject({
        code: 'validation_failed',
        errors: [{ pointer: '/type' }],
      });
    });
  });

  describe('anniversary', () => {
    it('records the enrolment anniversary from the first year on, with the number of years', async () => {
      const { programId } = await givenProgram(db.ctx, { timezone: 'Europe/Amsterdam' });
      await birthdayRule(db.ctx, programId, 'anniversary', 500);
      const member = await givenMember(db.ctx, programId); // enrolled 2026-03-15 13:00 in Amsterdam
      expect((await recordYearlyTriggers(db.ctx)).anniversary).toBe(0);
      db.clock.set('2027-03-14T22:59:00Z'); // 23:59 on the 14th in Amsterdam
      expect((await recordYearlyTriggers(db.ctx)).anniversary).toBe(0);
      db.clock.set('2027-03-14T23:30:00Z'); // 00:30 on the 15th in Amsterdam
      expect((await recordYearlyTriggers(db.ctx)).anniversary).toBe(1);
      expect((await recordYearlyTriggers(db.ctx)).anniversary).toBe(0);
      const events = await db.ctx.storage.db.selectFrom('events').select(['clientEventId', 'data']).where('type', '=', 'anniversary').execute();
      expect(events).toEqual([{ clientEventId: `trouw:anniversary:${member.id}:2027`, data: JSON.stringify({ years: 1 }) }]);
      expect((await getBalance(db.ctx, programId, member.id)).available).toBe(500);
    });
  });

  describe('runner', () => {
    it('runs every job once on demand and reports what each did', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 1 });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 1000);
      db.clock.advanceDays(1);
      const results = await runAllJobs(db.ctx, 'test-worker');
      expect(results['release-pending-points']).toEqual({ lots: 1, points: 10 });
      expect(results['expire-lots']).toEqual({ lots: 0, points: 0 });
      expect((await runAllJobs(db.ctx, 'test-worker'))['release-pending-points']).toEqual({ lots: 0, points: 0 });
    });

    it('a lease is held by one owner until it lapses', async () => {
      const now = db.clock.now();
      expect(await takeLease(db.ctx.storage.db, 'runner', 'a', now, 30_000)).toBe(true);
      expect(await takeLease(db.ctx.storage.db, 'runner', 'b', now + 1_000, 30_000)).toBe(false);
      expect(await takeLease(db.ctx.storage.db, 'runner', 'a', now + 20_000, 30_000)).toBe(true);
      expect(await takeLease(db.ctx.storage.db, 'runner', 'b', now + 40_000, 30_000)).toBe(false);
      expect(await takeLease(db.ctx.storage.db, 'runner', 'b', now + 50_001, 30_000)).toBe(true);
    });

    it('runs jobs in the background until stopped', async () => {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 1 });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 1000);
      db.clock.advanceDays(1);
      const runner = startJobRunner(db.ctx, { workerId: 'bg', tickMs: 20 });
      await expect.poll(async () => (await getBalance(db.ctx, programId, member.id)).available, { timeout: 5_000 }).toBe(10);
      await runner.stop();
    });
  });
});
