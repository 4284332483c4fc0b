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
  /** How often the job runner looks for due work (release, expiry, reviews, triggers, webhook deliveries). */
  jobIntervalMs: number;
  /** `serve` runs the job runner in-process unless TROUW_JOBS=off (then run `trouw worker` beside it). */
  jobsInProcess: boolean;
  /** TROUW_WEBHOOK_ALLOW_PRIVATE=1 allows webhook URLs on loopback and private networks. */
  webhookAllowPrivate: boolean;
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
    jobIntervalMs: Number(env.TROUW_JOB_INTERVAL_MS ?? 1_000),
    jobsInProcess: (env.TROUW_JOBS ?? 'on').toLowerCase() !== 'off',
    webhookAllowPrivate: env.TROUW_WEBHOOK_ALLOW_PRIVATE === '1',
  };
}
