/**
 * Rules that failed on an event (domain/rules/evaluate.ts, Failures): one row per rule, across its versions,
 * with how often it failed and the last failure. Kept apart from `rules`, whose rows are immutable versions,
 * so that counting a failure neither makes a version nor touches the rule set every process caches.
 * Reasons are written by Trouw (a limit, a check), never copied from event data, so no personal data lands here.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rule_failures')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('failure_count', 'bigint', (c) => c.notNull())
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .addColumn('last_failure_version', 'integer', (c) => c.notNull())
    .addColumn('last_failure_reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_failures_pk', ['program_id', 'rule_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rule_failures').execute();
}
