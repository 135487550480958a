import { COUNTER_COLUMNS, type RecordsQuery } from '../../model/index.js';
import { predicate } from './compile.js';
import { LABEL_MAP_COLUMNS, RAW_TABLE, type StoreSchema } from './layout.js';
import { Params, quoteIdent, type SqlStatement } from './sql.js';

/** The columns a record is read back from, in the order the stable sort uses after time and seq. */
export const RECORD_COLUMNS = [
  'vrouter_ip',
  'local_ip',
  'client_port',
  'remote_ip',
  'server_port',
  'protocol',
  'session_type',
  'vn',
  'remote_vn',
  'vmi',
  ...COUNTER_COLUMNS,
] as const;

/**
 * The label columns a record is read back with, quoted, in the order the
 * stable sort uses: every label column by name, then the map column of
 * each side that has names past the column budget (keys sorted, so two
 * maps compare as their label sets). The store's recordOf reads both.
 */
export function labelReadColumns(schema: StoreSchema): string[] {
  const maps = (['local', 'remote'] as const).filter((side) => (schema.mappedLabels?.[side].size ?? 0) > 0).map((side) => LABEL_MAP_COLUMNS[side]);
  return [...[...schema.labelColumns].sort().map(quoteIdent), ...maps];
}

/**
 * Compiles `sessionRecords` to two DuckDB statements. The first, the cut,
 * finds the time of the last row the page can reach (the row `first` past
 * the ones the cursor already delivered, by time alone): reading `time_ns`
 * only, DuckDB's top-N pushes its bound into the scan and skips row groups.
 * The second reads the page itself, only from rows at or after that time:
 * raw rows newest first, then by commit sequence (newest first), then by
 * every other column, so the order is total up to rows equal in every
 * column (which are alike). Without the cut the full sort read every column
 * of every row in the range (2.5x the time on 10 M records,
 * docs/benchmarks.md "Flow views"). A write committing between the two only
 * adds rows, so the page's rows stay at or after the cut.
 *
 * A page resumes after the cursor's (time, seq): every row strictly older
 * in that order, plus the rows of that very (time, seq) past the `within`
 * already delivered (OFFSET; the rows of one commit and time are fixed once
 * committed, so the count cannot shift). One row more than `first` is read
 * to tell whether a next page exists.
 */
export function compileRecordsCut(q: RecordsQuery, schema: StoreSchema): SqlStatement {
  const p = new Params();
  const where = recordsWhere(q, schema, p);
  const text = `SELECT time_ns
  FROM ${RAW_TABLE}
  WHERE ${where.join('\n    AND ')}
ORDER BY time_ns DESC
LIMIT 1 OFFSET ${p.add(q.first + (q.after?.within ?? 0))}`;
  return { text, params: p.values };
}

/** The page; `floor` is the cut's answer (null when the range holds fewer rows than the page could reach). */
export function compileRecords(q: RecordsQuery, schema: StoreSchema, floor: bigint | null = null): SqlStatement {
  const p = new Params();
  const labels = labelReadColumns(schema);
  const where = recordsWhere(q, schema, p);
  if (floor !== null) where.push(`time_ns >= ${p.add(floor)}`);
  const offset = q.after?.within ?? 0;
  const order = ['time_ns DESC', 'seq DESC', ...RECORD_COLUMNS.map((c) => `${c} ASC NULLS LAST`), ...labels.map((c) => `${c} ASC NULLS LAST`)];
  const text = `SELECT ${['time_ns', 'seq', ...RECORD_COLUMNS, ...labels].join(', ')}
  FROM ${RAW_TABLE}
  WHERE ${where.join('\n    AND ')}
ORDER BY ${order.join(', ')}
LIMIT ${p.add(q.first + 1)} OFFSET ${p.add(offset)}`;
  return { text, params: p.values };
}

function recordsWhere(q: RecordsQuery, schema: StoreSchema, p: Params): string[] {
  const where = [`time_ns >= ${p.add(q.span.from)}`, `time_ns < ${p.add(q.span.to)}`];
  const filter = predicate(q.filter, schema, p);
  if (filter !== 'TRUE') where.push(filter);
  if (q.after !== null) {
    const t = p.add(q.after.time);
    where.push(`(time_ns < ${t} OR (time_ns = ${t} AND seq <= ${p.add(q.after.tie ?? 0n)}))`);
  }
  return where;
}
