/**
 * How long the outbox and the webhook log are kept. A settled delivery (delivered or failed) and its attempts
 * are deleted once older than the retention period; an outbox message once it is older, dispatched, and none
 * of its deliveries is kept any more (a delivery still pending for a disabled endpoint keeps its message, so
 * it can still be sent when the endpoint comes back). Without this the outbox would grow by a row per earning
 * event for ever.
 *
 * Ids are time-ordered, so "older than" is a range on the primary key (`idAt`), not a scan of a time column.
 * Deletes go in small batches, each its own transaction, so the job never holds the write lock for long.
 */
import { idAt, type ServiceContext } from '../../context.js';
import { listPrograms } from '../../storage/repositories/programs.repository.js';
import { inTransaction } from '../../storage/transaction.js';

export const defaultRetentionDays = 30;
const BATCH = 500;
const DAY_MS = 86_400_000;

export interface RetentionRun {
  deliveries: number;
  messages: number;
}

export async function pruneWebhookHistory(ctx: ServiceContext, retentionDays = defaultRetentionDays): Promise<RetentionRun> {
  const run: RetentionRun = { deliveries: 0, messages: 0 };
  const cutoff = ctx.clock.now() - retentionDays * DAY_MS;
  for (const { id: programId } of await listPrograms(ctx.storage.db)) {
    for (;;) {
      const deleted = await inTransaction(ctx.storage, async (trx) => {
        const settled = await trx
          .selectFrom('webhookDeliveries')
          .select('id')
          .where('programId', '=', programId)
          .where('id', '<', idAt('dlv', cutoff))
          .where('status', '!=', 'pending')
          .limit(BATCH)
          .execute();
        const ids = settled.map((d) => d.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('webhookAttempts').where('programId', '=', programId).where('deliveryId', 'in', ids).execute();
        await trx.deleteFrom('webhookDeliveries').where('programId', '=', programId).where('id', 'in', ids).execute();
        return ids.length;
      });
      run.deliveries += deleted;
      if (deleted < BATCH) break;
    }
    for (;;) {
      const deleted = await inTransaction(ctx.storage, async (trx) => {
        const old = await trx
          .selectFrom('outboxMessages as m')
          .select('m.id')
          .where('m.programId', '=', programId)
          .where('m.id', '<', idAt('msg', cutoff))
          .where('m.dispatchedAt', 'is not', null)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('webhookDeliveries as d').select('d.id').whereRef('d.programId', '=', 'm.programId').whereRef('d.messageId', '=', 'm.id'))),
          )
          .limit(BATCH)
          .execute();
        const ids = old.map((m) => m.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('outboxMessages').where('programId', '=', programId).where('id', 'in', ids).execute();
        return ids.length;
      });
      run.messages += deleted;
      if (deleted < BATCH) break;
    }
  }
  return run;
}
