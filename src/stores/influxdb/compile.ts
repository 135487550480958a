import {
  METRIC_COLUMN,
  groupKeyColumn,
  type GroupKey,
  type Predicate,
  type SeriesQuery,
  type Source,
  type SourcePlan,
  type TrafficQuery,
} from '../../model/index.js';
import { fluxColumn, fluxColumnList, fluxColumnName, fluxDuration, fluxInt, fluxString, fluxTime } from './flux.js';
import { CLIENT_PORT, mentionsClientPort, splitClientPort } from './client-port.js';
import { COUNTER_FIELDS, INT_MAX, MEASUREMENT, SESSIONS_FIELD, bucketOf, clientPortForm, type InfluxLayout } from './layout.js';
import { compilePredicate } from './predicate.js';

/** The names of the results (`yield`) a compiled query returns. */
export const RESULTS = {
  page: 'page',
  count: 'count',
  total: 'total',
  rank: 'rank',
  points: 'points',
  other: 'other',
  keys: 'keys',
  names: 'names',
  tail: 'tail',
  records: 'records',
} as const;

/** The counter the count of raw records is taken on (every record has it). */
export const COUNTED_FIELD = 'total_bytes';

/**
 * Compiles a traffic query to Flux (https://docs.influxdata.com/flux/v0/).
 * The storage engine computes the sums per group (range, filter, group and
 * sum are pushed down); their rows are gathered into one table (`sort`
 * merges the per-group tables, which makes the steps after it cheap), each
 * named by `_gk`, its stored key values joined by U+0002, and pivoted on
 * `_gk` to one row per group. Three results: `page` (by the metric, then
 * the group values ascending with nulls last and ints as numbers; `limit`
 * with offset), `count` (the number of groups) and `total` (the sums over
 * every group). Only the fields in `q.needs` are read. Pure: the text is
 * what `meta.query` shows.
 *
 * (The pivot is on the one column `_gk`: Flux's pivot joins the values of a
 * multi-column rowKey without a separator, so the groups ("ab", "c") and
 * ("a", "bc") would become one row.)
 */
export function compileTraffic(q: TrafficQuery, layout: InfluxLayout): string {
  const keys = q.groupBy.map(groupKeyColumn);
  const needed = new Set(q.needs.map((m) => METRIC_COLUMN[m]));
  const parts: string[] = [];
  const cur = sideRows('rows', q.source, layout, q.filter, keys, needed, '');
  parts.push(...cur.parts);
  let rows = cur.name;
  const metric = fluxColumn(METRIC_COLUMN[q.order.metric]);
  let rank = metric;
  if (q.compare !== null) {
    // The compared span's sums under `p_<field>`: one union, one pivot, one row per group of either span.
    const prev = sideRows('prevRows', q.compare.source, layout, q.filter, keys, needed, PREVIOUS_PREFIX);
    parts.push(...prev.parts, `both = union(tables: [${cur.name}, ${prev.name}])
  |> sort(columns: ["_field"])`);
    rows = 'both';
    const was = fluxColumn(PREVIOUS_PREFIX + METRIC_COLUMN[q.order.metric]);
    const zeroed = (c: string) => `(if exists ${c} then ${c} else 0)`;
    const change = `(${zeroed(metric)} - ${zeroed(was)})`;
    rank = q.order.ranking === 'VALUE' ? zeroed(metric) : q.order.ranking === 'CHANGE' ? change : `(if ${change} < 0 then -${change} else ${change})`;
  }
  parts.push(`groups = ${rows}
  |> pivot(rowKey: ["_gk"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: ${orderFunction(q.groupBy, rank, q.order.direction)})`);
  parts.push(`groups
  |> sort(columns: ${fluxColumnList(sortColumns(q.groupBy))})
  |> limit(n: ${fluxInt(q.first)}, offset: ${fluxInt(q.offset)})
  |> yield(name: ${fluxString(RESULTS.page)})`);
  parts.push(`groups
  |> count(column: "_gk")
  |> yield(name: ${fluxString(RESULTS.count)})`);
  parts.push(`${rows}
  |> group(columns: ["_field"])
  |> sum()
  |> yield(name: ${fluxString(RESULTS.total)})`);
  return `${imports(['strings'], layout, q.filter, keys)}\n${parts.join('\n\n')}\n`;
}

