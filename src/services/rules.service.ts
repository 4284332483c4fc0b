/**
 * Earn rules. Every edit makes a new version (the old one stays, so each award can name the version that made
 * it); delete retires the rule. Conditions are parsed and type-checked on save, so a broken expression is a 422
 * now and never an error at event time. Each change bumps the programme's rulesVersion in the same transaction,
 * which tells every process to reload its cached rule set.
 */
import { DomainError } from '../domain/errors.js';
import { compileRule, evaluateRules, validateRuleDefinition } from '../domain/rules/evaluate.js';
import type { RuleEffect, RuleLimits } from '../domain/rules/rule.js';
import type { ServiceContext } from '../context.js';
import { bumpRulesVersion, findProgram } from '../storage/repositories/programs.repository.js';
import { findCurrentRule, findRuleFailures, insertRuleVersion, listCurrentRules, markRuleDeleted, retireRuleVersion } from '../storage/repositories/rules.repository.js';
import type { RuleRow } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { decodeCursor, encodeCursor, isIdCursor } from './cursor.js';
import { ruleView, type Page, type RuleView } from './views.js';
import { checkEventDataLimits, checkEventType } from '../domain/events/event-data.js';

export interface RuleInput {
  name: string;
  trigger: string;
  condition?: string | null;
  effects: RuleEffect[];
  validFrom?: string | null;
  validUntil?: string | null;
  limits?: RuleLimits | null;
  priority?: number;
  stackable?: boolean;
  active?: boolean;
}

