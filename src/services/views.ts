/**
 * What services hand back: plain JSON-ready objects in the API's shape (ISO instants, integer points), so the
 * routes stay thin and the CLI prints the same thing.
 */
import type { RuleDefinition, RuleEffect, RuleLimits } from '../domain/rules/rule.js';
import type { PiiCipher } from '../storage/pii.js';
import type { Selectable } from 'kysely';
import type { MemberRow, ProgramRow, RuleFailureRow, RuleRow } from '../storage/schema.js';
import type { MembershipPlansTable, MembershipsTable, TierHistoryTable } from '../storage/tiers.schema.js';
import type { TierChangeReason } from './tiers/tier-changes.js';

export const iso = (ms: number): string => new Date(ms).toISOString();

export interface ProgramView {
  id: string;
  name: string;
  pointsName: string;
  currency: string;
  timezone: string;
  pendingDays: number;
  expiryMonths: number | null;
  createdAt: string;
}

export function programView(row: ProgramRow): ProgramView {
  return {
    id: row.id,
    name: row.name,
    pointsName: row.pointsName,
    currency: row.currency,
    timezone: row.timezone,
    pendingDays: row.pendingDays,
    expiryMonths: row.expiryMonths,
    createdAt: iso(row.createdAt),
  };
}

/** Blocked members keep their points but earn nothing until unblocked. */
export type MemberStatus = 'active' | 'blocked' | 'erased';

export interface MemberView {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  birthDate: string | null;
  locale: string | null;
  attributes: Record<string, unknown>;
  status: MemberStatus;
  tier: string | null;
  /** Progress in the programme's tiers (null without tiers) and the member's perks (services/tiers/member-progress.ts). */
  tierProgress?: TierProgressView | null;
  perks?: string[];
  balance: { available: number; pending: number };
  lifetimeEarned: number;
  purchaseCount: number;
  referralCode: string;
  referredBy: string | null;
  createdAt: string;
  updatedAt: string;
}

function open(pii: PiiCipher, cipher: string | null): string | null {
  return cipher === null ? null : pii.decrypt(cipher);
}

