/**
 * Reward images.
 * - `reward_images`: one picture per reward, base64 in a text column. Both dialects store text the same way
 *   (no blob/bytea split in the one migration set), and the 512 KB cap keeps the third more that base64 costs
 *   small. Kept apart from `rewards` so that listing the catalogue never reads pictures.
 * - rewards gain `image_version` (the picture's content hash, null: none): the image URL names it, so a
 *   browser may cache a picture forever and a new one gets a new URL.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('rewards').addColumn('image_version', 'text').execute();
  await db.schema
    .createTable('reward_images')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('data_base64', 'text', (c) => c.notNull())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('reward_images_pk', ['program_id', 'reward_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reward_images').execute();
  await db.schema.alterTable('rewards').dropColumn('image_version').execute();
}
