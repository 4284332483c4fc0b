/** Table types of team accounts (migration 0009): users, their roles per programme, sessions, the audit log. */
import type { Instant } from './schema.js';

export type TeamRoleName = 'owner' | 'manager' | 'support' | 'analyst';

export interface UsersTable {
  id: string;
  emailCipher: string;
  /** Blind index of the normalised address: the only way a user is found by e-mail. */
  emailIndex: string;
  name: string;
  /** Self-describing scrypt hash (services/team/password-hash.ts). */
  passwordHash: string;
  /** Failed logins in a row since the last success. */
  failedLogins: number;
  lockedUntil: Instant | null;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface TeamMembersTable {
  programId: string;
  userId: string;
  role: TeamRoleName;
  createdAt: Instant;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the opaque cookie token; the token itself is never stored. */
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: Instant;
  /** The absolute end; the idle end is `lastSeenAt` plus the idle timeout. */
  expiresAt: Instant;
  lastSeenAt: Instant;
}

export interface AuditLogTable {
  programId: string;
  id: string;
  actorKind: 'user' | 'api_key';
  actorId: string;
  actorLabel: string;
  /** `METHOD /route/pattern`, e.g. `PATCH /v1/rewards/:id`. */
  action: string;
  /** The URL path written to. */
  target: string;
  /** JSON of the resource before and after the write, secrets redacted; null when there was none. */
  before: string | null;
  after: string | null;
  at: Instant;
}

export interface TeamTables {
  users: UsersTable;
  teamMembers: TeamMembersTable;
  sessions: SessionsTable;
  auditLog: AuditLogTable;
}
