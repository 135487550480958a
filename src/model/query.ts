import { DIMENSIONS, LABEL_NAME, labelColumn, type Dimension, type DimensionColumn, type LabelSide, type Metric } from './columns.js';
import { decodeOffsetCursor, encodeOffsetCursor } from './cursor.js';
import { parseDuration, type Duration } from './duration.js';
import { badInput, tooExpensive } from './errors.js';
import { buildFilter, predicateColumns, type Predicate, type SessionFilterInput } from './filter.js';
import { scopeFilter, type NamespaceScope } from './namespace-scope.js';
import { resolveRange, type TimeRangeInput, type TimeSpan } from './range.js';
import { planSources, type Folding, type PlanContext, type SourcePlan, type SourceStats } from './sources.js';
import type { Retention } from './tiers.js';
import type { EpochNs } from './time.js';

export type GroupKey =
  | { readonly kind: 'dimension'; readonly dimension: Dimension; readonly column: DimensionColumn }
  | { readonly kind: 'label'; readonly side: LabelSide; readonly name: string };

export type SortDirection = 'ASC' | 'DESC';

/** What groups are ranked by (ARCHITECTURE §10): the metric, or its change against the compared span. */
export type TrafficRanking = 'VALUE' | 'CHANGE' | 'ABSOLUTE_CHANGE';

export interface TrafficOrder {
  readonly metric: Metric;
  readonly direction: SortDirection;
  readonly ranking: TrafficRanking;
}

/**
 * The span a traffic query is compared with: the range shifted back by
 * `offset`, routed to its own source (ARCHITECTURE §5), so a 1h range
 * compared with 7d ago may be served by raw now and by a tier then.
 */
export interface Comparison {
  readonly offset: Duration;
  readonly source: SourcePlan;
}

/**
 * A validated `sessionTraffic` query. Groups are ordered by the metric in
 * `order.direction`, then by their values ascending (nulls last), and the
 * page is `first` groups from `offset` in that order.
 */
export interface TrafficQuery {
  readonly kind: 'traffic';
  readonly source: SourcePlan;
  readonly filter: Predicate;
  readonly groupBy: readonly GroupKey[];
  readonly order: TrafficOrder;
  /** With compareTo: the groups of either span are listed, each with its previous traffic. */
  readonly compare: Comparison | null;
  readonly first: number;
  readonly offset: number;
  /** Identifies the query's shape in its cursors. */
  readonly fingerprint: string;
  /** The moment the range was resolved against; cursors carry it. */
  readonly now: EpochNs;
  /** More matching groups than this is QUERY_TOO_EXPENSIVE. */
  readonly maxGroups: number;
  /**
   * The Traffic fields the caller reads (always including the order metric).
   * A store may leave the others at zero: summing only what is asked is most
   * of the cost of a scan over millions of records.
   */
  readonly needs: readonly Metric[];
}

/** A validated `sessionSeries` query: buckets [t, t+every) aligned to the epoch. */
export interface SeriesQuery {
  readonly kind: 'series';
  readonly source: SourcePlan;
  readonly filter: Predicate;
  readonly groupBy: readonly GroupKey[];
  readonly metric: Metric;
  readonly every: Duration;
  readonly limit: number;
  /** Add one series holding, per bucket, the sum of every group past `limit`. */
  readonly other: boolean;
}

export interface QueryLimits {
  /** The cap on `first` (larger values are lowered to it). */
  readonly maxPageSize: number;
  /** The most groups a traffic query may match, and the cap on series `limit`. */
  readonly maxGroups: number;
  /** The most buckets one series may have: range / every. */
  readonly maxSeriesPoints: number;
}

export interface BuildContext {
  readonly now: EpochNs;
  readonly retention: Retention;
  readonly limits: QueryLimits;
  /**
   * The caller's namespaces (docs/security.md "Namespaces"), AND-ed into
   * every query built here; absent or null: every namespace. Built once per
   * request from the caller at the GraphQL edge (graphql/context.ts).
   */
  readonly scope?: NamespaceScope | null;
  /** How the session store knows what its tiers hold (sources.ts); absent: by commit sequence. */
  readonly folding?: Folding;
  /** What the session store knows of its row counts, to pick the plan reading fewest rows. */
  readonly stats?: SourceStats | null;
}

