/**
 * The InfluxDB schema measured (issue 17 item 3): the same records written
 * with client_port as a tag (today: a new series per session) and as an
 * integer field, into two buckets, slices alternating between them in one
 * run; then series cardinality, and the top-10 label pairs over the last
 * hour and a client_port filter (tag: a storage filter; field: pivot first)
 * on each, p50 of interleaved runs. Answers checked equal.
 *
 * The data: ENDPOINTS endpoint pairs (vn, vmi, IPs, server port, labels);
 * each session of one is a new ephemeral client port, reported REPORTS times.
 *
 *   flock /tmp/sag-bench.lock npm run bench:influx:schema
 *   (RECORDS=300000 ENDPOINTS=2000 REPORTS=5 SLICES=6 ITERATIONS=7 BENCH_PREFIX=sagb)
 */
import { Point } from '@influxdata/influxdb-client';
import type { SessionRecord } from '../../src/model/index.js';
import { fmt, machine, percentile, time } from '../support.js';
import { MIN, ORG, PER_BODY, createBucket, http, point } from './support.js';

const RECORDS = Number(process.env['RECORDS'] ?? 300_000);
const ENDPOINTS = Number(process.env['ENDPOINTS'] ?? 2000);
const REPORTS = Number(process.env['REPORTS'] ?? 5);
const SLICES = Number(process.env['SLICES'] ?? 6);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 7);
const prefix = `${process.env['BENCH_PREFIX'] ?? 'sagb'}-schema-${Date.now().toString(36)}`;

/** Records in time order; CONCURRENT sessions at a time, each a new client port, reported REPORTS times. */
function churning(n: number, now: bigint, spanNs: bigint): SessionRecord[] {
  const concurrent = ENDPOINTS * 4;
  const out: SessionRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const session = Math.floor(i / (concurrent * REPORTS)) * concurrent + (i % concurrent);
    const k = session % ENDPOINTS;
    const h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    const port = 32768 + ((Math.imul(session ^ 0x5bd1e995, 0x27d4eb2d) >>> 0) % 28232);
    out[i] = {
      time: now - spanNs + (spanNs * BigInt(i)) / BigInt(n),
      vn: `default-domain:k8s-ns${k % 20}:pod-network`,
      vmi: `default-domain:k8s-ns${k % 20}:vmi-${k % 500}`,
      remoteVn: `default-domain:k8s-ns${(k * 7) % 20}:pod-network`,
      vrouterIp: `192.168.0.${k % 50}`,
      localIp: `10.244.${k % 200}.${k % 250}`,
      clientPort: port,
      remoteIp: `10.245.${(k * 13) % 200}.${k % 251}`,
      serverPort: [80, 443, 8443, 5432, 6379][k % 5]!,
      protocol: 6,
      sessionType: 'client',
      localLabels: { app: `app-${h % 60}`, namespace: `ns-${k % 12}` },
      remoteLabels: { app: `app-${(h >>> 8) % 60}`, namespace: `ns-${(k * 5) % 12}` },
      forwardSampledBytes: BigInt(i % 100_000),
      forwardSampledPkts: BigInt(i % 1000),
      reverseSampledBytes: BigInt((i * 3) % 100_000),
      reverseSampledPkts: BigInt(i % 997),
      totalBytes: BigInt((i % 100_000) + ((i * 3) % 100_000)),
    };
  }
  return out;
}

/** client_port as an integer field instead of a tag. */
function fieldLine(r: SessionRecord): string {
  const tagged = point(r).toLineProtocol()!;
  // Drop the client_port tag; add it as an integer field.
  const [series, fields, ts] = splitLine(tagged);
  return `${series.replace(`,client_port=${r.clientPort}`, '')} ${fields},client_port=${r.clientPort}i ${ts}`;
}

function splitLine(line: string): [string, string, string] {
  const last = line.lastIndexOf(' ');
  const mid = line.lastIndexOf(' ', last - 1);
  return [line.slice(0, mid), line.slice(mid + 1, last), line.slice(last + 1)];
}

