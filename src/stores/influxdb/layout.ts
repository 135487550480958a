import { COUNTER_COLUMNS, DIMENSIONS, type CounterColumn, type Retention, type TierSpec } from '../../model/index.js';

/**
 * What the InfluxDB store keeps where (ARCHITECTURE §1, docs/influxdb.md):
 * one measurement, `session`, in the raw bucket and in one bucket per tier;
 * the dimensions, `session_type` and the pod labels as tags; the counters as
 * integer fields; in the tiers also `sessions`, the number of raw records
 * summed into a point.
 */
export const MEASUREMENT = 'session';

/** The field of a tier point counting the raw records it sums. */
export const SESSIONS_FIELD = 'sessions';

/**
 * A raw record that arrived late (older than INFLUX_LATE_AFTER when
 * written) also carries its counters as `late_<counter>` fields: its sums
 * went straight into the tiers, so the tier tasks subtract them. A marker
 * in fields, not a tag, keeps the point itself the same (same series, same
 * time) whether or not a replay of it counts as late. Queries never read them.
 */
export const LATE_PREFIX = 'late_';

export const COUNTER_FIELDS: readonly CounterColumn[] = COUNTER_COLUMNS;

/** The numbers stored as tags (decimal strings), with their largest value. */
export const INT_MAX: ReadonlyMap<string, number> = new Map(
  Object.values(DIMENSIONS).flatMap((d) => (d.kind === 'int' && d.max !== undefined ? [[d.column, d.max] as const] : [])),
);

/**
 * How the raw bucket holds `client_port` (docs/influxdb.md "client_port:
 * tag or field"): `field`, an integer field beside the counters (one series
 * per endpoint pair; the layout of new buckets), or `tag`, a tag as earlier
 * gateways wrote it (one series per session), kept for a bucket that holds
 * such points.
 */
export type ClientPortForm = 'tag' | 'field';

/** The buckets one store uses, by role. */
export interface InfluxLayout {
  readonly org: string;
  readonly rawBucket: string;
  /** One per tier of the retention, in the same order. */
  readonly tiers: readonly InfluxTier[];
  /**
   * How the raw bucket holds client_port; absent means `field`. The store
   * sets it once it has looked at the bucket (session-store.ts).
   */
  readonly clientPort?: ClientPortForm;
}

/** The form of client_port in a layout's raw bucket. */
export function clientPortForm(layout: InfluxLayout): ClientPortForm {
  return layout.clientPort ?? 'field';
}

export interface InfluxTier {
  readonly spec: TierSpec;
  readonly bucket: string;
}

/** The bucket of a tier from the INFLUX_TIER_BUCKET template (`{bucket}_{tier}`). */
export function tierBucketName(template: string, rawBucket: string, tier: TierSpec): string {
  return template.replaceAll('{bucket}', rawBucket).replaceAll('{tier}', tier.name);
}

export function influxLayout(org: string, rawBucket: string, template: string, retention: Retention): InfluxLayout {
  return {
    org,
    rawBucket,
    tiers: retention.tiers.map((spec) => ({ spec, bucket: tierBucketName(template, rawBucket, spec) })),
  };
}

/** The bucket serving a tier spec of this layout. */
export function bucketOf(layout: InfluxLayout, tier: TierSpec | 'raw'): string {
  if (tier === 'raw') return layout.rawBucket;
  const found = layout.tiers.find((t) => t.spec.name === tier.name);
  if (found === undefined) throw new Error(`no bucket for tier ${tier.name}`);
  return found.bucket;
}
