/**
 * The outbox, and what the scheduled jobs need to find their work without scanning everything:
 * - `outbox_messages`: one row per domain change the business may care about, written in the transaction of
 *   the change; `dispatched_at` is set once the message has been fanned out to the webhook endpoints that want
 *   it (a partial index keeps the undispatched ones cheap to find).
 * - `programs.expiry_warning_days` and `lots.expiry_warned_at`: how long ahead, and when the "points.expiring" warning for a lot was written, so it is written once.
 * - `members.birthday` and `members.anniversary` (`MM-DD`, in the programme's timezone): the yearly triggers
 *   find today's members by index. The birthday is kept as month and day only, without the year, next to the
 *   encrypted full date: it identifies no one on its own, and decrypting every member daily would not scale.
 */
import { type Kysely, sql } from 'kysely';
import { DateTime } from 'luxon';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox_messages')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('dispatched_at', 'bigint')
    .addPrimaryKeyConstraint('outbox_messages_pk', ['program_id', 'id'])
    .execute();
  await db.schema
    .createIndex('outbox_messages_undispatched_ix')
    .on('outbox_messages')
    .column('id')
    .where(sql.ref('dispatched_at'), 'is', null)
    .execute();

  await db.schema.alterTable('lots').addColumn('expiry_warned_at', 'bigint').execute();
  // How many days before expiry the points.expiring warning goes out; null: no warning.
  await db.schema
    .alterTable('programs')
    .addColumn('expiry_warning_days', 'integer', (c) => c.defaultTo(30).check(sql`expiry_warning_days > 0`))
    .execute();
  await db.schema.alterTable('members').addColumn('birthday', 'text').execute();
  await db.schema.alterTable('members').addColumn('anniversary', 'text').execute();
  await db.schema.createIndex('members_birthday_ix').on('members').columns(['program_id', 'birthday']).execute();
  await db.schema.createIndex('members_anniversary_ix').on('members').columns(['program_id', 'anniversary']).execute();

  // Existing members get their anniversary from their enrolment instant in the programme's timezone. Their
  // birthday is only in the encrypted column, which a migration cannot read (it has no key): it is filled in
  // the next time the member's birth date is written. Done in JavaScript because the two dialects share no
  // timezone arithmetic.
  const members = await sql<{ programId: string; id: string; createdAt: number | string; timezone: string }>`
    select m.program_id as "programId", m.id, m.created_at as "createdAt", p.timezone
    from members m join programs p on p.id = m.program_id`.execute(db);
  for (const member of members.rows) {
    const anniversary = DateTime.fromMillis(Number(member.createdAt), { zone: member.timezone }).toFormat('MM-dd');
    await sql`update members set anniversary = ${anniversary} where program_id = ${member.programId} and id = ${member.id}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('members_anniversary_ix').ifExists().execute();
  await db.schema.dropIndex('members_birthday_ix').ifExists().execute();
  await db.schema.alterTable('members').dropColumn('anniversary').execute();
  await db.schema.alterTable('members').dropColumn('birthday').execute();
  await db.schema.alterTable('programs').dropColumn('expiry_warning_days').execute();
  await db.schema.alterTable('lots').dropColumn('expiry_warned_at').execute();
  await db.schema.dropTable('outbox_messages').ifExists().execute();
}
