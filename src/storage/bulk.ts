/**
 * Set-based writes for event ingestion: many rows in few statements. Round trips dominate on PostgreSQL and
 * per-statement overhead on SQLite (LIMITS.md), so a group of events is written as one multi-row insert per
 * table and one `UPDATE … FROM (VALUES …)` per table that changes, instead of a dozen statements per event.
 * Both dialects accept the same SQL here: `cast(? as bigint)` types the VALUES columns for PostgreSQL.
 */
import { sql, type Insertable, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';
import type { Trx } from './transaction.js';

/** Stays under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement. */
const MAX_PARAMETERS = 30_000;

export async function insertMany<T extends keyof Database & string>(trx: Trx, table: T, rows: Insertable<Database[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as object).length;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns));
  for (let i = 0; i < rows.length; i += perStatement) {
    // Kysely's generic insert typing cannot follow a table name held in a type parameter.
    await trx.insertInto(table).values(rows.slice(i, i + perStatement) as never).execute();
  }
}

export type Cell = { value: string | number | null; type: 'text' | 'bigint' };

/**
 * `update <table> set col = v.col, … from (values …) v where <table>.program_id = ? and <table>.<key> = v.<key>`
 * for rows of absolute new values (computed under the members' locks).
 */
export async function updateMany(
  trx: Trx,
  table: string,
  programId: string,
  key: string,
  columns: string[],
  rows: Cell[][],
): Promise<void> {
  if (rows.length === 0) return;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / (columns.length + 1)));
  const names = [key, ...columns];
  const sets = sql.join(columns.map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`));
  for (let i = 0; i < rows.length; i += perStatement) {
    const values = sql.join(
      rows.slice(i, i + perStatement).map((row) => sql`(${sql.join(row.map(cellSql))})`),
    );
    await sql`with v (${sql.join(names.map((n) => sql.ref(n)))}) as (values ${values})
      update ${sql.table(table)} set ${sets} from v
      where ${sql.ref(`${table}.program_id`)} = ${programId} and ${sql.ref(`${table}.${key}`)} = v.${sql.ref(key)}`.execute(trx.withoutPlugins());
  }
}

function cellSql(cell: Cell): RawBuilder<unknown> {
  return cell.type === 'bigint' ? sql`cast(${cell.value} as bigint)` : sql`cast(${cell.value} as text)`;
}