/** The prefix of the compared span's fields in a comparison's rows (`p_total_bytes`). */
export const PREVIOUS_PREFIX = 'p_';

/**
 * The rows of one span of a traffic query, named `name`: per group and
 * field the sum (`sessions` of raw records: the count), one table, each row
 * named by `_gk`, its field renamed with `prefix`.
 */
function sideRows(
  name: string,
  plan: SourcePlan,
  layout: InfluxLayout,
  filter: Predicate,
  keys: readonly string[],
  needed: ReadonlySet<string>,
  prefix: string,
): { name: string; parts: string[] } {
  const sources = planSources(plan);
  const groupCols = fluxColumnList(['_start', '_stop', ...keys, '_field']);
  const parts: string[] = [];
  const inputs: string[] = [];
  sources.forEach((src, i) => {
    const raw = src.tier === 'raw';
    const sumFields = COUNTER_FIELDS.filter((f) => needed.has(f)) as string[];
    if (!raw && needed.has(SESSIONS_FIELD)) sumFields.push(SESSIONS_FIELD);
    const countRaw = raw && needed.has(SESSIONS_FIELD);
    const stem = sources.length === 1 ? name : `${name}${raw ? 'Raw' : `Tier${src.tier.name}`}${i}`;
    if (sumFields.length > 0) {
      parts.push(`${stem}Sums = ${source(src, layout, sumFields, filter, keys)}
  |> group(columns: ${groupCols})
  |> sum()`);
      inputs.push(`${stem}Sums`);
    }
    if (countRaw) {
      parts.push(`${stem}Counts = ${source(src, layout, [COUNTED_FIELD], filter, keys)}
  |> group(columns: ${groupCols})
  |> count()
  |> set(key: "_field", value: ${fluxString(SESSIONS_FIELD)})`);
      inputs.push(`${stem}Counts`);
    }
  });
  let fields = inputs.length === 1 ? inputs[0]! : `union(tables: [${inputs.join(', ')}])`;
  if (sources.length > 1) {
    // The pieces' sums of one group and field, summed into one.
    parts.push(`${name}Pieces = ${fields}
  |> group(columns: ${fluxColumnList([...keys, '_field'])})
  |> sum()`);
    fields = `${name}Pieces`;
  }
  const field = prefix === '' ? 'r._field' : `${fluxString(prefix)} + r._field`;
  parts.push(`${name} = ${fields}
  |> group()
  |> sort(columns: ["_field"])
  |> map(fn: (r) => ({_gk: ${groupIdentity(keys)}, _field: ${field}, _value: r._value}))`);
  return { name, parts };
}

/**
 * The raw and tier sources of a plan's pieces. InfluxDB is planned with
 * folding by time (session-store.ts), so it has no `unfolded` pieces.
 */
export function planSources(plan: SourcePlan): Source[] {
  return plan.pieces.map((piece): Source => {
    if (piece.kind === 'unfolded') throw new Error('an InfluxDB plan has no unfolded piece: it folds by time');
    return { tier: piece.kind === 'raw' ? 'raw' : piece.tier, span: piece.span };
  });
}

/**
 * Compiles a series query to Flux: per group, the metric summed (or, for
 * SESSIONS on raw records, counted) in windows of `every` aligned to the
 * epoch, with no empty windows (`aggregateWindow`, each window stamped with
 * its start; the first is stamped with the range start when that is later,
 * and the reader moves it back to the window start). `rank` holds the
 * `limit` groups with the largest metric over the range (ties by group
 * values, nulls last), and `points` their windows, joined on the group
 * name `_gk`.
 */
