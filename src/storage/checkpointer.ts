/**
 * WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside whichever commit crosses the
 * threshold (every ~1,000 pages) and, with synchronous=NORMAL, syncs the database file there: measured here it
 * took about a quarter of the write path's time and set the p99 latency. Instead, a worker thread with its own
 * connection runs PASSIVE checkpoints on a timer: they copy committed pages into the database file without
 * blocking the writer, and the writer's connection no longer checkpoints on its own.
 * A busy writer keeps appending, so PASSIVE alone never lets the log start over: `rewindIfLong` runs on the
 * writer's connection between two transactions and, once the log is long, rewinds it with a RESTART checkpoint,
 * which by then has little left to copy because the worker already did the bulk.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Database as SQLiteDatabase } from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

// Plain CommonJS evaluated in the worker, so it runs the same under the build, tsx and the test runner.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  /** Call between transactions on the writer's connection. */
  rewindIfLong(): void;
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  /** Rewind the log once it is longer than this. */
  rewindBytes?: number;
  /** Look at the log's length every this many commits (a stat call is cheap, but not free). */
  checkEveryCommits?: number;
}

export function startCheckpointer(writer: SQLiteDatabase, file: string, options: CheckpointerOptions = {}): Checkpointer {
  const { intervalMs = 250, rewindBytes = 32 * 1024 * 1024, checkEveryCommits = 50 } = options;
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, { eval: true, workerData: { file, driverPath, intervalMs } });
  worker.unref();
  let commits = 0;
  return {
    rewindIfLong() {
      if (++commits % checkEveryCommits !== 0) return;
      let size = 0;
      try {
        size = fs.statSync(`${file}-wal`).size;
      } catch {
        return;
      }
      if (size > rewindBytes) writer.pragma('wal_checkpoint(RESTART)');
    },
    stop: () =>
      new Promise((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }),
  };
}
