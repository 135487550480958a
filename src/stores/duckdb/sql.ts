/** SQL text with `$n` placeholders and the values bound to them, in order. */
export interface SqlStatement {
  readonly text: string;
  readonly params: readonly SqlValue[];
}

/** A bound value; a string list binds as VARCHAR[]. */
export type SqlValue = string | number | bigint | boolean | null | readonly string[];

/**
 * Quotes an identifier for DuckDB. Identifiers come from the column table or
 * from label names that passed LABEL_NAME; quoting is the second fence.
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The start of the `width`-long window that holds `time` (BIGINT SQL
 * expressions): the multiple of `width` at or before it, before 1970 too,
 * as InfluxDB's windows and the reference evaluator have it. DuckDB's `%`
 * truncates toward zero, so `time - time % width` alone would put a time
 * before 1970 in the window after its own.
 */
export function windowStartSql(time: string, width: string): string {
  return `${time} - (${time} % ${width}) - CASE WHEN ${time} % ${width} < 0 THEN ${width} ELSE 0 END`;
}

/** Collects bound values and hands out their placeholders. */
export class Params {
  readonly values: SqlValue[] = [];

  /** Binds `value` and returns its placeholder, e.g. `$3`. */
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The statement with its values written inline, for `meta.query`: a user can
 * paste it into the DuckDB shell. Never executed; execution binds parameters.
 */
export function inlineSql(stmt: SqlStatement): string {
  return stmt.text.replace(/\$([0-9]+)/g, (_, n: string) => sqlLiteral(stmt.params[Number(n) - 1] ?? null));
}

function sqlLiteral(v: SqlValue | string): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (Array.isArray(v)) return `[${v.map(sqlLiteral).join(', ')}]`;
  return String(v);
}
