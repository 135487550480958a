import { COUNTER_COLUMNS, ceilTo, floorTo, zeroTraffic, type EpochNs, type Traffic } from '../../model/index.js';
import type { FluxRow } from './client.js';
import { fluxColumnList, fluxString, fluxTime } from './flux.js';
import { LATE_PREFIX, MEASUREMENT, SESSIONS_FIELD, type InfluxLayout, type InfluxTier } from './layout.js';
import { escapeTagValue, sumLine } from './line-protocol.js';

/**
 * The tier rollups (ARCHITECTURE §5, docs/influxdb.md "Tiers: the
 * gateway's rollup"), run by the gateway itself, not by InfluxDB tasks:
 * per tier window, the raw records' counters summed per tag set (all tags
 * but the tier's dropped ones), minus the `late_*` copies of the late ones
 * (the write path summed those into the tiers itself, write-plan.ts), and
 * their count minus the late ones' count as `sessions`; one point per tag
 * set at the window start, written to the tier's bucket through line
 * protocol. Writing a window again overwrites its points (same tags, same
 * time), so a window may be computed any number of times.
 *
 * Why not a task: a static Flux text cannot list the tag keys (one per pod
 * label), and without them listed InfluxDB cannot push the grouping down
 * to storage; per-table transformations over one table per series made a
 * run take minutes (docs/benchmarks.md "Why filling the tiers is slow").
 * Here each window is two reads the storage engine aggregates itself
 * (ReadGroupAggregate), with the tag keys of that window listed literally.
 */

/** When the runs of a tier happen. */
export interface RollupSchedule {
  /** Windows a run reaches back when no watermark says where the last run stopped: ceil(lateAfter / window) + 1. */
  readonly closedWindows: bigint;
  /** How long after a window boundary the run scheduled there starts (the old tasks' `offset`). */
  readonly offsetNs: bigint;
}

/**
 * The schedule for a tier. `maxWriteNs` bounds the time from deciding a
 * record is not late to InfluxDB having it (request timeout plus write
 * retries); the offset adds 30 s for the clocks of gateway and InfluxDB.
 */
export function rollupSchedule(tier: InfluxTier, lateAfterNs: bigint, maxWriteNs: bigint): RollupSchedule {
  const w = tier.spec.window.ns;
  const second = 1_000_000_000n;
  const offset = maxWriteNs + 30n * second;
  return { closedWindows: (lateAfterNs + w - 1n) / w + 1n, offsetNs: ((offset + second - 1n) / second) * second };
}

/**
 * The end of the windows the run scheduled at `s` completes (folding.ts):
 * every window ending by `s - lateAfter`. A record that was not late when
 * written (younger than lateAfter) and lies in such a window was decided
 * before `s`, so it landed by `s + offset`, when the run starts.
 */
export function dueEnd(windowNs: bigint, lateAfterNs: bigint, s: EpochNs): EpochNs {
  return floorTo(s - lateAfterNs, windowNs);
}

/**
 * The window starts the run scheduled at `s` computes, oldest first: those
 * after the watermark (the end of the last window a run completed) up to
 * `dueEnd`; without a watermark, the `closedWindows + 1` windows before it
 * (what the last task run of an older gateway version covered). None that
 * starts before `oldest` (the raw bucket may no longer hold it whole).
 */
export function windowsDue(windowNs: bigint, schedule: RollupSchedule, lateAfterNs: bigint, s: EpochNs, watermark: EpochNs | null, oldest: EpochNs): EpochNs[] {
  const w = windowNs;
  const due = dueEnd(w, lateAfterNs, s);
  let a = watermark ?? due - (schedule.closedWindows + 1n) * w;
  a = floorTo(a, w);
  const first = ceilTo(oldest, w);
  if (a < first) a = first;
  const out: EpochNs[] = [];
  for (; a + w <= due; a += w) out.push(a);
  return out;
}

/**
 * The next run of a tier after `now`: for the next window end `e` whose
 * run is still ahead, the run "scheduled" at `s = e + lateAfter` (the
 * first moment every record of the window that was not late has been
 * decided), starting at `s + offset`. folding.ts credits that window only
 * at the next window boundary at or after `s`, plus twice the offset: for
 * the 5m tier with the defaults that leaves a run the offset to finish, for
 * the 1h tier 55 minutes more.
 */
export function nextRun(windowNs: bigint, lateAfterNs: bigint, offsetNs: bigint, now: EpochNs): { s: EpochNs; at: EpochNs } {
  const e = floorTo(now - offsetNs - lateAfterNs, windowNs) + windowNs;
  return { s: e + lateAfterNs, at: e + lateAfterNs + offsetNs };
}

