import { floorTo, type EpochNs, type Folding } from '../../model/index.js';

/**
 * The end of the windows a tier's task has completed by `now`
 * (docs/influxdb.md "Queries across a tier's watermark"): the last run
 * taken as finished is the one scheduled at s, the last window boundary
 * with s + 2 x offset <= now (it starts `offset` after s; another `offset`
 * for it to finish). A record that is not late (younger than lateAfter when
 * written) of a window ending by s - lateAfter had landed when that run, or
 * an earlier one covering the window, started; late records the write path
 * puts into the tiers itself. So every window ending by s - lateAfter,
 * rounded down to a window, is complete.
 */
export function foldedBefore(windowNs: bigint, offsetNs: bigint, lateAfterNs: bigint, now: EpochNs): EpochNs {
  const s = floorTo(now - 2n * offsetNs, windowNs);
  return floorTo(s - lateAfterNs, windowNs);
}

/**
 * The folding of an InfluxDB store (model/sources.ts): by time, each tier's
 * windows complete up to foldedBefore, from its rollup offset (by tier name;
 * 0 when unknown) and INFLUX_LATE_AFTER, and never past the tier's
 * watermark when the store knows one (`watermark`, by tier name: the end of
 * the last window a rollup run completed; null or undefined when none was
 * read). The schedule alone credits a window a run had an offset to
 * finish; a run that takes longer (a big window, a catch-up, a rollup
 * gateway that is down) leaves the watermark behind, and the windows after
 * it are read from raw instead of from a tier that does not hold them yet.
 */
export function influxFolding(offsets: ReadonlyMap<string, bigint>, lateAfterNs: bigint, watermark?: (tier: string) => EpochNs | null | undefined): Folding {
  return {
    kind: 'time',
    foldedBefore: (tier, now) => {
      const bound = foldedBefore(tier.window.ns, offsets.get(tier.name) ?? 0n, lateAfterNs, now);
      const mark = watermark?.(tier.name);
      return mark === null || mark === undefined || mark >= bound ? bound : floorTo(mark, tier.window.ns);
    },
  };
}