export function compileSeries(q: SeriesQuery, layout: InfluxLayout): string {
  const keys = q.groupBy.map(groupKeyColumn);
  const column = METRIC_COLUMN[q.metric];
  const gk = groupIdentity(keys);
  const sources = planSources(q.source);
  const pieceWindows = sources.map((src) => {
    const count = src.tier === 'raw' && column === SESSIONS_FIELD;
    const field = count ? COUNTED_FIELD : column;
    return `${source(src, layout, [field], q.filter, keys)}
  |> group(columns: ${fluxColumnList(keys)})
  |> aggregateWindow(every: ${fluxDuration(q.every.ns)}, fn: ${count ? 'count' : 'sum'}, createEmpty: false, timeSrc: "_start")`;
  });
  let windows: string;
  if (pieceWindows.length === 1) windows = `windows = ${pieceWindows[0]!}`;
  else {
    // Each piece's windows stamped with their bucket start (a piece's first
    // window carries its own start), then summed per group and bucket.
    const every = fluxInt(q.every.ns);
    const pieces = pieceWindows.map((w, i) => `windows${i} = ${w}
  |> map(fn: (r) => ({r with _time: time(v: int(v: r._time) - (int(v: r._time) % ${every} + ${every}) % ${every})}))`);
    windows = `${pieces.join('\n\n')}

windows = union(tables: [${pieceWindows.map((_, i) => `windows${i}`).join(', ')}])
  |> group(columns: ${fluxColumnList([...keys, '_time'])})
  |> sum()
  |> group(columns: ${fluxColumnList(keys)})`;
  }
  return `${imports(['join', 'strings'], layout, q.filter, keys)}
${windows}

ranked = windows
  |> sum()
  |> group()
  |> sort(columns: ["_value"])
  |> map(fn: (r) => ({_gk: ${gk}, _value: r._value}))
  |> map(fn: ${orderFunction(q.groupBy, 'r._value', 'DESC')})
  |> sort(columns: ${fluxColumnList(sortColumns(q.groupBy))})

top = ranked
  |> limit(n: ${fluxInt(q.limit)})

top
  |> yield(name: ${fluxString(RESULTS.rank)})

points = windows
  |> group()
  |> sort(columns: ["_time"])
  |> map(fn: (r) => ({_gk: ${gk}, _time: r._time, _value: r._value}))

join.inner(left: top, right: points, on: (l, r) => l._gk == r._gk, as: (l, r) => ({_gk: r._gk, _time: r._time, _value: r._value}))
  |> yield(name: ${fluxString(RESULTS.points)})
${q.other ? otherSeries() : ''}`;
}

/**
 * The other series of compileSeries: the windows of every group not among
 * the top ones summed per window start into one table (empty when no group
 * is past the limit).
 */
function otherSeries(): string {
  // A filter on the top groups' names rather than a join: join.inner refuses an empty side.
  return `
topKeys = top
  |> findColumn(fn: (key) => true, column: "_gk")

points
  |> filter(fn: (r) => not contains(value: r._gk, set: topKeys))
  |> group(columns: ["_time"])
  |> sum()
  |> group()
  |> sort(columns: ["_time"])
  |> yield(name: ${fluxString(RESULTS.other)})
`;
}

/**
 * `from |> range |> filter` over the bucket serving `source`, reading
 * `fields`: one table per series and field, `_field` and `_value` per point.
 * `columns` are the columns the caller groups on.
 *
 * In the `field` layout (layout.ts ClientPortForm) a query that filters or
 * groups on client_port reads it with the fields, pivots each series to one
 * row per point (`_time` is unique within a series: write-plan.ts), filters
 * the client_port terms there, and unpivots back to the same shape, with
 * client_port a string column (its decimal, as a tag would hold it) where
 * grouped on. The other terms, and every other query, stay pushed down to
 * the storage engine.
 */
