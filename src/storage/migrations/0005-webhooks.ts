/**
 * Webhook endpoints, their deliveries and the attempt log.
 * - `webhook_endpoints`: soft-deleted (`deleted_at`) so the deliveries and attempts that name an endpoint keep
 *   their meaning; the secret is stored encrypted.
 * - `webhook_deliveries`: one row per (endpoint, outbox message), unique on (program_id, endpoint_id,
 *   message_id) so a fan-out run twice, or by two workers at once, never queues a message twice for an endpoint.
 *   A partial index on `next_attempt_at` over the pending ones keeps "what is due" cheap however long the log
 *   grows.
 * - `webhook_attempts`: append-only, one row per HTTP attempt.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('secret_cipher', 'text', (c) => c.notNull())
    .addColumn('previous_secret_cipher', 'text')
    .addColumn('previous_secret_until', 'bigint')
    .addColumn('enabled', 'integer', (c) => c.notNull().check(sql`enabled in (0, 1)`))
    .addColumn('disabled_reason', 'text')
    .addColumn('disabled_at', 'bigint')
    .addColumn('failing_since', 'bigint')
    .addColumn('last_success_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addPrimaryKeyConstraint('webhook_endpoints_pk', ['program_id', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'failed')`))
    .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('round_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['program_id', 'id'])
    .addUniqueConstraint('webhook_deliveries_message_uq', ['program_id', 'endpoint_id', 'message_id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_due_ix')
    .on('webhook_deliveries')
    .column('next_attempt_at')
    .where(sql<boolean>`status = 'pending'`)
    .execute();
  // The delivery log of an endpoint, newest first, optionally by status.
  await db.schema
    .createIndex('webhook_deliveries_endpoint_ix')
    .on('webhook_deliveries')
    .columns(['program_id', 'endpoint_id', 'id'])
    .execute();

  // The deliveries of a message: the retention job keeps a message while any of its deliveries is kept.
  await db.schema
    .createIndex('webhook_deliveries_message_ix')
    .on('webhook_deliveries')
    .columns(['program_id', 'message_id'])
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('worker_id', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('response_excerpt', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['program_id', 'id'])
    .execute();
  await db.schema
    .createIndex('webhook_attempts_delivery_ix')
    .on('webhook_attempts')
    .columns(['program_id', 'delivery_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_attempts').ifExists().execute();
  await db.schema.dropIndex('webhook_deliveries_message_ix').ifExists().execute();
  await db.schema.dropIndex('webhook_deliveries_endpoint_ix').ifExists().execute();
  await db.schema.dropIndex('webhook_deliveries_due_ix').ifExists().execute();
  await db.schema.dropTable('webhook_deliveries').ifExists().execute();
  await db.schema.dropTable('webhook_endpoints').ifExists().execute();
}
