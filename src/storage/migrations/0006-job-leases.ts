/**
 * Leases for work that one process at a time should do. On SQLite the job runner as a whole holds the
 * `runner` lease (one process runs the jobs; a second `trouw serve` or `trouw worker` on the same file stands
 * by and takes over when the lease lapses). On PostgreSQL workers share the jobs row by row instead
 * (`FOR UPDATE SKIP LOCKED`) and need no lease here. Deployment-wide, so not keyed by programme.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_leases').ifExists().execute();
}
