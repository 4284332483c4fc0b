import type { Trx } from '../transaction.js';

export async function findIdempotencyRecord(db: Trx, programId: string, key: string) {
  return db
    .selectFrom('idempotencyKeys')
    .selectAll()
    .where('programId', '=', programId)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function insertIdempotencyRecord(
  trx: Trx,
  record: { programId: string; key: string; scope: string; requestHash: string; statusCode: number; response: string; createdAt: number },
): Promise<void> {
  await trx.insertInto('idempotencyKeys').values(record).execute();
}
