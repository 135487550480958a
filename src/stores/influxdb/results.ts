import {
  COUNTER_COLUMNS,
  METRIC_COLUMN,
  parseDateTime,
  zeroTraffic,
  type GroupKey,
  type SeriesQuery,
  type Traffic,
  type TrafficQuery,
} from '../../model/index.js';
import type { SeriesRow, TrafficGroupRow } from '../types.js';
import type { FluxRow } from './client.js';
import { RESULTS } from './compile.js';
import { SESSIONS_FIELD } from './layout.js';
import { decodeTagValue } from './tag-codec.js';

/** The parts of a traffic answer, read from the results of `compileTraffic`. */
export interface TrafficRows {
  readonly groups: TrafficGroupRow[];
  readonly totalCount: number;
  readonly total: Traffic;
}

const TRAFFIC_FIELDS: readonly (keyof Traffic)[] = [
  'forwardSampledBytes',
  'forwardSampledPkts',
  'reverseSampledBytes',
  'reverseSampledPkts',
  'totalBytes',
  'sessions',
];
const FIELD_NAMES: readonly string[] = [...COUNTER_COLUMNS, SESSIONS_FIELD];

/**
 * Reads `page`, `count` and `total`. Without grouping there is exactly one
 * group, with zeros when nothing matched (ARCHITECTURE §4).
 */
export function readTraffic(q: TrafficQuery, results: ReadonlyMap<string, readonly FluxRow[]>): TrafficRows {
  const page = results.get(RESULTS.page) ?? [];
  let groups: TrafficGroupRow[] = page.map((row) => ({ values: groupValues(q.groupBy, row), traffic: trafficOf(row) }));
  // count(column: c) leaves the count in column c, the order metric.
  let totalCount = Number(results.get(RESULTS.count)?.[0]?.[METRIC_COLUMN[q.order.metric]] ?? 0);
  if (q.groupBy.length === 0) {
    totalCount = 1;
    if (groups.length === 0 && q.offset === 0 && q.first > 0) groups = [{ values: [], traffic: zeroTraffic() }];
  }
  const total = zeroTraffic();
  for (const row of results.get(RESULTS.total) ?? []) {
    const i = FIELD_NAMES.indexOf(row['_field'] ?? '');
    if (i >= 0) total[TRAFFIC_FIELDS[i]!] = int(row['_value']);
  }
  return { groups, totalCount, total };
}

/** Reads `rank` (the groups, in order) and `points` (their windows, each stamped with its start). */
export function readSeries(q: SeriesQuery, results: ReadonlyMap<string, readonly FluxRow[]>): SeriesRow[] {
  const series = (results.get(RESULTS.rank) ?? []).map((row) => ({
    values: groupValues(q.groupBy, row),
    points: [] as { time: bigint; value: bigint }[],
  }));
  const byGroup = new Map((results.get(RESULTS.rank) ?? []).map((row, i) => [row['_gk'] ?? '', series[i]!]));
  for (const row of results.get(RESULTS.points) ?? []) {
    const s = byGroup.get(row['_gk'] ?? '');
    if (s === undefined) continue;
    const t = parseDateTime(row['_time'], '_time');
    s.points.push({ time: t - mod(t, q.every.ns), value: int(row['_value']) });
  }
  for (const s of series) s.points.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return series;
}

/**
 * The group values of a row, from its `_gk` (the stored values joined by
 * U+0002): decoded, and null where empty (a missing tag; no stored value
 * is empty).
 */
function groupValues(groupBy: readonly GroupKey[], row: FluxRow): (string | null)[] {
  if (groupBy.length === 0) return [];
  const parts = (row['_gk'] ?? '').split('\u0002');
  return groupBy.map((_, i) => {
    const v = parts[i];
    return v === undefined || v === '' ? null : decodeTagValue(v);
  });
}

function trafficOf(row: FluxRow): Traffic {
  const t = zeroTraffic();
  FIELD_NAMES.forEach((f, i) => {
    t[TRAFFIC_FIELDS[i]!] = int(row[f]);
  });
  return t;
}

function mod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}

function int(text: string | undefined): bigint {
  return text === undefined || text === '' ? 0n : BigInt(text);
}
