/**
 * Makes the bench stop by itself and leave nothing behind. Child servers are killed on every way out (normal
 * end, an error, Ctrl-C, the overall deadline); registered clean-ups (temporary directories, PostgreSQL
 * databases) run once, newest first, each bounded in time so a hung clean-up cannot keep the bench alive.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];

/** Remembers a child process so that any exit of the bench kills it. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

const CLEANUP_STEP_TIMEOUT_MS = 10_000;

/** Kills the child servers, then runs every registered clean-up; errors are reported, not thrown. */
export async function cleanUp(): Promise<void> {
  killChildren();
  for (let fn = cleanups.pop(); fn; fn = cleanups.pop()) {
    try {
      await withTimeout(Promise.resolve(fn()), CLEANUP_STEP_TIMEOUT_MS, 'clean-up step');
    } catch (error) {
      console.error(`bench: clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Installs the ways out: signals clean up and exit; the deadline does the same when a phase hangs; and the
 * process's own exit kills children as a last resort (only synchronous work is possible there).
 */
export function installGuards(deadlineMs: number): void {
  process.on('exit', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  const deadline = setTimeout(() => {
    console.error(`\nbench: FAILED: still running after ${Math.round(deadlineMs / 1000)} s; cleaning up and stopping`);
    void cleanUp().finally(() => process.exit(2));
  }, deadlineMs);
  deadline.unref();
}