export function memberView(row: MemberRow, pii: PiiCipher): MemberView {
  return {
    id: row.id,
    externalId: row.externalId,
    email: open(pii, row.emailCipher),
    name: open(pii, row.nameCipher),
    phone: open(pii, row.phoneCipher),
    birthDate: open(pii, row.birthDateCipher),
    locale: row.locale,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    status: row.status as MemberStatus,
    tier: row.tier,
    balance: { available: row.available, pending: row.pending },
    lifetimeEarned: row.lifetimeEarned,
    purchaseCount: row.purchaseCount,
    referralCode: row.referralCode,
    referredBy: row.referredByMemberId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export interface RuleView {
  id: string;
  version: number;
  name: string;
  trigger: string;
  condition: string | null;
  effects: RuleEffect[];
  limits: RuleLimits | null;
  validFrom: string | null;
  validUntil: string | null;
  priority: number;
  stackable: boolean;
  active: boolean;
  createdAt: string;
  failures: RuleFailuresView;
}

/** How often a rule failed on an event (its budget ran out, or it no longer passes the checks), and the last time. */
export interface RuleFailuresView {
  count: number;
  lastAt: string | null;
  lastReason: string | null;
  lastVersion: number | null;
}

/** A stored rule version as the domain's rule engine takes it. */
export function ruleDefinition(row: RuleRow): RuleDefinition {
  return {
    id: row.id,
    version: row.version,
    name: row.name,
    trigger: row.trigger,
    condition: row.condition,
    effects: JSON.parse(row.effects) as RuleEffect[],
    validFrom: row.validFrom === null ? null : new Date(row.validFrom),
    validUntil: row.validUntil === null ? null : new Date(row.validUntil),
    limits: row.limits === null ? null : (JSON.parse(row.limits) as RuleLimits),
    priority: row.priority,
    stackable: row.stackable === 1,
    active: row.active === 1,
  };
}

export function ruleView(row: RuleRow, failures?: Omit<RuleFailureRow, 'programId'>): RuleView {
  const definition = ruleDefinition(row);
  return {
    ...definition,
    validFrom: definition.validFrom?.toISOString() ?? null,
    validUntil: definition.validUntil?.toISOString() ?? null,
    createdAt: iso(row.createdAt),
    failures: failures
      ? { count: failures.failureCount, lastAt: iso(failures.lastFailureAt), lastReason: failures.lastFailureReason, lastVersion: failures.lastFailureVersion }
      : { count: 0, lastAt: null, lastReason: null, lastVersion: null },
  };
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface TierConfigurationView {
  metric: 'points_earned' | 'spend' | 'purchases';
  window: { type: 'rolling'; months: number } | { type: 'calendar_year' } | { type: 'lifetime' };
  reviewMonths: number;
  graceDays: number;
  levels: { name: string; threshold: number; multiplier: number; perks: string[] }[];
  version: number;
  updatedAt: string;
}

export interface TierProgressView {
  metric: 'points_earned' | 'spend' | 'purchases';
  current: number;
  needed: number;
  nextTier: string | null;
  qualifiedTier: string | null;
  reviewAt: string | null;
}

export interface TierHistoryView {
  id: string;
  memberId: string;
  previousTier: string | null;
  tier: string | null;
  qualifiedTier: string | null;
  reason: TierChangeReason;
  eventId: string | null;
  membershipId: string | null;
  reviewAt: string | null;
  createdAt: string;
}

export function tierHistoryView(row: Selectable<TierHistoryTable>): TierHistoryView {
  return {
    id: row.id,
    memberId: row.memberId,
    previousTier: row.previousTier,
    tier: row.tier,
    qualifiedTier: row.qualifiedTier,
    reason: row.reason as TierChangeReason,
    eventId: row.eventId,
    membershipId: row.membershipId,
    reviewAt: row.reviewAt === null ? null : iso(row.reviewAt),
    createdAt: iso(row.createdAt),
  };
}

export interface MembershipPlanView {
  id: string;
  name: string;
  tier: string | null;
  perks: string[];
  createdAt: string;
}

export function membershipPlanView(row: Selectable<MembershipPlansTable>): MembershipPlanView {
  return { id: row.id, name: row.name, tier: row.tier, perks: JSON.parse(row.perks) as string[], createdAt: iso(row.createdAt) };
}

export type MembershipStatus = 'scheduled' | 'active' | 'ended';

export interface MembershipView {
  id: string;
  memberId: string;
  planId: string;
  status: MembershipStatus;
  startsAt: string;
  endsAt: string;
  createdAt: string;
  updatedAt: string;
}

export function membershipView(row: Selectable<MembershipsTable>): MembershipView {
  return {
    id: row.id,
    memberId: row.memberId,
    planId: row.planId,
    status: row.status as MembershipStatus,
    startsAt: iso(row.startsAt),
    endsAt: iso(row.endsAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export interface BalanceView {
  available: number;
  pending: number;
  lifetimeEarned: number;
  expiring: { points: number; expiresAt: string }[];
}

/** A member's balance with what expires when: lots expiring at the same instant are one line. */
export function balanceView(row: Pick<MemberRow, 'available' | 'pending' | 'lifetimeEarned'>, expiringLots: readonly { remaining: number; expiresAt: number | null }[]): BalanceView {
  const expiring: BalanceView['expiring'] = [];
  for (const lot of expiringLots) {
    if (lot.expiresAt === null) continue;
    const at = iso(lot.expiresAt);
    const last = expiring.at(-1);
    if (last && last.expiresAt === at) last.points += lot.remaining;
    else expiring.push({ points: lot.remaining, expiresAt: at });
  }
  return { available: row.available, pending: row.pending, lifetimeEarned: row.lifetimeEarned, expiring };
}
