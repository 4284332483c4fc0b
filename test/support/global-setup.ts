/**
 * Finds the PostgreSQL server for the PostgreSQL leg (TEST_DATABASE_URL, else 127.0.0.1:5432) and prepares a
 * migrated template database that each test copies. Without a server the leg is skipped, and this says so.
 */
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { openStorage, migrateToLatest } from '../../src/storage/db.js';

import crypto from 'node:crypto';

/** One template per run, so two suites running at once on one server never drop each other's template. */
const TEMPLATE_DATABASE = `trouw_template_${crypto.randomBytes(4).toString('hex')}`;

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string | null;
    postgresTemplate: string;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  project.provide('postgresTemplate', TEMPLATE_DATABASE);
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await admin.connect();
  } catch (error) {
    if (process.env.TEST_DATABASE_URL) throw error;
    console.warn('\n*** PostgreSQL leg SKIPPED: no server answers on 127.0.0.1:5432 and TEST_DATABASE_URL is not set. ***\n');
    project.provide('postgresAdminUrl', null);
    return undefined;
  }
  try {
    await admin.query(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const storage = openStorage({ databaseUrl: withDatabase(adminUrl, TEMPLATE_DATABASE), sqlitePath: '' });
  await migrateToLatest(storage);
  await storage.close();
  console.log(`PostgreSQL leg runs against ${new URL(adminUrl).host}`);
  project.provide('postgresAdminUrl', adminUrl);
  return async () => {
    const dropper = new pg.Client({ connectionString: adminUrl });
    await dropper.connect();
    try {
      await dropper.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    } finally {
      await dropper.end();
    }
  };
}
