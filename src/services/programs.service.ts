/**
 * Programmes: the tenant. Creating one also creates its base earn rule (1 point per whole unit of money spent,
 * rounded down, available at once, no expiry) and a first secret API key, shown exactly once. Its settings
 * (name, pending days, expiry, the expiry warning, the daily earn limit, coupon format and validity) change with `updateProgram`;
 * the changes apply to what happens next (new lots, new coupons), never to lots or coupons that exist.
 */
import { DomainError } from '../domain/errors.js';
import { isKnownCurrency, minorPerMajor } from '../domain/money.js';
import { isValidTimezone } from '../domain/periods.js';
import type { ServiceContext } from '../context.js';
import { insertProgram, findProgram, listPrograms as listProgramRows } from '../storage/repositories/programs.repository.js';
import { insertRuleVersion } from '../storage/repositories/rules.repository.js';
import { inTransaction, isUniqueViolation } from '../storage/transaction.js';
import { firstFreeSlug, slugFromName } from '../domain/portal/slug.js';
import { findSlugsLike } from '../storage/repositories/portal.repository.js';
import { issueApiKey } from './api-keys.service.js';
import { programView, type ProgramView } from './views.js';
import { checkCouponPrefix, checkGeneratedLength } from '../domain/rewards/coupon-code.js';
import { updateProgramSettings } from '../storage/repositories/program-settings.repository.js';
import type { ProgramRow } from '../storage/schema.js';

/** A programme as the API shows it: its identity and every setting. */
export interface ProgramSettingsView extends ProgramView {
  /** Days before a lot expires that the points.expiring warning goes out; null: no warning. */
  expiryWarningDays: number | null;
  /** The daily earn limit: most points a member earns in any 24 hours; an award past it is held for review. */
  maxPointsPerDay: number | null;
  coupons: {
    /** What generated codes start with; null: nothing. */
    prefix: string | null;
    /** Random characters per generated code. */
    length: number;
    /** Days a redemption's coupon stays valid (never beyond the reward's validUntil). */
    validityDays: number;
    /** Whether an expired, unused coupon from a redemption gives its points back. */
    refundExpired: boolean;
  };
}

export function programSettingsView(row: ProgramRow): ProgramSettingsView {
  return {
    ...programView(row),
    expiryWarningDays: row.expiryWarningDays,
    maxPointsPerDay: row.maxPointsPerDay,
    coupons: {
      prefix: row.couponPrefix,
      length: row.couponLength,
      validityDays: row.couponValidityDays,
      refundExpired: row.refundExpiredCoupons === 1,
    },
  };
}

export interface CreateProgramInput {
  name: string;
  pointsName?: string;
  currency?: string;
  timezone?: string;
  pendingDays?: number;
  expiryMonths?: number | null;
}

/**
 * Creates a programme with its base earn rule and a secret API key with every scope.
 * @throws DomainError validation_failed, unknown_currency
 */
export async function createProgram(ctx: ServiceContext, input: CreateProgramInput): Promise<{ program: ProgramSettingsView; apiKey: string }> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw DomainError.field('validation_failed', '/name', 'A programme needs a name of 1 to 200 characters.');
  const currency = (input.currency ?? 'EUR').toUpperCase();
  if (!isKnownCurrency(currency)) throw DomainError.field('unknown_currency', '/currency', `${currency} is not an ISO 4217 currency code.`);
  const timezone = input.timezone ?? 'Europe/Amsterdam';
  if (!isValidTimezone(timezone)) throw DomainError.field('validation_failed', '/timezone', `${timezone} is not an IANA timezone.`);
  const pendingDays = input.pendingDays ?? 0;
  if (!Number.isInteger(pendingDays) || pendingDays < 0 || pendingDays > 365) {
    throw DomainError.field('validation_failed', '/pendingDays', 'pendingDays is a whole number of days from 0 to 365.');
  }
  const expiryMonths = input.expiryMonths ?? null;
  if (expiryMonths !== null && (!Number.isInteger(expiryMonths) || expiryMonths < 1 || expiryMonths > 120)) {
    throw DomainError.field('validation_failed', '/expiryMonths', 'expiryMonths is a whole number from 1 to 120, or null for no expiry.');
  }
  const now = ctx.clock.now();
  const id = ctx.ids.next('prg');
  // The portal's address comes from the name; a concurrent programme of the same name may take the same free
  // slug between our read and write, which the unique index refuses: the retry reads again and takes the next.
  for (let attempt = 0; ; attempt++) {
    try {
      return await insertNewProgram(ctx, { id, name, currency, timezone, pendingDays, expiryMonths, pointsName: input.pointsName }, now);
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 3) throw error;
    }
  }
}

