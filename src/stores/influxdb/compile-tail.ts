import { COUNTER_COLUMNS, type EpochNs } from '../../model/index.js';
import { RESULTS } from './compile.js';
import { RECORD_TAGS } from './compile-records.js';
import { fluxColumnList, fluxInt, fluxString, fluxTime } from './flux.js';
import { MEASUREMENT, type InfluxLayout } from './layout.js';
import { compilePredicate } from './predicate.js';
import type { TailRead } from '../types.js';

/**
 * Compiles one tail read (sessionTail, docs/live.md) to Flux: the raw
 * points of [start, stop) (their counter fields only), pivoted to one row
 * per record, oldest first, then by every tag ascending (InfluxDB keeps one
 * point per series and time, so the order is total). `start` is the read's
 * position (or `since`), `stop` the tail's head or the backfill's seam; the
 * `within` records of the start time already read are skipped. One row
 * more than `limit` tells whether the read was cut. `labels` are the label
 * columns the range holds (compileTagKeys), sorted.
 */
export function compileTail(read: TailRead, start: EpochNs, stop: EpochNs, layout: InfluxLayout, labels: readonly string[]): string {
  const fields = COUNTER_COLUMNS.map((f) => `r._field == ${fluxString(f)}`).join(' or ');
  const tests = [`r._measurement == ${fluxString(MEASUREMENT)}`, `(${fields})`];
  const where = compilePredicate(read.filter);
  if (where !== 'true') tests.push(where);
  return `from(bucket: ${fluxString(layout.rawBucket)})
  |> range(start: ${fluxTime(start)}, stop: ${fluxTime(stop)})
  |> filter(fn: (r) => ${tests.join(' and ')})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ${fluxColumnList(['_time', ...RECORD_TAGS, ...labels])})
  |> limit(n: ${fluxInt(read.limit + 1)}, offset: ${fluxInt(read.from?.within ?? 0)})
  |> yield(name: ${fluxString(RESULTS.tail)})
`;
}
