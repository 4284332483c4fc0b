/**
 * `npm run bench`: how fast Trouw records purchase events, on embedded SQLite and (when reachable) PostgreSQL:
 * over HTTP one event per request, over HTTP in batches of 1,000, in-process through recordEvent, and as
 * hand-written SQL (the baseline that shows what our layers cost). Prints a table, judges the foundation's
 * aims and writes bench/RESULTS.md. Each measurement is repeated 3 times and reported as the median with its
 * range. Every phase is bounded in time and the whole run stops itself (lib/guard.ts).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pgBaseline, sqliteBaseline } from './baseline.js';
import { cleanUp, installGuards, onCleanup } from './lib/guard.js';
import { batchLoad, probePurchase, purchaseLoad, type BatchRun, type HttpRun } from './lib/http-load.js';
import { recordEvents, type ThroughputRun } from './lib/in-process.js';
import { attempt, isFailure, recordedFailures, type Measured } from './lib/measured.js';
import { aimsTable, environmentLines, resultsMarkdown, resultsTable, type AimVerdict, type Environment, type Figure, type Row } from './lib/report.js';
import { startServer } from './lib/server.js';
import { formatCount, formatMs, repeat, summarise, summariseBy, type Summary } from './lib/stats.js';
import {
  clonePostgres,
  cloneSqlite,
  countEvents,
  openContext,
  pgDeadlocks,
  postgresVersion,
  seedPostgres,
  seedSqlite,
  sourceFingerprint,
  sqliteVersion,
  type Target,
} from './lib/targets.js';

/** BENCH_QUICK=1: one-second runs to check the bench itself works; figures are printed, RESULTS.md is left alone. */
const QUICK = process.env.BENCH_QUICK === '1';
const REPEATS = 3;
const HTTP = { connections: 32, durationS: QUICK ? 1 : 10, warmUpS: QUICK ? 1 : 2 };
/** A run sends as many batches as take about `durationS` at the rate the warm-up showed (see measureBatch). */
const BATCH = { connections: 2, durationS: QUICK ? 1 : 10, batchSize: 1_000 };
/** 20,000 events or 4 s, whichever comes first: at a few hundred events/s the count alone would take minutes. */
const IN_PROCESS = { limits: { maxEvents: 20_000, maxMs: QUICK ? 500 : 4_000 }, warmUpEvents: 300, concurrentCallers: 32 };
const BASELINE = { limits: { maxEvents: 20_000, maxMs: QUICK ? 500 : 3_000 }, pgClients: 8 };
/** The whole bench takes about 5 minutes; past this something hangs, and the guard stops it. */
const DEADLINE_MS = 7 * 60_000;

const AIMS = { httpPerSecond: 5_000, httpP99Ms: 25, batchEventsPerSecond: 30_000, inProcessShareOfBaseline: 0.5 };

const RESULTS_FILE = fileURLToPath(new URL('RESULTS.md', import.meta.url));

interface DialectResults {
  http: Measured<HttpRun>;
  batch: Measured<BatchRun>;
  sequential: Measured<ThroughputRun>;
  concurrent: Measured<ThroughputRun>;
  /** Hand-written SQL: SQLite on its one connection, PostgreSQL with 8 clients. */
  baseline: Measured<ThroughputRun>;
  /** PostgreSQL only: one client, to set beside the one-caller in-process figure. */
  baselineOneClient: Measured<ThroughputRun> | null;
  /** PostgreSQL only: deadlocks detected (and retried) during the HTTP phases. */
  deadlocks: { http: number; batch: number } | null;
}

// ------------------------------------------------------------------------------------------------ phases

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function httpHeadline(run: HttpRun): string {
  return `${formatCount(run.requestsPerSecond)} req/s, p50 ${formatMs(run.p50Ms)} ms, p99 ${formatMs(run.p99Ms)} ms`;
}

function throughputHeadline(run: ThroughputRun): string {
  return `${formatCount(run.eventsPerSecond)} events/s (${formatCount(run.events)} events)`;
}

/** A 2xx means committed: after the load, the database must hold at least as many events as were answered. */
async function checkCommitted(target: Target, answered: number): Promise<void> {
  const stored = await countEvents(target);
  if (stored < answered) throw new Error(`${target.name}: ${answered} events were answered 2xx but only ${stored} are stored`);
}