function toInstant(value: string | null | undefined, pointer: string): number | null {
  if (value === null || value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw DomainError.field('validation_failed', pointer, 'An RFC 3339 date-time is expected.');
  return ms;
}

/** Checks a whole rule and turns it into the stored columns. */
function ruleColumns(input: RuleInput) {
  checkEventType(input.trigger, 'rule', '/trigger');
  const validFrom = toInstant(input.validFrom, '/validFrom');
  const validUntil = toInstant(input.validUntil, '/validUntil');
  const condition = input.condition === undefined || input.condition === null || input.condition.trim() === '' ? null : input.condition;
  validateRuleDefinition({
    condition,
    effects: input.effects,
    validFrom: validFrom === null ? null : new Date(validFrom),
    validUntil: validUntil === null ? null : new Date(validUntil),
    limits: input.limits ?? null,
  });
  return {
    name: input.name,
    trigger: input.trigger,
    condition,
    effects: JSON.stringify(input.effects),
    limits: input.limits ? JSON.stringify(input.limits) : null,
    validFrom,
    validUntil,
    priority: input.priority ?? 0,
    stackable: input.stackable === false ? 0 : 1,
    active: input.active === false ? 0 : 1,
  };
}

export interface TryRuleInput {
  rule: RuleInput;
  event: { type: string; occurredAt?: string; data: Record<string, unknown> };
  member?: { tier?: string | null; attributes?: Record<string, unknown>; purchaseCount?: number; lifetimeEarned?: number; birthDate?: string | null; createdAt?: string };
}

export interface TryRuleResult {
  /** Whether the rule would award anything for this event and member (trigger, window, condition). */
  matched: boolean;
  points: number;
  /** Why it did not match, when it did not; `failed`: it went over its cost bound (see `failure`). */
  reason: 'trigger' | 'inactive' | 'window' | 'condition' | 'failed' | null;
  /** Why the rule failed on this event, as ingestion would record it on the rule; null when it did not. */
  failure: string | null;
}

/**
 * Evaluates a rule that is not saved against a sample event and member, through the same checks and engine as
 * ingestion, writing nothing: the editor's "try it" and its as-you-type check (an invalid rule is the same 422
 * as on save, with the pointer under `/rule`). Per-member limits are not counted: a sample has no history.
 * The sample's data and attributes are held to the limits of event data; a rule that goes over its cost
 * bound answers `failed` with the reason, as ingestion would record it.
 * @throws DomainError rule_condition_invalid, rule_effect_invalid, validation_failed, program_not_found,
 *   event_data_too_large
 */
export async function tryRule(ctx: ServiceContext, programId: string, input: TryRuleInput): Promise<TryRuleResult> {
  let columns: ReturnType<typeof ruleColumns>;
  try {
    columns = ruleColumns(input.rule);
  } catch (error) {
    throw underPointer(error, '/rule');
  }
  checkEventDataLimits(input.event.data, '/event/data');
  if (input.member?.attributes) checkEventDataLimits(input.member.attributes, '/member/attributes');
  const program = await findProgram(ctx.storage.db, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  const now = ctx.clock.now();
  const occurredAt = input.event.occurredAt === undefined ? now : Date.parse(input.event.occurredAt);
  if (Number.isNaN(occurredAt)) throw DomainError.field('validation_failed', '/event/occurredAt', 'occurredAt is an RFC 3339 date-time.');
  const createdAt = input.member?.createdAt === undefined ? now : Date.parse(input.member.createdAt);
  if (Number.isNaN(createdAt)) throw DomainError.field('validation_failed', '/member/createdAt', 'createdAt is an RFC 3339 date-time.');
  const definition = {
    id: 'rul_try', version: 1, name: columns.name, trigger: columns.trigger, condition: columns.condition,
    effects: input.rule.effects, validFrom: columns.validFrom === null ? null : new Date(columns.validFrom),
    validUntil: columns.validUntil === null ? null : new Date(columns.validUntil), limits: null, priority: 0, stackable: true, active: true,
  };
  const event = { type: input.event.type, occurredAt: new Date(occurredAt), data: input.event.data };
  const member = {
    id: 'mbr_try', tier: input.member?.tier ?? null, attributes: input.member?.attributes ?? {}, createdAt: new Date(createdAt),
    birthDate: input.member?.birthDate ?? null, purchaseCount: input.member?.purchaseCount ?? 0, lifetimeEarned: input.member?.lifetimeEarned ?? 0,
  };
  const evaluation = evaluateRules({ rules: [compileRule(definition)], event, member, now: new Date(now), timezone: program.timezone, usage: new Map() });
  if (input.rule.active === false) return { matched: false, points: 0, reason: 'inactive', failure: null };
  const [failure] = evaluation.failures;
  if (failure) return { matched: false, points: 0, reason: 'failed', failure: failure.reason };
  if (evaluation.awards.length > 0) return { matched: true, points: evaluation.awards.reduce((sum, award) => sum + award.points, 0), reason: null, failure: null };
  const outsideWindow = (definition.validFrom && occurredAt < definition.validFrom.getTime()) || (definition.validUntil && occurredAt >= definition.validUntil.getTime());
  return { matched: false, points: 0, reason: event.type !== definition.trigger ? 'trigger' : outsideWindow ? 'window' : 'condition', failure: null };
}

/** The same problem with its field pointers moved under `prefix` (a rule checked inside a larger body). */
function underPointer(error: unknown, prefix: string): unknown {
  if (!(error instanceof DomainError)) return error;
  return new DomainError(error.code, error.detail, error.errors.map((e) => ({ ...e, pointer: prefix + e.pointer })));
}

/** @throws DomainError rule_condition_invalid, rule_effect_invalid, validation_failed */
export async function createRule(ctx: ServiceContext, programId: string, input: RuleInput): Promise<RuleView> {
  const columns = ruleColumns(input);
  const now = ctx.clock.now();
  const id = ctx.ids.next('rul');
  return inTransaction(ctx.storage, async (trx) => {
    await insertRuleVersion(trx, { programId, id, version: 1, isCurrent: 1, deletedAt: null, createdAt: now, ...columns });
    await bumpRulesVersion(trx, programId, now);
    return ruleView(await mustFind(trx, programId, id));
  });
}

/**
 * Applies a partial change as a new version of the rule.
 * @throws DomainError rule_not_found, rule_condition_invalid, rule_effect_invalid, validation_failed
 */
export async function updateRule(ctx: ServiceContext, programId: string, ruleId: string, patch: Partial<RuleInput>): Promise<RuleView> {
  return inTransaction(ctx.storage, async (trx) => {
    const current = await mustFind(trx, programId, ruleId);
    const view = ruleView(current);
    const merged: RuleInput = {
      name: patch.name ?? view.name,
      trigger: patch.trigger ?? view.trigger,
      condition: patch.condition !== undefined ? patch.condition : view.condition,
      effects: patch.effects ?? view.effects,
      validFrom: patch.validFrom !== undefined ? patch.validFrom : view.validFrom,
      validUntil: patch.validUntil !== undefined ? patch.validUntil : view.validUntil,
      limits: patch.limits !== undefined ? patch.limits : view.limits,
      priority: patch.priority ?? view.priority,
      stackable: patch.stackable ?? view.stackable,
      active: patch.active ?? view.active,
    };
    const columns = ruleColumns(merged);
    const now = ctx.clock.now();
    await retireRuleVersion(trx, programId, ruleId, current.version);
    await insertRuleVersion(trx, { programId, id: ruleId, version: current.version + 1, isCurrent: 1, deletedAt: null, createdAt: now, ...columns });
    await bumpRulesVersion(trx, programId, now);
    const [failures] = await findRuleFailures(trx, programId, [ruleId]);
    return ruleView(await mustFind(trx, programId, ruleId), failures);
  });
}

/** Retires a rule: it stops matching, and its versions stay for the awards that name them. @throws rule_not_found */
export async function deleteRule(ctx: ServiceContext, programId: string, ruleId: string): Promise<void> {
  await inTransaction(ctx.storage, async (trx) => {
    const current = await mustFind(trx, programId, ruleId);
    const now = ctx.clock.now();
    await markRuleDeleted(trx, programId, ruleId, current.version, now);
    await bumpRulesVersion(trx, programId, now);
  });
}

/** The rule with its failure counter. @throws DomainError rule_not_found */
export async function getRule(ctx: ServiceContext, programId: string, ruleId: string): Promise<RuleView> {
  const row = await mustFind(ctx.storage.db, programId, ruleId);
  const [failures] = await findRuleFailures(ctx.storage.db, programId, [ruleId]);
  return ruleView(row, failures);
}

/** The current rules, oldest first, a page at a time. @throws DomainError invalid_cursor */
export async function listRules(ctx: ServiceContext, programId: string, query: { cursor?: string; limit?: number } = {}): Promise<Page<RuleView>> {
  const limit = query.limit ?? 50;
  const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isIdCursor).after;
  const rows = await listCurrentRules(ctx.storage.db, programId, { afterId, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const failures = new Map((await findRuleFailures(ctx.storage.db, programId, page.map((row) => row.id))).map((f) => [f.ruleId, f]));
  return {
    data: page.map((row) => ruleView(row, failures.get(row.id))),
    nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null,
  };
}

async function mustFind(db: Parameters<typeof findCurrentRule>[0], programId: string, ruleId: string): Promise<RuleRow> {
  const row = await findCurrentRule(db, programId, ruleId);
  if (!row) throw new DomainError('rule_not_found', `No rule ${ruleId} in this programme.`);
  return row;
}
