/**
 * Indexes for the ledger's trust fixes (issue 12):
 * - `lots_member_open_ix`: a member's lots that still hold points, by expiry. Every write that meets a member's
 *   lots now looks for those past their expiry (services/expiry-steps.ts), and every balance read subtracts
 *   them; the index keeps that to the member's open lots however many used-up lots they have.
 * - `idempotency_keys_created_ix`: idempotency records are pruned after their retention (services/
 *   idempotency-retention.ts), oldest first; client keys are not time-ordered, so the time needs its own index.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('lots_member_open_ix')
    .on('lots')
    .columns(['program_id', 'member_id', 'expires_at'])
    .where(sql<boolean>`remaining > 0`)
    .execute();
  await db.schema.createIndex('idempotency_keys_created_ix').on('idempotency_keys').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('idempotency_keys_created_ix').execute();
  await db.schema.dropIndex('lots_member_open_ix').execute();
}