export interface GroupKeyInput {
  dimension?: Dimension | null;
  localLabel?: string | null;
  remoteLabel?: string | null;
}

export interface TrafficArgs {
  range: TimeRangeInput;
  where?: SessionFilterInput | null;
  groupBy?: readonly GroupKeyInput[] | null;
  orderBy?: { metric?: Metric | null; direction?: SortDirection | null; ranking?: TrafficRanking | null } | null;
  first?: number | null;
  after?: string | null;
  compareTo?: string | null;
}

export interface SeriesArgs {
  range: TimeRangeInput;
  every: string;
  where?: SessionFilterInput | null;
  groupBy?: readonly GroupKeyInput[] | null;
  metric?: Metric | null;
  limit?: number | null;
  other?: boolean | null;
}

const MAX_GROUP_KEYS = 8;

/** The storage column of a group key: `vn`, `label.local.app`. */
export function groupKeyColumn(k: GroupKey): string {
  return k.kind === 'dimension' ? k.column : labelColumn(k.side, k.name);
}

export const ALL_METRICS: readonly Metric[] = [
  'FORWARD_SAMPLED_BYTES',
  'FORWARD_SAMPLED_PKTS',
  'REVERSE_SAMPLED_BYTES',
  'REVERSE_SAMPLED_PKTS',
  'TOTAL_BYTES',
  'SESSIONS',
];

/**
 * Builds and validates a traffic query from the GraphQL arguments. `needs`
 * names the Traffic fields the caller will read (default: all of them).
 */
export function buildTrafficQuery(args: TrafficArgs, ctx: BuildContext, needs: readonly Metric[] = ALL_METRICS): TrafficQuery {
  const filter = scopeFilter(buildFilter(args.where), ctx.scope);
  const groupBy = buildGroupBy(args.groupBy);
  const order: TrafficOrder = {
    metric: args.orderBy?.metric ?? 'TOTAL_BYTES',
    direction: args.orderBy?.direction ?? 'DESC',
    ranking: args.orderBy?.ranking ?? 'VALUE',
  };
  const offsetBack = args.compareTo == null ? null : parseDuration(args.compareTo, 'compareTo');
  if (offsetBack === null && order.ranking !== 'VALUE') {
    throw badInput('orderBy.ranking', `${order.ranking} ranks by the change against compareTo: give compareTo, or rank by VALUE`);
  }
  const first = args.first ?? 100;
  if (!Number.isInteger(first) || first < 0) throw badInput('first', 'must be a non-negative integer');
  const fingerprint = fingerprintOf({ filter, groupBy, order, range: args.range, compareTo: offsetBack?.text ?? null });
  let offset = 0;
  let now = ctx.now;
  if (args.after != null) {
    const c = decodeOffsetCursor(args.after, fingerprint);
    offset = c.offset;
    now = c.now;
  }
  const span = resolveRange(args.range, now);
  const columns = readColumns(filter, groupBy);
  const plan = { retention: ctx.retention, now, folding: ctx.folding, stats: ctx.stats };
  const source = planSources(span, columns, plan);
  const compare = offsetBack === null ? null : buildComparison(span, offsetBack, columns, plan);
  return {
    kind: 'traffic',
    source,
    filter,
    groupBy,
    order,
    compare,
    first: Math.min(first, ctx.limits.maxPageSize),
    offset,
    fingerprint,
    now,
    maxGroups: ctx.limits.maxGroups,
    needs: ALL_METRICS.filter((m) => m === order.metric || needs.includes(m)),
  };
}

