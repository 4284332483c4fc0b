/**
 * What a rule may cost. A rule is written by whoever holds `rules:write` and `/v1/rules/try` runs one for any
 * `rules:read` key, so a rule is untrusted input that runs on the event path of its programme — and, since a
 * Node process has one thread, on the path of every programme the process serves.
 *
 * The unit is a *step*: one expression node evaluated, one element or character of a value that an operation
 * compares, joins or converts, one character a regular expression reads. A rule may spend `maxRuleSteps` per
 * event (its condition, and its item conditions over all the basket's lines, together):
 * - on save, `estimateSteps` bounds what the expression would spend if every list in the event had
 *   `collectionBound` elements, and refuses it above the budget (with comprehension nesting and the other
 *   static limits of condition.ts);
 * - at evaluation, an `EvaluationBudget` counts the steps actually spent, and once it is exhausted every
 *   comprehension stops at its next element and the rule fails alone: it awards nothing, and the failure is
 *   recorded on the rule. Counting is deterministic (no clock), so a rule fails the same way every time.
 *
 * What values cost is bounded by the event data limits (domain/events/event-data.ts).
 */

/** Steps one rule may spend on one event. About 2–5 ms of the worst expressions on one core. */
export const maxRuleSteps = 100_000;

/** The number of elements the estimate assumes for a list it cannot see: the longest list event data may hold. */
export const collectionBound = 1_000;

/** How deeply comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) may nest in one expression. */
export const maxComprehensionNesting = 2;

/** Counts the steps of one rule's evaluation for one event; exhausted once, it stays exhausted. */
export class EvaluationBudget {
  #remaining: number;
  #failure: string | null = null;

  constructor(readonly limit: number = maxRuleSteps) {
    this.#remaining = limit;
  }

  /** Why the evaluation failed (the budget ran out, or a pattern could not run), or null while it has not. */
  get failure(): string | null {
    return this.#failure;
  }

  get remaining(): number {
    return this.#remaining;
  }

  /** Spends `steps`; false once the budget is exhausted (then nothing more should run). */
  charge(steps: number): boolean {
    if (this.#failure !== null) return false;
    this.#remaining -= steps;
    if (this.#remaining >= 0) return true;
    this.#failure = `The rule needed more than ${this.limit} evaluation steps for this event, so it was stopped.`;
    return false;
  }

  /** Records a failure other than running out of steps; the first failure is the one kept. */
  fail(reason: string): void {
    this.#failure ??= reason;
  }
}

// Sizes of objects and arrays, which event data shares across every rule and item of an event.
const sizes = new WeakMap<object, number>();

/**
 * The steps an operation on `value` costs: 1 for a scalar, the length of a string or bytes, 1 plus the sizes
 * of the elements (and keys) of a list or map. Counting stops above `cap` (returning more than `cap`), so
 * sizing a huge value costs no more than the budget it would exhaust.
 */
export function valueSize(value: unknown, cap: number): number {
  if (typeof value === 'string') return Math.max(1, value.length);
  if (typeof value !== 'object' || value === null) return 1;
  if (value instanceof Uint8Array) return Math.max(1, value.length);
  const known = sizes.get(value);
  if (known !== undefined) return known;
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= cap) {
    const next = stack.pop();
    total += 1;
    if (typeof next === 'string') total += next.length;
    else if (Array.isArray(next)) for (const element of next as unknown[]) stack.push(element);
    else if (isPlainObject(next)) {
      for (const [key, element] of Object.entries(next)) {
        total += key.length;
        stack.push(element);
      }
    }
  }
  if (total <= cap) sizes.set(value, total);
  return total;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
