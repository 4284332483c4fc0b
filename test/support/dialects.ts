/**
 * One integration suite, run once per dialect (the shape of Kysely's own test setup): SQLite always, PostgreSQL
 * when global-setup found a server. Each test gets an empty, migrated database and a ServiceContext with a
 * clock it can move; after each test the ledger invariants that `trouw verify` checks must hold.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, inject } from 'vitest';
import { typeIds, type ServiceContext } from '../../src/context.js';
import { migrateToLatest, openStorage, type DialectName } from '../../src/storage/db.js';
import { createPiiCipher } from '../../src/storage/pii.js';
import { verifyLedger } from '../../src/storage/verify.js';

export const TEST_ENCRYPTION_KEY = crypto.createHash('sha256').update('trouw test key').digest();

export class TestClock {
  constructor(public current = Date.parse('2026-03-15T12:00:00Z')) {}
  now = (): number => this.current;
  set(isoTime: string): void {
    this.current = Date.parse(isoTime);
  }
  advanceDays(days: number): void {
    this.current += days * 86_400_000;
  }
}

export interface TestDatabase {
  readonly dialect: DialectName;
  /** The fresh context of the running test. */
  readonly ctx: ServiceContext;
  readonly clock: TestClock;
  /** For tests that start a server or a CLI against the same database. */
  readonly databaseUrl: string | null;
  readonly sqlitePath: string;
}

const postgresAdminUrl = (): string | null => inject('postgresAdminUrl');

export const availableDialects = (): DialectName[] => (postgresAdminUrl() ? ['sqlite', 'postgres'] : ['sqlite']);

interface FreshDatabase {
  databaseUrl: string | null;
  sqlitePath: string;
  /** Leaves the database for the next test of the suite: deleted (SQLite) or emptied (PostgreSQL). */
  release: () => Promise<void>;
}

let sqliteTemplate: Promise<string> | null = null;

/** A migrated SQLite file made once per worker process; each test copies it (a copy costs a millisecond, migrating fifty). */
function migratedSqliteTemplate(): Promise<string> {
  sqliteTemplate ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-template-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'template.db');
    const storage = openStorage({ databaseUrl: null, sqlitePath: file });
    await migrateToLatest(storage);
    // Closing the last connection checkpoints the WAL into the file, so the file alone is the whole database.
    await storage.close();
    return file;
  })();
  return sqliteTemplate;
}

async function freshSqlite(): Promise<FreshDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-test-'));
  const sqlitePath = path.join(dir, 'trouw.db');
  fs.copyFileSync(await migratedSqliteTemplate(), sqlitePath);
  return { databaseUrl: null, sqlitePath, release: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * One PostgreSQL database per suite (a `forEachDialect` block), copied from the migrated template when the suite
 * starts and emptied after each test. Emptying with DELETE takes milliseconds where creating a database from the
 * template and dropping it took a quarter of a second per test; the tables are the same, and empty, either way.
 */
class PostgresSuiteDatabase {
  private name: string | null = null;
  private tables: string[] = [];

  async acquire(): Promise<FreshDatabase> {
    const adminUrl = postgresAdminUrl();
    if (!adminUrl) throw new Error('no PostgreSQL server for this leg');
    if (this.name === null) {
      const name = `trouw_t_${crypto.randomBytes(6).toString('hex')}`;
      await withClient(adminUrl, (client) => client.query(`create database ${name} template ${inject('postgresTemplate')}`));
      this.name = name;
      // Programmes last: two tables reference them.
      const { rows } = await withClient(this.url(adminUrl), (client) =>
        client.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = 'public' and tablename not like 'kysely%' order by tablename = 'programs', tablename`),
      );
      this.tables = rows.map((row) => row.tablename);
    }
    const databaseUrl = this.url(adminUrl);
    return {
      databaseUrl,
      sqlitePath: '',
      release: async () => {
        await withClient(databaseUrl, (client) => client.query(this.tables.map((table) => `delete from "${table}";`).join('\n')));
      },
    };
  }

  async drop(): Promise<void> {
    const adminUrl = postgresAdminUrl();
    if (!adminUrl || this.name === null) return;
    const name = this.name;
    this.name = null;
    await withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
  }

  private url(adminUrl: string): string {
    const url = new URL(adminUrl);
    url.pathname = `/${this.name ?? ''}`;
    return url.toString();
  }
}

async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function forEachDialect(title: string, body: (db: TestDatabase) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    // The PostgreSQL leg runs whenever global-setup reached a server; it says loudly when it could not.
    describe.skipIf(dialect === 'postgres' && !postgresAdminUrl())(`${title} [${dialect}]`, () => {
      let current: (TestDatabase & { release: () => Promise<void> }) | null = null;
      const postgres = new PostgresSuiteDatabase();
      afterAll(() => postgres.drop());
      const handle: TestDatabase = {
        dialect,
        get ctx() {
          if (!current) throw new Error('no database outside a test');
          return current.ctx;
        },
        get clock() {
          if (!current) throw new Error('no database outside a test');
          return current.clock;
        },
        get databaseUrl() {
          return current?.databaseUrl ?? null;
        },
        get sqlitePath() {
          return current?.sqlitePath ?? '';
        },
      };
      beforeEach(async () => {
        const fresh = dialect === 'sqlite' ? await freshSqlite() : await postgres.acquire();
        const storage = openStorage({ databaseUrl: fresh.databaseUrl, sqlitePath: fresh.sqlitePath, poolSize: 20 });
        const clock = new TestClock();
        const ctx: ServiceContext = { storage, clock, ids: typeIds, pii: createPiiCipher(TEST_ENCRYPTION_KEY), logger: pino({ level: 'silent' }), policy: { allowPrivateWebhookUrls: true } };
        current = { dialect, ctx, clock, databaseUrl: fresh.databaseUrl, sqlitePath: fresh.sqlitePath, release: fresh.release };
      });
      afterEach(async () => {
        if (!current) return;
        const { ctx, release } = current;
        current = null;
        try {
          expect(await verifyLedger(ctx.storage)).toEqual([]);
        } finally {
          await ctx.storage.close();
          await release();
        }
      });
      body(handle);
    });
  }
}
