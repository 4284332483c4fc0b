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

/** Deletes up to `limit` records, across programmes, created before `cutoff` (oldest first); returns how many. */
export async function deleteIdempotencyRecordsBefore(trx: Trx, cutoff: number, limit: number): Promise<number> {
  const old = await trx.selectFrom('idempotencyKeys').select(['programId', 'key']).where('createdAt', '<', cutoff).orderBy('createdAt').limit(limit).execute();
  const byProgram = new Map<string, string[]>();
  for (const { programId, key } of old) byProgram.set(programId, [...(byProgram.get(programId) ?? []), key]);
  for (const [programId, keys] of byProgram) await trx.deleteFrom('idempotencyKeys').where('programId', '=', programId).where('key', 'in', keys).execute();
  return old.length;
}
