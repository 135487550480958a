import { COUNTER_COLUMNS, type RecordsQuery } from '../../model/index.js';
import { RESULTS } from './compile.js';
import { fluxColumnList, fluxInt, fluxString, fluxTime } from './flux.js';
import { MEASUREMENT, type InfluxLayout } from './layout.js';
import { compilePredicate } from './predicate.js';

/** The tags a record is ordered by after its time, before its labels. */
export const RECORD_TAGS = [
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
] as const;

/**
 * Compiles `sessionRecords` to Flux: the raw points of the range (their
 * counter fields only), pivoted to one row per record, newest first, then
 * by every tag descending (InfluxDB keeps one point per series and time, so
 * records of one time differ in some tag and the order is total). A page
 * resumes at the cursor's time: the range stops just after it, and the
 * `within` records of that time already delivered are skipped. One row more
 * than `first` tells whether a next page exists. `labels` are the label
 * columns the range holds (compileTagKeys), sorted.
 */
export function compileRecords(q: RecordsQuery, layout: InfluxLayout, labels: readonly string[]): string {
  const stop = q.after === null || q.after.time + 1n > q.span.to ? q.span.to : q.after.time + 1n;
  const fields = COUNTER_COLUMNS.map((f) => `r._field == ${fluxString(f)}`).join(' or ');
  const tests = [`r._measurement == ${fluxString(MEASUREMENT)}`, `(${fields})`];
  const where = compilePredicate(q.filter);
  if (where !== 'true') tests.push(where);
  return `from(bucket: ${fluxString(layout.rawBucket)})
  |> range(start: ${fluxTime(q.span.from)}, stop: ${fluxTime(stop)})
  |> filter(fn: (r) => ${tests.join(' and ')})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ${fluxColumnList(['_time', ...RECORD_TAGS, ...labels])}, desc: true)
  |> limit(n: ${fluxInt(q.first + 1)}, offset: ${fluxInt(q.after?.within ?? 0)})
  |> yield(name: ${fluxString(RESULTS.records)})
`;
}