/** The names of the results of the scripts below. */
export const ROLLUP_RESULTS = { keys: 'keys', sums: 'sums', counts: 'counts', watermark: 'watermark', points: 'points', records: 'records', series: 'series' } as const;

/** The measurement of the watermark points in a tier bucket; queries read `session` only. */
export const WATERMARK_MEASUREMENT = 'sag_rollup';
/** Its field: the end of the window the point records (ns); the point is at the window start. */
export const WATERMARK_FIELD = 'folded_to';

/** The tag keys of the raw records in [start, stop) (pushed down: `schema.tagKeys` with a range). */
export function rollupTagKeysScript(layout: InfluxLayout, start: EpochNs, stop: EpochNs): string {
  return `import "influxdata/influxdb/schema"

schema.tagKeys(bucket: ${fluxString(layout.rawBucket)}, predicate: (r) => r._measurement == ${fluxString(MEASUREMENT)}, start: ${fluxTime(start)}, stop: ${fluxTime(stop)})
  |> yield(name: ${fluxString(ROLLUP_RESULTS.keys)})
`;
}

/** Tag keys as the store writes them (line-protocol.ts); anything else is not grouped on. */
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** The tags a tier point of these raw tag keys carries, sorted: all but the tier's dropped ones and InfluxDB's own columns. */
export function keptTags(tier: InfluxTier, keys: readonly string[]): string[] {
  const drop = new Set<string>(tier.spec.drop);
  return [...new Set(keys)].filter((k) => TAG_KEY.test(k) && !drop.has(k)).sort();
}

/** The tag keys in the answer of rollupTagKeysScript. */
export function readRollupTagKeys(results: ReadonlyMap<string, readonly FluxRow[]>): string[] {
  return (results.get(ROLLUP_RESULTS.keys) ?? []).map((r) => r['_value'] ?? '').filter((k) => k !== '');
}

/**
 * One window of one tier: the counters and their `late_*` copies summed,
 * and `total_bytes` and `late_total_bytes` counted, per tag set (`tags`
 * listed literally) and field. Each read is `from |> range |> filter |>
 * group(columns: literal) |> sum()/count()`, which InfluxDB hands to the
 * storage engine whole (ReadGroupAggregate): no transformation runs per table.
 */
export function rollupWindowScript(layout: InfluxLayout, tags: readonly string[], start: EpochNs, stop: EpochNs): string {
  const columns = fluxColumnList([...tags, '_field']);
  const late = (f: string) => `${LATE_PREFIX}${f}`;
  const read = (fields: readonly string[], fn: 'sum' | 'count', name: string) => `from(bucket: ${fluxString(layout.rawBucket)})
  |> range(start: ${fluxTime(start)}, stop: ${fluxTime(stop)})
  |> filter(fn: (r) => r._measurement == ${fluxString(MEASUREMENT)} and (${fields.map((f) => `r._field == ${fluxString(f)}`).join(' or ')}))
  |> group(columns: ${columns})
  |> ${fn}()
  |> yield(name: ${fluxString(name)})`;
  return `${read([...COUNTER_COLUMNS, ...COUNTER_COLUMNS.map(late)], 'sum', ROLLUP_RESULTS.sums)}

${read(['total_bytes', late('total_bytes')], 'count', ROLLUP_RESULTS.counts)}
`;
}

const COUNTER_KEYS: readonly (keyof Traffic)[] = ['forwardSampledBytes', 'forwardSampledPkts', 'reverseSampledBytes', 'reverseSampledPkts', 'totalBytes'];
const FIELD_INDEX: ReadonlyMap<string, { key: keyof Traffic; sign: bigint }> = new Map<string, { key: keyof Traffic; sign: bigint }>([
  ...COUNTER_COLUMNS.map((c, i): [string, { key: keyof Traffic; sign: bigint }] => [c, { key: COUNTER_KEYS[i]!, sign: 1n }]),
  ...COUNTER_COLUMNS.map((c, i): [string, { key: keyof Traffic; sign: bigint }] => [`${LATE_PREFIX}${c}`, { key: COUNTER_KEYS[i]!, sign: -1n }]),
]);
const SEPARATOR = '\u0002';

/**
 * The tier points of one window from the answer of rollupWindowScript, as
 * line protocol at `start`: per tag set, the sums minus the late copies,
 * and `sessions` = count - late count. Tag values are read in their stored
 * form (tag-codec.ts) and written back as they are, escaped; an empty cell
 * is a tag the series does not have (a stored value is never empty).
 */
