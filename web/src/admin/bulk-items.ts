/**
 * From a bulk CSV file to the items of `POST /v1/bulk-operations/member-import` or `/points-adjustment`, and
 * back from failed items to a CSV to fix and resend.
 *
 * The file is checked here for what would make the server refuse the whole request (a missing column, points
 * that are not a whole number, a member twice), so the user fixes the file before sending, each problem named
 * by its CSV line. What only the server knows (an unknown member, too few points, an externalId already
 * enrolled) fails per line there and comes back as the operation's failed items.
 *
 * Columns are matched by name, ignoring case, spaces, `-` and `_` ("External ID", "e-mail" and "birth_date"
 * work); other columns are reported and left out, so a file downloaded with its `problem` column reads again.
 */
import type { paths } from '../api/schema';
import { formatCsv, parseCsv } from '../shared/csv';

type JsonBody<P extends keyof paths> = paths[P] extends { post: { requestBody: { content: { 'application/json': infer B } } } } ? B : never;
export type MemberImportBody = JsonBody<'/v1/bulk-operations/member-import'>;
export type PointsAdjustmentBody = JsonBody<'/v1/bulk-operations/points-adjustment'>;
export type ImportItem = MemberImportBody['items'][number];
export type AdjustmentItem = PointsAdjustmentBody['items'][number];
export type BulkOperation = paths['/v1/bulk-operations/{id}']['get']['responses'][200]['content']['application/json'];
export type BulkItem = paths['/v1/bulk-operations/{id}/items']['get']['responses'][200]['content']['application/json']['data'][number];
export type BulkKind = BulkOperation['kind'];

/** The server's limit on one operation. */
export const maxBulkItems = 10_000;

/** The columns each kind reads, in the order a downloaded file gives them. */
export const bulkColumns = {
  member_import: ['externalId', 'email', 'name', 'phone', 'birthDate', 'locale', 'points'],
  points_adjustment: ['externalId', 'points', 'reason'],
} as const satisfies Record<BulkKind, readonly string[]>;
type Column = (typeof bulkColumns)[BulkKind][number];

const requiredColumns: Record<BulkKind, readonly Column[]> = {
  member_import: ['externalId'],
  points_adjustment: ['externalId', 'points'],
};

export type LineProblemCode =
  | 'unclosed_quote'
  | 'no_lines'
  | 'too_many_lines'
  | 'missing_column'
  | 'duplicate_column'
  | 'extra_values'
  | 'missing_value'
  | 'not_whole_number'
  | 'zero_points'
  | 'negative_opening_balance'
  | 'duplicate_external_id';

/** A problem with the file, at a line of it (1 is the header); `params` fill in its sentence. */
export interface LineProblem {
  line: number;
  code: LineProblemCode;
  params?: Record<string, string | number>;
}

interface BulkFileCommon {
  /** Data lines in the file (blank lines not counted), sendable or not. */
  lineCount: number;
  /** The CSV line of each item: `lines[i]` is where `items[i]` (pointer `/items/i`) came from. */
  lines: number[];
  /** The columns read, in the file's order. */
  columns: Column[];
  /** Header names that are none of the kind's columns, as written. */
  ignoredColumns: string[];
  problems: LineProblem[];
}

export type BulkFile = BulkFileCommon & ({ kind: 'member_import'; items: ImportItem[] } | { kind: 'points_adjustment'; items: AdjustmentItem[] });

const normalised = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');

type PointsReading = { points: number } | { problem: LineProblemCode; params?: Record<string, string> };

function readPoints(text: string): PointsReading {
  // Whole numbers only, without thousands separators: "1.000" is a thousand in Dutch and one in English.
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return { problem: 'not_whole_number', params: { value: text } };
  return { points: Number(text) };
}

/**
 * Reads a bulk CSV of `kind`: the header row names the columns, each further line is an item.
 * Items are only those lines without problems; a file with any problem is not to be sent.
 */