async function measureHttp(target: Target): Promise<HttpRun[]> {
  const server = await startServer(target);
  let answered = 1;
  let runs: HttpRun[];
  try {
    await probePurchase(server, target.apiKey);
    // Warm-up, not measured: JIT, schema validators and the API-key cache settle before the first run.
    answered += (await purchaseLoad(server, target.apiKey, { connections: HTTP.connections, durationS: HTTP.warmUpS })).completed;
    runs = await repeat(REPEATS, 'HTTP POST /v1/events', () => purchaseLoad(server, target.apiKey, HTTP), httpHeadline);
  } finally {
    await server.stop();
  }
  await checkCommitted(target, answered + sum(runs.map((r) => r.completed)));
  return runs;
}

/** How many batches take about BATCH.durationS at the rate seen, as a whole number per connection. */
function batchesFor(eventsPerSecond: number): number {
  const perConnection = Math.round((eventsPerSecond * BATCH.durationS) / BATCH.batchSize / BATCH.connections);
  return Math.min(Math.max(perConnection, 1), 100) * BATCH.connections;
}

async function measureBatch(target: Target): Promise<BatchRun[]> {
  const server = await startServer(target);
  let answered = 0;
  let runs: BatchRun[];
  try {
    // One batch per connection warms the server up and tells how many batches make a run of the intended length.
    const warmUp = await batchLoad(server, target.apiKey, { ...BATCH, batches: BATCH.connections });
    answered += warmUp.eventsCompleted;
    const batches = batchesFor(warmUp.eventsPerSecond);
    runs = await repeat(REPEATS, 'HTTP POST /v1/events/batch', () => batchLoad(server, target.apiKey, { ...BATCH, batches }), (r) =>
      `${formatCount(r.eventsPerSecond)} events/s (${r.completed} batches, each p50 ${formatMs(r.p50Ms)} ms)`,
    );
  } finally {
    await server.stop();
  }
  await checkCommitted(target, answered + sum(runs.map((r) => r.eventsCompleted)));
  return runs;
}

