import { METRIC_COLUMN, groupKeyColumn, type LabelNamesQuery, type ValuesQuery } from '../../model/index.js';
import { COUNTED_FIELD, RESULTS, groupIdentity, imports, orderFunction, sortColumns, source } from './compile.js';
import { fluxColumn, fluxColumnList, fluxInt, fluxRegex, fluxString, fluxTime, regexQuote } from './flux.js';
import { MEASUREMENT, SESSIONS_FIELD, type InfluxLayout } from './layout.js';
import { encodeTagPrefix } from './tag-codec.js';

/**
 * Compiles `sessionValues` to Flux: the key's stored value per group, the
 * metric summed (SESSIONS of raw records: counted), most first, then by
 * value (ints as numbers, missing last), the first `first` in `page`. The
 * prefix is a regular expression anchored at the start of the stored tag
 * (`encodeTagPrefix`, quoted), which the storage engine evaluates; ints are
 * stored as their decimal text, so it matches that text.
 */
export function compileValues(q: ValuesQuery, layout: InfluxLayout): string {
  const column = groupKeyColumn(q.key);
  const raw = q.source.tier === 'raw';
  const metric = METRIC_COLUMN[q.metric];
  const count = raw && metric === SESSIONS_FIELD;
  let data = source(q.source, layout, [count ? COUNTED_FIELD : metric], q.filter, [column]);
  if (q.prefix !== null && q.prefix !== '') {
    data += `\n  |> filter(fn: (r) => ${fluxColumn(column)} =~ ${fluxRegex(`^${regexQuote(encodeTagPrefix(q.prefix))}`)})`;
  } else if (q.prefix === '') {
    data += `\n  |> filter(fn: (r) => exists ${fluxColumn(column)})`;
  }
  return `${imports(['strings'], layout, q.filter, [column])}
${data}
  |> group(columns: ${fluxColumnList(['_start', '_stop', column, '_field'])})
  |> ${count ? 'count' : 'sum'}()
  |> group()
  |> map(fn: (r) => ({_gk: ${groupIdentity([column])}, _value: r._value}))
  |> map(fn: ${orderFunction([q.key], 'r._value', 'DESC')})
  |> sort(columns: ${fluxColumnList(sortColumns([q.key]))})
  |> limit(n: ${fluxInt(q.first)})
  |> yield(name: ${fluxString(RESULTS.page)})
`;
}

/**
 * The first statement of `sessionLabelNames` (and of `sessionRecords`): the
 * tag keys of the label side(s) in the bucket over the range
 * (https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/tagkeys/),
 * narrowed to those starting with `head` (`label.local.` plus the prefix).
 * The caller's filter is applied by the statement that counts.
 */
export function compileTagKeys(bucket: string, from: bigint, to: bigint, head: string): string {
  return `import "influxdata/influxdb/schema"
import "strings"

schema.tagKeys(bucket: ${fluxString(bucket)}, predicate: (r) => r._measurement == ${fluxString(MEASUREMENT)}, start: ${fluxTime(from)}, stop: ${fluxTime(to)})
  |> filter(fn: (r) => strings.hasPrefix(v: r._value, prefix: ${fluxString(head)}))
  |> yield(name: ${fluxString(RESULTS.keys)})
`;
}

/**
 * The second statement of `sessionLabelNames`: per candidate label column,
 * the matching records that carry it, as `c0`, `c1`, ... of one row. The
 * storage engine counts the records of each series (a tier point stands for
 * `sessions` records, so a tier sums that field); one `reduce` over those
 * per-series counts adds up, per column, the series that have it.
 */
export function compileLabelCounts(q: LabelNamesQuery, layout: InfluxLayout, columns: readonly string[]): string {
  const raw = q.source.tier === 'raw';
  const identity = columns.map((_, i) => `c${i}: 0`).join(', ');
  const step = columns.map((c, i) => `c${i}: accumulator.c${i} + (if exists ${fluxColumn(c)} then r._value else 0)`).join(',\n      ');
  return `${imports([], layout, q.filter)}${source(q.source, layout, [raw ? COUNTED_FIELD : SESSIONS_FIELD], q.filter)}
  |> ${raw ? 'count' : 'sum'}()
  |> group()
  |> reduce(
    identity: {${identity}},
    fn: (r, accumulator) => ({
      ${step}
    }),
  )
  |> yield(name: ${fluxString(RESULTS.names)})
`;
}
