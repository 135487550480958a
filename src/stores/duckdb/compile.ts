import {
  COUNTER_COLUMNS,
  METRIC_COLUMN,
  labelColumn,
  type GroupKey,
  type LabelSide,
  type IntOp,
  type LabelOp,
  type Metric,
  type Predicate,
  type SeriesQuery,
  type Source,
  type SourcePiece,
  type SourcePlan,
  type StringOp,
  type TrafficQuery,
} from '../../model/index.js';
import { LABEL_MAP_COLUMNS, RAW_TABLE, STATE_TABLE, tierTable, type StoreSchema } from './layout.js';
import { Params, quoteIdent, windowStartSql, type SqlStatement } from './sql.js';

/** Result column aliases shared by the compiler and the store's row reader. */
export const TRAFFIC_ALIASES = ['fsb', 'fsp', 'rsb', 'rsp', 'tb', 'n'] as const;

const METRIC_ALIAS: Record<Metric, (typeof TRAFFIC_ALIASES)[number]> = {
  FORWARD_SAMPLED_BYTES: 'fsb',
  FORWARD_SAMPLED_PKTS: 'fsp',
  REVERSE_SAMPLED_BYTES: 'rsb',
  REVERSE_SAMPLED_PKTS: 'rsp',
  TOTAL_BYTES: 'tb',
  SESSIONS: 'n',
};

/**
 * Compiles a traffic query to one DuckDB statement
 * (https://duckdb.org/docs/sql/query_syntax/select): the groups' sums, and
 * beside each row of the page, as window functions over the grouped rows,
 * the number of groups and the totals over all of them (a window over
 * groups is nearly free; materialising the groups twice was not). A page
 * past the last group has no rows to carry the totals: the store then asks
 * again for the first group. Every value is a parameter.
 */
export function compileTraffic(q: TrafficQuery, schema: StoreSchema, marks: Watermarks = NO_MARKS): SqlStatement {
  if (q.compare !== null) return compileComparison(q, q.compare.source, schema, marks);
  const p = new Params();
  const needed = new Set(q.needs.map((m) => METRIC_ALIAS[m]));
  let keys: string[];
  let sums: string[];
  let from: string;
  const single = singleSource(q.source);
  if (single !== null) {
    from = sourceFrom(single, q.filter, schema, p);
    keys = q.groupBy.map((k, i) => `${keyExpr(k, schema, p)} AS k${i}`);
    sums = trafficSums(single).map((s, i) => (needed.has(TRAFFIC_ALIASES[i]!) ? s : '0'));
  } else {
    from = `FROM (
${pieceSums(q.source, q.groupBy, q.filter, needed, schema, p, marks)}
  ) AS pieces`;
    keys = q.groupBy.map((_, i) => `k${i}`);
    sums = TRAFFIC_ALIASES.map((a) => (needed.has(a) ? `sum(${a})` : '0'));
  }
  const totals = sums.map((s, i) => (s === '0' ? '0' : `coalesce(sum(${s}) OVER (), 0)`) + ` AS total_${TRAFFIC_ALIASES[i]}`);
  const groupBy = keys.length === 0 ? '' : `\n  GROUP BY ${keys.map((_, i) => `k${i}`).join(', ')}`;
  const order = orderBy(q.order.direction, METRIC_ALIAS[q.order.metric], q.groupBy.length, '');
  const keyCols = single !== null ? keys : keys.map((k) => `${k} AS ${k}`);
  const text = `SELECT ${[...keyCols, ...sums.map((s, i) => `${s === '0' ? s : `coalesce(${s}, 0)`} AS ${TRAFFIC_ALIASES[i]}`)].join(', ')},
  count(*) OVER () AS group_count, ${totals.join(', ')}
  ${from}${groupBy}
ORDER BY ${order}
LIMIT ${p.add(q.first)} OFFSET ${p.add(q.offset)}`;
  return { text, params: p.values };
}

/**
 * Per tier, a watermark the store read before compiling (or lower): the
 * commit sequence up to which the tier has folded raw rows in. An
 * `unfolded` piece reads the raw rows past the tier's current watermark,
 * read in the statement itself so it agrees with the tier rows the same
 * statement reads; the one given here only lets DuckDB skip, by the row
 * groups' min/max of seq, the rows that were folded in already (watermarks
 * only grow).
 */