async function insertNewProgram(
  ctx: ServiceContext,
  input: { id: string; name: string; currency: string; timezone: string; pendingDays: number; expiryMonths: number | null; pointsName?: string },
  now: number,
): Promise<{ program: ProgramSettingsView; apiKey: string }> {
  const { id, name, currency, timezone, pendingDays, expiryMonths } = input;
  return inTransaction(ctx.storage, async (trx) => {
    const base = slugFromName(name);
    await insertProgram(trx, {
      id,
      name,
      slug: firstFreeSlug(base, await findSlugsLike(trx, base)),
      pointsName: input.pointsName?.trim() || 'Points',
      currency,
      timezone,
      pendingDays,
      expiryMonths,
      rulesVersion: 1,
      createdAt: now,
      updatedAt: now,
    });
    await insertRuleVersion(trx, {
      programId: id,
      id: ctx.ids.next('rul'),
      version: 1,
      isCurrent: 1,
      name: `1 point per ${currency} spent`,
      trigger: 'purchase',
      condition: null,
      effects: JSON.stringify([{ type: 'points', amount: 1, perSpend: minorPerMajor(currency) }]),
      limits: null,
      validFrom: null,
      validUntil: null,
      priority: 0,
      stackable: 1,
      active: 1,
      deletedAt: null,
      createdAt: now,
    });
    const apiKey = await issueApiKey(ctx, trx, id, 'default', ['*']);
    const program = await findProgram(trx, id);
    if (!program) throw new Error('programme vanished inside its own transaction');
    return { program: programSettingsView(program), apiKey };
  });
}

export async function listPrograms(ctx: ServiceContext): Promise<ProgramSettingsView[]> {
  return (await listProgramRows(ctx.storage.db)).map(programSettingsView);
}

/** @throws DomainError program_not_found */
export async function getProgram(ctx: ServiceContext, programId: string): Promise<ProgramSettingsView> {
  const row = await findProgram(ctx.storage.db, programId);
  if (!row) throw new DomainError('program_not_found', `No programme ${programId}.`);
  return programSettingsView(row);
}

const maxDailyEarnLimit = 1_000_000_000;

export interface UpdateProgramInput {
  name?: string;
  pendingDays?: number;
  expiryMonths?: number | null;
  expiryWarningDays?: number | null;
  maxPointsPerDay?: number | null;
  coupons?: { prefix?: string | null; length?: number; validityDays?: number; refundExpired?: boolean };
}

/**
 * Changes some of the programme's settings; they apply to lots and coupons made from now on.
 * @throws DomainError program_not_found, validation_failed
 */
export async function updateProgram(ctx: ServiceContext, programId: string, input: UpdateProgramInput): Promise<ProgramSettingsView> {
  const changes: Parameters<typeof updateProgramSettings>[2] = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw DomainError.field('validation_failed', '/name', 'A programme needs a name of 1 to 200 characters.');
    changes.name = name;
  }
  if (input.pendingDays !== undefined) {
    if (!Number.isInteger(input.pendingDays) || input.pendingDays < 0 || input.pendingDays > 365) {
      throw DomainError.field('validation_failed', '/pendingDays', 'pendingDays is a whole number of days from 0 to 365.');
    }
    changes.pendingDays = input.pendingDays;
  }
  if (input.expiryMonths !== undefined) {
    const months = input.expiryMonths;
    if (months !== null && (!Number.isInteger(months) || months < 1 || months > 120)) {
      throw DomainError.field('validation_failed', '/expiryMonths', 'expiryMonths is a whole number from 1 to 120, or null for no expiry.');
    }
    changes.expiryMonths = months;
  }
  if (input.expiryWarningDays !== undefined) {
    const days = input.expiryWarningDays;
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > 365)) {
      throw DomainError.field('validation_failed', '/expiryWarningDays', 'expiryWarningDays is a whole number from 1 to 365, or null for no warning.');
    }
    changes.expiryWarningDays = days;
  }
  if (input.maxPointsPerDay !== undefined) {
    const limit = input.maxPointsPerDay;
    if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > maxDailyEarnLimit)) {
      throw DomainError.field('validation_failed', '/maxPointsPerDay', `maxPointsPerDay is a whole number from 1 to ${maxDailyEarnLimit}, or null for no limit.`);
    }
    changes.maxPointsPerDay = limit;
  }
  const coupons = input.coupons ?? {};
  if (coupons.prefix !== undefined) changes.couponPrefix = checkCouponPrefix(coupons.prefix, '/coupons/prefix');
  if (coupons.length !== undefined) changes.couponLength = checkGeneratedLength(coupons.length, '/coupons/length');
  if (coupons.validityDays !== undefined) {
    if (!Number.isInteger(coupons.validityDays) || coupons.validityDays < 1 || coupons.validityDays > 3650) {
      throw DomainError.field('validation_failed', '/coupons/validityDays', 'validityDays is a whole number of days from 1 to 3650.');
    }
    changes.couponValidityDays = coupons.validityDays;
  }
  if (coupons.refundExpired !== undefined) changes.refundExpiredCoupons = coupons.refundExpired ? 1 : 0;
  return inTransaction(ctx.storage, async (trx) => {
    if (!(await findProgram(trx, programId))) throw new DomainError('program_not_found', `No programme ${programId}.`);
    await updateProgramSettings(trx, programId, { ...changes, updatedAt: ctx.clock.now() });
    const row = await findProgram(trx, programId);
    if (!row) throw new Error('programme vanished inside its own transaction');
    return programSettingsView(row);
  });
}
