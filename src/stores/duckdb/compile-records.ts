import { COUNTER_COLUMNS, type RecordsQuery } from '../../model/index.js';
import { predicate } from './compile.js';
import { RAW_TABLE, type StoreSchema } from './layout.js';
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
 * Compiles `sessionRecords` to one DuckDB statement: raw rows newest first,
 * then by commit sequence (newest first), then by every other column, so
 * the order is total up to rows equal in every column (which are alike).
 * A page resumes after the cursor's (time, seq): every row strictly older
 * in that order, plus the rows of that very (time, seq) past the `within`
 * already delivered (OFFSET; the rows of one commit and time are fixed once
 * committed, so the count cannot shift). One row more than `first` is read
 * to tell whether a next page exists.
 */
export function compileRecords(q: RecordsQuery, schema: StoreSchema): SqlStatement {
  const p = new Params();
  const labels = [...schema.labelColumns].sort();
  const where = [`time_ns >= ${p.add(q.span.from)}`, `time_ns < ${p.add(q.span.to)}`];
  const filter = predicate(q.filter, schema, p);
  if (filter !== 'TRUE') where.push(filter);
  let offset = 0;
  if (q.after !== null) {
    const t = p.add(q.after.time);
    where.push(`(time_ns < ${t} OR (time_ns = ${t} AND seq <= ${p.add(q.after.tie ?? 0n)}))`);
    offset = q.after.within;
  }
  const order = ['time_ns DESC', 'seq DESC', ...RECORD_COLUMNS.map((c) => `${c} ASC NULLS LAST`), ...labels.map((c) => `${quoteIdent(c)} ASC NULLS LAST`)];
  const text = `SELECT ${['time_ns', 'seq', ...RECORD_COLUMNS, ...labels.map(quoteIdent)].join(', ')}
  FROM ${RAW_TABLE}
  WHERE ${where.join('\n    AND ')}
ORDER BY ${order.join(', ')}
LIMIT ${p.add(q.first + 1)} OFFSET ${p.add(offset)}`;
  return { text, params: p.values };
}
