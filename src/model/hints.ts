import type { LabelSide, Metric } from './columns.js';
import { badInput } from './errors.js';
import { buildFilter, predicateColumns, type Predicate, type SessionFilterInput } from './filter.js';
import { scopeFilter } from './namespace-scope.js';
import { buildGroupKey, groupKeyColumn, type BuildContext, type GroupKey, type GroupKeyInput } from './query.js';
import { resolveRange, type TimeRangeInput } from './range.js';
import { routeSource, type Source } from './tiers.js';

/** The longest `prefix` a hint query takes: a picker's typed text, not a document. */
export const MAX_PREFIX = 1024;

/**
 * A validated `sessionValues` query: the values of one key over the range,
 * the metric summed per value, most first, then by value ascending (nulls
 * last). `prefix` keeps the values whose text starts with it (ports and
 * protocol by their decimal text); the null value never starts with one.
 */
export interface ValuesQuery {
  readonly kind: 'values';
  readonly source: Source;
  readonly filter: Predicate;
  readonly key: GroupKey;
  readonly prefix: string | null;
  readonly metric: Metric;
  readonly first: number;
}

/**
 * A validated `sessionLabelNames` query: the label names of one side carried
 * by the matching records, with how many records carry each, most first,
 * then by name. `prefix` narrows the names.
 */
export interface LabelNamesQuery {
  readonly kind: 'labelNames';
  readonly source: Source;
  readonly filter: Predicate;
  readonly side: LabelSide;
  readonly prefix: string | null;
  readonly first: number;
}

export interface ValuesArgs {
  range: TimeRangeInput;
  key: GroupKeyInput;
  where?: SessionFilterInput | null;
  prefix?: string | null;
  metric?: Metric | null;
  first?: number | null;
}

export interface LabelNamesArgs {
  range: TimeRangeInput;
  side: 'LOCAL' | 'REMOTE';
  where?: SessionFilterInput | null;
  prefix?: string | null;
  first?: number | null;
}

/** Builds and validates a `sessionValues` query. */
export function buildValuesQuery(args: ValuesArgs, ctx: BuildContext): ValuesQuery {
  const filter = scopeFilter(buildFilter(args.where), ctx.scope);
  const key = buildGroupKey(args.key, 'key');
  const prefix = checkPrefix(args.prefix);
  const first = checkFirst(args.first ?? 20, ctx);
  const columns = predicateColumns(filter);
  columns.add(groupKeyColumn(key));
  const source = routeSource(resolveRange(args.range, ctx.now), columns, ctx.retention, ctx.now);
  return { kind: 'values', source, filter, key, prefix, metric: args.metric ?? 'SESSIONS', first };
}

/** Builds and validates a `sessionLabelNames` query. */
export function buildLabelNamesQuery(args: LabelNamesArgs, ctx: BuildContext): LabelNamesQuery {
  const filter = scopeFilter(buildFilter(args.where), ctx.scope);
  const side: LabelSide = args.side === 'LOCAL' ? 'local' : args.side === 'REMOTE' ? 'remote' : badSide(args.side);
  // A prefix outside the label alphabet is no error: it matches no name, as a picker expects.
  const prefix = checkPrefix(args.prefix);
  const first = checkFirst(args.first ?? 100, ctx);
  const source = routeSource(resolveRange(args.range, ctx.now), predicateColumns(filter), ctx.retention, ctx.now);
  return { kind: 'labelNames', source, filter, side, prefix: prefix === '' ? null : prefix, first };
}

function checkPrefix(prefix: string | null | undefined): string | null {
  if (prefix == null) return null;
  if (prefix.length > MAX_PREFIX) throw badInput('prefix', `is ${prefix.length} characters long; at most ${MAX_PREFIX} are allowed`);
  return prefix;
}

function checkFirst(first: number, ctx: BuildContext): number {
  if (!Number.isInteger(first) || first < 0) throw badInput('first', 'must be a non-negative integer');
  return Math.min(first, ctx.limits.maxPageSize);
}

function badSide(side: unknown): never {
  throw badInput('side', `${String(side)} is not LOCAL or REMOTE`);
}
