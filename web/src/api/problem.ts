/** RFC 9457 problem details as the server renders them (src/http/problems.ts). */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  errors?: { pointer: string; detail: string }[];
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string';
}

/** Thrown by `unwrap` so TanStack Query and forms see one error type carrying the problem's code. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
  get code(): string {
    return this.problem.code;
  }
}
