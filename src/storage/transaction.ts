/**
 * One place that opens database transactions, hiding what differs between the dialects:
 * - SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so two processes sharing the file never
 *   deadlock upgrading a read lock, and one process's transactions run one after another on its connection.
 * - PostgreSQL runs at READ COMMITTED with explicit row locks (`lock…` repository reads); a serialization
 *   failure or deadlock is retried a few times, since the whole unit of work is inside `fn`.
 */
import { type Kysely, sql } from 'kysely';
import type { Storage } from './db.js';
import type { Database } from './schema.js';

export type Trx = Kysely<Database>;

const RETRYABLE_PG_CODES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

/** How often a storage's transactions were retried, by cause: a deadlock means two writers broke the lock order. */
export interface RetryCounts {
  deadlocks: number;
  serializationFailures: number;
}
const retries = new WeakMap<Storage, RetryCounts>();

export function transactionRetries(storage: Storage): RetryCounts {
  return { ...(retries.get(storage) ?? { deadlocks: 0, serializationFailures: 0 }) };
}

function countRetry(storage: Storage, code: string): void {
  const counts = retries.get(storage) ?? { deadlocks: 0, serializationFailures: 0 };
  if (code === '40P01') counts.deadlocks += 1;
  else counts.serializationFailures += 1;
  retries.set(storage, counts);
}

export async function inTransaction<T>(storage: Storage, fn: (trx: Trx) => Promise<T>): Promise<T> {
  if (storage.dialect === 'sqlite') {
    return storage.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await fn(connection);
        await sql`commit`.execute(connection);
        storage.afterCommit?.();
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await storage.db.transaction().execute(fn);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && RETRYABLE_PG_CODES.has(code)) {
        countRetry(storage, code);
        if (attempt < MAX_ATTEMPTS) continue;
      }
      throw error;
    }
  }
}

/** True when the error is a unique-key violation in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True when the error is a CHECK constraint violation in either dialect. */
export function isCheckViolation(error: unknown): boolean {
  const e = error as { code?: unknown };
  return e.code === '23514' || e.code === 'SQLITE_CONSTRAINT_CHECK';
}

/**
 * Claims rows for a job batch: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so workers running the same job at once
 * take disjoint rows and a row stays claimed until the claiming transaction ends (a worker killed mid-batch
 * releases its rows by rolling back). SQLite has one writer at a time, so a plain read inside the immediate
 * transaction already claims.
 */
export function claimRows<Q extends { forUpdate(): Q; skipLocked(): Q }>(query: Q, storage: Storage): Q {
  return storage.dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}
