/**
 * Rule conditions are CEL expressions (@marcbachmann/cel-js): no I/O, no unbounded loops (comprehensions run
 * over a list once), and type-checkable when the rule is saved rather than when an event arrives. That is not
 * enough for untrusted input on its own, which is why the limits below and guard.ts exist.
 *
 * What a condition sees:
 * - `event`: `{type, occurredAt, data}`; `member`: `{id, tier, attributes, createdAt, birthDate,
 *   purchaseCount, lifetimeEarned}`; `now`: a timestamp. Item conditions also see `item` (one line of
 *   `event.data.items`).
 * - JSON numbers are CEL doubles (CEL's JSON mapping). Comparisons across number types work
 *   (`event.data.total >= 1000`); arithmetic does not, so write `event.data.total * 2.0` or
 *   `int(event.data.total) * 2`.
 * - Instants are timestamps: `event.occurredAt.getMonth("Europe/Amsterdam") == 11` is December where the
 *   programme is.
 * - `event.data` is whatever the business sent, so use `has(event.data.coupon)` before reading an optional
 *   field. Reading a missing key is an evaluation error, and an evaluation error (or a result that is not a
 *   boolean) means "does not match": a bad payload must never fail the event's recording.
 *
 * Compiling is parse + type check, once per distinct source (a bounded cache); saving a rule with a condition
 * that does not compile fails with `rule_condition_invalid` and the library's message. Rules are untrusted
 * input, so compiling also applies the static limits (length, `maxAstNodes`, `maxDepth` and those of guard.ts:
 * `matches` patterns RE2 accepts, comprehension nesting, an estimated cost), and evaluation runs the guarded
 * form of guard.ts against an `EvaluationBudget`: a condition that exhausts it does not match, and the budget
 * says why (the caller records that the rule failed).
 */
import { Environment } from '@marcbachmann/cel-js';
import { DomainError } from '../errors.js';
import { EvaluationBudget, valueSize } from './cost.js';
import { instrumentedSource, reviewExpression } from './guard.js';
import { compilePattern } from './regex.js';
import type { EventFacts, MemberFacts } from './rule.js';

export const maxConditionLength = 4_000;
const cacheCapacity = 10_000;
/** Above this the library's caret excerpt (which repeats the source line) is left out of the detail. */
const maxExcerptLength = 400;

export interface ConditionContext {
  event: EventFacts;
  member: MemberFacts;
  now: Date;
}

export interface ItemConditionContext extends ConditionContext {
  item: Record<string, unknown>;
}

export interface CompiledCondition<Context = ConditionContext> {
  readonly source: string;
  /**
   * False when the condition is false, does not evaluate to a boolean, or fails to evaluate. Spends from
   * `budget` (a fresh one when none is given); when the budget is exhausted, or a pattern cannot run, the
   * answer is false and `budget.failure` says why.
   */
  matches(context: Context, budget?: EvaluationBudget): boolean;
}

export type CompiledItemCondition = CompiledCondition<ItemConditionContext>;