export type Watermarks = ReadonlyMap<string, bigint>;

export const NO_MARKS: Watermarks = new Map();

/** The one raw or tier source of a plan of one piece (compiled as before plans had pieces), else null. */
function singleSource(plan: SourcePlan): Source | null {
  if (plan.pieces.length !== 1) return null;
  const only = plan.pieces[0]!;
  if (only.kind === 'unfolded') return null;
  return { tier: only.kind === 'raw' ? 'raw' : only.tier, span: only.span };
}

/**
 * The pieces of a plan, each summed per group on its own (so the filters
 * reach each table's scan), as one UNION ALL: columns k0.., then the
 * TRAFFIC_ALIASES sums (0 where not needed).
 */
function pieceSums(
  plan: SourcePlan,
  groupBy: readonly GroupKey[],
  filter: Predicate,
  needed: ReadonlySet<string>,
  schema: StoreSchema,
  p: Params,
  marks: Watermarks,
): string {
  const keyNames = groupBy.map((_, i) => `k${i}`);
  return plan.pieces
    .map((piece) => {
      const src = pieceSource(piece);
      const keys = groupBy.map((k, i) => `${keyExpr(k, schema, p)} AS k${i}`);
      const sums = trafficSums(src).map((s, i) => `${needed.has(TRAFFIC_ALIASES[i]!) ? s : '0'} AS ${TRAFFIC_ALIASES[i]}`);
      const from = sourceFrom(src, filter, schema, p, unfoldedCondition(piece, p, marks));
      return `    SELECT ${[...keys, ...sums].join(', ')}
    ${from.replaceAll('\n', '\n  ')}${keyNames.length === 0 ? '' : `\n    GROUP BY ${keyNames.join(', ')}`}`;
    })
    .join('\n    UNION ALL\n');
}

function pieceSource(piece: SourcePiece): Source {
  return { tier: piece.kind === 'tier' ? piece.tier : 'raw', span: piece.span };
}

/** For an `unfolded` piece: the raw rows past the tier's watermark (see Watermarks). */
function unfoldedCondition(piece: SourcePiece, p: Params, marks: Watermarks): string[] {
  if (piece.kind !== 'unfolded') return [];
  const key = `watermark:${piece.tier.name}`;
  return [`seq > ${p.add(marks.get(piece.tier.name) ?? 0n)}`, `seq > coalesce((SELECT value FROM ${STATE_TABLE} WHERE key = ${p.add(key)}), 0)`];
}

/** The watermark state keys of the tiers a plan's unfolded pieces read. */
export function planWatermarkTiers(plans: readonly SourcePlan[]): string[] {
  const names = new Set<string>();
  for (const plan of plans) for (const piece of plan.pieces) if (piece.kind === 'unfolded') names.add(piece.tier.name);
  return [...names];
}

/**
 * A traffic query with compareTo, as one statement: the groups of each span
 * summed on their own (each span from its own table), joined in full so a
 * group of either span is listed (`p_*`: the compared span's sums, zero where
 * the group had none), then counted, totalled and ranked like compileTraffic
 * over the joined groups. Keys are joined with IS NOT DISTINCT FROM, so the
 * group of records lacking a label (null) meets its counterpart.
 */
