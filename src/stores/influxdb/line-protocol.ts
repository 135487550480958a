import { labelColumn, type DimensionColumn, type SessionRecord, type Traffic } from '../../model/index.js';
import { COUNTER_FIELDS, LATE_PREFIX, MEASUREMENT, SESSIONS_FIELD } from './layout.js';
import { encodeTagValue } from './tag-codec.js';

/**
 * Session records as InfluxDB line protocol
 * (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):
 * tags sorted by key, values in their stored form (tag-codec.ts) with
 * commas, equal signs and spaces escaped; counters as integer fields;
 * nanosecond timestamps.
 */

const TAG_KEY = /^[A-Za-z0-9._/-]+$/;
/** A value that needs the tag codec or line protocol escapes (the rest are written as they are). */
const SPECIAL = /[\u0000-\u001f,= ]|\\$|^$/;

/**
 * The series key of a record, `session,k=v,...`: its tags sorted by key
 * (client_port, the labels, local_ip, ... vrouter_ip), values in their
 * stored form and escaped; `drop` leaves dimension columns out (tiers).
 */
export function recordSeries(r: SessionRecord, drop: ReadonlySet<string> = NO_DROP): string {
  let s = MEASUREMENT;
  if (!drop.has('client_port')) s += `,client_port=${r.clientPort}`;
  s += labelTags('local', r.localLabels) + labelTags('remote', r.remoteLabels);
  if (!drop.has('local_ip')) s += `,local_ip=${tagValue(r.localIp)}`;
  if (!drop.has('protocol')) s += `,protocol=${r.protocol}`;
  if (!drop.has('remote_ip')) s += `,remote_ip=${tagValue(r.remoteIp)}`;
  if (!drop.has('remote_vn')) s += `,remote_vn=${tagValue(r.remoteVn)}`;
  if (!drop.has('server_port')) s += `,server_port=${r.serverPort}`;
  s += `,session_type=${r.sessionType}`;
  if (r.vmi !== null && !drop.has('vmi')) s += `,vmi=${tagValue(r.vmi)}`;
  if (!drop.has('vn')) s += `,vn=${tagValue(r.vn)}`;
  if (!drop.has('vrouter_ip')) s += `,vrouter_ip=${tagValue(r.vrouterIp)}`;
  return s;
}

const NO_DROP: ReadonlySet<string> = new Set();

function labelTags(side: 'local' | 'remote', labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  if (names.length > 1) names.sort();
  let s = '';
  for (const name of names) {
    if (!TAG_KEY.test(name)) throw new Error(`not a label name the store writes: ${JSON.stringify(name.slice(0, 64))}`);
    s += `,${labelColumn(side, name)}=${tagValue(labels[name]!)}`;
  }
  return s;
}

/** A tag value as line protocol carries it: stored form (tag-codec.ts), then escaped. */
export function tagValue(value: string): string {
  return SPECIAL.test(value) ? escapeTagValue(encodeTagValue(value)) : value;
}

/** The tags of a record as pairs, sorted by key (for tests and inspection). */
export function recordTags(r: SessionRecord, drop: readonly DimensionColumn[] = []): [string, string][] {
  const tags: [string, string][] = [
    ['client_port', String(r.clientPort)],
    ['local_ip', r.localIp],
    ['protocol', String(r.protocol)],
    ['remote_ip', r.remoteIp],
    ['remote_vn', r.remoteVn],
    ['server_port', String(r.serverPort)],
    ['session_type', r.sessionType],
    ['vn', r.vn],
    ['vrouter_ip', r.vrouterIp],
  ];
  if (r.vmi !== null) tags.push(['vmi', r.vmi]);
  for (const name in r.localLabels) tags.push([labelColumn('local', name), r.localLabels[name]!]);
  for (const name in r.remoteLabels) tags.push([labelColumn('remote', name), r.remoteLabels[name]!]);
  const kept = drop.length === 0 ? tags : tags.filter(([k]) => !(drop as readonly string[]).includes(k));
  return kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** `session,k=v,...`: the series key of a point with these tags, in this order. */
export function seriesKey(tags: readonly (readonly [string, string])[]): string {
  let out = MEASUREMENT;
  for (const [k, v] of tags) {
    if (!TAG_KEY.test(k)) throw new Error(`not a tag key the store writes: ${JSON.stringify(k.slice(0, 64))}`);
    out += `,${k}=${tagValue(v)}`;
  }
  return out;
}

/**
 * One raw record: its counters as integer fields, and again as `late_*`
 * fields when it is late; with `portField` (the `field` layout) also
 * `client_port` as an integer field, first (and `series` must not hold it).
 */
export function recordLine(series: string, r: SessionRecord, time: bigint, late = false, portField = false): string {
  const port = portField ? `client_port=${r.clientPort}i,` : '';
  const fields =
    `forward_sampled_bytes=${r.forwardSampledBytes}i,forward_sampled_pkts=${r.forwardSampledPkts}i,` +
    `reverse_sampled_bytes=${r.reverseSampledBytes}i,reverse_sampled_pkts=${r.reverseSampledPkts}i,total_bytes=${r.totalBytes}i`;
  if (!late) return `${series} ${port}${fields} ${time}`;
  return `${series} ${port}${fields},${fields.replace(/(^|,)/g, `$1${LATE_PREFIX}`)} ${time}`;
}

/** One tier point: summed counters and the number of records summed. */
export function sumLine(series: string, t: Traffic, time: bigint): string {
  const fields = [t.forwardSampledBytes, t.forwardSampledPkts, t.reverseSampledBytes, t.reverseSampledPkts, t.totalBytes]
    .map((v, i) => `${COUNTER_FIELDS[i]}=${v}i`)
    .join(',');
  return `${series} ${fields},${SESSIONS_FIELD}=${t.sessions}i ${time}`;
}

/** Escapes a stored tag value for line protocol: `,`, `=` and space get a backslash. */
export function escapeTagValue(stored: string): string {
  return /[,= ]/.test(stored) ? stored.replace(/[,= ]/g, (c) => `\\${c}`) : stored;
}
