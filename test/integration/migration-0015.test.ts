/**
 * Migration 0015 on a database that already holds referrals and referral coupons, on both dialects: the
 * referrals table keeps every row and index through the widened status CHECK (rebuilt on SQLite), existing
 * referral coupons are linked to their referral and counted in their reward's redeemed_count, so `trouw verify`
 * holds right after the upgrade. The database is made here, migrated up to the migration before 0015, filled
 * with raw rows as the earlier code wrote them, then migrated to the latest.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/db.js';
import { migrations } from '../../src/storage/migrations/index.js';
import { verifyLedger } from '../../src/storage/verify.js';
import { availableDialects } from '../support/dialects.js';

const before0015 = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0015'));

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('postgresAdminUrl') ?? '' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function emptyDatabase(dialect: 'sqlite' | 'postgres'): Promise<Storage> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-0015-'));
    const storage = openStorage({ databaseUrl: null, sqlitePath: path.join(dir, 'trouw.db') });
    cleanups.push(async () => {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return storage;
  }
  const name = `trouw_m18_${crypto.randomBytes(5).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${name}`));
  const url = new URL(inject('postgresAdminUrl') ?? '');
  url.pathname = `/${name}`;
  const storage = openStorage({ databaseUrl: url.toString(), sqlitePath: '' });
  cleanups.push(async () => {
    await storage.close();
    await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
  });
  return storage;
}

/** A referral row as migration 0007 defines it. */
function referralRow(id: string, status: string, friend: string) {
  return {
    program_id: 'prg_old', id, referrer_member_id: 'mbr_ref', friend_member_id: friend, code: 'ANNA2026', status, click_id: null,
    signup_ip_hash: null, signup_device_hash: null, score: 40, signals: '[{"signal":"disposable_email","weight":40,"stage":"signup"}]',
    qualifying_order_id: 'order-1', qualifying_total_minor: 2_500, expires_at: 1, qualified_at: 2, reward_due_at: 2, rewarded_at: status === 'rewarded' ? 3 : null,
    ended_at: null, reason: null, review: null, referrer_reward: null, friend_reward: null, created_at: 1, updated_at: 3,
  };
}

function couponRow(code: string, campaign: string | null, status: string, memberId: string | null) {
  return {
    program_id: 'prg_old', code, reward_id: 'rwd_old', redemption_id: null, member_id: memberId, batch_id: memberId ? null : 'cpb_1', campaign, status,
    expires_at: null, used_at: null, order_id: null, ended_at: status === 'cancelled' ? 5 : null, created_at: 4,
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe.skipIf(!availableDialects().includes(dialect))(`migration 0015 [${dialect}]`, () => {
    it('keeps the referrals, widens their status, links and counts the coupons referrals gave', async () => {
      const storage = await emptyDatabase(dialect);
      const raw = storage.db.withoutPlugins() as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const old = await new Migrator({ db: raw, provider: { getMigrations: async () => before0015 } }).migrateToLatest();
      expect(old.error).toBeUndefined();

      await raw.insertInto('rewards').values({
        program_id: 'prg_old', id: 'rwd_old', name: '"Welcome gift"', points_cost: 100, kind: 'experience', stock: 7, redeemed_count: 0, active: 1, created_at: 1, updated_at: 1,
      }).execute();
      await raw.insertInto('referrals').values([referralRow('rfl_paid', 'rewarded', 'mbr_a'), referralRow('rfl_open', 'flagged', 'mbr_b')]).execute();
      await raw.insertInto('coupons').values([
        couponRow('FRIEND01', 'referral rfl_paid (friend)', 'active', 'mbr_a'),
        couponRow('REFERR01', 'referral rfl_paid (referrer)', 'used', 'mbr_ref'),
        couponRow('REVERSED', 'referral rfl_gone (friend)', 'cancelled', 'mbr_c'),
        couponRow('SPRING01', 'Spring fair', 'active', null),
      ].map((row) => (row.status === 'used' ? { ...row, order_id: 'order-9', used_at: 6 } : row))).execute();
      const referralsBefore = await raw.selectFrom('referrals').selectAll().orderBy('id').execute();

      expect(await migrateToLatest(storage)).toContain('0015-referral-rewards');

      const referralsAfter = await raw.selectFrom('referrals').selectAll().orderBy('id').execute();
      expect(referralsAfter).toEqual(referralsBefore.map((row) => ({ ...row, payout_failure: null })));
      const coupons = await raw.selectFrom('coupons').select(['code', 'referral_id']).orderBy('code').execute();
      expect(coupons).toEqual([
        { code: 'FRIEND01', referral_id: 'rfl_paid' },
        { code: 'REFERR01', referral_id: 'rfl_paid' },
        { code: 'REVERSED', referral_id: 'rfl_gone' },
        { code: 'SPRING01', referral_id: null },
      ]);
      // The active and the used coupon stand; the cancelled one was given back.
      expect(await raw.selectFrom('rewards').select(['redeemed_count', 'stock', 'audience']).executeTakeFirst()).toEqual({ redeemed_count: 2, stock: 7, audience: 'catalogue' });
      expect(await verifyLedger(storage)).toEqual([]);

      await raw.updateTable('referrals').set({ status: 'reward_failed', payout_failure: '{"at":"2026-03-15T12:00:00.000Z","sides":[]}' }).where('id', '=', 'rfl_open').execute();
      await expect(raw.updateTable('referrals').set({ status: 'lost' }).where('id', '=', 'rfl_open').execute()).rejects.toThrow(/check/i);
      await expect(raw.updateTable('rewards').set({ audience: 'everyone' }).where('id', '=', 'rwd_old').execute()).rejects.toThrow(/check/i);
      await expect(raw.insertInto('referrals').values(referralRow('rfl_twice', 'signed_up', 'mbr_a')).execute()).rejects.toThrow(/unique/i);

      if (dialect === 'sqlite') {
        const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'referrals' and sql is not null order by name`.execute(raw);
        expect(rows.map((row) => row.name)).toEqual([
          'referrals_due_expiry_ix', 'referrals_due_reward_ix', 'referrals_ip_ix', 'referrals_order_ix', 'referrals_referrer_ix', 'referrals_status_ix',
        ]);
      }
    });
  });
}
