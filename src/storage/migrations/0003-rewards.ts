/**
 * The rewards capability: the catalogue (`rewards`), what members redeemed (`redemptions`) and the coupons a
 * checkout validates and uses (`coupons`), plus the programme's coupon settings. Guards in SQL as well as in the
 * domain: stock never below zero (CHECK, and redemptions take it with a conditional decrement), a coupon code is
 * unique per programme (its primary key), a coupon's status is one of four. Due coupons are found by a partial
 * index over active ones, as the lot jobs find due lots.
 */
import { type Kysely, SqliteAdapter, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const compactOnSqlite = db.getExecutor().adapter instanceof SqliteAdapter ? sql`without rowid` : sql``;

  await db.schema
    .createTable('rewards')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('points_cost', 'bigint', (c) => c.notNull().check(sql`points_cost > 0`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('max_discount', 'bigint')
    .addColumn('sku', 'text')
    .addColumn('stock', 'bigint', (c) => c.check(sql`stock >= 0`))
    .addColumn('redeemed_count', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`redeemed_count >= 0`))
    .addColumn('limits', 'text')
    .addColumn('tiers', 'text')
    .addColumn('valid_from', 'bigint')
    .addColumn('valid_until', 'bigint')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('partner_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rewards_pk', ['program_id', 'id'])
    .execute();

  await db.schema
    .createTable('redemptions')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull().check(sql`points > 0`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('completed', 'cancelled', 'refunded')`))
    .addColumn('coupon_code', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('return_transaction_id', 'text')
    .addColumn('taken_lots', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addPrimaryKeyConstraint('redemptions_pk', ['program_id', 'id'])
    .addCheckConstraint('redemptions_return_recorded', sql`(status = 'completed') = (return_transaction_id is null)`)
    .modifyEnd(compactOnSqlite)
    .execute();
  // A member's redemptions of one reward (the per-member limit) and a member's redemptions newest first.
  await db.schema.createIndex('redemptions_member_reward_ix').on('redemptions').columns(['program_id', 'member_id', 'reward_id']).execute();
  await db.schema.createIndex('redemptions_member_ix').on('redemptions').columns(['program_id', 'member_id', 'id']).execute();

  await db.schema
    .createTable('coupons')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('redemption_id', 'text')
    .addColumn('member_id', 'text')
    .addColumn('batch_id', 'text')
    .addColumn('campaign', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'used', 'expired', 'cancelled')`))
    .addColumn('expires_at', 'bigint')
    .addColumn('used_at', 'bigint')
    .addColumn('order_id', 'text')
    .addColumn('ended_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('coupons_pk', ['program_id', 'code'])
    .addCheckConstraint('coupons_used_with_order', sql`(status = 'used') = (order_id is not null)`)
    .modifyEnd(compactOnSqlite)
    .execute();
  await db.schema
    .createIndex('coupons_due_expiry_ix')
    .on('coupons')
    .column('expires_at')
    .where(sql<boolean>`status = 'active' and expires_at is not null`)
    .execute();

  await db.schema.alterTable('programs').addColumn('coupon_prefix', 'text').execute();
  await db.schema
    .alterTable('programs')
    .addColumn('coupon_length', 'integer', (c) => c.notNull().defaultTo(10).check(sql`coupon_length between 6 and 32`))
    .execute();
  await db.schema
    .alterTable('programs')
    .addColumn('coupon_validity_days', 'integer', (c) => c.notNull().defaultTo(90).check(sql`coupon_validity_days > 0`))
    .execute();
  await db.schema
    .alterTable('programs')
    .addColumn('refund_expired_coupons', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['refund_expired_coupons', 'coupon_validity_days', 'coupon_length', 'coupon_prefix']) {
    await db.schema.alterTable('programs').dropColumn(column).execute();
  }
  await db.schema.dropIndex('coupons_due_expiry_ix').ifExists().execute();
  await db.schema.dropIndex('redemptions_member_ix').ifExists().execute();
  await db.schema.dropIndex('redemptions_member_reward_ix').ifExists().execute();
  for (const table of ['coupons', 'redemptions', 'rewards']) await db.schema.dropTable(table).ifExists().execute();
}