// The limits keep admin-written expressions cheap to check and evaluate on every event; the library's defaults
// (100,000 nodes) are sized for trusted input.
const environmentOptions = {
  unlistedVariablesAreDyn: false,
  limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
};
// The guarded form of a checked expression has more nodes and parentheses than its source, nothing more.
const guardedOptions = {
  unlistedVariablesAreDyn: false,
  limits: { maxAstNodes: 10_000, maxDepth: 250, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
};

// Built once: an Environment is expensive to create and is safe to share, since parsing does not change it.
const ruleEnvironment = new Environment(environmentOptions)
  .registerVariable('event', 'map')
  .registerVariable('member', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp');

const itemEnvironment = new Environment(environmentOptions)
  .registerVariable('item', 'map')
  .registerVariable('event', 'map')
  .registerVariable('member', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp');

/**
 * The budget of the evaluation under way. Evaluation is synchronous and never nested, so one slot serves;
 * `matches` sets it for the duration of one call.
 */
let active = new EvaluationBudget();

/** Thrown by the guard functions to stop an evaluation whose budget is exhausted; never leaves this module. */
class Stopped extends Error {}

function withGuards(environment: Environment): Environment {
  return environment
    .registerFunction('__ok(int): bool', (steps: bigint) => active.charge(Number(steps)))
    .registerFunction('__halt(): dyn', () => {
      throw new Stopped('stopped');
    })
    .registerFunction('__c(T): T', (value: unknown) => {
      if (!active.charge(valueSize(value, active.remaining + 1))) throw new Stopped('stopped');
      return value;
    })
    .registerFunction('__re2(string, string): bool', (input: string, pattern: string) => {
      if (!active.charge(input.length + 1)) throw new Stopped('stopped');
      const compiled = compilePattern(pattern);
      if (!compiled.ok) {
        // Only a rule saved before patterns were checked gets here, with a pattern made at evaluation time
        // (possibly from the event's data, which is why the pattern is not quoted).
        active.fail('A pattern given to matches() is not valid RE2 syntax or is too long.');
        throw new Stopped('stopped');
      }
      return compiled.regex.test(input);
    });
}

const guardedRuleEnvironment = withGuards(ruleEnvironment.clone(guardedOptions));
const guardedItemEnvironment = withGuards(itemEnvironment.clone(guardedOptions));

// Keyed by environment and source text, so every rule version sharing a condition parses it once. Oldest
// entries go first; a miss only costs one more parse.
const cache = new Map<string, CompiledCondition<never>>();

/**
 * Compiles a rule condition; throws `rule_condition_invalid` at `pointer` unless it is a boolean CEL expression
 * within the limits.
 */
export function compileCondition(source: string, pointer: string): CompiledCondition {
  return compileCached('rule', ruleEnvironment, guardedRuleEnvironment, source, pointer);
}

/** Compiles an item condition (sees `item` too); throws `rule_condition_invalid` at `pointer`. */
export function compileItemCondition(source: string, pointer: string): CompiledItemCondition {
  return compileCached('item', itemEnvironment, guardedItemEnvironment, source, pointer);
}

/** The values a condition sees, copied field by field so nothing else on the caller's objects leaks in. */
export function conditionContext(event: EventFacts, member: MemberFacts, now: Date): ConditionContext {
  return {
    event: { type: event.type, occurredAt: event.occurredAt, data: event.data },
    member: {
      id: member.id,
      tier: member.tier,
      attributes: member.attributes,
      createdAt: member.createdAt,
      birthDate: member.birthDate,
      purchaseCount: member.purchaseCount,
      lifetimeEarned: member.lifetimeEarned,
    },
    now,
  };
}

function compileCached<Context extends ConditionContext>(
  kind: string,
  environment: Environment,
  guarded: Environment,
  source: string,
  pointer: string,
): CompiledCondition<Context> {
  const key = `${kind}\u0000${source}`;
  const cached = cache.get(key) as CompiledCondition<Context> | undefined;
  if (cached) return cached;
  const compiled = compile<Context>(environment, guarded, source, pointer);
  cache.set(key, compiled);
  if (cache.size > cacheCapacity) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  return compiled;
}

function compile<Context extends ConditionContext>(
  environment: Environment,
  guarded: Environment,
  source: string,
  pointer: string,
): CompiledCondition<Context> {
  const invalid = (detail: string) => DomainError.field('rule_condition_invalid', pointer, detail);
  if (source.trim() === '') throw invalid('The condition is empty; use null for a rule that always matches.');
  if (source.length > maxConditionLength) {
    throw invalid(`The condition is ${source.length} characters long; at most ${maxConditionLength} are allowed.`);
  }

  let parsed: ReturnType<Environment['parse']>;
  let checked: ReturnType<ReturnType<Environment['parse']>['check']>;
  try {
    parsed = environment.parse(source);
    checked = parsed.check();
  } catch (error) {
    throw invalid(describeCelError(error));
  }
  if (!checked.valid) throw invalid(describeCelError(checked.error));
  // `dyn` is allowed because a field of `event.data` has no static type; a non-boolean result then fails to
  // match at evaluation time instead.
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    const type = checked.type ?? 'an unknown type';
    throw invalid(`The condition must be a boolean expression, but it evaluates to ${type}.`);
  }
  const review = reviewExpression(parsed.ast);
  if (!review.ok) throw invalid(review.reason);

  let evaluator: ReturnType<Environment['parse']>;
  try {
    evaluator = guarded.parse(instrumentedSource(parsed.ast));
    const guardedCheck = evaluator.check();
    if (!guardedCheck.valid) throw guardedCheck.error;
  } catch (error) {
    // Not reached by any expression the tests know; refusing is safer than evaluating it unguarded.
    throw invalid(`The condition cannot be evaluated within its cost bound (${describeCelError(error)}).`);
  }
  const steps = review.steps;

  return {
    source,
    matches(context: Context, budget = new EvaluationBudget()): boolean {
      if (!budget.charge(steps)) return false;
      const previous = active;
      active = budget;
      try {
        return evaluator(context) === true && budget.failure === null;
      } catch {
        return false;
      } finally {
        active = previous;
      }
    },
  };
}

/** The library's summary line, plus its caret excerpt when that is short enough to read. */
function describeCelError(error: unknown): string {
  if (!(error instanceof Error)) return 'The condition is not a valid CEL expression.';
  const [firstLine = '', ...rest] = error.message.split('\n');
  const summary = 'summary' in error && typeof error.summary === 'string' ? error.summary : firstLine;
  const excerpt = rest.join('\n').replace(/^\n+/, '').trimEnd();
  if (excerpt !== '' && error.message.length <= maxExcerptLength) return `${summary}\n\n${excerpt}`;
  const range = 'range' in error ? error.range : undefined;
  if (isRange(range)) return `${summary} (at character ${range.start + 1})`;
  return summary;
}

function isRange(value: unknown): value is { start: number } {
  return typeof value === 'object' && value !== null && 'start' in value && typeof value.start === 'number';
}
