import {
  COUNTER_COLUMNS,
  METRIC_COLUMN,
  parseDateTime,
  zeroTraffic,
  isLabelName,
  type GroupKey,
  type LabelNamesQuery,
  type RecordsPosition,
  type RecordsQuery,
  type SeriesQuery,
  type SessionRecord,
  type EpochNs,
  type ValuesQuery,
  type Traffic,
  type TrafficQuery,
} from '../../model/index.js';
import type { LabelNameRow, RecordsPage, TailPage, TailPosition, TailRead, SeriesRow, TrafficGroupRow, ValueRow } from '../types.js';
import type { FluxRow } from './client.js';
import { PREVIOUS_PREFIX, RESULTS } from './compile.js';
import { SESSIONS_FIELD } from './layout.js';
import { decodeTagValue } from './tag-codec.js';

/** The parts of a traffic answer, read from the results of `compileTraffic`. */
export interface TrafficRows {
  readonly groups: TrafficGroupRow[];
  readonly totalCount: number;
  readonly total: Traffic;
  readonly previousTotal?: Traffic;
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
  const compared = q.compare !== null;
  const withPrevious = (row: FluxRow) => (compared ? { previous: trafficOf(row, PREVIOUS_PREFIX) } : {});
  let groups: TrafficGroupRow[] = page.map((row) => ({ values: groupValues(q.groupBy, row), traffic: trafficOf(row), ...withPrevious(row) }));
  // count(column: "_gk") leaves the count in column _gk.
  let totalCount = Number(results.get(RESULTS.count)?.[0]?.['_gk'] ?? 0);
  if (q.groupBy.length === 0) {
    totalCount = 1;
    if (groups.length === 0 && q.offset === 0 && q.first > 0) {
      groups = [{ values: [], traffic: zeroTraffic(), ...(compared ? { previous: zeroTraffic() } : {}) }];
    }
  }
  const total = zeroTraffic();
  const previousTotal = zeroTraffic();
  for (const row of results.get(RESULTS.total) ?? []) {
    const field = row['_field'] ?? '';
    const prev = field.startsWith(PREVIOUS_PREFIX);
    const i = FIELD_NAMES.indexOf(prev ? field.slice(PREVIOUS_PREFIX.length) : field);
    if (i >= 0) (prev ? previousTotal : total)[TRAFFIC_FIELDS[i]!] = int(row['_value']);
  }
  return { groups, totalCount, total, ...(compared ? { previousTotal } : {}) };
}