function compileComparison(q: TrafficQuery, previous: SourcePlan, schema: StoreSchema, marks: Watermarks): SqlStatement {
  const p = new Params();
  const keyNames = q.groupBy.map((_, i) => `k${i}`);
  const needed = new Set(q.needs.map((m) => METRIC_ALIAS[m]));
  const side = (plan: SourcePlan): string => {
    const single = singleSource(plan);
    if (single === null) {
      // Each span its own plan: its pieces summed, then per group.
      const sums = TRAFFIC_ALIASES.map((a) => `${needed.has(a) ? `coalesce(sum(${a}), 0)` : '0'} AS ${a}`);
      const pieces = pieceSums(plan, q.groupBy, q.filter, needed, schema, p, marks).replaceAll('\n', '\n  ');
      return `SELECT ${[...keyNames, ...sums].join(', ')}\n    FROM (\n  ${pieces}\n    ) AS pieces${keyNames.length === 0 ? '' : `\n    GROUP BY ${keyNames.join(', ')}`}`;
    }
    const keys = q.groupBy.map((k, i) => `${keyExpr(k, schema, p)} AS k${i}`);
    const sums = trafficSums(single).map((s, i) => `${needed.has(TRAFFIC_ALIASES[i]!) ? `coalesce(${s}, 0)` : '0'} AS ${TRAFFIC_ALIASES[i]}`);
    const from = sourceFrom(single, q.filter, schema, p);
    return `SELECT ${[...keys, ...sums].join(', ')}\n    ${from.replaceAll('\n', '\n  ')}${keyNames.length === 0 ? '' : `\n    GROUP BY ${keyNames.join(', ')}`}`;
  };
  const cur = side(q.source);
  const prev = side(previous);
  const on = keyNames.length === 0 ? 'TRUE' : keyNames.map((k) => `cur.${k} IS NOT DISTINCT FROM prev.${k}`).join(' AND ');
  const joined = [
    ...keyNames.map((k) => `coalesce(cur.${k}, prev.${k}) AS ${k}`),
    ...TRAFFIC_ALIASES.map((a) => `coalesce(cur.${a}, 0) AS ${a}`),
    ...TRAFFIC_ALIASES.map((a) => `coalesce(prev.${a}, 0) AS p_${a}`),
  ];
  const totals = TRAFFIC_ALIASES.flatMap((a) =>
    needed.has(a) ? [`sum(${a}) OVER () AS total_${a}`, `sum(p_${a}) OVER () AS ptotal_${a}`] : [`0 AS total_${a}`, `0 AS ptotal_${a}`],
  );
  const m = METRIC_ALIAS[q.order.metric];
  const rank = q.order.ranking === 'VALUE' ? m : q.order.ranking === 'CHANGE' ? `(${m} - p_${m})` : `abs(${m} - p_${m})`;
  const keysOrder = keyNames.map((k) => `${k} ASC NULLS LAST`);
  const text = `WITH cur AS (
  ${cur}
), prev AS (
  ${prev}
), j AS (
  SELECT ${joined.join(', ')}
  FROM cur FULL OUTER JOIN prev ON ${on}
)
SELECT *, count(*) OVER () AS group_count, ${totals.join(', ')}
FROM j
ORDER BY ${[`${rank} ${q.order.direction}`, ...keysOrder].join(', ')}
LIMIT ${p.add(q.first)} OFFSET ${p.add(q.offset)}`;
  return { text, params: p.values };
}

/**
 * Compiles a series query: per group and bucket the metric summed, buckets
 * `[t, t+every)` with t a multiple of `every` since the epoch, keeping the
 * `limit` groups with the largest metric over the whole range. Rows come
 * ordered by group rank (`rk`), then bucket.
 */
export function compileSeries(q: SeriesQuery, schema: StoreSchema, marks: Watermarks = NO_MARKS): SqlStatement {
  const p = new Params();
  const every = p.add(q.every.ns);
  const keys = q.groupBy.map((k, i) => `${keyExpr(k, schema, p)} AS k${i}`);
  const keyNames = q.groupBy.map((_, i) => `k${i}`);
  const rankOrder = orderBy('DESC', 'total', q.groupBy.length, '');
  const join = keyNames.length === 0 ? 'TRUE' : keyNames.map((k) => `b.${k} IS NOT DISTINCT FROM r.${k}`).join(' AND ');
  // Each piece's buckets: a tier window lies inside one bucket, since the plan's tiers divide every.
  const pieceBuckets = q.source.pieces.map((piece) => {
    const src = pieceSource(piece);
    const from = sourceFrom(src, q.filter, schema, p, unfoldedCondition(piece, p, marks));
    const bucket = windowStartSql(timeColumn(src), every);
    return `SELECT ${[...keys, `${bucket} AS bucket`, `${metricSum(q.metric, src)} AS v`].join(', ')}
  ${from}
  GROUP BY ${[...keyNames, 'bucket'].join(', ')}`;
  });
  const buckets =
    pieceBuckets.length === 1
      ? pieceBuckets[0]!
      : `SELECT ${[...keyNames, 'bucket', 'sum(v)::HUGEINT AS v'].join(', ')}
  FROM (
    ${pieceBuckets.map((b) => b.replaceAll('\n', '\n    ')).join('\n    UNION ALL\n    ')}
  ) AS pieces
  GROUP BY ${[...keyNames, 'bucket'].join(', ')}`;
  const limit = p.add(q.limit);
  const columns = ['r.rk', ...keyNames.map((k) => `b.${k}`), 'b.bucket', 'b.v'];
  // The other series: rank limit + 1, null group values, every group past the limit summed per bucket.
  const other = q.other
    ? `
UNION ALL
SELECT ${[`${limit} + 1 AS rk`, ...keyNames.map((k) => `NULL AS ${k}`), 'b.bucket', 'sum(b.v) AS v'].join(', ')}
FROM b JOIN r ON ${join}
WHERE r.rk > ${limit}
GROUP BY b.bucket`
    : '';
  const text = `WITH b AS MATERIALIZED (
  ${buckets}
), r AS (
  SELECT ${[...keyNames, 'sum(v) AS total'].join(', ')}, row_number() OVER (ORDER BY ${rankOrder}) AS rk
  FROM b${keyNames.length === 0 ? '' : `\n  GROUP BY ${keyNames.join(', ')}`}
)
SELECT ${columns.join(', ')} FROM b JOIN r ON ${join}
WHERE r.rk <= ${limit}${other}
ORDER BY rk, bucket`;
  return { text, params: p.values };
}

