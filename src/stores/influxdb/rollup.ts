import { COUNTER_COLUMNS, type EpochNs } from '../../model/index.js';
import { fluxColumnList, fluxDuration, fluxInt, fluxString, fluxTime } from './flux.js';
import { LATE_PREFIX, MEASUREMENT, SESSIONS_FIELD, type InfluxLayout, type InfluxTier } from './layout.js';

/**
 * The tier rollups (ARCHITECTURE §5, docs/influxdb.md "Tiers"): per tier,
 * one Flux task that sums the raw records of each window over every tag but
 * the tier's dropped ones, counts them into `sessions`, and writes one point
 * per window and tag set, at the window start, into the tier's bucket.
 *
 * A run recomputes the open window and the closed windows a record that is
 * not late (younger than INFLUX_LATE_AFTER) may still land in; writing a
 * window again overwrites its points (same tags, same time), so runs are
 * idempotent and a record that arrives late, but not "late", is folded in
 * by the next run. Late records the write path sums into the tiers itself
 * (write-plan.ts): the task subtracts their `late_*` copies of the counters.
 */

/** How far back one run reaches: its range and the delay that covers a write in flight. */
export interface RollupSchedule {
  /** Closed windows recomputed besides the open one: ceil(lateAfter / window) + 1. */
  readonly closedWindows: bigint;
  /** The task's `offset`: how long after its scheduled time a run starts. */
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

/** The task's name: one per tier bucket, so gateways on other buckets never touch it. */
export function rollupTaskName(tier: InfluxTier): string {
  return `sag-rollup ${tier.bucket}`;
}

/** A marker in the task's description naming the raw bucket it reads. */
export function rollupTaskDescription(layout: InfluxLayout, tier: InfluxTier): string {
  return `session-analytics-gateway: sums of bucket ${layout.rawBucket} per ${tier.spec.name} into ${tier.bucket}`;
}

/** The Flux of a tier's task (https://docs.influxdata.com/influxdb/v2/process-data/get-started/). */
export function rollupTaskScript(layout: InfluxLayout, tier: InfluxTier, schedule: RollupSchedule): string {
  const w = tier.spec.window.ns;
  return `import "strings"

option task = {name: ${fluxString(rollupTaskName(tier))}, every: ${fluxDuration(w)}, offset: ${fluxDuration(schedule.offsetNs)}}

stop = time(v: int(v: now()) - int(v: now()) % ${fluxInt(w)} + ${fluxInt(w)})
start = time(v: int(v: stop) - ${fluxInt((schedule.closedWindows + 1n) * w)})

${rollupBody(layout, tier)}`;
}

/**
 * The same rollup over the windows overlapping [from, to) (for a backfill
 * or a test). Only windows whose raw records are all still in the raw
 * bucket may be recomputed: a window partly expired would be overwritten
 * by a smaller sum.
 */
export function rollupRangeScript(layout: InfluxLayout, tier: InfluxTier, from: EpochNs, to: EpochNs): string {
  const w = tier.spec.window.ns;
  const start = from - mod(from, w);
  const stop = mod(to, w) === 0n ? to : to - mod(to, w) + w;
  return `import "strings"

start = ${fluxTime(start)}
stop = ${fluxTime(stop)}

${rollupBody(layout, tier)}`;
}

/**
 * Per window and tag set (all tags but the dropped ones): the counters of
 * every record minus the `late_*` copies of the late ones, and their count
 * minus the count of late ones, into the tier. Each part is aggregated by
 * window first; a second pass sums the parts of one window.
 */
function rollupBody(layout: InfluxLayout, tier: InfluxTier): string {
  const w = fluxDuration(tier.spec.window.ns);
  const except = fluxColumnList(['_time', '_value', '_start', '_stop', ...tier.spec.drop]);
  const measured = `r._measurement == ${fluxString(MEASUREMENT)}`;
  const oneOf = (fields: readonly string[]) => `(${fields.map((f) => `r._field == ${fluxString(f)}`).join(' or ')})`;
  const read = (fields: readonly string[], fn: 'sum' | 'count') => `from(bucket: ${fluxString(layout.rawBucket)})
  |> range(start: start, stop: stop)
  |> filter(fn: (r) => ${measured} and ${oneOf(fields)})
  |> group(columns: ${except}, mode: "except")
  |> aggregateWindow(every: ${w}, fn: ${fn}, createEmpty: false, timeSrc: "_start")`;
  const late = (f: string) => `${LATE_PREFIX}${f}`;
  return `sums = ${read(COUNTER_COLUMNS, 'sum')}

lateSums = ${read(COUNTER_COLUMNS.map(late), 'sum')}
  |> map(fn: (r) => ({r with _field: strings.trimPrefix(v: r._field, prefix: ${fluxString(LATE_PREFIX)}), _value: -r._value}))

counts = ${read(['total_bytes'], 'count')}
  |> map(fn: (r) => ({r with _field: ${fluxString(SESSIONS_FIELD)}}))

lateCounts = ${read([late('total_bytes')], 'count')}
  |> map(fn: (r) => ({r with _field: ${fluxString(SESSIONS_FIELD)}, _value: -r._value}))

union(tables: [sums, lateSums, counts, lateCounts])
  |> group(columns: ${except}, mode: "except")
  |> aggregateWindow(every: ${w}, fn: sum, createEmpty: false, timeSrc: "_start")
  |> to(bucket: ${fluxString(tier.bucket)})
`;
}

function mod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}
