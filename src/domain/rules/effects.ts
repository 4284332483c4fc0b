/**
 * Effects: checking them when a rule is saved, and turning them into points when an event matches. Points are
 * integers and every division or multiplication rounds down, so a member is never awarded a fraction of a point
 * and the ledger never sees one.
 */
import { DomainError } from '../errors.js';
import { invariant } from '../invariant.js';
import { compileItemCondition, type CompiledItemCondition, type ConditionContext } from './condition.js';
import { EvaluationBudget } from './cost.js';

export const maxPointsAmount = 1_000_000;
export const maxMultiplierFactor = 100;
/**
 * A multiplier only multiplies up: a factor below 1 would take back points that other rules awarded for the
 * same event, which is a refund's job (with its clawback), not a rule's.
 */
export const minMultiplierFactor = 1;

/** The fields each kind of effect has; anything else is refused rather than stored and ignored. */
const effectFields: Record<'points' | 'multiplier', readonly string[]> = {
  points: ['type', 'amount', 'perSpend', 'itemCondition'],
  multiplier: ['type', 'factor'],
};

export type CompiledPointsEffect = {
  type: 'points';
  amount: number;
  perSpend: number | null;
  itemCondition: CompiledItemCondition | null;
};
export type CompiledMultiplierEffect = { type: 'multiplier'; factor: number };
export type CompiledEffect = CompiledPointsEffect | CompiledMultiplierEffect;

/**
 * Checks a rule's effects and compiles their item conditions. Takes `unknown` because stored and submitted rule
 * bodies are JSON: this is where their shape is proven. Throws `rule_effect_invalid`, or `rule_condition_invalid`
 * for an item condition, at a pointer such as `/effects/1/amount`.
 */
export function compileEffects(effects: unknown): CompiledEffect[] {
  if (!Array.isArray(effects) || effects.length === 0) {
    throw DomainError.field('rule_effect_invalid', '/effects', 'A rule needs at least one effect.');
  }
  return effects.map((effect: unknown, index) => compileEffect(effect, `/effects/${index}`));
}

function compileEffect(effect: unknown, pointer: string): CompiledEffect {
  const invalid = (field: string, detail: string) =>
    DomainError.field('rule_effect_invalid', `${pointer}${field}`, detail);
  if (!isRecord(effect)) throw invalid('', 'An effect must be an object.');
  const type = effect['type'];
  if (type !== 'points' && type !== 'multiplier') throw invalid('/type', 'type must be "points" or "multiplier".');
  const unknown = Object.keys(effect).find((field) => !effectFields[type].includes(field));
  if (unknown !== undefined) {
    throw invalid(`/${escapePointer(unknown)}`, `A ${type} effect has no field ${unknown}; it has ${effectFields[type].join(', ')}.`);
  }

  if (type === 'points') {
    // JSON bodies may spell an absent option as null.
    const { amount } = effect;
    const perSpend = effect['perSpend'] ?? undefined;
    const itemCondition = effect['itemCondition'] ?? undefined;
    if (!isPositiveInteger(amount) || amount > maxPointsAmount) {
      throw invalid('/amount', `amount must be a whole number of points from 1 to ${maxPointsAmount}.`);
    }
    if (perSpend !== undefined && !isPositiveInteger(perSpend)) {
      throw invalid('/perSpend', 'perSpend must be a positive whole number of minor units.');
    }
    if (itemCondition !== undefined && perSpend === undefined) {
      throw invalid('/itemCondition', 'itemCondition selects the items whose spend counts, so it needs perSpend.');
    }
    if (itemCondition !== undefined && typeof itemCondition !== 'string') {
      const detail = 'itemCondition must be a CEL expression.';
      throw DomainError.field('rule_condition_invalid', `${pointer}/itemCondition`, detail);
    }
    return {
      type: 'points',
      amount,
      perSpend: perSpend ?? null,
      itemCondition:
        itemCondition === undefined ? null : compileItemCondition(itemCondition, `${pointer}/itemCondition`),
    };
  }

  const { factor } = effect;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < minMultiplierFactor || factor > maxMultiplierFactor) {
    throw invalid('/factor', `factor must be a number from ${minMultiplierFactor} to ${maxMultiplierFactor}.`);
  }
  return { type: 'multiplier', factor };
}

/** A field name as one JSON pointer token (RFC 6901). */
function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The points one points effect awards for an event: `amount`, or `amount` per whole `perSpend` of the spend. The
 * spend is `event.data.total`, or with an item condition the sum of `quantity * unitPrice` over the matching
 * lines of `event.data.items`. A missing or non-numeric total, and lines without numeric quantity and unit
 * price, count as no spend: the payload is the business's, and a malformed one earns nothing rather than failing.
 */
export function pointsFromEffect(
  effect: CompiledPointsEffect,
  context: ConditionContext,
  budget: EvaluationBudget = new EvaluationBudget(),
): number {
  if (effect.perSpend === null) return effect.amount;
  const spend = effect.itemCondition === null ? totalSpend(context) : itemSpend(effect.itemCondition, context, budget);
  // The remainder is exact in floating point, so this is floor(spend / perSpend) without a rounded quotient.
  const units = (spend - (spend % effect.perSpend)) / effect.perSpend;
  const points = units * effect.amount;
  // An absurd total must not write an imprecise number into the ledger.
  return Number.isSafeInteger(points) ? points : 0;
}

/**
 * `floor(points * factor)`, computed on the factor's decimal digits so that 100 × 1.15 is 115, not the 114 that
 * binary floating point gives.
 */
export function multiplyPoints(points: number, factor: number): number {
  invariant(Number.isSafeInteger(points) && points >= 0, `points must be a non-negative integer, got ${points}`);
  const { numerator, denominator } = decimalFraction(factor);
  // BigInt division truncates, which is floor for non-negative operands.
  return Number((BigInt(points) * numerator) / denominator);
}

function decimalFraction(value: number): { numerator: bigint; denominator: bigint } {
  // String() gives the shortest decimal that reads back as the same double: the number the admin typed.
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  invariant(match, `factor must be a finite positive number, got ${value}`);
  const [, whole = '', fraction = '', exponent = '0'] = match;
  const scale = Number(exponent) - fraction.length;
  const digits = BigInt(whole + fraction);
  return scale >= 0
    ? { numerator: digits * 10n ** BigInt(scale), denominator: 1n }
    : { numerator: digits, denominator: 10n ** BigInt(-scale) };
}

function totalSpend(context: ConditionContext): number {
  const total = context.event.data['total'];
  return isNonNegativeNumber(total) ? total : 0;
}

/** The spend of the matching lines; every line's condition spends from the rule's one budget. */
function itemSpend(condition: CompiledItemCondition, context: ConditionContext, budget: EvaluationBudget): number {
  const items = context.event.data['items'];
  if (!Array.isArray(items)) return 0;
  let spend = 0;
  for (const item of items as unknown[]) {
    if (!isRecord(item)) continue;
    const { quantity, unitPrice } = item;
    // Negative lines (returns, discounts) are left out so that they cannot lower points earned on other lines.
    if (!isNonNegativeNumber(quantity) || !isNonNegativeNumber(unitPrice)) continue;
    if (condition.matches({ ...context, item }, budget)) spend += quantity * unitPrice;
    if (budget.failure !== null) return 0;
  }
  return Number.isFinite(spend) ? spend : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
