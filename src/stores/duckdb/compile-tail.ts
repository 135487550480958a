import { RECORD_COLUMNS, labelReadColumns } from './compile-records.js';
import { predicate } from './compile.js';
import { RAW_TABLE, type StoreSchema } from './layout.js';
import { Params, type SqlStatement } from './sql.js';
import type { TailRead } from '../types.js';

/**
 * Compiles one tail read (sessionTail, docs/live.md) to one DuckDB
 * statement: raw rows in commit order (`seq`, one value per committed
 * write group, increasing), then by time and every other column, so the
 * order is total up to rows equal in every column (which are alike). A
 * read resumes at `from`: every row of a later commit, and those of
 * `from.at` past the `within` already read (OFFSET: the rows of one commit
 * are fixed once committed, and they come first in this order). `until`
 * is the seam of a backfill: only commits before it. One row more than
 * `limit` is read to tell whether the read was cut.
 */
export function compileTail(read: TailRead, schema: StoreSchema): SqlStatement {
  const p = new Params();
  const labels = labelReadColumns(schema);
  const from = read.from ?? { at: 0n, within: 0 };
  const where = [`seq >= ${p.add(from.at)}`];
  if (read.until !== null) where.push(`seq < ${p.add(read.until)}`);
  if (read.since !== null) where.push(`time_ns >= ${p.add(read.since)}`);
  const filter = predicate(read.filter, schema, p);
  if (filter !== 'TRUE') where.push(filter);
  const order = ['seq ASC', 'time_ns ASC', ...RECORD_COLUMNS.map((c) => `${c} ASC NULLS LAST`), ...labels.map((c) => `${c} ASC NULLS LAST`)];
  const text = `SELECT ${['time_ns', 'seq', ...RECORD_COLUMNS, ...labels].join(', ')}
  FROM ${RAW_TABLE}
  WHERE ${where.join('\n    AND ')}
ORDER BY ${order.join(', ')}
LIMIT ${p.add(read.limit + 1)} OFFSET ${p.add(from.within)}`;
  return { text, params: p.values };
}
