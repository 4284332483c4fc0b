import { compileStoredRule, type CompiledRule } from '../../domain/rules/evaluate.js';
import { listCurrentRules } from '../../storage/repositories/rules.repository.js';
import type { ProgramRow } from '../../storage/schema.js';
import { ruleDefinition } from '../views.js';
import type { Trx } from '../../storage/transaction.js';

/**
 * The programme's compiled rules, cached per process and reloaded when the programme's `rulesVersion` moved
 * (every rule change bumps it in the same transaction), so a rule edit applies to the next event in every
 * process without compiling rules per event. A stored rule that no longer passes the checks made on save
 * compiles as unusable and fails alone (domain/rules/evaluate.ts), rather than failing every event.
 */
const ruleSets = new Map<string, { version: number; rules: CompiledRule[] }>();

export async function ruleSet(trx: Trx, program: ProgramRow): Promise<CompiledRule[]> {
  const cached = ruleSets.get(program.id);
  if (cached && cached.version === program.rulesVersion) return cached.rules;
  const rows = await listCurrentRules(trx, program.id);
  const rules = rows.map((row) => compileStoredRule(ruleDefinition(row)));
  ruleSets.set(program.id, { version: program.rulesVersion, rules });
  return rules;
}
