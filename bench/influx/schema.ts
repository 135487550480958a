/**
 * The InfluxDB schema measured through the gateway's own store (issue 17
 * item 3, docs/influxdb.md "client_port: tag or field"): the same records
 * written by `InfluxSessionStore.write` into two raw buckets, one in the
 * field layout (a new bucket) and one in the tag layout (a bucket holding a
 * client_port tag already, as an earlier gateway left it), slices
 * alternating between them in one run; then series cardinality, and, p50 of
 * interleaved runs of the store's own compiled queries: the top-10 label
 * pairs over the last hour, total bytes of one client port (tag: pushed
 * down; field: pivot), and the top-10 client ports. Answers checked equal.
 * For the one-port filter, the field bucket is also asked through a
 * hand-written join of the client_port points with the counters on series
 * and time, the alternative to the store's pivot.
 *
 * The data: ENDPOINTS endpoint pairs (vn, vmi, IPs, server port, labels);
 * each session of one is a new ephemeral client port, reported REPORTS times.
 *
 *   flock /tmp/sag-bench.lock npm run bench:influx:schema
 *   (RECORDS=300000 ENDPOINTS=2000 REPORTS=5 SLICES=6 ITERATIONS=7 BENCH_PREFIX=sagb)
 */
import {
  buildTrafficQuery,
  encodeRecords,
  parseDuration,
  type BuildContext,
  type Retention,
  type SessionRecord,
  type TrafficArgs,
} from '../../src/model/index.js';
import { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { fmt, machine, percentile, time } from '../support.js';
import { MIN, ORG, PER_BODY, TOKEN, URL, http } from './support.js';

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

const retention: Retention = { raw: parseDuration('24h', 'raw'), tiers: [] };

/** A store on `bucket`; INFLUX_LATE_AFTER past the data, so no record is late (no late_* fields, no tiers). */
function store(bucket: string, now: bigint): InfluxSessionStore {
  return InfluxSessionStore.create({
    connection: { url: URL, token: TOKEN, requestTimeoutMs: 60_000, queryTimeoutMs: 300_000 },
    org: ORG,
    bucket,
    tierBucket: '{bucket}_{tier}',
    retention,
    clock: () => now,
    writeRetryMs: 60_000,
    lateAfter: parseDuration('2h', 'lateAfter'),
  });
}

/** Two batches of PER_BODY records in flight, as two senders would. */
async function write(s: InfluxSessionStore, rs: readonly SessionRecord[]): Promise<number> {
  let next = 0;
  return time(() =>
    Promise.all(
      [0, 1].map(async () => {
        while (next < rs.length) {
          const chunk = rs.slice(next, (next += PER_BODY));
          await s.write(encodeRecords(chunk));
        }
      }),
    ),
  );
}

console.log(`machine: ${machine()}`);
const now = BigInt(Date.now()) * 1_000_000n;
const rs = churning(RECORDS, now - 1_000_000_000n, 50n * MIN);
const buckets = { tag: `${prefix}-tag`, field: `${prefix}-field` };
const stores = { tag: store(buckets.tag, now), field: store(buckets.field, now) };
await stores.field.setup();
await stores.tag.setup();
// The tag bucket as an earlier gateway left it: one point with a client_port tag (a day ahead, outside every range read).
await http.write(
  ORG,
  buckets.tag,
  `session,client_port=1,local_ip=0.0.0.0,protocol=6,remote_ip=0.0.0.0,remote_vn=x,server_port=1,session_type=client,vn=x,vrouter_ip=0.0.0.0 total_bytes=0i ${now + 86_400_000_000_000n}`,
  60_000,
);
for (const k of ['tag', 'field'] as const) {
  const form = await stores[k].clientPortForm();
  if (form !== k) throw new Error(`the ${k} bucket is in the ${form} layout`);
}
const ms = { tag: 0, field: 0 };
const per = Math.ceil(RECORDS / SLICES);
for (let s = 0; s < SLICES; s++) {
  const order = s % 2 === 0 ? (['tag', 'field'] as const) : (['field', 'tag'] as const);
  for (const k of order) ms[k] += await write(stores[k], rs.slice(s * per, (s + 1) * per));
}
const card = async (b: string) => {
  const rows = await http.query(ORG, `import "influxdata/influxdb"\ninfluxdb.cardinality(bucket: "${b}", start: -2h)`);
  return Number([...rows.values()].flat()[0]?.['_value'] ?? -1);
};
const ctx: BuildContext = { now, retention, limits: { maxPageSize: 10_000, maxGroups: 1_000_000, maxSeriesPoints: 10_000 } };
const port = rs[Math.floor(RECORDS / 2)]!.clientPort;
const queries: [string, TrafficArgs][] = [
  ['top-10 label pairs', { range: { last: '1h' }, groupBy: [{ localLabel: 'app' }, { remoteLabel: 'app' }], first: 10 }],
  [`total bytes where clientPort eq ${port}`, { range: { last: '1h' }, where: { clientPort: { eq: port } } }],
  ['top-10 client ports', { range: { last: '1h' }, groupBy: [{ dimension: 'CLIENT_PORT' }], first: 10 }],
];
const answer = async (s: InfluxSessionStore, args: TrafficArgs) => {
  const page = await s.traffic(buildTrafficQuery(args, ctx));
  return JSON.stringify({ groups: page.groups, total: page.total, count: page.totalCount }, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
};
/** The alternative to the pivot: the client_port points of one port (a field value test) joined with the counters on series and time. */
const joined = `import "join"

ports = from(bucket: "${buckets.field}")
  |> range(start: ${new Date(Number((now - 60n * MIN) / 1_000_000n)).toISOString()}, stop: ${new Date(Number(now / 1_000_000n)).toISOString()})
  |> filter(fn: (r) => r._measurement == "session" and r._field == "client_port" and r._value == ${port})
  |> group(columns: ["_time", "_value", "_field", "_start", "_stop"], mode: "except")
counters = from(bucket: "${buckets.field}")
  |> range(start: ${new Date(Number((now - 60n * MIN) / 1_000_000n)).toISOString()}, stop: ${new Date(Number(now / 1_000_000n)).toISOString()})
  |> filter(fn: (r) => r._measurement == "session" and r._field == "total_bytes")
  |> group(columns: ["_time", "_value", "_field", "_start", "_stop"], mode: "except")
join.inner(left: ports, right: counters, on: (l, r) => l._time == r._time, as: (l, r) => r)
  |> group()
  |> sum()`;
const result: string[] = [];
for (const [name, args] of queries) {
  const [a, b] = [await answer(stores.tag, args), await answer(stores.field, args)];
  if (a !== b) throw new Error(`${name}: tag ${a} vs field ${b}`);
  const samples = { tag: [] as number[], field: [] as number[], join: [] as number[] };
  const withJoin = name.includes('clientPort eq');
  if (withJoin) {
    const total = [...(await http.query(ORG, joined)).values()].flat()[0]?.['_value'];
    if (`"${total}"` !== JSON.stringify(JSON.parse(b).total.totalBytes)) throw new Error(`join: ${total} vs ${b}`);
  }
  for (let i = 0; i < ITERATIONS + 1; i++) {
    const t = await time(() => answer(stores.tag, args));
    const f = await time(() => answer(stores.field, args));
    const j = withJoin ? await time(() => http.query(ORG, joined)) : 0;
    if (i > 0) samples.tag.push(t), samples.field.push(f), samples.join.push(j);
  }
  const p = (k: 'tag' | 'field' | 'join') => percentile(samples[k], 50);
  result.push(
    `  ${name}: tag p50 ${fmt(p('tag'))}, field p50 ${fmt(p('field'))} (field/tag ${(p('field') / p('tag')).toFixed(2)})` +
      (withJoin ? `; field by a join instead of the pivot p50 ${fmt(p('join'))}` : '') +
      ' (answers equal)',
  );
}
const counts = { tag: await card(buckets.tag), field: await card(buckets.field) };
console.log(`${RECORDS} records, ${ENDPOINTS} endpoint pairs, ${REPORTS} reports per session, ${SLICES} slices alternating, through InfluxSessionStore.write; buckets ${buckets.tag}, ${buckets.field}`);
for (const k of ['tag', 'field'] as const) {
  console.log(`  client_port as ${k.padEnd(5)}: ${(RECORDS / (ms[k] / 1000)).toFixed(0)} records/s written (${fmt(ms[k])}), series cardinality ${counts[k]}`);
}
console.log(`  write rate field/tag: ${(ms.tag / ms.field).toFixed(2)}x`);
console.log(result.join('\n'));
process.exit(0);
