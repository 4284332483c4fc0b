/**
 * Tiers and paid memberships:
 * - `tier_configs`: the programme's tier configuration (one row per programme);
 * - `tier_metric_months`: per member per programme-timezone month, points earned, spend and purchases, net of
 *   refunds; upserted by event ingestion and summed over the tier window;
 * - `member_tiers`: the qualified level, its review date and the level granted by memberships, beside
 *   `members.tier` (the effective level); a partial index finds due reviews;
 * - `tier_history`: every level change with its reason;
 * - `membership_plans` and `memberships`; partial indexes find memberships due to start or end.
 */
import { type Kysely, SqliteAdapter, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const compactOnSqlite = db.getExecutor().adapter instanceof SqliteAdapter ? sql`without rowid` : sql``;

  await db.schema
    .createTable('tier_configs')
    .addColumn('program_id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('qualifying_window', 'text', (c) => c.notNull())
    .addColumn('review_months', 'integer', (c) => c.notNull().check(sql`review_months > 0`))
    .addColumn('grace_days', 'integer', (c) => c.notNull().check(sql`grace_days >= 0`))
    .addColumn('levels', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tier_metric_months')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('points_earned', 'bigint', (c) => c.notNull())
    .addColumn('spend_minor', 'bigint', (c) => c.notNull())
    .addColumn('purchases', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('tier_metric_months_pk', ['program_id', 'member_id', 'month'])
    .modifyEnd(compactOnSqlite)
    .execute();

  await db.schema
    .createTable('member_tiers')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('qualified_tier', 'text')
    .addColumn('reached_at', 'bigint')
    .addColumn('review_at', 'bigint')
    .addColumn('membership_tier', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_tiers_pk', ['program_id', 'member_id'])
    .modifyEnd(compactOnSqlite)
    .execute();
  await db.schema
    .createIndex('member_tiers_review_ix')
    .on('member_tiers')
    .column('review_at')
    .where(sql.ref('review_at'), 'is not', null)
    .execute();

  await db.schema
    .createTable('tier_history')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('previous_tier', 'text')
    .addColumn('tier', 'text')
    .addColumn('qualified_tier', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('membership_id', 'text')
    .addColumn('review_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tier_history_pk', ['program_id', 'id'])
    .execute();
  await db.schema.createIndex('tier_history_member_ix').on('tier_history').columns(['program_id', 'member_id', 'id']).execute();

  await db.schema
    .createTable('membership_plans')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tier', 'text')
    .addColumn('perks', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('membership_plans_pk', ['program_id', 'id'])
    .execute();

  await db.schema
    .createTable('memberships')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('scheduled', 'active', 'ended')`))
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['program_id', 'id'])
    .addCheckConstraint('memberships_period', sql`ends_at > starts_at`)
    .execute();
  await db.schema.createIndex('memberships_member_ix').on('memberships').columns(['program_id', 'member_id', 'id']).execute();
  await db.schema
    .createIndex('memberships_due_start_ix')
    .on('memberships')
    .column('starts_at')
    .where(sql<boolean>`status = 'scheduled'`)
    .execute();
  await db.schema
    .createIndex('memberships_due_end_ix')
    .on('memberships')
    .column('ends_at')
    .where(sql<boolean>`status = 'active'`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['memberships', 'membership_plans', 'tier_history', 'member_tiers', 'tier_metric_months', 'tier_configs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
