import { describe, expect, it } from 'vitest';
import { parseDuration, parseTiers } from '../../model/index.js';
import type { FluxRow } from './client.js';
import { foldedBefore, influxFolding } from './folding.js';
import { influxLayout } from './layout.js';
import {
  dueEnd,
  foldWindow,
  keptTags,
  nextRun,
  readRollupTagKeys,
  readWatermark,
  readWindowStats,
  rollupSchedule,
  rollupTagKeysScript,
  rollupWindowScript,
  watermarkLine,
  windowStatsScript,
  windowsDue,
} from './rollup.js';

const S = 1_000_000_000n;
const M = 60n * S;
const raw = parseDuration('24h', 'raw');
const layout = influxLayout('sag', 'sessions', '{bucket}_{tier}', { raw, tiers: parseTiers('5m:7d,1h:90d', raw) });
const [fiveMin, hour] = layout.tiers as [(typeof layout.tiers)[0], (typeof layout.tiers)[0]];
const lateAfter = 5n * M;
const schedule = rollupSchedule(fiveMin, lateAfter, 15n * S); // offset 45 s
const T = 1_764_000_000n * S; // a 5m boundary (and an hour boundary)

describe('the rollup schedule', () => {
  it('offsets a run by the longest write plus 30 s, rounded up to a second', () => {
    expect(schedule).toEqual({ closedWindows: 2n, offsetNs: 45n * S });
    expect(rollupSchedule(fiveMin, lateAfter, 15n * S + 1n).offsetNs).toBe(46n * S);
  });

  it('a run at s completes the windows ending by s - INFLUX_LATE_AFTER: exactly what folding.ts takes as complete once it had its offset to finish', () => {
    for (const s of [T, T + 5n * M, T + 60n * M]) {
      expect(dueEnd(5n * M, lateAfter, s)).toBe(s - 5n * M);
      // folding: at s + 2 x offset the run at s counts as finished.
      expect(foldedBefore(5n * M, schedule.offsetNs, lateAfter, s + 2n * schedule.offsetNs)).toBe(dueEnd(5n * M, lateAfter, s));
      expect(foldedBefore(5n * M, schedule.offsetNs, lateAfter, s + 2n * schedule.offsetNs - 1n)).toBe(dueEnd(5n * M, lateAfter, s) - 5n * M);
    }
    // A lateness that is not a whole number of windows rounds the end down.
    expect(dueEnd(5n * M, 7n * M, T)).toBe(T - 10n * M);
  });

  it('computes one window per run in steady state, each window once', () => {
    let watermark: bigint | null = T - 10n * M;
    const seen: bigint[] = [];
    for (let s = T; s < T + 30n * M; s += 5n * M) {
      const due = windowsDue(5n * M, schedule, lateAfter, s, watermark, T - 24n * 60n * M);
      expect(due).toHaveLength(1);
      seen.push(...due);
      watermark = due.at(-1)! + 5n * M;
    }
    expect(seen).toEqual(Array.from({ length: 6 }, (_, i) => T - 10n * M + BigInt(i) * 5n * M));
  });

  it('catches up from the watermark after an outage, oldest first, but never before the raw retention', () => {
    const s = T + 60n * M;
    const due = windowsDue(5n * M, schedule, lateAfter, s, T - 30n * M, T - 24n * 60n * M);
    expect(due[0]).toBe(T - 30n * M);
    expect(due.at(-1)).toBe(T + 50n * M);
    expect(due).toHaveLength(17);
    // The raw bucket keeps only the last part: a window starting before it is skipped, one starting at it is not.
    expect(windowsDue(5n * M, schedule, lateAfter, s, T - 30n * M, T + 40n * M - 1n)[0]).toBe(T + 40n * M);
    expect(windowsDue(5n * M, schedule, lateAfter, s, T - 30n * M, T + 40n * M)[0]).toBe(T + 40n * M);
    expect(windowsDue(5n * M, schedule, lateAfter, s, T - 30n * M, T + 40n * M + 1n)[0]).toBe(T + 45n * M);
  });

  it('without a watermark reaches back as far as the last task of an older version did', () => {
    expect(windowsDue(5n * M, schedule, lateAfter, T, null, 0n)).toEqual([T - 20n * M, T - 15n * M, T - 10n * M]);
    expect(windowsDue(60n * M, rollupSchedule(hour, lateAfter, 15n * S), lateAfter, T, null, 0n)).toEqual([T - 4n * 60n * M, T - 3n * 60n * M, T - 2n * 60n * M]);
  });

  it('a watermark ahead of the due windows computes nothing', () => {
    expect(windowsDue(5n * M, schedule, lateAfter, T, T, 0n)).toEqual([]);
  });

  it('the next run is for the next window end whose run (end + INFLUX_LATE_AFTER + offset) is still ahead', () => {
    expect(nextRun(5n * M, lateAfter, 45n * S, T)).toEqual({ s: T, at: T + 45n * S });
    expect(nextRun(5n * M, lateAfter, 45n * S, T + 45n * S - 1n)).toEqual({ s: T, at: T + 45n * S });
    expect(nextRun(5n * M, lateAfter, 45n * S, T + 45n * S)).toEqual({ s: T + 5n * M, at: T + 5n * M + 45n * S });
    // The hour tier runs 5 minutes and the offset after its window's end, not at the next hour.
    const H = 60n * M;
    expect(nextRun(H, lateAfter, 45n * S, T + 1n)).toEqual({ s: T + 5n * M, at: T + 5n * M + 45n * S });
    expect(nextRun(H, lateAfter, 45n * S, T + 6n * M)).toEqual({ s: T + H + 5n * M, at: T + H + 5n * M + 45n * S });
    // That run completes the window, which folding credits only at the next hour plus twice the offset: 55 minutes of slack.
    const s = nextRun(H, lateAfter, 45n * S, T + 1n).s;
    expect(windowsDue(H, rollupSchedule(hour, lateAfter, 15n * S), lateAfter, s, T - H, 0n)).toEqual([T - H]);
    expect(foldedBefore(H, 45n * S, lateAfter, s + 90n * S)).toBe(T - H);
    expect(foldedBefore(H, 45n * S, lateAfter, T + H + 90n * S)).toBe(T);
  });

  it('the folding never credits a window past the tier watermark the store knows, and the schedule where it knows none', () => {
    const marks = new Map<string, bigint | null>();
    const folding = influxFolding(new Map([['5m', 45n * S]]), lateAfter, (name) => marks.get(name));
    if (folding.kind !== 'time') throw new Error('time folding expected');
    const now = T + 30n * M; // the schedule credits windows ending by T + 20m
    expect(folding.foldedBefore(fiveMin.spec, now)).toBe(T + 20n * M);
    // No watermark point in the bucket (a new bucket, or one filled by the tasks of an earlier version): the schedule.
    marks.set('5m', null);
    expect(folding.foldedBefore(fiveMin.spec, now)).toBe(T + 20n * M);
    // A run that is late: the watermark, not the schedule.
    marks.set('5m', T + 5n * M);
    expect(folding.foldedBefore(fiveMin.spec, now)).toBe(T + 5n * M);
    // A watermark ahead of the schedule (another gateway's clock, a run by hand) credits no more than the schedule.
    marks.set('5m', T + 25n * M);
    expect(folding.foldedBefore(fiveMin.spec, now)).toBe(T + 20n * M);
    // Another tier's watermark is not this one's.
    expect(folding.foldedBefore(hour.spec, T + 3n * 60n * M)).toBe(foldedBefore(60n * M, 0n, lateAfter, T + 3n * 60n * M));
  });
});

