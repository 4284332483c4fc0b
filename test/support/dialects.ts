/**
 * One integration suite, run once per dialect (the shape of Kysely's own test setup): SQLite always, PostgreSQL
 * when global-setup found a server. Each test gets a fresh, migrated database and a ServiceContext with a
 * clock it can move; after each test the ledger invariants that `trouw verify` checks must hold.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, inject } from 'vitest';
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

async function freshDatabase(dialect: DialectName): Promise<{ databaseUrl: string | null; sqlitePath: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-test-'));
    return { databaseUrl: null, sqlitePath: path.join(dir, 'trouw.db'), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = postgresAdminUrl();
  if (!adminUrl) throw new Error('no PostgreSQL server for this leg');
  const name = `trouw_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${inject('postgresTemplate')}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    sqlitePath: '',
    drop: async () => {
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export function forEachDialect(title: string, body: (db: TestDatabase) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    // The PostgreSQL leg runs whenever global-setup reached a server; it says loudly when it could not.
    describe.skipIf(dialect === 'postgres' && !postgresAdminUrl())(`${title} [${dialect}]`, () => {
      let current: (TestDatabase & { drop: () => Promise<void> }) | null = null;
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
        const fresh = await freshDatabase(dialect);
        const storage = openStorage({ databaseUrl: fresh.databaseUrl, sqlitePath: fresh.sqlitePath, poolSize: 20 });
        if (dialect === 'sqlite') await migrateToLatest(storage);
        const clock = new TestClock();
        const ctx: ServiceContext = { storage, clock, ids: typeIds, pii: createPiiCipher(TEST_ENCRYPTION_KEY), logger: pino({ level: 'silent' }), policy: { allowPrivateWebhookUrls: true } };
        current = { dialect, ctx, clock, databaseUrl: fresh.databaseUrl, sqlitePath: fresh.sqlitePath, drop: fresh.drop };
      });
      afterEach(async () => {
        if (!current) return;
        const { ctx, drop } = current;
        current = null;
        try {
          expect(await verifyLedger(ctx.storage)).toEqual([]);
        } finally {
          await ctx.storage.close();
          await drop();
        }
      });
      body(handle);
    });
  }
}
