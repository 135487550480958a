import { parseDuration, type Duration } from './duration.js';
import { badInput } from './errors.js';
import { buildFilter, type Predicate, type SessionFilterInput } from './filter.js';
import { scopeFilter, scopeKey } from './namespace-scope.js';
import { ALL_METRICS, buildTrafficQuery, type BuildContext, type TrafficArgs, type TrafficQuery } from './query.js';
import { formatDateTime, parseTime, type EpochNs } from './time.js';

/**
 * A validated `sessionTail` subscription: records matching `filter` (the
 * caller's namespaces AND-ed in), from `since` on when given, then live.
 * `key` is the same for two tails of the same filter and scope.
 */
export interface TailQuery {
  readonly kind: 'tail';
  readonly filter: Predicate;
  readonly since: EpochNs | null;
  readonly key: string;
}

export interface TailArgs {
  where?: SessionFilterInput | null;
  since?: string | null;
}

/**
 * Builds and validates a `sessionTail`. Only the raw tier holds records, so
 * a `since` before the raw retention is BAD_USER_INPUT naming RAW_RETENTION
 * rather than a backfill that silently starts later; a `since` in the
 * future is accepted (the backfill is then empty).
 */
export function buildTailQuery(args: TailArgs, ctx: BuildContext): TailQuery {
  const filter = scopeFilter(buildFilter(args.where), ctx.scope);
  let since: EpochNs | null = null;
  if (args.since != null) {
    since = parseTime(args.since, 'since');
    const oldest = ctx.now - ctx.retention.raw.ns;
    if (since < oldest) {
      throw badInput(
        'since',
        `sessionTail backfills from raw records, kept for RAW_RETENTION (${ctx.retention.raw.text}): ` +
          `${formatDateTime(since)} is before ${formatDateTime(oldest)}`,
      );
    }
  }
  return { kind: 'tail', filter, since, key: JSON.stringify(filter) };
}

/**
 * A validated `sessionTrafficLive`: the traffic query over the sliding
 * window `last`, built again for each answer (`at`), every `every`. `key`
 * is the same for two subscriptions with the same arguments and the same
 * caller scope: they share one query per interval.
 */
export interface TrafficLiveQuery {
  readonly kind: 'trafficLive';
  readonly every: Duration;
  readonly key: string;
  at(ctx: BuildContext): TrafficQuery;
}

export interface TrafficLiveArgs {
  last: string;
  every?: string | null;
  where?: TrafficArgs['where'];
  groupBy?: TrafficArgs['groupBy'];
  orderBy?: TrafficArgs['orderBy'];
  first?: number | null;
}

/**
 * Builds and validates a `sessionTrafficLive`: `every` must be at least
 * `minEvery` (LIVE_TRAFFIC_MIN_EVERY) and at most `last` would be a
 * strange view but is allowed. Everything sessionTraffic checks is checked
 * now, by building the first query, so a bad argument fails the
 * subscription before it starts. Every Traffic field is summed: the answer
 * is shared by subscribers that may select different fields.
 */
export function buildTrafficLiveQuery(args: TrafficLiveArgs, ctx: BuildContext, minEvery: Duration): TrafficLiveQuery {
  const last = parseDuration(args.last, 'last');
  const every = parseDuration(args.every ?? '10s', 'every');
  if (every.ns < minEvery.ns) {
    throw badInput('every', `${every.text} is below LIVE_TRAFFIC_MIN_EVERY (${minEvery.text}), the shortest interval this gateway refreshes at`);
  }
  const traffic: TrafficArgs = {
    range: { last: last.text },
    where: args.where ?? null,
    groupBy: args.groupBy ?? null,
    orderBy: args.orderBy ?? null,
    first: args.first ?? 100,
  };
  const at = (c: BuildContext) => buildTrafficQuery(traffic, { ...c, scope: ctx.scope ?? null }, ALL_METRICS);
  at(ctx);
  return { kind: 'trafficLive', every, key: JSON.stringify([traffic, every.ns.toString(), scopeKey(ctx.scope)]), at };
}
