/**
 * The results table and RESULTS.md. One markdown table serves both the terminal and the file: it reads well
 * in either, and the file then shows exactly what the run printed.
 */
import { formatCount, formatMs, type Summary } from './stats.js';

export interface Environment {
  date: string;
  nproc: string;
  cpu: string;
  totalMemoryGiB: number;
  loadAverage: number[];
  node: string;
  sqlite: string;
  postgres: string | null;
  /** sourceFingerprint() at the start, and at the end when it differs. */
  code: { atStart: string; atEnd: string | null };
}

/** A summarised measurement, a failed one, or none (a dialect without that measurement). */
export type Figure = { summary: Summary; unit: 'count' | 'ms' | 'ratio' } | { failed: string } | null;

type Unit = 'count' | 'ms' | 'ratio';

export interface Row {
  label: string;
  sqlite: Figure;
  postgres: Figure;
}

export interface AimVerdict {
  aim: string;
  dialect: string;
  measured: string;
  met: boolean;
}

function formatValue(value: number, unit: Unit): string {
  if (unit === 'count') return formatCount(value);
  if (unit === 'ms') return formatMs(value);
  return `${Math.round(value * 100)} %`;
}

/** "median (min–max)", FAILED, or a dash where a dialect has no such measurement. */
export function formatFigure(figure: Figure): string {
  if (!figure) return '—';
  if ('failed' in figure) return '**FAILED**';
  const { summary, unit } = figure;
  return `${formatValue(summary.median, unit)} (${formatValue(summary.min, unit)}–${formatValue(summary.max, unit)})`;
}

export function resultsTable(rows: readonly Row[], postgresSkipped: boolean): string {
  const lines = [
    `| Measurement | SQLite (embedded) | PostgreSQL${postgresSkipped ? ' (skipped: not reachable)' : ''} |`,
    '|---|---:|---:|',
    ...rows.map((row) => `| ${row.label} | ${formatFigure(row.sqlite)} | ${formatFigure(row.postgres)} |`),
  ];
  return lines.join('\n');
}

export function aimsTable(verdicts: readonly AimVerdict[]): string {
  return [
    '| Aim | Database | Measured (median) | Verdict |',
    '|---|---|---:|---|',
    ...verdicts.map((v) => `| ${v.aim} | ${v.dialect} | ${v.measured} | ${v.met ? 'met' : '**not met**'} |`),
  ].join('\n');
}

export function environmentLines(env: Environment): string[] {
  return [
    `- Date: ${env.date}`,
    `- Machine: ${env.nproc} CPUs (\`nproc\`), ${env.cpu}; ${env.totalMemoryGiB.toFixed(1)} GiB memory; load average at start ${env.loadAverage.map((l) => l.toFixed(2)).join(' / ')}`,
    `- Node ${env.node}; SQLite ${env.sqlite} (better-sqlite3, WAL, synchronous=NORMAL); PostgreSQL server ${env.postgres ?? 'not reachable'}`,
    `- Code measured: src/ fingerprint ${env.code.atStart}` +
      (env.code.atEnd === null ? '' : ` — **src/ changed during the run** (now ${env.code.atEnd}): later phases measured other code than earlier ones`),
  ];
}

export function resultsMarkdown(parts: {
  env: Environment;
  method: string[];
  table: string;
  aims: string;
  notes: string[];
  failures: readonly string[];
  elapsedS: number;
}): string {
  return [
    '# Trouw benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); replaced on every run. Compare only figures taken in one run: the',
    'machine is shared and noisy. For where an event\'s time goes, profile the in-process path with',
    '`node --import tsx bench/profile.ts [--postgres]`.',
    '',
    '## Environment',
    '',
    ...environmentLines(parts.env),
    '',
    '## Method',
    '',
    ...parts.method.map((line) => `- ${line}`),
    '',
    ...(parts.failures.length > 0 ? ['## FAILED measurements', '', ...parts.failures.map((line) => `- ${line}`), ''] : []),
    '## Results',
    '',
    'Each cell: median of 3 runs (min–max). Rates are per second.',
    '',
    parts.table,
    '',
    '## Aims',
    '',
    parts.aims,
    '',
    ...(parts.notes.length > 0 ? ['## Notes', '', ...parts.notes.map((line) => `- ${line}`), ''] : []),
    `Whole run: ${Math.round(parts.elapsedS)} s.`,
    '',
  ].join('\n');
}
