/**
 * A measurement that failed does not stop the bench: it is reported as FAILED, loudly, the other measurements
 * still run (so one failure does not hide everything else), and the bench exits non-zero at the end.
 */

export interface Failure {
  failed: string;
}

/** The runs of a measurement, or why it failed. */
export type Measured<T> = T[] | Failure;

export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && 'failed' in value;
}

const failures: string[] = [];

/** Runs one measurement; an error becomes a recorded Failure instead of ending the bench. */
export async function attempt<T>(what: string, measure: () => Promise<T>): Promise<T | Failure> {
  try {
    return await measure();
  } catch (error) {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    console.error(`\n*** FAILED ${message}\n`);
    failures.push(message);
    return { failed: message };
  }
}

export function recordedFailures(): readonly string[] {
  return failures;
}
