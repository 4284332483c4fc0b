/**
 * The referral programme and its fraud evidence.
 * - `referral_programs`: one row per programme, its settings as JSON (rewards for both sides, qualification,
 *   caps, validity, ladder, fraud thresholds, landing page, share messages).
 * - `referral_clicks`: every click on a referral link (`GET /r/{code}`), with the IP address only as a keyed
 *   hash (the blind-index key), the user agent, UTM parameters and landing URL.
 * - `referrals`: one per referred friend (a member is referred at most once: unique friend), with its status,
 *   fraud score and the signals that fired (JSON, with evidence), the qualifying order, what each side was
 *   given, the review decision, and the hashed sign-up IP and device for velocity and same-device signals.
 * - `member_fingerprints`: keyed hashes of the IP addresses and device ids a member was seen with (sent by the
 *   client as `context`), so "same device as the referrer" is an index lookup without storing the raw values.
 * - members gain `email_identity_index` (keyed hash of the canonical address: `a.b+x@gmail.com` and
 *   `ab@gmail.com` hash alike) for the same-person signal, `referral_code_customised_at` (a vanity code may be
 *   chosen once) and `refunded_orders` (the earn-then-refund counter).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('referral_programs')
    .addColumn('program_id', 'text', (c) => c.primaryKey())
    .addColumn('enabled', 'integer', (c) => c.notNull().check(sql`enabled in (0, 1)`))
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('referral_clicks')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('referrer_member_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('ip_hash', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('utm', 'text')
    .addColumn('landing_url', 'text', (c) => c.notNull())
    .addColumn('clicked_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('referral_clicks_pk', ['program_id', 'id'])
    .execute();
  await db.schema.createIndex('referral_clicks_referrer_ix').on('referral_clicks').columns(['program_id', 'referrer_member_id', 'clicked_at']).execute();
  await db.schema.createIndex('referral_clicks_time_ix').on('referral_clicks').columns(['program_id', 'clicked_at']).execute();

  await db.schema
    .createTable('referrals')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('referrer_member_id', 'text', (c) => c.notNull())
    .addColumn('friend_member_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('signed_up', 'qualified', 'rewarded', 'flagged', 'rejected', 'expired', 'reversed')`),
    )
    .addColumn('click_id', 'text')
    .addColumn('signup_ip_hash', 'text')
    .addColumn('signup_device_hash', 'text')
    .addColumn('score', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('signals', 'text', (c) => c.notNull())
    .addColumn('qualifying_order_id', 'text')
    .addColumn('qualifying_total_minor', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('qualified_at', 'bigint')
    .addColumn('reward_due_at', 'bigint')
    .addColumn('rewarded_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('reason', 'text')
    .addColumn('review', 'text')
    .addColumn('referrer_reward', 'text')
    .addColumn('friend_reward', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('referrals_pk', ['program_id', 'id'])
    .addUniqueConstraint('referrals_friend_uq', ['program_id', 'friend_member_id'])
    .execute();
  await db.schema.createIndex('referrals_referrer_ix').on('referrals').columns(['program_id', 'referrer_member_id', 'created_at']).execute();
  await db.schema.createIndex('referrals_status_ix').on('referrals').columns(['program_id', 'status', 'id']).execute();
  await db.schema.createIndex('referrals_ip_ix').on('referrals').columns(['program_id', 'signup_ip_hash', 'created_at']).execute();
  await db.schema.createIndex('referrals_order_ix').on('referrals').columns(['program_id', 'qualifying_order_id']).execute();
  // Open referrals past their validity, for the expiry job.
  await db.schema
    .createIndex('referrals_due_expiry_ix')
    .on('referrals')
    .column('expires_at')
    .where(sql<boolean>`status = 'signed_up'`)
    .execute();

  // Qualified referrals whose reward is due (the return window passed), for the reward job.
  await db.schema
    .createIndex('referrals_due_reward_ix')
    .on('referrals')
    .column('reward_due_at')
    .where(sql<boolean>`status = 'qualified'`)
    .execute();

  await db.schema
    .createTable('member_fingerprints')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('ip', 'device')`))
    .addColumn('value_hash', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_fingerprints_pk', ['program_id', 'kind', 'value_hash', 'member_id'])
    .execute();
  await db.schema.createIndex('member_fingerprints_member_ix').on('member_fingerprints').columns(['program_id', 'member_id']).execute();

  await db.schema.alterTable('members').addColumn('email_identity_index', 'text').execute();
  await db.schema.alterTable('members').addColumn('referral_code_customised_at', 'bigint').execute();
  await db.schema.alterTable('members').addColumn('refunded_orders', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('members_email_identity_ix').on('members').columns(['program_id', 'email_identity_index']).execute();
  // The short link `/r/{code}` finds the programme by the code alone.
  await db.schema.createIndex('members_referral_code_ix').on('members').column('referral_code').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('members_referral_code_ix').ifExists().execute();
  await db.schema.dropIndex('members_email_identity_ix').ifExists().execute();
  for (const column of ['refunded_orders', 'referral_code_customised_at', 'email_identity_index']) {
    await db.schema.alterTable('members').dropColumn(column).execute();
  }
  for (const table of ['member_fingerprints', 'referrals', 'referral_clicks', 'referral_programs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
