/**
 * Marks states only a bug can reach (a posting that does not sum to zero). Never use it on input: input
 * errors are `DomainError`s with a problem code.
 */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'InvariantViolation';
  }
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}
