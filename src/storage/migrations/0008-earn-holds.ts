/**
 * Earn abuse beyond referrals: the daily earn limit and the awards it holds for review.
 * - programs gain `max_points_per_day` (null: no limit): an event whose award would take the member past it in
 *   any 24 hours is recorded, but its points wait in `earn_holds` for a reviewer instead of being posted.
 * - `earn_holds`: one per held award, with the rule lines it would have posted (JSON), the evidence of the
 *   limit check (JSON), its status (held → approved | rejected) and the reviewer's decision (JSON).
 * - orders gain `held_points`: a held purchase's points, so refunds before the review are counted as
 *   earn-then-refund and an approval awards only what the refunds left.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('programs').addColumn('max_points_per_day', 'bigint').execute();
  await db.schema.alterTable('orders').addColumn('held_points', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('earn_holds')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('points', 'bigint', (c) => c.notNull().check(sql`points > 0`))
    .addColumn('lines', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('held', 'approved', 'rejected')`))
    .addColumn('points_awarded', 'bigint')
    .addColumn('transaction_id', 'text')
    .addColumn('review', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('earn_holds_pk', ['program_id', 'id'])
    .execute();
  await db.schema.createIndex('earn_holds_status_ix').on('earn_holds').columns(['program_id', 'status', 'id']).execute();
  await db.schema.createIndex('earn_holds_member_ix').on('earn_holds').columns(['program_id', 'member_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('earn_holds').execute();
  await db.schema.alterTable('orders').dropColumn('held_points').execute();
  await db.schema.alterTable('programs').dropColumn('max_points_per_day').execute();
}
