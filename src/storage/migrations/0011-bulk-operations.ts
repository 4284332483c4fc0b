/**
 * Bulk operations: a member import or a points adjustment over many members, accepted at once and worked off
 * by the job runner item by item, so the dashboard can show progress and a failed line never undoes the others.
 * - `bulk_operations`: one per request, with counters the item transactions keep current (`processed`,
 *   `succeeded`, `failed`), so reading progress is one row.
 * - `bulk_operation_items`: one per line, with its input (JSON) and, once processed, its result or problem.
 *   An item's work and its status change commit together, so a worker that dies mid-way never applies a line
 *   twice. The `(…, status, line)` index lets the job take the next pending line without scanning done ones.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('bulk_operations')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('member_import', 'points_adjustment')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'running', 'completed')`))
    .addColumn('reason', 'text')
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('succeeded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addPrimaryKeyConstraint('bulk_operations_pk', ['program_id', 'id'])
    .addCheckConstraint('bulk_operations_counts_ck', sql`processed = succeeded + failed and processed <= total`)
    .execute();
  await db.schema.createIndex('bulk_operations_status_ix').on('bulk_operations').columns(['status', 'id']).execute();

  await db.schema
    .createTable('bulk_operation_items')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('operation_id', 'text', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'succeeded', 'failed')`))
    .addColumn('result', 'text')
    .addColumn('problem', 'text')
    .addColumn('processed_at', 'bigint')
    .addPrimaryKeyConstraint('bulk_operation_items_pk', ['program_id', 'operation_id', 'line'])
    .execute();
  await db.schema
    .createIndex('bulk_operation_items_status_ix')
    .on('bulk_operation_items')
    .columns(['program_id', 'operation_id', 'status', 'line'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('bulk_operation_items').execute();
  await db.schema.dropTable('bulk_operations').execute();
}
