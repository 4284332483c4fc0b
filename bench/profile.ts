/**
 * Where an in-process event's time goes (`npm run bench` only says how much). Seeds a SQLite database (or
 * PostgreSQL with --postgres) as the bench does, then records purchases with one caller for a few seconds under
 * the V8 profiler, only around that loop, and prints the time by layer (SQLite, Kysely, our code, …) and the
 * functions with the most inclusive time. The .cpuprofile is kept for Chrome DevTools.
 *
 *   node --import tsx bench/profile.ts [--postgres]
 *
 * It uses the bench's PostgreSQL database name (trouw_bench), so do not run it alongside `npm run bench`.
 */
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUp, installGuards, onCleanup } from './lib/guard.js';
import { recordEvents } from './lib/in-process.js';
import { formatCount } from './lib/stats.js';
import { openContext, REPO_ROOT, seedPostgres, seedSqlite } from './lib/targets.js';

const PROFILE_MS = 8_000;
const TOP = 25;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A readable name: the function, and where it lives (a package, a file of ours, or native code). */
function frameName(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return `${name} [native]`;
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (packageMatch) return `${name} [${packageMatch[1]}/${path.basename(packageMatch[2] ?? '')}]`;
  if (url.startsWith('node:')) return `${name} [${url}]`;
  return `${name} [${path.relative(REPO_ROOT, fileURLToPath(url))}]`;
}

/**
 * The layer a sample's own time belongs to. better-sqlite3's native `Statement` constructor is SQLite compiling
 * SQL text (Kysely's SQLite driver prepares every query anew); `run`/`all`/`get` are SQLite executing it,
 * commits and the WAL checkpoints they trigger included.
 */
function layerOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (!url) {
    if (functionName === 'Statement') return 'SQLite: prepare statements (native)';
    if (['run', 'all', 'get'].includes(functionName)) return 'SQLite: execute statements, commit, checkpoint (native)';
    if (functionName === '(idle)') return 'idle (waiting for the database)';
    if (functionName === '(garbage collector)') return 'garbage collection';
    return 'other native (microtasks, sockets, crypto, …)';
  }
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageMatch) return `package ${packageMatch[1]}`;
  if (url.startsWith('node:')) return 'Node internals';
  const ours = /\/src\/([^/]+)\//.exec(url);
  return ours ? `src/${ours[1]}` : 'other JavaScript';
}

interface ProfileSummary {
  layers: Map<string, number>;
  inclusive: Map<string, number>;
  totalMs: number;
}

/** Self time by layer, and inclusive time per function (a function counts once per sample, even when recursive). */
function summariseProfile(profile: Profile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const layers = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const leaf = byId.get(id);
    if (!leaf) return;
    add(layers, layerOf(leaf), ms);
    const seen = new Set<string>();
    for (let node: ProfileNode | undefined = leaf; node; node = byId.get(parent.get(node.id) ?? -1)) {
      const name = frameName(node);
      if (!seen.has(name)) add(inclusive, name, ms);
      seen.add(name);
    }
  });
  return { layers, inclusive, totalMs };
}

function printTop(title: string, times: Map<string, number>, totalMs: number, top: number): void {
  console.log(`\n${title}`);
  const rows = [...times.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, ms] of rows) console.log(`  ${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${name}`);
}

async function main(): Promise<void> {
  installGuards(3 * 60_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-profile-'));
  onCleanup(() => fs.rmSync(root, { recursive: true, force: true }));
  const target = process.argv.includes('--postgres') ? await seedPostgres(root) : await seedSqlite(root);
  const ctx = openContext(target);
  const session = new inspector.Session();
  session.connect();
  try {
    // A short warm-up first, so the profile shows steady state rather than compilation.
    await recordEvents(ctx, target.programId, 1, { maxEvents: 500, maxMs: 2_000 });
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const run = await recordEvents(ctx, target.programId, 1, { maxEvents: 1_000_000, maxMs: PROFILE_MS });
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    console.log(`${target.dialect}: ${formatCount(run.eventsPerSecond)} events/s over ${formatCount(run.events)} events, 1 caller`);
    const file = path.join(os.tmpdir(), `trouw-${target.dialect}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    const { layers, inclusive, totalMs } = summariseProfile(profile);
    printTop('Where the time goes, by layer (self time, share of the profiled wall time):', layers, totalMs, 15);
    printTop('Functions by inclusive time (with everything they call):', inclusive, totalMs, TOP);
    console.log(`\nprofile written to ${file}`);
  } finally {
    session.disconnect();
    await ctx.storage.close();
  }
}

main().then(
  () => cleanUp(),
  async (error: unknown) => {
    console.error(error);
    await cleanUp();
    process.exitCode = 1;
  },
);