/** Builds and validates a series query from the GraphQL arguments. */
export function buildSeriesQuery(args: SeriesArgs, ctx: BuildContext): SeriesQuery {
  const filter = scopeFilter(buildFilter(args.where), ctx.scope);
  const groupBy = buildGroupBy(args.groupBy);
  const every = parseDuration(args.every, 'every');
  const limit = args.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1) throw badInput('limit', 'must be a positive integer');
  const other = args.other ?? false;
  if (other && limit > ctx.limits.maxGroups) {
    throw badInput('limit', `with other: true, the limit is at most MAX_GROUPS (${ctx.limits.maxGroups}); it is ${limit}`);
  }
  if (limit > ctx.limits.maxGroups) throw tooExpensive(`limit: at most ${ctx.limits.maxGroups} series`);
  const span = resolveRange(args.range, ctx.now);
  // Only tiers whose window divides `every` compete: a bucket then holds whole windows.
  const source = planSources(span, readColumns(filter, groupBy), {
    retention: ctx.retention,
    now: ctx.now,
    folding: ctx.folding,
    stats: ctx.stats,
    every,
  });
  const buckets = (source.span.to - source.span.from) / every.ns;
  if (buckets > BigInt(ctx.limits.maxSeriesPoints)) {
    throw tooExpensive(
      `every: ${every.text} over this range makes ${buckets} buckets; at most ${ctx.limits.maxSeriesPoints} are allowed`,
    );
  }
  return { kind: 'series', source, filter, groupBy, metric: args.metric ?? 'TOTAL_BYTES', every, limit, other };
}

/**
 * The compared span: the range shifted back by `offset`, routed on its own.
 * An offset that puts the whole shifted span before every retention would
 * compare with nothing: BAD_USER_INPUT naming compareTo.
 */
function buildComparison(span: TimeSpan, offset: Duration, columns: ReadonlySet<string>, plan: PlanContext): Comparison {
  const { retention, now } = plan;
  const shifted = { from: span.from - offset.ns, to: span.to - offset.ns };
  const kept = retention.tiers.reduce((longest, t) => (t.retention.ns > longest.ns ? t.retention : longest), retention.raw);
  if (shifted.to <= now - kept.ns) {
    throw badInput(
      'compareTo',
      `${offset.text} back, the compared span ends before the longest retention (${kept.text}) begins: nothing is kept to compare with`,
    );
  }
  return { offset, source: planSources(shifted, columns, plan) };
}

function buildGroupBy(input: readonly GroupKeyInput[] | null | undefined): GroupKey[] {
  const keys = (input ?? []).map((k, i): GroupKey => buildGroupKey(k, `groupBy[${i}]`));
  if (keys.length > MAX_GROUP_KEYS) throw badInput('groupBy', `at most ${MAX_GROUP_KEYS} keys`);
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    const col = groupKeyColumn(k);
    if (seen.has(col)) throw badInput(`groupBy[${i}]`, `${col} is grouped on twice`);
    seen.add(col);
  });
  return keys;
}

/** Validates one grouping key; `field` names it in errors (`groupBy[0]`, `key`). */
export function buildGroupKey(k: GroupKeyInput, field: string): GroupKey {
  const given = [k.dimension, k.localLabel, k.remoteLabel].filter((v) => v != null).length;
  if (given !== 1) throw badInput(field, 'give exactly one of dimension, localLabel, remoteLabel');
  if (k.dimension != null) {
    const info = DIMENSIONS[k.dimension];
    if (info === undefined) throw badInput(`${field}.dimension`, `unknown dimension ${String(k.dimension)}`);
    return { kind: 'dimension', dimension: k.dimension, column: info.column };
  }
  const side: LabelSide = k.localLabel != null ? 'local' : 'remote';
  const name = (k.localLabel ?? k.remoteLabel)!;
  if (!LABEL_NAME.test(name)) {
    throw badInput(`${field}.${side}Label`, 'a label name is 1 to 317 characters of A-Z a-z 0-9 . _ / -');
  }
  return { kind: 'label', side, name };
}

function readColumns(filter: Predicate, groupBy: readonly GroupKey[]): Set<string> {
  const cols = predicateColumns(filter);
  for (const k of groupBy) cols.add(groupKeyColumn(k));
  return cols;
}

export function fingerprintOf(value: unknown): string {
  const text = JSON.stringify(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** Relay page info of a traffic page: the cursor points past its last group. */
export function trafficPageInfo(
  q: TrafficQuery,
  groupsOnPage: number,
  totalCount: number,
): { hasNextPage: boolean; endCursor: string | null } {
  const end = q.offset + groupsOnPage;
  return {
    hasNextPage: end < totalCount,
    endCursor: groupsOnPage === 0 ? null : encodeOffsetCursor(end, q.now, q.fingerprint),
  };
}
