import { labelColumn, type LabelNamesQuery, type ValuesQuery } from '../../model/index.js';
import { keyExpr, metricSum, sourceFrom } from './compile.js';
import { LABEL_MAP_COLUMNS, type StoreSchema } from './layout.js';
import { Params, quoteIdent, type SqlStatement } from './sql.js';

/**
 * Compiles `sessionValues` to one grouped DuckDB statement: the key's value,
 * the metric summed, most first, then by value ascending with null last
 * (ports and protocol compare as numbers). The prefix is matched on the
 * value's text, `CAST(server_port AS VARCHAR)` for the int columns
 * (https://duckdb.org/docs/sql/functions/char#starts_withstring-search_string),
 * and is a bound parameter like every other value.
 */
export function compileValues(q: ValuesQuery, schema: StoreSchema): SqlStatement {
  const p = new Params();
  const key = keyExpr(q.key, schema, p);
  const text = q.key.kind === 'dimension' && ['client_port', 'server_port', 'protocol'].includes(q.key.column) ? `CAST(${key} AS VARCHAR)` : key;
  // A WHERE conjunct: the null value (starts_with gives NULL) drops its row as FALSE would.
  const extra = q.prefix === null ? [] : [`starts_with(${text}, ${p.add(q.prefix)})`];
  const from = sourceFrom(q.source, q.filter, schema, p, extra);
  return {
    text: `SELECT ${key} AS v, ${metricSum(q.metric, q.source)} AS total
  ${from}
  GROUP BY v
ORDER BY total DESC, v ASC NULLS LAST
LIMIT ${p.add(q.first)}`,
    params: p.values,
  };
}

/**
 * The label columns a `sessionLabelNames` query counts: those of its side
 * whose name starts with the prefix, by name. They come from the live
 * schema, so the prefix is compared here and never reaches the SQL.
 */
export function labelNameCandidates(q: LabelNamesQuery, schema: StoreSchema): string[] {
  const head = labelColumn(q.side, q.prefix ?? '');
  return [...schema.labelColumns].filter((c) => c.startsWith(head)).sort();
}

/**
 * Compiles `sessionLabelNames` to one scan counting, per candidate column,
 * the matching records that carry it (`count(col)` counts non-nulls; a tier
 * row stands for `sessions` records). Null when there is no candidate.
 */
export function compileLabelNames(q: LabelNamesQuery, schema: StoreSchema): SqlStatement | null {
  const columns = labelNameCandidates(q, schema);
  if (columns.length === 0) return null;
  const p = new Params();
  const from = sourceFrom(q.source, q.filter, schema, p);
  const counts = columns.map((c, i) =>
    q.source.tier === 'raw'
      ? `count(${quoteIdent(c)}) AS c${i}`
      : `coalesce(sum(CASE WHEN ${quoteIdent(c)} IS NOT NULL THEN sessions END), 0) AS c${i}`,
  );
  return { text: `SELECT ${counts.join(', ')}\n  ${from}`, params: p.values };
}

/**
 * Compiles the part of `sessionLabelNames` past the column budget: the keys
 * of the side's map column that start with the prefix, each with the
 * matching records that carry it (keys of one map are distinct, so a key's
 * rows are its records; a tier row stands for `sessions` records). Null
 * when no mapped name of the side starts with the prefix, so a store whose
 * names all have columns reads as before.
 */
export function compileMappedLabelNames(q: LabelNamesQuery, schema: StoreSchema): SqlStatement | null {
  const prefix = q.prefix ?? '';
  const mapped = schema.mappedLabels?.[q.side];
  if (mapped === undefined || ![...mapped].some((n) => n.startsWith(prefix))) return null;
  const p = new Params();
  const map = LABEL_MAP_COLUMNS[q.side];
  const from = sourceFrom(q.source, q.filter, schema, p, [`${map} IS NOT NULL`]);
  const weight = q.source.tier === 'raw' ? '1' : 'sessions';
  const match = prefix === '' ? '' : `\n  WHERE starts_with(k, ${p.add(prefix)})`;
  return {
    text: `SELECT k, sum(w)::HUGEINT AS n
  FROM (SELECT unnest(map_keys(${map})) AS k, ${weight} AS w
  ${from.replaceAll('\n', '\n  ')}) AS mapped${match}
  GROUP BY k`,
    params: p.values,
  };
}
