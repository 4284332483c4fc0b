/**
 * The databases the bench measures. Each dialect is seeded once (a programme created by the real CLI, then
 * 10,000 members enrolled through the service) and every phase works on its own copy of that seed: one phase's
 * growth does not slow the next, and the seed's enrolment time is paid once. SQLite copies the file; PostgreSQL
 * creates the copy with `create database … template`.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { systemClock, typeIds, type ServiceContext } from '../../src/context.js';
import { enrolMember } from '../../src/services/members.service.js';
import { migrateToLatest, openStorage, type DialectName } from '../../src/storage/db.js';
import { createPiiCipher, parseMasterKey } from '../../src/storage/pii.js';
import { externalIdOf, MEMBER_COUNT } from './events.js';
import { onCleanup } from './guard.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI_ENTRY = path.join(REPO_ROOT, 'bin', 'trouw.js');

/** One key for the whole run: PostgreSQL requires it, and SQLite then does not write a key file of its own. */
const ENCRYPTION_KEY_HEX = crypto.randomBytes(32).toString('hex');

/** Traffic stays on this machine: the only server the bench talks to is on 127.0.0.1. */
export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const PG_SEED_DATABASE = 'trouw_bench';

export interface Target {
  dialect: DialectName;
  /** The phase this copy belongs to (or `seed`). */
  name: string;
  /** SQLite: holds trouw.db. PostgreSQL: unused by the app, but the CLI wants a directory. */
  dataDir: string;
  databaseUrl: string | null;
  programId: string;
  apiKey: string;
}

/** The environment for the CLI and the server: the app reads its configuration from here, as in production. */
export function appEnv(target: Pick<Target, 'databaseUrl'>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TROUW_ENCRYPTION_KEY: ENCRYPTION_KEY_HEX,
    // The points jobs would otherwise wake during a measurement; nothing in the bench is due anyway.
    TROUW_JOB_INTERVAL_MS: String(3_600_000),
    TROUW_SQLITE_SYNCHRONOUS: 'NORMAL',
    LOG_LEVEL: 'warn',
  };
  if (target.databaseUrl) env.DATABASE_URL = target.databaseUrl;
  else delete env.DATABASE_URL;
  return env;
}

/** `node bin/trouw.js …`: the built CLI, as `npm start` runs it (bench/run.ts builds first). */
export function cliCommand(args: readonly string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [CLI_ENTRY, ...args] };
}

async function createProgramWithCli(dataDir: string, databaseUrl: string | null): Promise<{ programId: string; apiKey: string }> {
  const cli = cliCommand(['program', 'create', '--name', 'Bench', '--json', '--data-dir', dataDir]);
  const { stdout } = await promisify(execFile)(cli.command, cli.args, { cwd: REPO_ROOT, env: appEnv({ databaseUrl }), timeout: 60_000 });
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`trouw program create printed no JSON:\n${stdout}`);
  const created = JSON.parse(line) as { program: { id: string }; apiKey: string };
  return { programId: created.program.id, apiKey: created.apiKey };
}

/** A ServiceContext built the way the tests build one, for in-process measurements and seeding. */
export function openContext(target: Pick<Target, 'dataDir' | 'databaseUrl'>): ServiceContext {
  const storage = openStorage({
    databaseUrl: target.databaseUrl,
    sqlitePath: path.join(target.dataDir, 'trouw.db'),
    sqliteSynchronous: 'NORMAL',
  });
  return { storage, clock: systemClock, ids: typeIds, pii: createPiiCipher(parseMasterKey(ENCRYPTION_KEY_HEX)), logger: pino({ level: 'silent' }), policy: { allowPrivateWebhookUrls: true } };
}

