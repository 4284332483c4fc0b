/**
 * Referral rewards that cannot silently vanish (issue 12):
 * - `rewards.audience`: `catalogue` (members redeem it for points) or `referral` (only the referral programme
 *   gives it; hidden from the catalogue, refused for points).
 * - `referrals.status` may be `reward_failed`: the referral was due its reward but a catalogue reward could not
 *   be issued; `payout_failure` (JSON) says which side and why, until an admin's retry pays it.
 * - `coupons.referral_id`: the coupon a referral gave. Such coupons now count in the reward's `redeemed_count`
 *   (as redemptions do) while they stand (not cancelled); existing ones are found by the campaign the referral
 *   steps wrote (`referral rfl_… (friend)`) and counted here, so `trouw verify` holds on an upgraded database.
 *
 * Widening the status CHECK: PostgreSQL drops and adds the constraint. SQLite cannot alter a CHECK, so the table
 * is rebuilt the way SQLite's documentation prescribes (ALTER TABLE, "making other kinds of table schema
 * changes"): a new table from the stored CREATE statement with the one change, the rows copied, the old table
 * dropped, the new one renamed, its indexes created again from their stored statements. Taking the statements
 * from `sqlite_master` rather than writing the columns out keeps columns other migrations added.
 */
import { type Kysely, SqliteAdapter, sql } from 'kysely';

const oldStatuses = `'signed_up', 'qualified', 'rewarded', 'flagged', 'rejected', 'expired', 'reversed'`;
const newStatuses = `${oldStatuses}, 'reward_failed'`;

/** Replaces the status CHECK of `referrals`: `from` and `to` are the lists of statuses it allows. */
async function setReferralStatuses(db: Kysely<unknown>, from: string, to: string): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await sql`alter table referrals drop constraint if exists referrals_status_check`.execute(db);
    await sql.raw(`alter table referrals add constraint referrals_status_check check (status in (${to}))`).execute(db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
      select type, name, sql from sqlite_master where tbl_name = 'referrals'`.execute(trx);
    const statement = rows.find((row) => row.type === 'table')?.sql ?? '';
    const check = `check (status in (${from}))`;
    if (!statement.includes(check)) throw new Error('0015: the referrals table does not have the status CHECK this migration changes');
    const created = statement.replace(/^CREATE TABLE "referrals"/, 'CREATE TABLE "referrals__0015"').replace(check, `check (status in (${to}))`);
    if (!created.startsWith('CREATE TABLE "referrals__0015"')) throw new Error('0015: unexpected CREATE statement for referrals');
    const indexes = rows.flatMap((row) => (row.type === 'index' && row.sql !== null ? [row.sql] : []));
    await sql.raw(created).execute(trx);
    await sql`insert into referrals__0015 select * from referrals`.execute(trx);
    await sql`drop table referrals`.execute(trx);
    await sql`alter table referrals__0015 rename to referrals`.execute(trx);
    for (const index of indexes) await sql.raw(index).execute(trx);
  });
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('rewards')
    .addColumn('audience', 'text', (c) => c.notNull().defaultTo('catalogue').check(sql`audience in ('catalogue', 'referral')`))
    .execute();

  await setReferralStatuses(db, oldStatuses, newStatuses);
  await db.schema.alterTable('referrals').addColumn('payout_failure', 'text').execute();

  await db.schema.alterTable('coupons').addColumn('referral_id', 'text').execute();
  // The referral steps named a coupon's campaign `referral <id> (friend|referrer)`; ids have no spaces.
  const { rows } = await sql<{ program_id: string; code: string; campaign: string }>`
    select program_id, code, campaign from coupons
    where redemption_id is null and member_id is not null and campaign like 'referral rfl%'`.execute(db);
  for (const row of rows) {
    const referralId = row.campaign.split(' ')[1];
    if (referralId === undefined) continue;
    await sql`update coupons set referral_id = ${referralId} where program_id = ${row.program_id} and code = ${row.code}`.execute(db);
  }
  await sql`update rewards set redeemed_count = redeemed_count + (
      select count(*) from coupons c
      where c.program_id = rewards.program_id and c.reward_id = rewards.id and c.referral_id is not null and c.status <> 'cancelled')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update rewards set redeemed_count = redeemed_count - (
      select count(*) from coupons c
      where c.program_id = rewards.program_id and c.reward_id = rewards.id and c.referral_id is not null and c.status <> 'cancelled')`.execute(db);
  await db.schema.alterTable('coupons').dropColumn('referral_id').execute();
  // The earlier schema has no failed payouts: such a referral goes back to waiting for the reward job.
  await sql`update referrals set status = 'qualified' where status = 'reward_failed'`.execute(db);
  await db.schema.alterTable('referrals').dropColumn('payout_failure').execute();
  await setReferralStatuses(db, newStatuses, oldStatuses);
  await db.schema.alterTable('rewards').dropColumn('audience').execute();
}
