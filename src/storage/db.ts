/**
 * Opens the database chosen by configuration: PostgreSQL for a postgres:// URL, else the embedded SQLite file.
 * Both dialects return plain numbers for bigint columns and sums, so the query layer above is the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { startCheckpointer, type CheckpointerOptions } from './checkpointer.js';
import { migrations } from './migrations/index.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Storage {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where the data lives, for messages: the SQLite path or the PostgreSQL URL without its password. */
  location: string;
  /** Called by inTransaction after each commit (SQLite housekeeping between transactions). */
  afterCommit?: () => void;
  close(): Promise<void>;
}

export interface StorageOptions {
  databaseUrl: string | null;
  sqlitePath: string;
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  /** Checkpoint the WAL from a worker thread instead of inside commits (long-running servers). */
  backgroundCheckpoint?: boolean | CheckpointerOptions;
  poolSize?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Points, money and instants stay far below 2^53 (domain/ledger/bounds.ts), so int8 and numeric values are read
 * as JS numbers — but a whole number past 2^53 would be rounded silently, so it is an error instead: the query
 * fails (a 500 with the cause in the log), and no wrong balance is ever shown or written back.
 */
export function parseSafeNumber(value: string): number {
  const parsed = Number(value);
  if (/^-?\d+$/.test(value) ? !Number.isSafeInteger(parsed) : !Number.isFinite(parsed)) {
    throw new RangeError(`The database returned ${value}, which a JavaScript number cannot hold exactly.`);
  }
  return parsed;
}

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return parseSafeNumber;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function openStorage(options: StorageOptions): Storage {
  const plugins = [new CamelCasePlugin()];
  if (options.databaseUrl && /^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 8,
      types: pgTypes,
    });
    // A server that drops an idle connection (restart, failover, admin termination) must not crash the process:
    // the pool discards that client and the next query opens a fresh one.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
    return {
      db,
      dialect: 'postgres',
      location: options.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'),
      close: () => db.destroy(),
    };
  }
  fs.mkdirSync(path.dirname(options.sqlitePath), { recursive: true });
  const sqlite = new SQLite(options.sqlitePath);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${options.sqliteSynchronous ?? 'NORMAL'}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const checkpointer = options.backgroundCheckpoint && options.sqlitePath !== ':memory:' ? startCheckpointer(sqlite, options.sqlitePath, options.backgroundCheckpoint === true ? {} : options.backgroundCheckpoint) : null;
  if (checkpointer) sqlite.pragma('wal_autocheckpoint = 0');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), plugins });
  return {
    db,
    dialect: 'sqlite',
    location: options.sqlitePath,
    ...(checkpointer ? { afterCommit: () => checkpointer.rewindIfLong() } : {}),
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement, so prepared
 * statements are kept by SQL text (queries are built with parameters, so the set of texts is small).
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size >= max) cache.clear();
        statement = sqlite.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema to the latest migration; safe to run concurrently (PostgreSQL takes an advisory lock). */
export async function migrateToLatest(storage: Storage): Promise<string[]> {
  const migrator = new Migrator({ db: storage.db.withoutPlugins(), provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