/** Enrols m0…m9999 through the service, 8 at a time (PostgreSQL's pool size; SQLite just queues them). */
async function enrolMembers(ctx: ServiceContext, programId: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < MEMBER_COUNT; index = next++) {
      await enrolMember(ctx, programId, { externalId: externalIdOf(index) });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function seed(dialect: DialectName, dataDir: string, databaseUrl: string | null): Promise<Target> {
  const { programId, apiKey } = await createProgramWithCli(dataDir, databaseUrl);
  const ctx = openContext({ dataDir, databaseUrl });
  try {
    await migrateToLatest(ctx.storage);
    await enrolMembers(ctx, programId);
  } finally {
    // Closing SQLite checkpoints the WAL into the main file, so a plain file copy is a complete database.
    await ctx.storage.close();
  }
  return { dialect, name: 'seed', dataDir, databaseUrl, programId, apiKey };
}

export async function seedSqlite(root: string): Promise<Target> {
  const dataDir = path.join(root, 'sqlite-seed');
  fs.mkdirSync(dataDir, { recursive: true });
  return seed('sqlite', dataDir, null);
}

export function cloneSqlite(seedTarget: Target, root: string, name: string): Target {
  const dataDir = path.join(root, `sqlite-${name}`);
  fs.mkdirSync(dataDir, { recursive: true });
  for (const file of ['trouw.db', 'trouw.db-wal']) {
    const from = path.join(seedTarget.dataDir, file);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(dataDir, file));
  }
  return { ...seedTarget, name, dataDir };
}

function pgUrl(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withPgAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** The server's version, or null when nothing answers on 127.0.0.1:5432. */
export async function postgresVersion(): Promise<string | null> {
  try {
    return await withPgAdmin(async (admin) => (await admin.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? null);
  } catch {
    return null;
  }
}

async function dropPgDatabase(database: string): Promise<void> {
  await withPgAdmin((admin) => admin.query(`drop database if exists ${database} with (force)`));
}

/** Creates trouw_bench from scratch and seeds it; it and its copies are dropped when the bench ends. */
export async function seedPostgres(root: string): Promise<Target> {
  await dropPgDatabase(PG_SEED_DATABASE);
  await withPgAdmin((admin) => admin.query(`create database ${PG_SEED_DATABASE}`));
  onCleanup(() => dropPgDatabase(PG_SEED_DATABASE));
  const dataDir = path.join(root, 'pg-seed');
  fs.mkdirSync(dataDir, { recursive: true });
  return seed('postgres', dataDir, pgUrl(PG_SEED_DATABASE));
}

export async function clonePostgres(seedTarget: Target, name: string): Promise<Target> {
  const database = `${PG_SEED_DATABASE}_${name}`;
  await dropPgDatabase(database);
  await withPgAdmin((admin) => admin.query(`create database ${database} template ${PG_SEED_DATABASE}`));
  onCleanup(() => dropPgDatabase(database));
  return { ...seedTarget, name, databaseUrl: pgUrl(database) };
}

/**
 * Deadlocks PostgreSQL detected in a copy's database since it was created. Each one is a transaction that the
 * service's bounded retry ran again from the start: work the throughput figures paid for twice.
 */
export async function pgDeadlocks(target: Target): Promise<number> {
  if (!target.databaseUrl) return 0;
  const database = new URL(target.databaseUrl).pathname.slice(1);
  // Statistics reach the shared counters when a backend goes idle or exits: give the server's just-closed
  // connections a moment.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return withPgAdmin(async (admin) => {
    const { rows } = await admin.query<{ deadlocks: string }>('select deadlocks from pg_stat_database where datname = $1', [database]);
    return Number(rows[0]?.deadlocks ?? 0);
  });
}

/** How many events a database holds: proof that what the server answered 2xx to was committed. */
export async function countEvents(target: Target): Promise<number> {
  const ctx = openContext(target);
  try {
    const { rows } = await sql<{ n: number }>`select count(*) as n from events`.execute(ctx.storage.db);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await ctx.storage.close();
  }
}

/**
 * A short hash of every file under src/: which code a run measured. Others edit src/ while benchmarks run, so
 * the bench compares this at its start and end and says when the code changed underneath it.
 */
export function sourceFingerprint(): string {
  const hash = crypto.createHash('sha256');
  const files = fs.readdirSync(path.join(REPO_ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(path.relative(REPO_ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 12);
}

export function sqliteVersion(): string {
  const db = new SQLite(':memory:');
  try {
    return (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}