export function source(src: Source, layout: InfluxLayout, fields: readonly string[], filter: Predicate, columns: readonly string[] = []): string {
  const grouped = columns.includes(CLIENT_PORT);
  if (clientPortForm(layout) === 'tag' || (!grouped && !mentionsClientPort(filter))) return pushedSource(src, layout, fields, filter);
  if (src.tier !== 'raw') throw new Error('client_port is only in the raw bucket of the field layout');
  const { pushed, after } = splitClientPort(filter);
  let text = `${pushedSource(src, layout, [...fields, CLIENT_PORT], pushed)}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
  const test = compilePredicate(after, false, true);
  if (test !== 'true') text += `\n  |> filter(fn: (r) => ${test})`;
  text += grouped
    ? `\n  |> map(fn: (r) => ({r with client_port: string(v: r.client_port)}))\n  |> experimental.unpivot(otherColumns: ["_time", "client_port"])`
    : `\n  |> drop(columns: ["client_port"])\n  |> experimental.unpivot()`;
  return text;
}

/** Whether `source` reads client_port as a field for these arguments (the script then imports "experimental"). */
export function readsClientPortField(layout: InfluxLayout, filter: Predicate, columns: readonly string[] = []): boolean {
  return clientPortForm(layout) === 'field' && (columns.includes(CLIENT_PORT) || mentionsClientPort(filter));
}

/** The imports of a script whose sources read with these arguments. */
export function imports(names: readonly string[], layout: InfluxLayout, filter: Predicate, columns: readonly string[] = []): string {
  const all = readsClientPortField(layout, filter, columns) ? [...names, 'experimental'] : [...names];
  return all.sort().map((n) => `import ${fluxString(n)}\n`).join('');
}

/** `from |> range |> filter` with every test pushed down. */
function pushedSource(src: Source, layout: InfluxLayout, fields: readonly string[], filter: Predicate): string {
  const fieldTest = fields.map((f) => `r._field == ${fluxString(f)}`);
  const tests = [`r._measurement == ${fluxString(MEASUREMENT)}`, fieldTest.length === 1 ? fieldTest[0]! : `(${fieldTest.join(' or ')})`];
  const where = compilePredicate(filter);
  if (where !== 'true') tests.push(where);
  return `from(bucket: ${fluxString(bucketOf(layout, src.tier))})
  |> range(start: ${fluxTime(src.span.from)}, stop: ${fluxTime(src.span.to)})
  |> filter(fn: (r) => ${tests.join(' and ')})`;
}

/** The separator of the stored values in `_gk`; no stored value holds it (tag-codec.ts). */
const KEY_SEPARATOR = '\\x02';

/** `_gk`: one string naming a group, its stored values joined by U+0002 ("" for a missing one). */
export function groupIdentity(keys: readonly string[]): string {
  if (keys.length === 0) return '""';
  return keys.map((c) => `(if exists ${fluxColumn(c)} then ${fluxColumn(c)} else "")`).join(` + "${KEY_SEPARATOR}" + `);
}

/**
 * The map function adding the sort columns of a group row from its `_gk`:
 * `_o` the metric (negated for DESC, since Flux sorts every column one
 * way), then per key either `_iN`, the int value, or `_nN` (1 where the
 * value is missing) and `_kN`, the stored value, whose byte order is the
 * value's (tag-codec.ts).
 */
export function orderFunction(groupBy: readonly GroupKey[], metric: string, direction: 'ASC' | 'DESC'): string {
  const cols = [`_o: ${direction === 'DESC' ? `-${metric}` : metric}`];
  groupBy.forEach((k, i) => {
    if (INT_MAX.has(groupKeyColumn(k))) cols.push(`_i${i}: int(v: k[${i}])`);
    else cols.push(`_n${i}: if k[${i}] == "" then 1 else 0`, `_k${i}: k[${i}]`);
  });
  if (groupBy.length === 0) return `(r) => ({r with ${cols.join(', ')}})`;
  return `(r) => {
    k = strings.split(v: r._gk, t: "${KEY_SEPARATOR}")
    return {r with ${cols.join(', ')}}
  }`;
}

export function sortColumns(groupBy: readonly GroupKey[]): string[] {
  const cols = ['_o'];
  groupBy.forEach((k, i) => {
    if (INT_MAX.has(groupKeyColumn(k))) cols.push(`_i${i}`);
    else cols.push(`_n${i}`, `_k${i}`);
  });
  return cols;
}
