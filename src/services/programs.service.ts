/**
 * Programmes: the tenant. Creating one also creates its base earn rule (1 point per whole unit of money spent,
 * rounded down, available at once, no expiry) and a first secret API key, shown exactly once.
 */
import { DomainError } from '../domain/errors.js';
import { isKnownCurrency, minorPerMajor } from '../domain/money.js';
import { isValidTimezone } from '../domain/periods.js';
import type { ServiceContext } from '../context.js';
import { insertProgram, findProgram, listPrograms as listProgramRows } from '../storage/repositories/programs.repository.js';
import { insertRuleVersion } from '../storage/repositories/rules.repository.js';
import { inTransaction } from '../storage/transaction.js';
import { issueApiKey } from './api-keys.service.js';
import { programView, type ProgramView } from './views.js';

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
export async function createProgram(ctx: ServiceContext, input: CreateProgramInput): Promise<{ program: ProgramView; apiKey: string }> {
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
  return inTransaction(ctx.storage, async (trx) => {
    await insertProgram(trx, {
      id,
      name,
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
    return { program: programView(program), apiKey };
  });
}

export async function listPrograms(ctx: ServiceContext): Promise<ProgramView[]> {
  return (await listProgramRows(ctx.storage.db)).map(programView);
}

/** @throws DomainError program_not_found */
export async function getProgram(ctx: ServiceContext, programId: string): Promise<ProgramView> {
  const row = await findProgram(ctx.storage.db, programId);
  if (!row) throw new DomainError('program_not_found', `No programme ${programId}.`);
  return programView(row);
}
