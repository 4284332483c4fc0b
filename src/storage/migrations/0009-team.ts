/**
 * Team accounts for the admin dashboard.
 * - `users`: people who sign in with an e-mail address and a password. Users are not members and belong to no
 *   single programme; the address is personal data, so it is encrypted and found through its blind index. The
 *   password hash is self-describing (services/team/password-hash.ts); `failed_logins` and `locked_until` drive lock-out.
 * - `team_members`: a user's role in a programme (owner, manager, support, analyst).
 * - `sessions`: one per login; the id is the SHA-256 of the opaque cookie token, so a stolen database does not
 *   give working cookies. Idle and absolute expiry are both checked on every request.
 * - `audit_log`: every admin write, with who did it and the resource before and after (JSON, secrets redacted).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_cipher', 'text', (c) => c.notNull())
    .addColumn('email_index', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_email_ux').on('users').column('email_index').unique().execute();

  await db.schema
    .createTable('team_members')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'manager', 'support', 'analyst')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['program_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user_ix').on('team_members').columns(['user_id', 'program_id']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_ix').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull().check(sql`actor_kind in ('user', 'api_key')`))
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_log_pk', ['program_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('team_members').execute();
  await db.schema.dropTable('users').execute();
}