describe('the rollup Flux', () => {
  it('reads the tag keys of exactly one window', () => {
    expect(rollupTagKeysScript(layout, T, T + 5n * M)).toBe(`import "influxdata/influxdb/schema"

schema.tagKeys(bucket: "sessions", predicate: (r) => r._measurement == "session", start: 2025-11-24T16:00:00Z, stop: 2025-11-24T16:05:00Z)
  |> yield(name: "keys")
`);
    const keys = readRollupTagKeys(new Map([['keys', ['_field', '_measurement', '_start', '_stop', 'client_port', 'label.local.app', 'vn', 'local_ip'].map((k) => ({ _value: k }))]]));
    expect(keptTags(fiveMin, keys)).toEqual(['label.local.app', 'local_ip', 'vn']);
    expect(keptTags(layout.tiers[0]!, ['a b', 'vn', 'vn'])).toEqual(['vn']);
  });

  it('groups on the kept tags listed literally and _field, sum and count, nothing per table after them', () => {
    const text = rollupWindowScript(layout, ['label.local.app', 'vn'], T, T + 5n * M);
    expect(text).toBe(`from(bucket: "sessions")
  |> range(start: 2025-11-24T16:00:00Z, stop: 2025-11-24T16:05:00Z)
  |> filter(fn: (r) => r._measurement == "session" and (r._field == "forward_sampled_bytes" or r._field == "forward_sampled_pkts" or r._field == "reverse_sampled_bytes" or r._field == "reverse_sampled_pkts" or r._field == "total_bytes" or r._field == "late_forward_sampled_bytes" or r._field == "late_forward_sampled_pkts" or r._field == "late_reverse_sampled_bytes" or r._field == "late_reverse_sampled_pkts" or r._field == "late_total_bytes"))
  |> group(columns: ["label.local.app", "vn", "_field"])
  |> sum()
  |> yield(name: "sums")

from(bucket: "sessions")
  |> range(start: 2025-11-24T16:00:00Z, stop: 2025-11-24T16:05:00Z)
  |> filter(fn: (r) => r._measurement == "session" and (r._field == "total_bytes" or r._field == "late_total_bytes"))
  |> group(columns: ["label.local.app", "vn", "_field"])
  |> count()
  |> yield(name: "counts")
`);
  });
});

