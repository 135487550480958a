import { RE2JS } from 're2js';
import {
  zeroTraffic,
  type GroupKey,
  type IntOp,
  type LabelNamesQuery,
  type LabelOp,
  type Metric,
  type Predicate,
  type RecordsQuery,
  type SeriesQuery,
  type ValuesQuery,
  type SessionRecord,
  type TimeSpan,
  type StringOp,
  type Traffic,
  type TrafficQuery,
} from '../../src/model/index.js';

/**
 * A plain TypeScript evaluator of the query model over records in memory:
 * the meaning every store must reproduce. Deliberately naive: no indexes,
 * no cleverness, one obvious loop per rule of ARCHITECTURE §4.
 */

export interface RefGroup {
  values: (string | null)[];
  traffic: Traffic;
  previous?: Traffic;
}

export interface RefTraffic {
  groups: RefGroup[];
  totalCount: number;
  total: Traffic;
  previousTotal?: Traffic;
}

export interface RefSeries {
  series: { values: (string | null)[]; points: { time: bigint; value: bigint }[]; other: boolean }[];
}

const STRING_FIELD = {
  vn: 'vn',
  vmi: 'vmi',
  remote_vn: 'remoteVn',
  vrouter_ip: 'vrouterIp',
  local_ip: 'localIp',
  remote_ip: 'remoteIp',
} as const;

const INT_FIELD = { client_port: 'clientPort', server_port: 'serverPort', protocol: 'protocol' } as const;

export function matches(r: SessionRecord, p: Predicate): boolean {
  switch (p.kind) {
    case 'and':
      return p.items.every((i) => matches(r, i));
    case 'or':
      return p.items.some((i) => matches(r, i));
    case 'not':
      return !matches(r, p.item);
    case 'string':
      return stringOp(r[STRING_FIELD[p.column]], p.match);
    case 'int':
      return intOp(r[INT_FIELD[p.column]], p.match);
    case 'label': {
      const v = (p.side === 'local' ? r.localLabels : r.remoteLabels)[p.name];
      return labelOp(v ?? null, p.match);
    }
    case 'sessionType':
      return r.sessionType === p.value;
    case 'namespaces':
      return [r.vn, r.remoteVn].some((v) => {
        const parts = v.split(':');
        return parts.length >= 2 && p.projects.includes(parts[1]!);
      });
  }
}

function labelOp(v: string | null, m: LabelOp): boolean {
  if (m.op === 'exists') return (v !== null) === m.value;
  return stringOp(v, m);
}

function stringOp(v: string | null, m: StringOp): boolean {
  switch (m.op) {
    case 'eq':
      return v !== null && v === m.value;
    case 'ne':
      return v === null || v !== m.value;
    case 'in':
      return v !== null && m.values.includes(v);
    case 'notIn':
      return v === null || !m.values.includes(v);
    case 'prefix':
      return v !== null && v.startsWith(m.value);
    case 'regex':
      return v !== null && RE2JS.compile(m.pattern).matcher(v).find();
  }
}

function intOp(v: number, m: IntOp): boolean {
  switch (m.op) {
    case 'eq':
      return v === m.value;
    case 'ne':
      return v !== m.value;
    case 'in':
      return m.values.includes(v);
    case 'notIn':
      return !m.values.includes(v);
    case 'gte':
      return v >= m.value;
    case 'lte':
      return v <= m.value;
  }
}

function keyValue(r: SessionRecord, k: GroupKey): string | number | null {
  if (k.kind === 'label') return (k.side === 'local' ? r.localLabels : r.remoteLabels)[k.name] ?? null;
  if (k.column in INT_FIELD) return r[INT_FIELD[k.column as keyof typeof INT_FIELD]];
  return r[STRING_FIELD[k.column as keyof typeof STRING_FIELD]];
}

function inSpan(r: SessionRecord, s: { readonly span: TimeSpan }): boolean {
  return r.time >= s.span.from && r.time < s.span.to;
}

