/**
 * Set-based writes for event ingestion: many rows in few statements. Per-statement overhead dominates on
 * SQLite and round trips on PostgreSQL (LIMITS.md), so a group of events is written as one multi-row insert per
 * table and one `UPDATE … FROM (VALUES …)` per table that changes, instead of a dozen statements per event. On
 * PostgreSQL those statements then travel together as one statement of data-modifying CTEs (`with w0 as
 * (insert …), w1 as (update …) select 1`): they touch different rows, so running them on one snapshot is the
 * same as running them one after another, and the group costs one round trip to write.
 * Both dialects accept the same SQL here: `cast(? as bigint)` types the VALUES columns for PostgreSQL.
 */
import { CompiledQuery, sql, type Compilable, type Insertable, type RawBuilder } from 'kysely';
import type { DialectName } from './db.js';
import type { Database } from './schema.js';
import type { Trx } from './transaction.js';

/** Stays under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement. */
const MAX_PARAMETERS = 30_000;

export type Cell = { value: string | number | null; type: 'text' | 'bigint' };

export class WriteBatch {
  private readonly queries: CompiledQuery[] = [];

  constructor(private readonly trx: Trx) {}

  insertMany<T extends keyof Database & string>(table: T, rows: Insertable<Database[T]>[]): this {
    if (rows.length === 0) return this;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(rows[0] as object).length));
    for (let i = 0; i < rows.length; i += perStatement) {
      // Kysely's generic insert typing cannot follow a table name held in a type parameter.
      this.queries.push(this.trx.insertInto(table).values(rows.slice(i, i + perStatement) as never).compile());
    }
    return this;
  }

  /**
   * `update <table> set col = v.col, … from (values …) v where <table>.program_id = ? and <table>.<key> = v.<key>`
   * for rows of absolute new values (computed under the members' locks).
   */
  updateMany(table: string, programId: string, key: string, columns: string[], rows: Cell[][]): this {
    if (rows.length === 0) return this;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / (columns.length + 1)));
    const names = sql.join([key, ...columns].map((n) => sql.ref(n)));
    const sets = sql.join(columns.map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`));
    for (let i = 0; i < rows.length; i += perStatement) {
      const values = sql.join(rows.slice(i, i + perStatement).map((row) => sql`(${sql.join(row.map(cellSql))})`));
      this.queries.push(
        sql`with v (${names}) as (values ${values})
          update ${sql.table(table)} set ${sets} from v
          where ${sql.ref(`${table}.program_id`)} = ${programId} and ${sql.ref(`${table}.${key}`)} = v.${sql.ref(key)}`.compile(this.trx.withoutPlugins()),
      );
    }
    return this;
  }

  add(query: Compilable): this {
    this.queries.push(query.compile());
    return this;
  }

  async execute(dialect: DialectName): Promise<void> {
    if (dialect === 'sqlite') {
      for (const query of this.queries) await this.trx.executeQuery(query);
      return;
    }
    for (const statement of foldIntoCtes(this.queries)) await this.trx.executeQuery(statement);
  }
}

/**
 * Folding pays where round trips dominate: small groups (an idle or moderately busy server). For large groups
 * the bench showed no gain and PostgreSQL plans one huge statement more slowly, so statements past this many
 * parameters travel on their own.
 */
const FOLD_MAX_PARAMETERS = 4_000;

/** PostgreSQL: small writes folded into chains of data-modifying CTEs, large ones as they are. */
function foldIntoCtes(queries: readonly CompiledQuery[]): CompiledQuery[] {
  const statements: CompiledQuery[] = [];
  let parts: string[] = [];
  let parameters: unknown[] = [];
  const flush = () => {
    if (parts.length === 0) return;
    statements.push(CompiledQuery.raw(`with ${parts.map((p, i) => `w${i} as (${p})`).join(', ')} select 1`, parameters));
    parts = [];
    parameters = [];
  };
  for (const query of queries) {
    if (query.parameters.length > FOLD_MAX_PARAMETERS) {
      statements.push(query);
      continue;
    }
    if (parameters.length + query.parameters.length > FOLD_MAX_PARAMETERS) flush();
    const offset = parameters.length;
    // Kysely numbers each query's parameters from $1; shift them past the ones already in the statement.
    parts.push(query.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`));
    parameters.push(...query.parameters);
  }
  flush();
  return statements;
}

function cellSql(cell: Cell): RawBuilder<unknown> {
  return cell.type === 'bigint' ? sql`cast(${cell.value} as bigint)` : sql`cast(${cell.value} as text)`;
}