describe('the statistics of a folded window', () => {
  it('counts and sums the tier window\'s `sessions` points, and asks the index for the raw series of the finest tier only', () => {
    expect(windowStatsScript(layout, hour, T, T + 60n * M, false)).toBe(`from(bucket: "sessions_1h")
  |> range(start: 2025-11-24T16:00:00Z, stop: 2025-11-24T17:00:00Z)
  |> filter(fn: (r) => r._measurement == "session" and r._field == "sessions")
  |> group()
  |> count()
  |> yield(name: "points")

from(bucket: "sessions_1h")
  |> range(start: 2025-11-24T16:00:00Z, stop: 2025-11-24T17:00:00Z)
  |> filter(fn: (r) => r._measurement == "session" and r._field == "sessions")
  |> group()
  |> sum()
  |> yield(name: "records")
`);
    const finest = windowStatsScript(layout, fiveMin, T, T + 5n * M, true);
    expect(finest.startsWith('import "influxdata/influxdb"\n\n')).toBe(true);
    expect(finest).toContain(`influxdb.cardinality(bucket: "sessions", start: 2025-11-24T16:00:00Z, stop: 2025-11-24T16:05:00Z, predicate: (r) => r._measurement == "session")
  |> yield(name: "series")`);
  });

  it('reads the three figures; an empty window is zeros, and no series result is null', () => {
    const rows = (v: string): FluxRow[] => [{ _value: v }];
    expect(readWindowStats(new Map([['points', rows('17242')], ['records', rows('83333')], ['series', rows('20000')]]))).toEqual({ points: 17242, records: 83333, rawSeries: 20000 });
    expect(readWindowStats(new Map())).toEqual({ points: 0, records: 0, rawSeries: null });
    expect(readWindowStats(new Map([['series', []]]))).toEqual({ points: 0, records: 0, rawSeries: 0 });
  });
});

describe('folding the answer into tier points', () => {
  const tags = ['label.local.app', 'vmi', 'vn'];
  const row = (over: Record<string, string>): FluxRow => ({ 'label.local.app': 'web', vmi: '', vn: 'a', ...over });
  const COUNTERS = ['forward_sampled_bytes', 'forward_sampled_pkts', 'reverse_sampled_bytes', 'reverse_sampled_pkts', 'total_bytes'];

  it('per tag set: sums minus the late copies, sessions = count - late count; absent tags left out, stored values escaped as they are', () => {
    const sums: FluxRow[] = [
      ...COUNTERS.map((f, i) => row({ _field: f, _value: String(100 * (i + 1)) })),
      ...COUNTERS.map((f, i) => row({ _field: `late_${f}`, _value: String(10 * (i + 1)) })),
      // Another tag set: a stored value with the codec's U+0001 and a space, and a vmi.
      ...COUNTERS.map((f) => row({ 'label.local.app': 'a b\u0001J', vmi: 'x=1', _field: f, _value: '7' })),
    ];
    const counts: FluxRow[] = [
      row({ _field: 'total_bytes', _value: '12' }),
      row({ _field: 'late_total_bytes', _value: '2' }),
      row({ 'label.local.app': 'a b\u0001J', vmi: 'x=1', _field: 'total_bytes', _value: '1' }),
    ];
    const lines = foldWindow(tags, new Map([['sums', sums], ['counts', counts]]), T);
    expect(lines).toEqual([
      `session,label.local.app=web,vn=a forward_sampled_bytes=90i,forward_sampled_pkts=180i,reverse_sampled_bytes=270i,reverse_sampled_pkts=360i,total_bytes=450i,sessions=10i ${T}`,
      `session,label.local.app=a\\ b\u0001J,vmi=x\\=1,vn=a forward_sampled_bytes=7i,forward_sampled_pkts=7i,reverse_sampled_bytes=7i,reverse_sampled_pkts=7i,total_bytes=7i,sessions=1i ${T}`,
    ]);
  });

  it('a tag set whose records are all late gets a point of zeros; sums past 2^53 stay exact', () => {
    const big = '9007199254740993';
    const sums: FluxRow[] = [row({ _field: 'total_bytes', _value: big }), row({ _field: 'late_total_bytes', _value: big })];
    const counts: FluxRow[] = [row({ _field: 'total_bytes', _value: '3' }), row({ _field: 'late_total_bytes', _value: '3' })];
    expect(foldWindow(tags, new Map([['sums', sums], ['counts', counts]]), T)).toEqual([
      `session,label.local.app=web,vn=a forward_sampled_bytes=0i,forward_sampled_pkts=0i,reverse_sampled_bytes=0i,reverse_sampled_pkts=0i,total_bytes=0i,sessions=0i ${T}`,
    ]);
    const only = foldWindow(tags, new Map([['sums', [row({ _field: 'total_bytes', _value: big })]]]), T);
    expect(only[0]).toContain(`total_bytes=${big}i`);
  });

  it('an empty window gives no point', () => {
    expect(foldWindow(tags, new Map(), T)).toEqual([]);
  });

  it('a watermark point records the window, read back as its end', () => {
    expect(watermarkLine(T, T + 5n * M)).toBe(`sag_rollup folded_to=${T + 5n * M}i ${T}`);
    expect(readWatermark(new Map([['watermark', [{ _value: String(T + 5n * M) }]]]))).toBe(T + 5n * M);
    expect(readWatermark(new Map())).toBeNull();
  });
});
