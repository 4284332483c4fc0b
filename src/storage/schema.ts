/**
 * Table types as TypeScript sees them (camelCase; the database has snake_case through Kysely's CamelCasePlugin).
 * Instants are epoch milliseconds (`bigint` columns) in both dialects, so one query layer reads the same numbers
 * from SQLite and PostgreSQL; flags are integers 0/1 for the same reason. JSON is stored as text.
 */
import type { Insertable, Selectable } from 'kysely';
import type { BulkOperationTables } from './bulk-operations.schema.js';
import type { FraudTables } from './fraud.schema.js';
import type { PortalTables } from './portal.schema.js';
import type { ReferralTables } from './referrals.schema.js';
import type { RewardTables } from './rewards.schema.js';
import type { TeamTables } from './team.schema.js';
import type { TierTables } from './tiers.schema.js';
import type { WebhookTables } from './webhooks.schema.js';

/** Epoch milliseconds, UTC. */
export type Instant = number;
type Flag = number;

export interface ProgramsTable {
  id: string;
  name: string;
  pointsName: string;
  currency: string;
  timezone: string;
  pendingDays: number;
  expiryMonths: number | null;
  /** Days before a lot expires that the points.expiring warning is written; null: no warning. */
  expiryWarningDays: number | null;
  /** The daily earn limit: most points a member earns in any 24 hours before awards are held; null: none. */
  maxPointsPerDay: number | null;
  /** Bumped on every rule change, so processes can tell their cached rule set is stale with one read. */
  rulesVersion: number;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface ApiKeysTable {
  id: string;
  programId: string;
  /** The readable start of the key (`sk_` plus 8 characters); the rest is only kept as a hash. */
  prefix: string;
  secretHash: string;
  scopes: string;
  name: string;
  createdAt: Instant;
  revokedAt: Instant | null;
}

export interface MembersTable {
  programId: string;
  id: string;
  externalId: string;
  emailCipher: string | null;
  emailIndex: string | null;
  nameCipher: string | null;
  phoneCipher: string | null;
  birthDateCipher: string | null;
  locale: string | null;
  attributes: string;
  referralCode: string;
  /** The member whose referral code brought this one in (attribution; the referral programme builds on it). */
  referredByMemberId: string | null;
  tier: string | null;
  status: string;
  /** `MM-DD` of the birth date (no year), for the yearly birthday trigger; null without a birth date. */
  birthday: string | null;
  /** `MM-DD` of enrolment in the programme's timezone, for the yearly anniversary trigger. */
  anniversary: string | null;
  /** Keyed hash of the canonical e-mail identity (domain/fraud/email-identity.ts): the same-person signal. */
  emailIdentityIndex: string | null;
  /** When the member chose a vanity referral code (once). */
  referralCodeCustomisedAt: Instant | null;
  /** Orders of this member refunded after they earned points: the earn-then-refund counter. */
  refundedOrders: number;
  available: number;
  pending: number;
  lifetimeEarned: number;
  purchaseCount: number;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface EventsTable {
  programId: string;
  /** The client's event id: unique per programme, the idempotency key of ingestion. */
  clientEventId: string;
  type: string;
  memberId: string;
  occurredAt: Instant;
  receivedAt: Instant;
  data: string;
  requestHash: string;
  /** The first response, replayed verbatim for a repeat of the same event id. */
  response: string;
}

export interface OrdersTable {
  programId: string;
  orderId: string;
  memberId: string;
  eventId: string;
  lotId: string | null;
  totalMinor: number;
  currency: string;
  refundedMinor: number;
  pointsEarned: number;
  pointsClawedBack: number;
  /** Points a refund should have taken back but the member had already spent. */
  pointsUnrecovered: number;
  /** Points of the purchase held by the daily earn limit, until a reviewer decides (then 0). */
  heldPoints: number;
  createdAt: Instant;
}

export interface LedgerTransactionsTable {
  programId: string;
  id: string;
  memberId: string | null;
  kind: string;
  reason: string | null;
  eventId: string | null;
  createdAt: Instant;
}

export interface LedgerEntriesTable {
  programId: string;
  transactionId: string;
  line: number;
  account: string;
  memberId: string | null;
  lotId: string | null;
  ruleId: string | null;
  ruleVersion: number | null;
  amount: number;
  createdAt: Instant;
}

export interface LotsTable {
  programId: string;
  id: string;
  memberId: string;
  transactionId: string;
  amount: number;
  remaining: number;
  availableAt: Instant;
  releasedAt: Instant | null;
  expiresAt: Instant | null;
  createdAt: Instant;
  /** When the points.expiring warning for this lot was written; it is written once. */
  expiryWarnedAt: Instant | null;
}

export interface RulesTable {
  programId: string;
  id: string;
  version: number;
  isCurrent: Flag;
  name: string;
  trigger: string;
  condition: string | null;
  effects: string;
  limits: string | null;
  validFrom: Instant | null;
  validUntil: Instant | null;
  priority: number;
  stackable: Flag;
  active: Flag;
  deletedAt: Instant | null;
  createdAt: Instant;
}

export interface RuleFailuresTable {
  programId: string;
  ruleId: string;
  failureCount: number;
  lastFailureAt: Instant;
  lastFailureVersion: number;
  lastFailureReason: string;
}

export interface RuleUsageTable {
  programId: string;
  ruleId: string;
  memberId: string;
  periodKey: string;
  count: number;
}

export interface IdempotencyKeysTable {
  programId: string;
  key: string;
  scope: string;
  requestHash: string;
  statusCode: number;
  response: string;
  createdAt: Instant;
}

/** A domain change the business may care about, written in the change's transaction (storage/outbox.ts). */
export interface OutboxMessagesTable {
  programId: string;
  id: string;
  type: string;
  memberId: string | null;
  /** JSON: the webhook payload's `data`. */
  data: string;
  createdAt: Instant;
  /** Set once the message was fanned out to the webhook endpoints that subscribe to its type. */
  dispatchedAt: Instant | null;
}

/** A keyed hash of one of a member's name terms (migration 0013): finding members by name. */
export interface MemberNameTermsTable {
  programId: string;
  termIndex: string;
  memberId: string;
}

/** A lease on work one process at a time does (the SQLite job runner). */
export interface JobLeasesTable {
  name: string;
  owner: string;
  leaseUntil: Instant;
}

export interface Database extends RewardTables, TierTables, WebhookTables, ReferralTables, FraudTables, TeamTables, PortalTables, BulkOperationTables {
  programs: ProgramsTable;
  apiKeys: ApiKeysTable;
  members: MembersTable;
  memberNameTerms: MemberNameTermsTable;
  events: EventsTable;
  orders: OrdersTable;
  ledgerTransactions: LedgerTransactionsTable;
  ledgerEntries: LedgerEntriesTable;
  lots: LotsTable;
  rules: RulesTable;
  ruleUsage: RuleUsageTable;
  ruleFailures: RuleFailuresTable;
  idempotencyKeys: IdempotencyKeysTable;
  outboxMessages: OutboxMessagesTable;
  jobLeases: JobLeasesTable;
}

export type ProgramRow = Selectable<ProgramsTable>;
export type MemberRow = Selectable<MembersTable>;
export type NewMember = Insertable<MembersTable>;
export type RuleRow = Selectable<RulesTable>;
export type RuleFailureRow = Selectable<RuleFailuresTable>;
export type LotRow = Selectable<LotsTable>;
export type LedgerEntryRow = Selectable<LedgerEntriesTable>;
export type NewLedgerEntry = Insertable<LedgerEntriesTable>;
