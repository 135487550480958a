import type { EpochNs } from '../../model/index.js';
import { RESULTS } from './compile.js';
import { RECORD_TAGS, recordRows } from './compile-records.js';
import { fluxColumnList, fluxInt, fluxString } from './flux.js';
import type { InfluxLayout } from './layout.js';
import type { TailRead } from '../types.js';

/**
 * Compiles one tail read (sessionTail, docs/live.md) to Flux: the raw
 * points of [start, stop) (as compileRecords reads them), pivoted to one row
 * per record, oldest first, then by every tag ascending (InfluxDB keeps one
 * point per series and time, so the order is total). `start` is the read's
 * position (or `since`), `stop` the tail's head or the backfill's seam; the
 * `within` records of the start time already read are skipped. One row
 * more than `limit` tells whether the read was cut. `labels` are the label
 * columns the range holds (compileTagKeys), sorted.
 */
export function compileTail(read: TailRead, start: EpochNs, stop: EpochNs, layout: InfluxLayout, labels: readonly string[]): string {
  return `${recordRows(layout, start, stop, read.filter)}
  |> group()
  |> sort(columns: ${fluxColumnList(['_time', ...RECORD_TAGS, ...labels])})
  |> limit(n: ${fluxInt(read.limit + 1)}, offset: ${fluxInt(read.from?.within ?? 0)})
  |> yield(name: ${fluxString(RESULTS.tail)})
`;
}