/** FROM and WHERE for the table that serves `source`; `extra` conditions are AND-ed in. */
export function sourceFrom(source: Source, filter: Predicate, schema: StoreSchema, p: Params, extra: readonly string[] = []): string {
  const table = source.tier === 'raw' ? RAW_TABLE : tierTable(source.tier);
  const time = timeColumn(source);
  const range = `${time} >= ${p.add(source.span.from)} AND ${time} < ${p.add(source.span.to)}`;
  const where = [predicate(filter, schema, p), ...extra].filter((c) => c !== 'TRUE');
  return `FROM ${table}\n  WHERE ${range}${where.map((c) => `\n    AND ${c}`).join('')}`;
}

export function timeColumn(source: Source): string {
  return source.tier === 'raw' ? 'time_ns' : 'window_start';
}

/** The aggregate of each Traffic field, in TRAFFIC_ALIASES order. */
function trafficSums(source: Source): string[] {
  const counters = COUNTER_COLUMNS.map((c) => `sum(${c})`);
  return [...counters, source.tier === 'raw' ? 'count(*)' : 'sum(sessions)'];
}

export function metricSum(metric: Metric, source: Source): string {
  const col = METRIC_COLUMN[metric];
  if (col === 'sessions') return source.tier === 'raw' ? 'count(*)::HUGEINT' : 'sum(sessions)::HUGEINT';
  return `sum(${col})::HUGEINT`;
}

/** Metric in `direction`, then the group values ascending with nulls last. */
function orderBy(direction: 'ASC' | 'DESC', metric: string, keyCount: number, prefix: string): string {
  const keys = Array.from({ length: keyCount }, (_, i) => `${prefix}k${i} ASC NULLS LAST`);
  return [`${prefix}${metric} ${direction}`, ...keys].join(', ');
}

export function keyExpr(k: GroupKey, schema: StoreSchema, p: Params): string {
  return k.kind === 'dimension' ? k.column : labelExpr(k.side, k.name, schema, p);
}

/**
 * The one place a label name becomes SQL: its column when it has one, the
 * value under its key in the side's map column when it is past the column
 * budget (`labels_local[$n]`, the name a bound parameter; a VARCHAR, NULL
 * where the record lacks it, just as a column's NULL), or a typed NULL when
 * no record has ever carried the label. Every filter, group key, hint and
 * record read goes through here, so either form answers alike.
 */
export function labelExpr(side: LabelSide, name: string, schema: StoreSchema, p: Params): string {
  const column = labelColumn(side, name);
  if (schema.labelColumns.has(column)) return quoteIdent(column);
  if (schema.mappedLabels?.[side].has(name) === true) return `${LABEL_MAP_COLUMNS[side]}[${p.add(name)}]`;
  return 'CAST(NULL AS VARCHAR)';
}

