import type { Trx } from '../transaction.js';

/**
 * Takes or renews a lease: succeeds when nobody holds it, it lapsed, or `owner` already holds it. One
 * conditional statement, so two processes racing for it cannot both win.
 */
export async function takeLease(db: Trx, name: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
  const leaseUntil = now + leaseMs;
  const result = await db
    .insertInto('jobLeases')
    .values({ name, owner, leaseUntil })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ owner, leaseUntil })
        .where((eb) => eb.or([eb('jobLeases.owner', '=', owner), eb('jobLeases.leaseUntil', '<', now)])),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Gives a lease up (on shutdown), so a standby process takes over at once. */
export async function releaseLease(db: Trx, name: string, owner: string): Promise<void> {
  await db.deleteFrom('jobLeases').where('name', '=', name).where('owner', '=', owner).execute();
}
