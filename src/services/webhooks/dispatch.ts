/**
 * Fan-out: turns outbox messages into webhook deliveries. Guarantees:
 * - Each batch is one transaction that claims the oldest undispatched messages (`claimRows`: on PostgreSQL,
 *   concurrent callers skip each other's rows; on SQLite one writer runs at a time), creates one delivery per
 *   enabled endpoint of the message's programme that subscribes to its type and existed when the message was
 *   written, and sets the messages' `dispatched_at`. A batch commits whole or not at all.
 * - Exactly one delivery per (endpoint, message): the claim keeps concurrent callers apart, and the unique key
 *   on (program_id, endpoint_id, message_id) with `on conflict do nothing` makes even a re-run add nothing.
 * - A programme's messages only ever reach its own endpoints (the endpoints are looked up by the message's
 *   programme).
 * - Disabled endpoints get no deliveries for messages dispatched while they are disabled; these are not
 *   caught up later. Messages with no subscriber are simply marked dispatched.
 * Nothing here talks to the network; `deliver.ts` sends.
 */
import type { ServiceContext } from '../../context.js';
import { subscribesTo } from '../../domain/webhooks/subscription.js';
import {
  claimUndispatchedMessages,
  insertDeliveries,
  listEnabledEndpoints,
  markMessagesDispatched,
} from '../../storage/repositories/webhooks.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import { newDelivery } from './rows.js';

const DISPATCH_BATCH = 200;

/** Fans out undispatched outbox messages, batch by batch, until none is left; returns how many it dispatched. */
export async function dispatchOutbox(ctx: ServiceContext, options: { batchSize?: number } = {}): Promise<number> {
  const batchSize = options.batchSize ?? DISPATCH_BATCH;
  let dispatched = 0;
  for (;;) {
    // Counted after commit: a batch retried after a serialization failure must not count twice.
    const count = await inTransaction(ctx.storage, async (trx) => {
      const messages = await claimUndispatchedMessages(trx, ctx.storage, batchSize);
      if (messages.length === 0) return 0;
      const now = ctx.clock.now();
      const programIds = [...new Set(messages.map((message) => message.programId))].sort();
      const endpointsByProgram = new Map<string, { id: string; eventTypes: string[]; createdAt: number }[]>();
      for (const endpoint of await listEnabledEndpoints(trx, programIds)) {
        const list = endpointsByProgram.get(endpoint.programId) ?? [];
        list.push({ id: endpoint.id, eventTypes: JSON.parse(endpoint.eventTypes) as string[], createdAt: endpoint.createdAt });
        endpointsByProgram.set(endpoint.programId, list);
      }
      const deliveries = [];
      for (const message of messages) {
        for (const endpoint of endpointsByProgram.get(message.programId) ?? []) {
          // An endpoint hears about what happened after it was made, however late the fan-out runs.
          if (endpoint.createdAt > message.createdAt || !subscribesTo(endpoint.eventTypes, message.type)) continue;
          deliveries.push(newDelivery(message.programId, ctx.ids.next('dlv'), endpoint.id, message.id, message.type, now));
        }
      }
      await insertDeliveries(trx, deliveries);
      for (const programId of programIds) {
        const ids = messages.filter((message) => message.programId === programId).map((message) => message.id);
        await markMessagesDispatched(trx, programId, ids, now);
      }
      return messages.length;
    });
    dispatched += count;
    if (count < batchSize) return dispatched;
  }
}
