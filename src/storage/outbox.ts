/**
 * Writing the outbox. A message is a row in `outbox_messages`, inserted with the same `trx` as the change it
 * reports, so a committed change always has its message and a rolled-back one never does (DESIGN.md §3). The
 * webhook dispatcher delivers the rows later, at least once; nothing here talks to the network.
 */
import type { Insertable } from 'kysely';
import type { WebhookEventType } from '../domain/webhooks/event-types.js';
import type { Ids } from '../context.js';
import type { OutboxMessagesTable } from './schema.js';
import type { Trx } from './transaction.js';

export interface OutboxMessage {
  type: WebhookEventType;
  /** The member the change is about, when there is one. */
  memberId: string | null;
  /** The payload's `data`: the changed object as the API shows it. */
  data: Record<string, unknown>;
}

export type OutboxRow = Insertable<OutboxMessagesTable>;

/** The row for one message; ids are time-ordered, so the dispatcher reads them in the order they were made. */
export function outboxRow(ids: Ids, programId: string, message: OutboxMessage, now: number): OutboxRow {
  return {
    programId,
    id: ids.next('msg'),
    type: message.type,
    memberId: message.memberId,
    data: JSON.stringify(message.data),
    createdAt: now,
    dispatchedAt: null,
  };
}

/** Writes messages in the caller's transaction. */
export async function enqueueOutbox(trx: Trx, ids: Ids, programId: string, messages: OutboxMessage[], now: number): Promise<void> {
  if (messages.length === 0) return;
  await trx
    .insertInto('outboxMessages')
    .values(messages.map((message) => outboxRow(ids, programId, message, now)))
    .execute();
}

/** The messages about one member, for rewriting what they say of the person (erasure). */
export async function listOutboxMessagesOfMember(trx: Trx, programId: string, memberId: string) {
  return trx.selectFrom('outboxMessages').select(['id', 'data']).where('programId', '=', programId).where('memberId', '=', memberId).execute();
}

export async function rewriteOutboxMessageData(trx: Trx, programId: string, messageId: string, data: Record<string, unknown>): Promise<void> {
  await trx.updateTable('outboxMessages').set({ data: JSON.stringify(data) }).where('programId', '=', programId).where('id', '=', messageId).execute();
}
