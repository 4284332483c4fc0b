import type { Trx } from '../transaction.js';

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
