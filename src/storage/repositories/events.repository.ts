import type { Insertable } from 'kysely';
import type { EventsTable, OrdersTable } from '../schema.js';
import type { Trx } from '../transaction.js';

export async function findEvent(db: Trx, programId: string, clientEventId: string) {
  return db
    .selectFrom('events')
    .select(['requestHash', 'response'])
    .where('programId', '=', programId)
    .where('clientEventId', '=', clientEventId)
    .executeTakeFirst();
}

export async function insertEvent(trx: Trx, event: Insertable<EventsTable>): Promise<void> {
  await trx.insertInto('events').values(event).execute();
}

export async function findOrder(db: Trx, programId: string, orderId: string) {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('programId', '=', programId)
    .where('orderId', '=', orderId)
    .executeTakeFirst();
}

export async function insertOrder(trx: Trx, order: Insertable<OrdersTable>): Promise<void> {
  await trx.insertInto('orders').values(order).execute();
}

export async function recordOrderRefund(
  trx: Trx,
  programId: string,
  orderId: string,
  refund: { refundedMinor: number; pointsClawedBack: number; pointsUnrecovered: number },
): Promise<void> {
  await trx.updateTable('orders').set(refund).where('programId', '=', programId).where('orderId', '=', orderId).execute();
}

export async function findEvents(db: Trx, programId: string, clientEventIds: string[]) {
  if (clientEventIds.length === 0) return [];
  return db
    .selectFrom('events')
    .select(['clientEventId', 'requestHash', 'response'])
    .where('programId', '=', programId)
    .where('clientEventId', 'in', clientEventIds)
    .execute();
}

export async function findOrders(db: Trx, programId: string, orderIds: string[]) {
  if (orderIds.length === 0) return [];
  return db.selectFrom('orders').selectAll().where('programId', '=', programId).where('orderId', 'in', orderIds).execute();
}
