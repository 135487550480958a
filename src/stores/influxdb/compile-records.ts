import { COUNTER_COLUMNS, TRUE, type Predicate, type RecordsQuery } from '../../model/index.js';
import { CLIENT_PORT, splitClientPort } from './client-port.js';
import { RESULTS } from './compile.js';
import { fluxColumnList, fluxInt, fluxString, fluxTime } from './flux.js';
import { MEASUREMENT, clientPortForm, type InfluxLayout } from './layout.js';
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
 * counter fields, and client_port where it is a field), pivoted to one row per record, newest first, then
 * by every tag descending (InfluxDB keeps one point per series and time, so
 * records of one time differ in some tag and the order is total). A page
 * resumes at the cursor's time: the range stops just after it, and the
 * `within` records of that time already delivered are skipped. One row more
 * than `first` tells whether a next page exists. `labels` are the label
 * columns the range holds (compileTagKeys), sorted.
 */
export function compileRecords(q: RecordsQuery, layout: InfluxLayout, labels: readonly string[]): string {
  const stop = q.after === null || q.after.time + 1n > q.span.to ? q.span.to : q.after.time + 1n;
  return `${recordRows(layout, q.span.from, stop, q.filter)}
  |> group()
  |> sort(columns: ${fluxColumnList(['_time', ...RECORD_TAGS, ...labels])}, desc: true)
  |> limit(n: ${fluxInt(q.first + 1)}, offset: ${fluxInt(q.after?.within ?? 0)})
  |> yield(name: ${fluxString(RESULTS.records)})
`;
}

/**
 * The raw points of [from, to) matching `filter`, pivoted to one row per
 * record: the counter fields, and client_port in the `field` layout, whose
 * terms are tested after the pivot (the others are pushed down).
 */
export function recordRows(layout: InfluxLayout, from: bigint, to: bigint, filter: Predicate): string {
  const portField = clientPortForm(layout) === 'field';
  const { pushed, after } = portField ? splitClientPort(filter) : { pushed: filter, after: TRUE };
  const fields = [...COUNTER_COLUMNS, ...(portField ? [CLIENT_PORT] : [])].map((f) => `r._field == ${fluxString(f)}`).join(' or ');
  const tests = [`r._measurement == ${fluxString(MEASUREMENT)}`, `(${fields})`];
  const where = compilePredicate(pushed);
  if (where !== 'true') tests.push(where);
  const test = compilePredicate(after, false, true);
  return `from(bucket: ${fluxString(layout.rawBucket)})
  |> range(start: ${fluxTime(from)}, stop: ${fluxTime(to)})
  |> filter(fn: (r) => ${tests.join(' and ')})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")${test === 'true' ? '' : `\n  |> filter(fn: (r) => ${test})`}`;
}
