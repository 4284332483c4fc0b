/**
 * Table types of the member portal (migration 0010): the programme's signing secrets for member tokens, and the
 * columns the migration adds to `programs` (the portal's address and token settings) and `members` (consents).
 */
import type { Generated } from 'kysely';
import type { Instant } from './schema.js';

declare module './schema.js' {
  interface ProgramsTable {
    /** The member portal's address `/p/{slug}`: unique over the deployment. */
    slug: string;
    /** The `iss` a member token must carry; null: the programme id. */
    portalIssuer: string | null;
    /** The `aud` a member token must carry (default `trouw:portal`). */
    portalAudience: Generated<string>;
  }
  interface MembersTable {
    /** JSON: `{marketingEmail: {granted, changedAt}, …}`, each consent's value and when it last changed. */
    consents: Generated<string>;
  }
}

export interface PortalKeysTable {
  programId: string;
  /** `pk_…`: the JWT header's `kid` names which secret signed a token. */
  kid: string;
  /** The secret, encrypted with the personal-data cipher: unlike an API key it must be readable to verify HMACs. */
  secretCipher: string;
  createdAt: Instant;
  revokedAt: Instant | null;
}

export interface PortalTables {
  portalKeys: PortalKeysTable;
}