/**
 * Compiles a predicate to a WHERE condition: a NULL (missing label, missing
 * vmi) makes positive operators false and `ne`/`notIn` true, so NOT is exact
 * negation (https://duckdb.org/docs/sql/expressions/comparison_operators).
 *
 * Only a NOT tells a NULL from FALSE: under AND and OR alone, a condition
 * that is NULL drops the row just as FALSE does. So outside every NOT the
 * positive operators are the bare comparison (`col = $1`), which DuckDB
 * pushes into the scan as a table filter; wrapped in `coalesce(..., FALSE)`
 * it is evaluated row by row after the scan (sessionValues of one namespace
 * took 1.6x as long). Inside a NOT (`exact`) they keep the coalesce.
 * The result is only ever used as a WHERE conjunct, never as a value.
 */
export function predicate(pred: Predicate, schema: StoreSchema, p: Params, exact = false): string {
  switch (pred.kind) {
    case 'and':
      return pred.items.length === 0 ? 'TRUE' : `(${pred.items.map((i) => predicate(i, schema, p, exact)).join(' AND ')})`;
    case 'or':
      return pred.items.length === 0 ? 'FALSE' : `(${pred.items.map((i) => predicate(i, schema, p, exact)).join(' OR ')})`;
    case 'not':
      return `(NOT ${predicate(pred.item, schema, p, true)})`;
    case 'string':
      return stringMatch(pred.column, pred.match, p, exact);
    case 'int':
      return intMatch(pred.column, pred.match, p);
    case 'label':
      return labelMatch(labelExpr(pred.side, pred.name, schema, p), pred.match, p, exact);
    case 'sessionType':
      return `session_type = ${p.add(pred.value)}`;
    case 'namespaces':
      return pred.projects.length === 0 ? 'FALSE' : `(${projectIn('vn', pred.projects, p)} OR ${projectIn('remote_vn', pred.projects, p)})`;
    default:
      return assertNever(pred);
  }
}

/**
 * Whether the project of an FQ name column (its second `:` component,
 * `split_part`, '' when there is none: never a project) is one of
 * `projects`, bound as one VARCHAR[] parameter. The namespace scope of
 * sessions and UVEs alike (docs/security.md "Namespaces").
 * https://duckdb.org/docs/sql/functions/char#split_partstring-separator-index
 */
export function projectIn(column: string, projects: readonly string[], p: Params): string {
  if (projects.length === 0) return 'FALSE';
  return `coalesce(list_contains(${p.add(projects)}::VARCHAR[], split_part(${column}, ':', 2)), FALSE)`;
}

function labelMatch(col: string, m: LabelOp, p: Params, exact: boolean): string {
  if (m.op === 'exists') return m.value ? `(${col} IS NOT NULL)` : `(${col} IS NULL)`;
  return stringMatch(col, m, p, exact);
}

/** `cond` false where it is NULL: wrapped inside a NOT, bare elsewhere (see predicate). */
function falseOnNull(cond: string, exact: boolean): string {
  return exact ? `coalesce(${cond}, FALSE)` : cond;
}

function stringMatch(col: string, m: StringOp, p: Params, exact: boolean): string {
  switch (m.op) {
    case 'eq':
      return falseOnNull(`${col} = ${p.add(m.value)}`, exact);
    case 'ne':
      return `(${col} IS DISTINCT FROM ${p.add(m.value)})`;
    case 'in':
      return falseOnNull(`${col} IN (${m.values.map((v) => p.add(v)).join(', ')})`, exact);
    case 'notIn':
      return `coalesce(${col} NOT IN (${m.values.map((v) => p.add(v)).join(', ')}), TRUE)`;
    case 'prefix':
      return falseOnNull(`starts_with(${col}, ${p.add(m.value)})`, exact);
    case 'regex':
      return falseOnNull(`regexp_matches(${col}, ${p.add(m.pattern)})`, exact);
    default:
      return assertNever(m);
  }
}

function intMatch(col: string, m: IntOp, p: Params): string {
  switch (m.op) {
    case 'eq':
      return `${col} = ${p.add(m.value)}`;
    case 'ne':
      return `${col} <> ${p.add(m.value)}`;
    case 'in':
      return `${col} IN (${m.values.map((v) => p.add(v)).join(', ')})`;
    case 'notIn':
      return `${col} NOT IN (${m.values.map((v) => p.add(v)).join(', ')})`;
    case 'gte':
      return `${col} >= ${p.add(m.value)}`;
    case 'lte':
      return `${col} <= ${p.add(m.value)}`;
    default:
      return assertNever(m);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled case ${JSON.stringify(x)}`);
}