/** Reads `rank` (the groups, in order) and `points` (their windows, each stamped with its start). */
export function readSeries(q: SeriesQuery, results: ReadonlyMap<string, readonly FluxRow[]>): SeriesRow[] {
  const series = (results.get(RESULTS.rank) ?? []).map((row) => ({
    values: groupValues(q.groupBy, row),
    points: [] as { time: bigint; value: bigint }[],
    other: false,
  }));
  const byGroup = new Map((results.get(RESULTS.rank) ?? []).map((row, i) => [row['_gk'] ?? '', series[i]!]));
  const windowStart = (row: FluxRow) => {
    const t = parseDateTime(row['_time'], '_time');
    return t - mod(t, q.every.ns);
  };
  for (const row of results.get(RESULTS.points) ?? []) {
    const s = byGroup.get(row['_gk'] ?? '');
    if (s === undefined) continue;
    s.points.push({ time: windowStart(row), value: int(row['_value']) });
  }
  const other = results.get(RESULTS.other) ?? [];
  if (q.other && other.length > 0) {
    series.push({ values: q.groupBy.map(() => null), points: other.map((row) => ({ time: windowStart(row), value: int(row['_value']) })), other: true });
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

function trafficOf(row: FluxRow, prefix = ''): Traffic {
  const t = zeroTraffic();
  FIELD_NAMES.forEach((f, i) => {
    t[TRAFFIC_FIELDS[i]!] = int(row[prefix + f]);
  });
  return t;
}

function mod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}

function int(text: string | undefined): bigint {
  return text === undefined || text === '' ? 0n : BigInt(text);
}

/** Reads `page` of compileValues: each value (decoded, null where missing) with its total. */
export function readValues(q: ValuesQuery, results: ReadonlyMap<string, readonly FluxRow[]>): ValueRow[] {
  return (results.get(RESULTS.page) ?? []).map((row) => ({ value: groupValues([q.key], row)[0] ?? null, total: int(row['_value']) }));
}

/** Reads `keys` of compileTagKeys: the label columns, sorted; keys that are no label column of ours are skipped. */
export function readTagKeys(results: ReadonlyMap<string, readonly FluxRow[]>): string[] {
  const out = new Set<string>();
  for (const row of results.get(RESULTS.keys) ?? []) {
    const key = row['_value'] ?? '';
    const m = /^label\.(local|remote)\.(.*)$/.exec(key);
    if (m !== null && isLabelName(m[2]!)) out.add(key);
  }
  return [...out].sort();
}

/** Whether `keys` of compileTagKeys names the tag key `key`. */
export function hasTagKey(results: ReadonlyMap<string, readonly FluxRow[]>, key: string): boolean {
  return (results.get(RESULTS.keys) ?? []).some((row) => row['_value'] === key);
}

/** Reads `names` of compileLabelCounts: the names with a count, most first, then by name, the first `first`. */
export function readLabelCounts(q: LabelNamesQuery, columns: readonly string[], results: ReadonlyMap<string, readonly FluxRow[]>): LabelNameRow[] {
  const row = results.get(RESULTS.names)?.[0];
  const skip = `label.${q.side}.`.length;
  return columns
    .map((c, i) => ({ name: c.slice(skip), records: int(row?.[`c${i}`]) }))
    .filter((n) => n.records > 0n)
    .sort((a, b) => (a.records === b.records ? (a.name < b.name ? -1 : 1) : a.records > b.records ? -1 : 1))
    .slice(0, q.first);
}

/** Reads `records` of compileRecords: one record per row, and where the next page starts. */
export function readRecords(q: RecordsQuery, results: ReadonlyMap<string, readonly FluxRow[]>): Pick<RecordsPage, 'records' | 'next'> {
  const rows = results.get(RESULTS.records) ?? [];
  const records = rows.slice(0, q.first).map(recordOf);
  let next: RecordsPosition | null = null;
  const last = records[records.length - 1];
  if (rows.length > q.first && last !== undefined) {
    let within = records.filter((r) => r.time === last.time).length;
    if (q.after !== null && q.after.time === last.time) within += q.after.within;
    next = { time: last.time, tie: null, within };
  }
  return { records, next };
}

/** Reads `tail` of compileTail: the records, whether the read was cut, where the next starts (`from` when none). */
export function readTail(read: TailRead, start: EpochNs, results: ReadonlyMap<string, readonly FluxRow[]>): TailPage {
  const rows = results.get(RESULTS.tail) ?? [];
  const records = rows.slice(0, read.limit).map(recordOf);
  const from = { at: start, within: read.from?.within ?? 0 };
  let next: TailPosition = from;
  const last = records[records.length - 1];
  if (last !== undefined) {
    let within = 0;
    for (let i = records.length - 1; i >= 0 && records[i]!.time === last.time; i--) within++;
    if (last.time === from.at) within += from.within;
    next = { at: last.time, within };
  }
  return { records, next, full: rows.length > read.limit };
}

function recordOf(row: FluxRow): SessionRecord {
  const tag = (c: string) => decodeTagValue(row[c] ?? '');
  const localLabels: Record<string, string> = {};
  const remoteLabels: Record<string, string> = {};
  for (const c in row) {
    const v = row[c];
    if (v === undefined || v === '') continue;
    if (c.startsWith('label.local.')) localLabels[c.slice(12)] = decodeTagValue(v);
    else if (c.startsWith('label.remote.')) remoteLabels[c.slice(13)] = decodeTagValue(v);
  }
  return {
    time: parseDateTime(row['_time'], '_time'),
    vn: tag('vn'),
    vmi: row['vmi'] === undefined || row['vmi'] === '' ? null : tag('vmi'),
    remoteVn: tag('remote_vn'),
    vrouterIp: tag('vrouter_ip'),
    localIp: tag('local_ip'),
    clientPort: Number(row['client_port']),
    remoteIp: tag('remote_ip'),
    serverPort: Number(row['server_port']),
    protocol: Number(row['protocol']),
    sessionType: row['session_type'] === 'server' ? 'server' : 'client',
    localLabels,
    remoteLabels,
    forwardSampledBytes: int(row['forward_sampled_bytes']),
    forwardSampledPkts: int(row['forward_sampled_pkts']),
    reverseSampledBytes: int(row['reverse_sampled_bytes']),
    reverseSampledPkts: int(row['reverse_sampled_pkts']),
    totalBytes: int(row['total_bytes']),
  };
}