async function measureInProcess(target: Target): Promise<{ sequential: ThroughputRun[]; concurrent: ThroughputRun[] }> {
  const ctx = openContext(target);
  try {
    await recordEvents(ctx, target.programId, 1, { maxEvents: IN_PROCESS.warmUpEvents, maxMs: 2_000 });
    const sequential = await repeat(REPEATS, 'in-process, 1 caller', () => recordEvents(ctx, target.programId, 1, IN_PROCESS.limits), throughputHeadline);
    const concurrent = await repeat(
      REPEATS,
      `in-process, ${IN_PROCESS.concurrentCallers} callers`,
      () => recordEvents(ctx, target.programId, IN_PROCESS.concurrentCallers, IN_PROCESS.limits),
      throughputHeadline,
    );
    return { sequential, concurrent };
  } finally {
    await ctx.storage.close();
  }
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  console.log(`  ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

/** Both in-process measurements come from one phase; a failure there fails both. */
async function inProcessPhase(target: Promise<Target> | Target): Promise<{ sequential: Measured<ThroughputRun>; concurrent: Measured<ThroughputRun> }> {
  const result = await attempt('in-process recordEvent', async () => measureInProcess(await target));
  return isFailure(result) ? { sequential: result, concurrent: result } : result;
}

async function measureSqlite(root: string): Promise<DialectResults> {
  console.log('\n== SQLite (embedded) ==');
  const seed = await timed('seed (programme via the CLI, 10,000 members via enrolMember)', () => seedSqlite(root));
  const http = await attempt('SQLite HTTP POST /v1/events', () => measureHttp(cloneSqlite(seed, root, 'http')));
  const batch = await attempt('SQLite HTTP POST /v1/events/batch', () => measureBatch(cloneSqlite(seed, root, 'batch')));
  const { sequential, concurrent } = await inProcessPhase(cloneSqlite(seed, root, 'inproc'));
  const baseline = await attempt('SQLite hand-written SQL', async () => {
    const target = cloneSqlite(seed, root, 'baseline');
    sqliteBaseline(target, { maxEvents: 300, maxMs: 1_000 }); // warm-up
    return repeat(REPEATS, 'hand-written SQL', async () => sqliteBaseline(target, BASELINE.limits), throughputHeadline);
  });
  return { http, batch, sequential, concurrent, baseline, baselineOneClient: null, deadlocks: null };
}

async function measurePostgres(root: string): Promise<DialectResults> {
  console.log('\n== PostgreSQL ==');
  const seed = await timed('seed (programme via the CLI, 10,000 members via enrolMember)', () => seedPostgres(root));
  const httpTarget = await clonePostgres(seed, 'http');
  const http = await attempt('PostgreSQL HTTP POST /v1/events', () => measureHttp(httpTarget));
  const batchTarget = await clonePostgres(seed, 'batch');
  const batch = await attempt('PostgreSQL HTTP POST /v1/events/batch', () => measureBatch(batchTarget));
  const deadlocks = { http: await pgDeadlocks(httpTarget), batch: await pgDeadlocks(batchTarget) };
  if (deadlocks.http + deadlocks.batch > 0) console.log(`  deadlocks detected and retried: ${deadlocks.http} (single), ${deadlocks.batch} (batch)`);
  const { sequential, concurrent } = await inProcessPhase(clonePostgres(seed, 'inproc'));
  const baselineTarget = await clonePostgres(seed, 'baseline');
  const baseline = await attempt(`PostgreSQL hand-written SQL, ${BASELINE.pgClients} clients`, async () => {
    await pgBaseline(baselineTarget, BASELINE.pgClients, { maxEvents: 300, maxMs: 1_000 }); // warm-up
    return repeat(REPEATS, `hand-written SQL, ${BASELINE.pgClients} clients`, () => pgBaseline(baselineTarget, BASELINE.pgClients, BASELINE.limits), throughputHeadline);
  });
  const baselineOneClient = await attempt('PostgreSQL hand-written SQL, 1 client', () =>
    repeat(REPEATS, 'hand-written SQL, 1 client', () => pgBaseline(baselineTarget, 1, BASELINE.limits), throughputHeadline),
  );
  return { http, batch, sequential, concurrent, baseline, baselineOneClient, deadlocks };
}

// ------------------------------------------------------------------------------------------------ report

function environment(postgres: string | null): Environment {
  return {
    date: new Date().toISOString(),
    nproc: execFileSync('nproc').toString().trim(),
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    totalMemoryGiB: os.totalmem() / 2 ** 30,
    loadAverage: os.loadavg(),
    node: process.version,
    sqlite: sqliteVersion(),
    postgres,
    code: { atStart: sourceFingerprint(), atEnd: null },
  };
}

function figure<T>(runs: Measured<T> | null | undefined, metric: (run: T) => number, unit: 'count' | 'ms'): Figure {
  if (!runs) return null;
  return isFailure(runs) ? runs : { summary: summariseBy(runs, metric), unit };
}

const eventsPerSecond = (run: ThroughputRun) => run.eventsPerSecond;

/**
 * A ratio of two medians; its range pairs the extremes (worst over best, best over worst), because the runs of
 * the two measurements are not paired and the honest range is the widest.
 */
function ratio(numerator: Measured<ThroughputRun> | null | undefined, denominator: Measured<ThroughputRun> | null | undefined): Figure {
  if (!numerator || !denominator) return null;
  if (isFailure(numerator)) return numerator;
  if (isFailure(denominator)) return denominator;
  const a = summariseBy(numerator, eventsPerSecond);
  const b = summariseBy(denominator, eventsPerSecond);
  const summary: Summary = { median: a.median / b.median, min: a.min / b.max, max: a.max / b.min, runs: [] };
  return { summary, unit: 'ratio' };
}

function rows(sqlite: DialectResults, postgres: DialectResults | null): Row[] {
  const both = (build: (results: DialectResults) => Figure) => ({ sqlite: build(sqlite), postgres: postgres ? build(postgres) : null });
  const callers = IN_PROCESS.concurrentCallers;
  return [
    { label: `HTTP POST /v1/events, ${HTTP.connections} connections: requests/s`, ...both((r) => figure(r.http, (x) => x.requestsPerSecond, 'count')) },
    { label: '… latency p50, ms', ...both((r) => figure(r.http, (x) => x.p50Ms, 'ms')) },
    { label: '… latency p99, ms', ...both((r) => figure(r.http, (x) => x.p99Ms, 'ms')) },
    {
      label: `HTTP POST /v1/events/batch, ${formatCount(BATCH.batchSize)} per request, ${BATCH.connections} connections: events/s`,
      ...both((r) => figure(r.batch, (x) => x.eventsPerSecond, 'count')),
    },
    { label: 'In-process recordEvent, 1 caller: events/s', ...both((r) => figure(r.sequential, eventsPerSecond, 'count')) },
    { label: `In-process recordEvent, ${callers} concurrent callers: events/s`, ...both((r) => figure(r.concurrent, eventsPerSecond, 'count')) },
    {
      label: `Hand-written SQL, 1 transaction per event: events/s (SQLite: its 1 connection; PostgreSQL: ${BASELINE.pgClients} clients)`,
      ...both((r) => figure(r.baseline, eventsPerSecond, 'count')),
    },
    { label: 'Hand-written SQL, PostgreSQL 1 client: events/s', sqlite: null, postgres: figure(postgres?.baselineOneClient, eventsPerSecond, 'count') },
    {
      label: 'Ratio: in-process 1 caller ÷ hand-written 1 connection',
      sqlite: ratio(sqlite.sequential, sqlite.baseline),
      postgres: ratio(postgres?.sequential, postgres?.baselineOneClient),
    },
    {
      label: `Ratio: in-process ${callers} callers ÷ hand-written (SQLite: 1 connection; PostgreSQL: ${BASELINE.pgClients} clients)`,
      ...both((r) => ratio(r.concurrent, r.baseline)),
    },
  ];
}

const FAILED_VERDICT = { measured: 'FAILED', met: false };

function verdicts(sqlite: DialectResults, postgres: DialectResults | null): AimVerdict[] {
  const out: AimVerdict[] = [];
  const httpAim = `≥ ${formatCount(AIMS.httpPerSecond)} purchase events/s over HTTP with p99 ≤ ${AIMS.httpP99Ms} ms`;
  const batchAim = `≥ ${formatCount(AIMS.batchEventsPerSecond)} events/s in batches`;
  const judge = (dialect: string, results: DialectResults) => {
    if (isFailure(results.http)) {
      out.push({ aim: httpAim, dialect, ...FAILED_VERDICT });
    } else {
      const rps = summariseBy(results.http, (r) => r.requestsPerSecond).median;
      const p99 = summariseBy(results.http, (r) => r.p99Ms).median;
      out.push({ aim: httpAim, dialect, measured: `${formatCount(rps)} req/s, p99 ${formatMs(p99)} ms`, met: rps >= AIMS.httpPerSecond && p99 <= AIMS.httpP99Ms });
    }
    if (isFailure(results.batch)) {
      out.push({ aim: batchAim, dialect, ...FAILED_VERDICT });
    } else {
      const batch = summariseBy(results.batch, (r) => r.eventsPerSecond).median;
      out.push({ aim: batchAim, dialect, measured: `${formatCount(batch)} events/s`, met: batch >= AIMS.batchEventsPerSecond });
    }
  };
  const share = (dialect: string, what: string, numerator: Measured<ThroughputRun>, denominator: Measured<ThroughputRun>) => {
    const aim = `in-process ≥ ${AIMS.inProcessShareOfBaseline * 100} % of hand-written (${what})`;
    if (isFailure(numerator) || isFailure(denominator)) {
      out.push({ aim, dialect, ...FAILED_VERDICT });
      return;
    }
    const value = summarise(numerator.map(eventsPerSecond)).median / summarise(denominator.map(eventsPerSecond)).median;
    out.push({ aim, dialect, measured: `${Math.round(value * 100)} %`, met: value >= AIMS.inProcessShareOfBaseline });
  };
  judge('SQLite', sqlite);
  share('SQLite', '1 caller', sqlite.sequential, sqlite.baseline);
  if (postgres) {
    judge('PostgreSQL', postgres);
    if (postgres.baselineOneClient) share('PostgreSQL', '1 caller vs 1 client', postgres.sequential, postgres.baselineOneClient);
    share('PostgreSQL', `${IN_PROCESS.concurrentCallers} callers vs ${BASELINE.pgClients} clients`, postgres.concurrent, postgres.baseline);
  }
  return out;
}

/** Observations computed from this run's figures, so the notes cannot drift from the table. */
function notes(sqlite: DialectResults, postgres: DialectResults | null): string[] {
  const median = (runs: ThroughputRun[]) => summarise(runs.map(eventsPerSecond)).median;
  const out: string[] = [];
  for (const [name, results] of [['SQLite', sqlite], ['PostgreSQL', postgres]] as const) {
    if (!results || isFailure(results.concurrent) || isFailure(results.sequential)) continue;
    const concurrency = median(results.concurrent) / median(results.sequential);
    let line = `${name}: ${IN_PROCESS.concurrentCallers} concurrent callers give ${concurrency.toFixed(2)}× the events/s of one caller`;
    if (!isFailure(results.http)) {
      const http = summariseBy(results.http, (r) => r.requestsPerSecond).median;
      line += `; HTTP (one event per request) reaches ${Math.round((http / median(results.concurrent)) * 100)} % of the in-process concurrent rate`;
    }
    out.push(`${line}.`);
  }
  if (postgres?.deadlocks && postgres.deadlocks.http + postgres.deadlocks.batch > 0) {
    out.push(
      `PostgreSQL detected ${postgres.deadlocks.batch} deadlocks during the batch phase and ${postgres.deadlocks.http} during the single-event ` +
        'phase. The service retries a deadlocked transaction from the start (a batch: all of it), so that work was done again; ' +
        'a transaction still deadlocked after its last retry is answered 500.',
    );
  }
  return out;
}

function method(): string[] {
  return [
    'Each dialect is seeded once (`trouw program create` via the CLI, then 10,000 members `m0`…`m9999` through ' +
      '`enrolMember`); every phase below runs on its own copy of that seed (SQLite: file copy; PostgreSQL: `create database … template`).',
    'Every event is a purchase of 2599 EUR minor units (25 points on the base rule) with a unique event id and order id, ' +
      'for a random member.',
    `HTTP: \`trouw serve\` in a child process (the build, as npm start runs it), autocannon in the bench process, ${HTTP.connections} connections, ` +
      `pipelining 1, ${HTTP.durationS} s per run after a ${HTTP.warmUpS} s warm-up. Any non-2xx, error or timeout fails the bench; ` +
      'afterwards the database must hold at least as many events as were answered 2xx.',
    `Batch: POST /v1/events/batch with ${formatCount(BATCH.batchSize)} purchases per request, ${BATCH.connections} connections; ` +
      `a run sends a fixed number of batches, sized from a warm-up of one batch per connection to take about ${BATCH.durationS} s, ` +
      'so no batch is in flight when the clock stops. Events/s counts only items answered 201 (any other item status fails the bench).',
    `In-process: a ServiceContext built as the tests build one; recordEvent in a loop until ${formatCount(IN_PROCESS.limits.maxEvents)} ` +
      `events or ${IN_PROCESS.limits.maxMs / 1000} s, with 1 caller and with ${IN_PROCESS.concurrentCallers} concurrent callers ` +
      '(PostgreSQL: pool of 8).',
    'Hand-written: the same rows in plain SQL without Kysely (bench/baseline.ts): SQLite with better-sqlite3 prepared ' +
      'statements in `db.transaction()`; PostgreSQL with `pg`, 8 statements per transaction, 8 clients and 1 client. ' +
      `Until ${formatCount(BASELINE.limits.maxEvents)} events or ${BASELINE.limits.maxMs / 1000} s.`,
    'Tables grow across a phase\'s runs (each run adds its events), as they would in production.',
  ];
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  // The server under test is the built one, as `npm start` runs it; a stale build would measure old code.
  execFileSync('npm', ['run', 'build'], { cwd: path.resolve(import.meta.dirname, '..'), stdio: 'ignore' });
  installGuards(DEADLINE_MS);
  const start = performance.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-bench-'));
  onCleanup(() => fs.rmSync(root, { recursive: true, force: true }));

  const postgresServer = await postgresVersion();
  const env = environment(postgresServer);
  console.log(['Trouw bench', ...environmentLines(env)].join('\n'));
  if (!postgresServer) console.log('\n*** PostgreSQL SKIPPED: nothing answers on 127.0.0.1:5432 ***');

  const sqlite = await measureSqlite(root);
  const postgres = postgresServer ? await measurePostgres(root) : null;

  const codeNow = sourceFingerprint();
  if (codeNow !== env.code.atStart) {
    env.code.atEnd = codeNow;
    console.log(`\n*** src/ changed during the run (${env.code.atStart} → ${codeNow}): phases measured different code ***`);
  }
  const table = resultsTable(rows(sqlite, postgres), postgres === null);
  const aims = aimsTable(verdicts(sqlite, postgres));
  const observations = notes(sqlite, postgres);
  const failures = recordedFailures();
  console.log(`\n${table}\n\n${aims}\n\n${observations.map((n) => `- ${n}`).join('\n')}`);
  const elapsedS = (performance.now() - start) / 1000;
  if (QUICK) {
    console.log(`\nquick run (${Math.round(elapsedS)} s): RESULTS.md not written`);
  } else {
    fs.writeFileSync(RESULTS_FILE, resultsMarkdown({ env, method: method(), table, aims, notes: observations, failures, elapsedS }));
    console.log(`\nwrote ${path.relative(process.cwd(), RESULTS_FILE)} (${Math.round(elapsedS)} s)`);
  }
  if (failures.length > 0) {
    console.error(`\nbench: FAILED: ${failures.length} measurement(s) failed:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  }
}

main().then(
  async () => {
    await cleanUp();
    process.exit(process.exitCode ?? 0);
  },
  async (error: unknown) => {
    console.error(`\nbench: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanUp();
    process.exit(1);
  },
);
