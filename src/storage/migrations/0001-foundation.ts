/**
 * Programmes, API keys, members, events, orders, the double-entry ledger with its lots, earn rules and
 * idempotency records. Written once for both dialects: only types both understand (text, integer, bigint),
 * and every primary and unique key starts with `program_id` so the tables can later be distributed by programme.
 * Balances carry CHECK constraints: the domain decides, the database refuses what slips past.
 */
import { type Kysely, SqliteAdapter, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Small rows keyed by a composite key are stored in their primary-key B-tree alone on SQLite (WITHOUT ROWID):
  // one tree to write per row instead of a table plus its key index. PostgreSQL has no such option or need.
  const compactOnSqlite = db.getExecutor().adapter instanceof SqliteAdapter ? sql`without rowid` : sql``;

  await db.schema
    .createTable('programs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('points_name', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('pending_days', 'integer', (c) => c.notNull().defaultTo(0).check(sql`pending_days >= 0`))
    .addColumn('expiry_months', 'integer', (c) => c.check(sql`expiry_months > 0`))
    .addColumn('rules_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('prefix', 'text', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('members')
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('email_cipher', 'text')
    .addColumn('email_index', 'text')
    .addColumn('name_cipher', 'text')
    .addColumn('phone_cipher', 'text')
    .addColumn('birth_date_cipher', 'text')
    .addColumn('locale', 'text')
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('referral_code', 'text', (c) => c.notNull())
    .addColumn('referred_by_member_id', 'text')
    .addColumn('tier', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('available', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`available >= 0`))
    .addColumn('pending', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`pending >= 0`))
    .addColumn('lifetime_earned', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('purchase_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('members_pk', ['program_id', 'id'])
    .addUniqueConstraint('members_external_id_uq', ['program_id', 'external_id'])
    .addUniqueConstraint('members_referral_code_uq', ['program_id', 'referral_code'])
    .execute();
  await db.schema.createIndex('members_email_index_ix').on('members').columns(['program_id', 'email_index']).execute();

  await db.schema
    .createTable('events')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('client_event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('events_pk', ['program_id', 'client_event_id'])
    .execute();

  await db.schema
    .createTable('orders')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('lot_id', 'text')
    .addColumn('total_minor', 'bigint', (c) => c.notNull().check(sql`total_minor >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('refunded_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('points_earned', 'bigint', (c) => c.notNull())
    .addColumn('points_clawed_back', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('points_unrecovered', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('orders_pk', ['program_id', 'order_id'])
    .addCheckConstraint('orders_refund_bounded', sql`refunded_minor <= total_minor`)
    .addCheckConstraint('orders_clawback_bounded', sql`points_clawed_back + points_unrecovered <= points_earned`)
    .modifyEnd(compactOnSqlite)
    .execute();

  await db.schema
    .createTable('ledger_transactions')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('event_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_transactions_pk', ['program_id', 'id'])
    .modifyEnd(compactOnSqlite)
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text')
    .addColumn('lot_id', 'text')
    .addColumn('rule_id', 'text')
    .addColumn('rule_version', 'integer')
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount <> 0`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_entries_pk', ['program_id', 'transaction_id', 'line'])
    .modifyEnd(compactOnSqlite)
    .execute();
  await db.schema
    .createIndex('ledger_entries_member_ix')
    .on('ledger_entries')
    .columns(['program_id', 'member_id', 'transaction_id'])
    .execute();

  await db.schema
    .createTable('lots')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('remaining', 'bigint', (c) => c.notNull())
    .addColumn('available_at', 'bigint', (c) => c.notNull())
    .addColumn('released_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('lots_pk', ['program_id', 'id'])
    .addCheckConstraint('lots_remaining_bounded', sql`remaining >= 0 and remaining <= amount`)
    .modifyEnd(compactOnSqlite)
    .execute();
  await db.schema.createIndex('lots_member_ix').on('lots').columns(['program_id', 'member_id']).execute();
  // The jobs look for due lots across programmes; partial indexes keep them small as lots are used up.
  await db.schema
    .createIndex('lots_due_release_ix')
    .on('lots')
    .column('available_at')
    .where(sql.ref('released_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('lots_due_expiry_ix')
    .on('lots')
    .column('expires_at')
    .where(sql<boolean>`remaining > 0 and expires_at is not null`)
    .execute();

  await db.schema
    .createTable('rules')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('is_current', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('condition', 'text')
    .addColumn('effects', 'text', (c) => c.notNull())
    .addColumn('limits', 'text')
    .addColumn('valid_from', 'bigint')
    .addColumn('valid_until', 'bigint')
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('stackable', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rules_pk', ['program_id', 'id', 'version'])
    .execute();
  await db.schema.createIndex('rules_current_ix').on('rules').columns(['program_id', 'is_current']).execute();

  await db.schema
    .createTable('rule_usage')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('period_key', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_usage_pk', ['program_id', 'rule_id', 'member_id', 'period_key'])
    .modifyEnd(compactOnSqlite)
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['program_id', 'key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'idempotency_keys', 'rule_usage', 'rules', 'lots', 'ledger_entries', 'ledger_transactions', 'orders',
    'events', 'members', 'api_keys', 'programs',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
