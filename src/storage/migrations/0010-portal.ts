/**
 * The member portal.
 * - programs gain `slug` (the portal's address `/p/{slug}`, unique over the deployment), `portal_issuer` (null:
 *   the programme id) and `portal_audience`: the `iss` and `aud` a member token must carry.
 * - `portal_keys`: the programme's HS256 signing secrets for member tokens, encrypted at rest like personal data,
 *   each named by its `kid`; several may be active at once so a shop can rotate without downtime.
 * - members gain `consents` (JSON): per consent its current value and when it last changed.
 *
 * Existing programmes get a slug from their name. The rule is written out here, not imported, so that this
 * migration gives the same slugs forever even if the rule for new programmes changes later.
 */
import { type Kysely, sql } from 'kysely';

function slugOf(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '');
  if (base.length < 3) return 'program';
  // The owner's routes live at /v1/portal/settings and /v1/portal/keys.
  return base === 'settings' || base === 'keys' ? `${base}-program` : base;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('programs').addColumn('slug', 'text').execute();
  await db.schema.alterTable('programs').addColumn('portal_issuer', 'text').execute();
  await db.schema.alterTable('programs').addColumn('portal_audience', 'text', (c) => c.notNull().defaultTo('trouw:portal')).execute();
  await db.schema.alterTable('members').addColumn('consents', 'text', (c) => c.notNull().defaultTo('{}')).execute();

  // Oldest programme first, so the first of two with one name keeps the plain slug and the later one gets `-2`.
  const { rows } = await sql<{ id: string; name: string }>`select id, name from programs order by created_at, id`.execute(db);
  const taken = new Set<string>();
  for (const row of rows) {
    const base = slugOf(row.name);
    let slug = base;
    for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
    taken.add(slug);
    await sql`update programs set slug = ${slug} where id = ${row.id}`.execute(db);
  }
  await db.schema.createIndex('programs_slug_ux').on('programs').column('slug').unique().execute();

  await db.schema
    .createTable('portal_keys')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('secret_cipher', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addPrimaryKeyConstraint('portal_keys_pk', ['program_id', 'kid'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('portal_keys').execute();
  await db.schema.dropIndex('programs_slug_ux').execute();
  await db.schema.alterTable('members').dropColumn('consents').execute();
  await db.schema.alterTable('programs').dropColumn('portal_audience').execute();
  await db.schema.alterTable('programs').dropColumn('portal_issuer').execute();
  await db.schema.alterTable('programs').dropColumn('slug').execute();
}