export function foldWindow(tags: readonly string[], results: ReadonlyMap<string, readonly FluxRow[]>, start: EpochNs): string[] {
  const sums = new Map<string, { row: FluxRow; traffic: Traffic }>();
  const at = (row: FluxRow) => {
    const id = tags.map((t) => row[t] ?? '').join(SEPARATOR);
    let s = sums.get(id);
    if (s === undefined) sums.set(id, (s = { row, traffic: zeroTraffic() }));
    return s.traffic;
  };
  for (const row of results.get(ROLLUP_RESULTS.sums) ?? []) {
    const f = FIELD_INDEX.get(row['_field'] ?? '');
    if (f === undefined) continue;
    at(row)[f.key] += f.sign * BigInt(row['_value'] || '0');
  }
  for (const row of results.get(ROLLUP_RESULTS.counts) ?? []) {
    const field = row['_field'];
    if (field !== 'total_bytes' && field !== `${LATE_PREFIX}total_bytes`) continue;
    at(row).sessions += (field === 'total_bytes' ? 1n : -1n) * BigInt(row['_value'] || '0');
  }
  const lines: string[] = [];
  for (const { row, traffic } of sums.values()) {
    let series = MEASUREMENT;
    for (const t of tags) {
      const v = row[t];
      if (v !== undefined && v !== '') series += `,${t}=${escapeTagValue(v)}`;
    }
    lines.push(sumLine(series, traffic, start));
  }
  return lines;
}

/**
 * What the planner's statistics need of one folded window of a tier
 * (session-store.ts sourceStats): its points and the raw records they sum
 * (one read of `sessions`), and, `rawSeries`, the raw bucket's series over
 * the window (`influxdb.cardinality`, from the index).
 */
export function windowStatsScript(layout: InfluxLayout, tier: InfluxTier, start: EpochNs, stop: EpochNs, rawSeries: boolean): string {
  const sessions = `from(bucket: ${fluxString(tier.bucket)})
  |> range(start: ${fluxTime(start)}, stop: ${fluxTime(stop)})
  |> filter(fn: (r) => r._measurement == ${fluxString(MEASUREMENT)} and r._field == ${fluxString(SESSIONS_FIELD)})
  |> group()`;
  const parts = [
    `${sessions}
  |> count()
  |> yield(name: ${fluxString(ROLLUP_RESULTS.points)})`,
    `${sessions}
  |> sum()
  |> yield(name: ${fluxString(ROLLUP_RESULTS.records)})`,
  ];
  if (rawSeries) {
    parts.push(`influxdb.cardinality(bucket: ${fluxString(layout.rawBucket)}, start: ${fluxTime(start)}, stop: ${fluxTime(stop)}, predicate: (r) => r._measurement == ${fluxString(MEASUREMENT)})
  |> yield(name: ${fluxString(ROLLUP_RESULTS.series)})`);
  }
  return `${rawSeries ? 'import "influxdata/influxdb"\n\n' : ''}${parts.join('\n\n')}\n`;
}

/** A window's figures from the answer of windowStatsScript (an absent result: 0; `rawSeries` null when not asked). */
export function readWindowStats(results: ReadonlyMap<string, readonly FluxRow[]>): { points: number; records: number; rawSeries: number | null } {
  const one = (name: string) => Number(results.get(name)?.[0]?.['_value'] || '0');
  return { points: one(ROLLUP_RESULTS.points), records: one(ROLLUP_RESULTS.records), rawSeries: results.has(ROLLUP_RESULTS.series) ? one(ROLLUP_RESULTS.series) : null };
}

/** The watermark point of a tier: the window [start, end) is complete. */
export function watermarkLine(start: EpochNs, end: EpochNs): string {
  return `${WATERMARK_MEASUREMENT} ${WATERMARK_FIELD}=${end}i ${start}`;
}

/** The latest watermark of a tier bucket since `since`: the end of the last window a run completed. */
export function watermarkScript(tier: InfluxTier, since: EpochNs): string {
  return `from(bucket: ${fluxString(tier.bucket)})
  |> range(start: ${fluxTime(since)}, stop: 2262-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == ${fluxString(WATERMARK_MEASUREMENT)} and r._field == ${fluxString(WATERMARK_FIELD)})
  |> group()
  |> max()
  |> yield(name: ${fluxString(ROLLUP_RESULTS.watermark)})
`;
}

export function readWatermark(results: ReadonlyMap<string, readonly FluxRow[]>): EpochNs | null {
  const v = results.get(ROLLUP_RESULTS.watermark)?.[0]?.['_value'];
  return v === undefined || v === '' ? null : BigInt(v);
}

/** The name the tier tasks of earlier gateway versions had (setup deletes them). */
export function rollupTaskName(tier: InfluxTier): string {
  return `sag-rollup ${tier.bucket}`;
}
