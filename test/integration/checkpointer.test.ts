/**
 * The embedded server checkpoints SQLite's WAL from a worker thread, not inside commits. Two things must hold:
 * committed pages do reach the database file without the writer checkpointing, and the log stays bounded under
 * a writer that never pauses. Both are observed through file sizes, which only checkpoints change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/db.js';
import { inTransaction } from '../../src/storage/transaction.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withStorage(options: Parameters<typeof openStorage>[0]['backgroundCheckpoint'], fn: (file: string, storage: ReturnType<typeof openStorage>) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-wal-'));
  const file = path.join(dir, 'trouw.db');
  const storage = openStorage({ databaseUrl: null, sqlitePath: file, backgroundCheckpoint: options });
  try {
    await sql`create table filler (id integer primary key, body text not null)`.execute(storage.db);
    await fn(file, storage);
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function writeRows(storage: ReturnType<typeof openStorage>, transactions: number) {
  for (let t = 0; t < transactions; t++) {
    await inTransaction(storage, async (trx) => {
      for (let i = 0; i < 20; i++) await sql`insert into filler (body) values (${'x'.repeat(2_000)})`.execute(trx);
    });
  }
}

describe('background WAL checkpoints [sqlite]', () => {
  it('copy committed pages into the database file while the writer never checkpoints', async () => {
    await withStorage({ intervalMs: 50 }, async (file, storage) => {
      const before = fs.statSync(file).size;
      await writeRows(storage, 20);
      for (let i = 0; i < 40 && fs.statSync(file).size <= before; i++) await pause(50);
      expect(fs.statSync(file).size).toBeGreaterThan(before + 500_000);
    });
  });

  it('keep the log bounded under a writer that never pauses', async () => {
    await withStorage({ intervalMs: 20, rewindBytes: 512 * 1024, checkEveryCommits: 1 }, async (file, storage) => {
      await writeRows(storage, 300); // about 12 MB of rows
      expect(fs.statSync(`${file}-wal`).size).toBeLessThan(3 * 1024 * 1024);
      const { rows } = await sql<{ n: number }>`select count(*) as n from filler`.execute(storage.db);
      expect(Number(rows[0]?.n)).toBe(6_000);
    });
  });
});