function add(t: Traffic, r: SessionRecord): void {
  t.forwardSampledBytes += r.forwardSampledBytes;
  t.forwardSampledPkts += r.forwardSampledPkts;
  t.reverseSampledBytes += r.reverseSampledBytes;
  t.reverseSampledPkts += r.reverseSampledPkts;
  t.totalBytes += r.totalBytes;
  t.sessions += 1n;
}

export function metricOf(t: Traffic, m: Metric): bigint {
  switch (m) {
    case 'FORWARD_SAMPLED_BYTES':
      return t.forwardSampledBytes;
    case 'FORWARD_SAMPLED_PKTS':
      return t.forwardSampledPkts;
    case 'REVERSE_SAMPLED_BYTES':
      return t.reverseSampledBytes;
    case 'REVERSE_SAMPLED_PKTS':
      return t.reverseSampledPkts;
    case 'TOTAL_BYTES':
      return t.totalBytes;
    case 'SESSIONS':
      return t.sessions;
  }
}

/** Code-point (UTF-8 byte) order, numbers numerically, nulls last. */
export function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = Buffer.from(String(a), 'utf8');
  const y = Buffer.from(String(b), 'utf8');
  return Buffer.compare(x, y);
}

function grouped(records: readonly SessionRecord[], q: { source: { readonly span: TimeSpan }; filter: Predicate; groupBy: readonly GroupKey[] }) {
  const groups = new Map<string, { raw: (string | number | null)[]; traffic: Traffic; rows: SessionRecord[] }>();
  for (const r of records) {
    if (!inSpan(r, q.source) || !matches(r, q.filter)) continue;
    const raw = q.groupBy.map((k) => keyValue(r, k));
    const key = JSON.stringify(raw);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { raw, traffic: zeroTraffic(), rows: [] }));
    add(g.traffic, r);
    g.rows.push(r);
  }
  return [...groups.values()];
}

function order<T extends { raw: (string | number | null)[] }>(xs: T[], metric: (x: T) => bigint, dir: 'ASC' | 'DESC'): T[] {
  return xs.sort((a, b) => {
    const ma = metric(a);
    const mb = metric(b);
    if (ma !== mb) return (ma < mb ? -1 : 1) * (dir === 'ASC' ? 1 : -1);
    for (let i = 0; i < a.raw.length; i++) {
      const c = compareValues(a.raw[i]!, b.raw[i]!);
      if (c !== 0) return c;
    }
    return 0;
  });
}

export function referenceTraffic(records: readonly SessionRecord[], q: TrafficQuery): RefTraffic {
  if (q.compare !== null) return referenceComparison(records, q, q.compare.source);
  let groups = grouped(records, q);
  if (q.groupBy.length === 0 && groups.length === 0) groups = [{ raw: [], traffic: zeroTraffic(), rows: [] }];
  const sorted = order(groups, (g) => metricOf(g.traffic, q.order.metric), q.order.direction);
  const total = zeroTraffic();
  for (const g of groups) for (const r of g.rows) add(total, r);
  return {
    groups: sorted.slice(q.offset, q.offset + q.first).map((g) => ({
      values: g.raw.map((v) => (v === null ? null : String(v))),
      traffic: g.traffic,
    })),
    totalCount: groups.length,
    total,
  };
}

/**
 * compareTo: the groups of either span, each with both spans' traffic,
 * ranked by the metric now, its change, or the change's absolute value.
 */
