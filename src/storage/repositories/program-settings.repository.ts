import type { Updateable } from 'kysely';
import type { ProgramsTable } from '../schema.js';
import type { Trx } from '../transaction.js';

/** Changes a programme's settings (name, points policy, coupon settings); never its id, currency or timezone. */
export async function updateProgramSettings(
  trx: Trx,
  programId: string,
  changes: Omit<Updateable<ProgramsTable>, 'id' | 'currency' | 'timezone' | 'rulesVersion' | 'createdAt'>,
): Promise<void> {
  await trx.updateTable('programs').set(changes).where('id', '=', programId).execute();
}