async function write(bucket: string, lines: readonly string[]): Promise<number> {
  let next = 0;
  return time(() =>
    Promise.all(
      [0, 1].map(async () => {
        while (next < lines.length) {
          const chunk = lines.slice(next, (next += PER_BODY));
          await http.write(ORG, bucket, chunk.join('\n'), 60_000);
        }
      }),
    ),
  );
}

const csvValues = (rows: Map<string, Record<string, unknown>[]>) => JSON.stringify([...rows.values()].flat().map((r) => [r['l'] ?? '', r['rr'] ?? '', String(r['_value'])]));

console.log(`machine: ${machine()}`);
const now = BigInt(Date.now()) * 1_000_000n;
const rs = churning(RECORDS, now - 1_000_000_000n, 50n * MIN);
const tagLines = rs.map((r) => point(r).toLineProtocol()!);
const fieldLines = rs.map(fieldLine);
const buckets = { tag: `${prefix}-tag`, field: `${prefix}-field` };
await createBucket(buckets.tag);
await createBucket(buckets.field);
const ms = { tag: 0, field: 0 };
const per = Math.ceil(RECORDS / SLICES);
for (let s = 0; s < SLICES; s++) {
  const order = s % 2 === 0 ? (['tag', 'field'] as const) : (['field', 'tag'] as const);
  for (const k of order) ms[k] += await write(buckets[k], (k === 'tag' ? tagLines : fieldLines).slice(s * per, (s + 1) * per));
}
const card = async (b: string) => {
  const rows = await http.query(ORG, `import "influxdata/influxdb"\ninfluxdb.cardinality(bucket: "${b}", start: -2h)`);
  return Number([...rows.values()].flat()[0]?.['_value'] ?? -1);
};
const top = (b: string) => `from(bucket: "${b}")
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "session" and r._field == "total_bytes")
  |> group(columns: ["label.local.app", "label.remote.app"])
  |> sum()
  |> group()
  |> map(fn: (r) => ({l: r["label.local.app"], rr: r["label.remote.app"], _value: r._value}))
  |> sort(columns: ["_value", "l", "rr"], desc: true)
  |> limit(n: 10)`;
const port = rs[Math.floor(RECORDS / 2)]!.clientPort;
const byPort = {
  tag: `from(bucket: "${buckets.tag}")
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "session" and r._field == "total_bytes" and r.client_port == "${port}")
  |> group()
  |> sum()`,
  field: `from(bucket: "${buckets.field}")
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "session" and (r._field == "total_bytes" or r._field == "client_port"))
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => r.client_port == ${port})
  |> group()
  |> sum(column: "total_bytes")
  |> map(fn: (r) => ({_value: r.total_bytes}))`,
};
const queries: [string, string, string][] = [
  ['top-10 label pairs', top(buckets.tag), top(buckets.field)],
  [`client_port == ${port}`, byPort.tag, byPort.field],
];
const result: string[] = [];
for (const [name, qt, qf] of queries) {
  const [a, b] = [csvValues(await http.query(ORG, qt)), csvValues(await http.query(ORG, qf))];
  if (a !== b) throw new Error(`${name}: tag ${a} vs field ${b}`);
  const samples = { tag: [] as number[], field: [] as number[] };
  for (let i = 0; i < ITERATIONS + 1; i++) {
    const t = await time(() => http.query(ORG, qt));
    const f = await time(() => http.query(ORG, qf));
    if (i > 0) samples.tag.push(t), samples.field.push(f);
  }
  result.push(`  ${name}: tag p50 ${fmt(percentile(samples.tag, 50))}, field p50 ${fmt(percentile(samples.field, 50))} (answers equal)`);
}
const counts = { tag: await card(buckets.tag), field: await card(buckets.field) };
console.log(`${RECORDS} records, ${ENDPOINTS} endpoint pairs, ${REPORTS} reports per session, ${SLICES} slices alternating; buckets ${buckets.tag}, ${buckets.field}`);
for (const k of ['tag', 'field'] as const) {
  console.log(`  client_port as ${k.padEnd(5)}: ${(RECORDS / (ms[k] / 1000)).toFixed(0)} records/s written (${fmt(ms[k])}), series cardinality ${counts[k]}`);
}
console.log(result.join('\n'));
process.exit(0);
