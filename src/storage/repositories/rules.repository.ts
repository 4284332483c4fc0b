import type { Compilable, Insertable } from 'kysely';
import type { RuleFailure } from '../../domain/rules/evaluate.js';
import type { RulesTable } from '../schema.js';
import type { Trx } from '../transaction.js';

export async function insertRuleVersion(trx: Trx, rule: Insertable<RulesTable>): Promise<void> {
  await trx.insertInto('rules').values(rule).execute();
}

/** The current version of every rule not deleted, ordered by id (creation order); a page of them when asked. */
export async function listCurrentRules(db: Trx, programId: string, page?: { afterId?: string; limit: number }) {
  let query = db
    .selectFrom('rules')
    .selectAll()
    .where('programId', '=', programId)
    .where('isCurrent', '=', 1)
    .where('deletedAt', 'is', null);
  if (page?.afterId !== undefined) query = query.where('id', '>', page.afterId);
  if (page) query = query.limit(page.limit + 1);
  return query.orderBy('id').execute();
}

export async function findCurrentRule(db: Trx, programId: string, ruleId: string) {
  return db
    .selectFrom('rules')
    .selectAll()
    .where('programId', '=', programId)
    .where('id', '=', ruleId)
    .where('isCurrent', '=', 1)
    .where('deletedAt', 'is', null)
    .executeTakeFirst();
}

export async function retireRuleVersion(trx: Trx, programId: string, ruleId: string, version: number): Promise<void> {
  await trx
    .updateTable('rules')
    .set({ isCurrent: 0 })
    .where('programId', '=', programId)
    .where('id', '=', ruleId)
    .where('version', '=', version)
    .execute();
}

export async function markRuleDeleted(trx: Trx, programId: string, ruleId: string, version: number, now: number): Promise<void> {
  await trx
    .updateTable('rules')
    .set({ deletedAt: now, active: 0 })
    .where('programId', '=', programId)
    .where('id', '=', ruleId)
    .where('version', '=', version)
    .execute();
}

/** Sets per-member usage counters to absolute values (computed under the members' locks), many at once. */
export function upsertRuleUsage(
  trx: Trx,
  rows: { programId: string; ruleId: string; memberId: string; periodKey: string; count: number }[],
): Compilable[] {
  const statements: Compilable[] = [];
  for (let i = 0; i < rows.length; i += 5_000) {
    statements.push(
      trx
        .insertInto('ruleUsage')
        .values(rows.slice(i, i + 5_000))
        .onConflict((oc) => oc.columns(['programId', 'ruleId', 'memberId', 'periodKey']).doUpdateSet((eb) => ({ count: eb.ref('excluded.count') }))),
    );
  }
  return statements;
}

/** Every usage counter of these members for these rules; the caller picks the periods it needs. */
export async function readRuleUsageOfMembers(db: Trx, programId: string, memberIds: string[], ruleIds: string[]) {
  if (memberIds.length === 0 || ruleIds.length === 0) return [];
  return db
    .selectFrom('ruleUsage')
    .select(['ruleId', 'memberId', 'periodKey', 'count'])
    .where('programId', '=', programId)
    .where('memberId', 'in', memberIds)
    .where('ruleId', 'in', ruleIds)
    .execute();
}

/**
 * Adds failures of rules (from the events of one group) to their counters: one row per rule with the count and
 * the group's last failure. Rows go in rule id order, so two groups always lock the counters in the same order.
 */
export function recordRuleFailures(trx: Trx, programId: string, failures: readonly RuleFailure[], at: number): Compilable[] {
  if (failures.length === 0) return [];
  const byRule = new Map<string, { programId: string; ruleId: string; failureCount: number; lastFailureAt: number; lastFailureVersion: number; lastFailureReason: string }>();
  for (const failure of failures) {
    const count = (byRule.get(failure.ruleId)?.failureCount ?? 0) + 1;
    byRule.set(failure.ruleId, {
      programId,
      ruleId: failure.ruleId,
      failureCount: count,
      lastFailureAt: at,
      lastFailureVersion: failure.ruleVersion,
      lastFailureReason: failure.reason,
    });
  }
  const rows = [...byRule.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  return [
    trx
      .insertInto('ruleFailures')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['programId', 'ruleId']).doUpdateSet((eb) => ({
          failureCount: eb(eb.ref('ruleFailures.failureCount'), '+', eb.ref('excluded.failureCount')),
          lastFailureAt: eb.ref('excluded.lastFailureAt'),
          lastFailureVersion: eb.ref('excluded.lastFailureVersion'),
          lastFailureReason: eb.ref('excluded.lastFailureReason'),
        })),
      ),
  ];
}

/** The failure counters of these rules (rules that never failed have none). */
export async function findRuleFailures(db: Trx, programId: string, ruleIds: string[]) {
  if (ruleIds.length === 0) return [];
  return db
    .selectFrom('ruleFailures')
    .select(['ruleId', 'failureCount', 'lastFailureAt', 'lastFailureVersion', 'lastFailureReason'])
    .where('programId', '=', programId)
    .where('ruleId', 'in', ruleIds)
    .execute();
}