export function readBulkFile(kind: BulkKind, text: string): BulkFile {
  const { records, unclosedQuoteLine } = parseCsv(text);
  const problems: LineProblem[] = [];
  if (unclosedQuoteLine !== null) problems.push({ line: unclosedQuoteLine, code: 'unclosed_quote' });
  const lines: number[] = [];
  const importItems: ImportItem[] = [];
  const adjustmentItems: AdjustmentItem[] = [];
  const result = (columns: Column[], ignoredColumns: string[], lineCount: number): BulkFile => {
    const common = { lineCount, lines, columns, ignoredColumns, problems };
    return kind === 'member_import' ? { ...common, kind, items: importItems } : { ...common, kind, items: adjustmentItems };
  };

  const [header, ...rows] = records;
  if (!header) return result([], [], 0);

  const known: readonly Column[] = bulkColumns[kind];
  const indexOf = new Map<Column, number>();
  const ignoredColumns: string[] = [];
  header.fields.forEach((name, index) => {
    const column = known.find((candidate) => normalised(candidate) === normalised(name));
    if (!column) {
      if (name.trim()) ignoredColumns.push(name.trim());
    } else if (indexOf.has(column)) {
      problems.push({ line: header.line, code: 'duplicate_column', params: { column } });
    } else {
      indexOf.set(column, index);
    }
  });
  const columns = [...indexOf.keys()];
  const missing = requiredColumns[kind].filter((column) => !indexOf.has(column));
  for (const column of missing) problems.push({ line: header.line, code: 'missing_column', params: { column } });
  // Without its columns every line would repeat the same problem; the header's is the one to fix.
  if (missing.length > 0) return result(columns, ignoredColumns, rows.length);

  if (rows.length === 0) problems.push({ line: header.line, code: 'no_lines' });
  const overflow = rows[maxBulkItems];
  if (overflow) problems.push({ line: overflow.line, code: 'too_many_lines', params: { max: maxBulkItems } });

  const firstLineOf = new Map<string, number>();
  for (const row of rows) {
    const rowProblems: LineProblem[] = [];
    const problem = (code: LineProblemCode, params?: Record<string, string | number>) => rowProblems.push({ line: row.line, code, ...(params ? { params } : {}) });
    const value = (column: Column) => {
      const index = indexOf.get(column);
      return index === undefined ? '' : (row.fields[index] ?? '').trim();
    };

    if (row.fields.slice(header.fields.length).some((extra) => extra.trim() !== '')) {
      problem('extra_values', { count: row.fields.length, columns: header.fields.length });
    }
    const externalId = value('externalId');
    if (!externalId) problem('missing_value', { column: 'externalId' });
    const earlier = firstLineOf.get(externalId);
    if (externalId && earlier !== undefined) problem('duplicate_external_id', { externalId, firstLine: earlier });
    if (externalId && earlier === undefined) firstLineOf.set(externalId, row.line);

    const pointsText = value('points');
    let points: number | undefined;
    if (pointsText === '') {
      if (kind === 'points_adjustment') problem('missing_value', { column: 'points' });
    } else {
      const reading = readPoints(pointsText);
      if ('problem' in reading) problem(reading.problem, reading.params);
      else if (kind === 'points_adjustment' && reading.points === 0) problem('zero_points');
      else if (kind === 'member_import' && reading.points < 0) problem('negative_opening_balance', { value: pointsText });
      // An opening balance of 0 is no opening balance: exports from other platforms list every member.
      else if (reading.points !== 0) points = reading.points;
    }

    problems.push(...rowProblems);
    if (rowProblems.length > 0) continue;
    lines.push(row.line);
    if (kind === 'points_adjustment') {
      const reason = value('reason');
      adjustmentItems.push({ externalId, points: points!, ...(reason ? { reason } : {}) });
    } else {
      const item: ImportItem = { externalId };
      for (const column of ['email', 'name', 'phone', 'birthDate', 'locale'] as const) {
        const text = value(column);
        if (text) item[column] = text;
      }
      if (points !== undefined) item.points = points;
      importItems.push(item);
    }
  }
  return result(columns, ignoredColumns, rows.length);
}

/** A field error of the server's 400, placed on the CSV line of its item. */
export interface LineError {
  line: number;
  /** The item's field the pointer names (`points`), or null for the item as a whole. */
  field: string | null;
  detail: string;
}

/**
 * The server names a bad item by its pointer (`/items/3/points`: the fourth item); `lines` (from
 * `readBulkFile`) turns that into the CSV line it came from. Errors that are not about an item are left out.
 */
export function lineErrorsOf(errors: readonly { pointer: string; detail: string }[] | undefined, lines: readonly number[]): LineError[] {
  return (errors ?? []).flatMap(({ pointer, detail }) => {
    const match = /^\/items\/(\d+)(?:\/(.+))?$/.exec(pointer);
    if (!match) return [];
    const index = Number(match[1]);
    // The header is line 1, so without a line map an item's line is its index plus 2.
    return [{ line: lines[index] ?? index + 2, field: match[2] ?? null, detail }];
  });
}

const cell = (value: unknown) => (value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

/**
 * Failed items as a CSV to fix and send again: the kind's columns the items were sent with, then `problem`
 * (which `readBulkFile` ignores, so the fixed file can be sent as it is).
 */
export function failedLinesCsv(kind: BulkKind, items: readonly BulkItem[]): string {
  const columns = bulkColumns[kind].filter((column) => items.some((item) => item.input[column] !== undefined));
  const rows = items.map((item) => [...columns.map((column) => cell(item.input[column])), item.problem?.detail ?? '']);
  return formatCsv([[...columns, 'problem'], ...rows]);
}
