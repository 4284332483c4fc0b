/**
 * Finding members by name (domain/members/name-search.ts): `member_name_terms` holds the keyed hashes of each
 * member's name terms, never the terms. Existing members' names are encrypted, and a migration has no key, so
 * their terms are written right after this migration by the process that ran it (services/member-search.ts).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('member_name_terms')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('term_index', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_name_terms_pk', ['program_id', 'term_index', 'member_id'])
    .execute();
  await db.schema.createIndex('member_name_terms_member_ix').on('member_name_terms').columns(['program_id', 'member_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('member_name_terms').execute();
}
