import { createHash } from 'node:crypto';
import { addRecord, zeroTraffic, type EpochNs, type Retention, type SessionRecord, type Traffic } from '../../model/index.js';
import { clientPortForm, type InfluxLayout } from './layout.js';
import { recordLine, recordSeries, sumLine } from './line-protocol.js';

/** The lines one write sends, per bucket. */
export interface WritePlan {
  /** Records young enough for the raw bucket. */
  readonly raw: readonly string[];
  /** Per tier, the partial sums of the late records (empty when none are late). */
  readonly tiers: readonly { readonly bucket: string; readonly lines: readonly string[] }[];
}

export interface WritePlanContext {
  readonly now: EpochNs;
  readonly retention: Retention;
  readonly layout: InfluxLayout;
  /** A record older than `now - lateAfterNs` is late (docs/influxdb.md, "Late records"). */
  readonly lateAfterNs: bigint;
}

/**
 * Decides where each record of one write goes (docs/influxdb.md):
 *
 * - Within the write, a record with the same tags and nanosecond as an
 *   earlier one is moved 1 ns later (and again, until it is unique), so two
 *   distinct records never overwrite each other. In the `field` layout
 *   client_port is a field, not part of the series, so the check keys by
 *   the tags without it: two sessions of one endpoint pair at one
 *   nanosecond are one series and time, and the later one moves. (Across
 *   writes nothing moves: such a pair in two writes overwrites, as the
 *   same record sent again does; docs/influxdb.md "Collisions".)
 * - A record inside the raw retention is a raw point. One older than
 *   INFLUX_LATE_AFTER is "late": its counters are written twice, also as
 *   `late_*` fields, which the tier tasks subtract, and its sums go straight
 *   into every tier that still keeps its window, summed per window and tag
 *   set, as one point per window at `window start + offset`. The offset
 *   (1 ns to window - 1 ns) is a hash
 *   of the write's late records, so the same write sent again overwrites
 *   its own points, while points of another write, or the task's own point
 *   at the window start, stay beside them; queries on a tier sum them all.
 *
 * Pure: the same records at the same `now` give the same lines.
 */
export function planWrite(records: readonly SessionRecord[], ctx: WritePlanContext): WritePlan {
  const rawFrom = ctx.now - ctx.retention.raw.ns;
  const lateBefore = ctx.now - ctx.lateAfterNs;
  // time -> the series written at it (several only when distinct series share a nanosecond)
  const taken = new Map<bigint, string | string[]>();
  const raw: string[] = [];
  const late: { record: SessionRecord; time: bigint }[] = [];
  const lateHash = createHash('sha256');
  const portField = clientPortForm(ctx.layout) === 'field';
  const seriesDrop = portField ? PORT_DROP : NO_DROP;
  for (const r of records) {
    const isLate = r.time < lateBefore;
    const series = recordSeries(r, seriesDrop);
    let time = r.time;
    for (;;) {
      const there = taken.get(time);
      if (there === undefined) {
        taken.set(time, series);
        break;
      }
      if (there === series || (Array.isArray(there) && there.includes(series))) {
        time++;
        continue;
      }
      taken.set(time, Array.isArray(there) ? [...there, series] : [there, series]);
      break;
    }
    const line = recordLine(series, r, time, isLate, portField);
    if (time >= rawFrom) raw.push(line);
    if (isLate) {
      late.push({ record: r, time });
      lateHash.update(line).update('\n');
    }
  }
  const lateDigest = lateHash.digest('hex');
  const tiers = ctx.layout.tiers.map(({ spec, bucket }) => {
    if (late.length === 0) return { bucket, lines: [] };
    const w = spec.window.ns;
    const offset = 1n + (digest(`${bucket}\n${lateDigest}`) % (w - 1n));
    const keptFrom = ctx.now - spec.retention.ns;
    // In the field layout no tier point has client_port: the raw series has none to keep.
    const drop = new Set<string>(portField ? [...spec.drop, 'client_port'] : spec.drop);
    const sums = new Map<string, { series: string; at: bigint; traffic: Traffic }>();
    for (const { record, time } of late) {
      const at = time - mod(time, w) + offset;
      if (at < keptFrom) continue;
      const series = recordSeries(record, drop);
      const key = `${series} ${at}`;
      let sum = sums.get(key);
      if (sum === undefined) sums.set(key, (sum = { series, at, traffic: zeroTraffic() }));
      addRecord(sum.traffic, record);
    }
    return { bucket, lines: [...sums.values()].map((s) => sumLine(s.series, s.traffic, s.at)) };
  });
  return { raw, tiers };
}

const NO_DROP: ReadonlySet<string> = new Set();
const PORT_DROP: ReadonlySet<string> = new Set(['client_port']);

function digest(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigUInt64BE(0);
}

function mod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}