function referenceComparison(records: readonly SessionRecord[], q: TrafficQuery, previous: { readonly span: TimeSpan }): RefTraffic {
  const now = grouped(records, q);
  const then = grouped(records, { ...q, source: previous });
  const union = new Map<string, { raw: (string | number | null)[]; traffic: Traffic; previous: Traffic }>();
  for (const g of now) union.set(JSON.stringify(g.raw), { raw: g.raw, traffic: g.traffic, previous: zeroTraffic() });
  for (const g of then) {
    const key = JSON.stringify(g.raw);
    const u = union.get(key);
    if (u === undefined) union.set(key, { raw: g.raw, traffic: zeroTraffic(), previous: g.traffic });
    else u.previous = g.traffic;
  }
  const groups = [...union.values()];
  if (q.groupBy.length === 0 && groups.length === 0) groups.push({ raw: [], traffic: zeroTraffic(), previous: zeroTraffic() });
  const m = q.order.metric;
  const rank = (g: (typeof groups)[number]): bigint => {
    const change = metricOf(g.traffic, m) - metricOf(g.previous, m);
    if (q.order.ranking === 'VALUE') return metricOf(g.traffic, m);
    return q.order.ranking === 'CHANGE' ? change : change < 0n ? -change : change;
  };
  const sorted = order(groups, rank, q.order.direction);
  const total = zeroTraffic();
  const previousTotal = zeroTraffic();
  for (const g of now) for (const r of g.rows) add(total, r);
  for (const g of then) for (const r of g.rows) add(previousTotal, r);
  return {
    groups: sorted.slice(q.offset, q.offset + q.first).map((g) => ({
      values: g.raw.map((v) => (v === null ? null : String(v))),
      traffic: g.traffic,
      previous: g.previous,
    })),
    totalCount: groups.length,
    total,
    previousTotal,
  };
}

export function referenceSeries(records: readonly SessionRecord[], q: SeriesQuery): RefSeries {
  const groups = grouped(records, q);
  const ranked = order(groups, (g) => metricOf(g.traffic, q.metric), 'DESC');
  const top = ranked.slice(0, q.limit);
  const rest = ranked.slice(q.limit);
  if (q.other && rest.length > 0) {
    top.push({ raw: q.groupBy.map(() => null), traffic: zeroTraffic(), rows: rest.flatMap((g) => g.rows) });
  }
  const every = q.every.ns;
  return {
    series: top.map((g, i) => {
      const buckets = new Map<bigint, Traffic>();
      for (const r of g.rows) {
        const t = r.time - (((r.time % every) + every) % every);
        let b = buckets.get(t);
        if (b === undefined) buckets.set(t, (b = zeroTraffic()));
        add(b, r);
      }
      return {
        values: g.raw.map((v) => (v === null ? null : String(v))),
        other: i >= q.limit,
        points: [...buckets.entries()]
          .sort((a, b) => (a[0] < b[0] ? -1 : 1))
          .map(([time, t]) => ({ time, value: metricOf(t, q.metric) })),
      };
    }),
  };
}

/** sessionValues: the key's values with the metric summed, most first, then by value; prefix on the value's text. */
export function referenceValues(records: readonly SessionRecord[], q: ValuesQuery): { value: string | null; total: bigint }[] {
  const groups = grouped(records, { source: q.source, filter: q.filter, groupBy: [q.key] }).filter(
    (g) => q.prefix === null || (g.raw[0] !== null && String(g.raw[0]).startsWith(q.prefix)),
  );
  return order(groups, (g) => metricOf(g.traffic, q.metric), 'DESC')
    .slice(0, q.first)
    .map((g) => ({ value: g.raw[0] === null ? null : String(g.raw[0]), total: metricOf(g.traffic, q.metric) }));
}

/** sessionLabelNames: names of one side with the matching records carrying each, most first, then by name. */
export function referenceLabelNames(records: readonly SessionRecord[], q: LabelNamesQuery): { name: string; records: bigint }[] {
  const counts = new Map<string, bigint>();
  for (const r of records) {
    if (!inSpan(r, q.source) || !matches(r, q.filter)) continue;
    for (const name of Object.keys(q.side === 'local' ? r.localLabels : r.remoteLabels)) {
      if (q.prefix !== null && !name.startsWith(q.prefix)) continue;
      counts.set(name, (counts.get(name) ?? 0n) + 1n);
    }
  }
  return [...counts]
    .map(([name, n]) => ({ name, records: n }))
    .sort((a, b) => (a.records !== b.records ? (a.records > b.records ? -1 : 1) : compareValues(a.name, b.name)))
    .slice(0, q.first);
}

/** sessionRecords without paging: every matching raw record in the span, newest first (ties by time are the store's to order). */
export function referenceRecords(records: readonly SessionRecord[], q: RecordsQuery): SessionRecord[] {
  return records
    .filter((r) => r.time >= q.span.from && r.time < q.span.to && matches(r, q.filter))
    .sort((a, b) => (a.time === b.time ? 0 : a.time > b.time ? -1 : 1));
}
