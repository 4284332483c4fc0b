import type { Insertable } from 'kysely';
import type { ProgramsTable, ApiKeysTable } from '../schema.js';
import type { Trx } from '../transaction.js';

export async function insertProgram(trx: Trx, program: Insertable<ProgramsTable>): Promise<void> {
  await trx.insertInto('programs').values(program).execute();
}

export async function findProgram(db: Trx, programId: string) {
  return db.selectFrom('programs').selectAll().where('id', '=', programId).executeTakeFirst();
}

export async function listPrograms(db: Trx) {
  return db.selectFrom('programs').selectAll().orderBy('id').execute();
}

/** Marks the programme's rule set as changed, so every process reloads it on its next event. */
export async function bumpRulesVersion(trx: Trx, programId: string, now: number): Promise<void> {
  await trx
    .updateTable('programs')
    .set((eb) => ({ rulesVersion: eb('rulesVersion', '+', 1), updatedAt: now }))
    .where('id', '=', programId)
    .execute();
}

export async function insertApiKey(trx: Trx, key: Insertable<ApiKeysTable>): Promise<void> {
  await trx.insertInto('apiKeys').values(key).execute();
}

export async function findApiKeyByPrefix(db: Trx, prefix: string) {
  return db.selectFrom('apiKeys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
}

/** Programmes that warn members before their points expire, with how many days ahead. */
export async function listProgramsWarningOfExpiry(db: Trx) {
  return db.selectFrom('programs').select(['id', 'expiryWarningDays']).where('expiryWarningDays', 'is not', null).orderBy('id').execute();
}
