/**
 * The environment, read once. CLI flags override these; nothing else in src/ reads process.env.
 */
import path from 'node:path';

export interface Config {
  /** postgres://… selects PostgreSQL; otherwise the embedded SQLite file under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  port: number;
  host: string;
  /** 32 bytes, base64 or hex. Required on PostgreSQL; generated into the data dir when embedded. */
  encryptionKey: string | null;
  logLevel: string;
  /** `NORMAL` survives a process crash, `FULL` also a power loss; see README "Durability". */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** How often the in-process job loop releases pending points and expires lots. */
  jobIntervalMs: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const synchronous = (env.TROUW_SQLITE_SYNCHRONOUS ?? 'NORMAL').toUpperCase();
  return {
    databaseUrl: env.DATABASE_URL?.trim() || null,
    dataDir: path.resolve(env.TROUW_DATA_DIR ?? './data'),
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? 'localhost',
    encryptionKey: env.TROUW_ENCRYPTION_KEY?.trim() || null,
    logLevel: env.LOG_LEVEL ?? 'info',
    sqliteSynchronous: synchronous === 'FULL' ? 'FULL' : 'NORMAL',
    jobIntervalMs: Number(env.TROUW_JOB_INTERVAL_MS ?? 60_000),
  };
}
