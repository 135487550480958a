/**
 * The InfluxDB store against a real influxd (issue #5, docs/benchmarks.md
 * "InfluxDB"), both comparisons measured in the same run, interleaved:
 *
 * - ingest: the same records through the gateway (POST /ingest/sessions,
 *   NDJSON bodies of 5 000 records, CLIENTS in flight, answered after
 *   InfluxDB acknowledged) and straight to influxd with the official
 *   client's WriteApi (Points, batches of 5 000, all batches in flight);
 *   target: gateway >= 0.8x the direct rate;
 * - query: the top-10 label pairs over the last hour through GraphQL, and
 *   the very Flux the gateway sent (its meta.query) posted to /api/v2/query;
 *   target: gateway p50 <= 1.2x the direct p50.
 *
 *   scripts/services/influxdb.sh start && npm run bench:influx
 *   (INGEST_RECORDS=200000 QUERY_RECORDS=1000000 SESSIONS=20000 ROUNDS=3 ITERATIONS=15 CLIENTS=4)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB, Point, type WriteOptions } from '@influxdata/influxdb-client';
import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { SessionRecord } from '../../src/model/index.js';
import { InfluxHttp, type InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { gql } from '../../test/support/gateway.js';
import { fmt, machine, percentile, time } from '../support.js';

const INGEST_RECORDS = Number(process.env['INGEST_RECORDS'] ?? 200_000);
const QUERY_RECORDS = Number(process.env['QUERY_RECORDS'] ?? 1_000_000);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 15);
const CLIENTS = Number(process.env['CLIENTS'] ?? 4);
/** Distinct sessions (tag sets): each is reported again and again, as agents do every export interval. */
const SESSIONS = Number(process.env['SESSIONS'] ?? 20_000);
const PER_BODY = 5000;
const MIN = 60_000_000_000n;

const fileEnv = (() => {
  const state = process.env['SAG_STATE'] ?? join(homedir(), '.cache', 'session-analytics-gateway', 'run');
  try {
    return Object.fromEntries(
      readFileSync(join(state, 'influxdb.env'), 'utf8')
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  } catch {
    return {} as Record<string, string>;
  }
})();
const URL = process.env['INFLUX_URL'] || fileEnv['INFLUX_URL'] || 'http://127.0.0.1:8086';
const TOKEN = process.env['INFLUX_TOKEN'] || fileEnv['INFLUX_TOKEN'] || '';
const ORG = process.env['INFLUX_ORG'] || fileEnv['INFLUX_ORG'] || 'sag';
const run = `sagb-${Date.now().toString(36)}`;
const http = new InfluxHttp({ url: URL, token: TOKEN, requestTimeoutMs: 60_000, queryTimeoutMs: 300_000 });
const dir = mkdtempSync(join(tmpdir(), 'sag-influx-bench-'));
const gateways: Gateway[] = [];

function records(n: number, now: bigint, spanNs: bigint, seed: number): SessionRecord[] {
  const out: SessionRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = (i + seed) % SESSIONS;
    const h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    out[i] = {
      time: now - spanNs + (spanNs * BigInt(i)) / BigInt(n) + BigInt(seed % 1000) + BigInt(i % 1000),
      vn: `default-domain:k8s-ns${k % 20}:pod-network`,
      vmi: `default-domain:k8s-ns${k % 20}:vmi-${k % 500}`,
      remoteVn: `default-domain:k8s-ns${(k * 7) % 20}:pod-network`,
      vrouterIp: `192.168.0.${k % 50}`,
      localIp: `10.244.${k % 200}.${k % 250}`,
      clientPort: 30000 + (k % 2000),
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

/** The records as the ingest listener takes them: NDJSON flat records, epoch-ns times. */
function ndjsonBodies(rs: readonly SessionRecord[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < rs.length; i += PER_BODY) {
    const lines = rs.slice(i, i + PER_BODY).map((r) =>
      `{"time":${r.time},"vn":"${r.vn}","vmi":"${r.vmi}","remote_vn":"${r.remoteVn}","vrouter_ip":"${r.vrouterIp}",` +
      `"local_ip":"${r.localIp}","client_port":${r.clientPort},"remote_ip":"${r.remoteIp}","server_port":${r.serverPort},` +
      `"protocol":${r.protocol},"labels":{"local":${JSON.stringify(r.localLabels)},"remote":${JSON.stringify(r.remoteLabels)}},` +
      `"forward_sampled_bytes":${r.forwardSampledBytes},"forward_sampled_pkts":${r.forwardSampledPkts},` +
      `"reverse_sampled_bytes":${r.reverseSampledBytes},"reverse_sampled_pkts":${r.reverseSampledPkts},"total_bytes":${r.totalBytes}}`,
    );
    out.push(Buffer.from(`${lines.join('\n')}\n`));
  }
  return out;
}

function point(r: SessionRecord): Point {
  const p = new Point('session')
    .tag('vn', r.vn)
    .tag('vmi', r.vmi!)
    .tag('remote_vn', r.remoteVn)
    .tag('vrouter_ip', r.vrouterIp)
    .tag('local_ip', r.localIp)
    .tag('client_port', String(r.clientPort))
    .tag('remote_ip', r.remoteIp)
    .tag('server_port', String(r.serverPort))
    .tag('protocol', String(r.protocol))
    .tag('session_type', r.sessionType);
  for (const [k, v] of Object.entries(r.localLabels)) p.tag(`label.local.${k}`, v);
  for (const [k, v] of Object.entries(r.remoteLabels)) p.tag(`label.remote.${k}`, v);
  return p
    .intField('forward_sampled_bytes', r.forwardSampledBytes)
    .intField('forward_sampled_pkts', r.forwardSampledPkts)
    .intField('reverse_sampled_bytes', r.reverseSampledBytes)
    .intField('reverse_sampled_pkts', r.reverseSampledPkts)
    .intField('total_bytes', r.totalBytes)
    .timestamp(String(r.time));
}

async function orgID(): Promise<string> {
  const orgs = await http.find<{ orgs: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(ORG)}`);
  return orgs!.orgs[0]!.id;
}

async function createBucket(name: string): Promise<void> {
  await http.api('POST', '/api/v2/buckets', { orgID: await orgID(), name, retentionRules: [{ type: 'expire', everySeconds: 86_400 }] });
}

async function gateway(bucket: string, clock?: () => bigint): Promise<Gateway> {
  const gw = await createGateway(
    parseConfig({
      SESSION_STORE: 'influxdb',
      INFLUX_URL: URL,
      INFLUX_TOKEN: TOKEN,
      INFLUX_ORG: ORG,
      INFLUX_BUCKET: bucket,
      DUCKDB_PATH: ':memory:',
      DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'),
      QUERY_TIMEOUT: '300s',
    }),
    { runJobs: false, logLevel: 'error', ...(clock === undefined ? {} : { clock }) },
  );
  gateways.push(gw);
  return gw;
}

async function viaGateway(gw: Gateway, bodies: readonly Buffer[]): Promise<number> {
  let next = 0;
  return time(() =>
    Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const res = await gw.app.inject({ method: 'POST', url: '/ingest/sessions', headers: { 'content-type': 'application/x-ndjson' }, payload: body });
          if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        }
      }),
    ),
  );
}

/**
 * The official client's WriteApi: it sends each full batch at once without
 * waiting, so the time runs until InfluxDB has acknowledged every line
 * (its writeSuccess callback), not merely until flush() returned.
 */
async function direct(bucket: string, rs: readonly SessionRecord[], options: Partial<WriteOptions>): Promise<number> {
  let confirmed = 0;
  let failed: Error | undefined;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  const api = new InfluxDB({ url: URL, token: TOKEN, timeout: 60_000 }).getWriteApi(ORG, bucket, 'ns', {
    batchSize: PER_BODY,
    flushInterval: 0,
    maxRetries: 0,
    ...options,
    writeSuccess(lines) {
      confirmed += lines.length;
      if (confirmed === rs.length) done();
    },
    writeFailed(error) {
      failed = error;
      done();
    },
  });
  const ms = await time(async () => {
    api.writePoints(rs.map(point));
    await api.flush();
    await all;
  });
  if (failed !== undefined) throw failed;
  await api.close();
  return ms;
}

async function tasksOf(gw: Gateway): Promise<void> {
  const store = gw.services.sessions as InfluxSessionStore;
  const id = await orgID();
  for (const t of store.tasks()) {
    const found = await http.find<{ tasks: { id: string; name: string }[] }>(`/api/v2/tasks?orgID=${id}&name=${encodeURIComponent(t.name)}`);
    for (const x of found?.tasks ?? []) if (x.name === t.name) await http.api('DELETE', `/api/v2/tasks/${x.id}`);
  }
}

/** Loads records as line protocol, two requests of 5 000 lines at a time (all at once overwhelms a small influxd). */
async function load(bucket: string, rs: readonly SessionRecord[]): Promise<number> {
  const writer = new InfluxDB({ url: URL, token: TOKEN }).getWriteApi(ORG, bucket, 'ns');
  const lines = rs.map((r) => point(r).toLineProtocol(writer)!);
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

/**
 * Stops the gateways' tasks and leaves the buckets: deleting a bucket that
 * a query or task still reads crashes influxd 2.9.1 (docs/influxdb.md, "A
 * crash of influxd"). The benchmark's server is a fresh one each start.
 */
async function cleanup(): Promise<void> {
  for (const gw of gateways) await tasksOf(gw).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

const count = async (bucket: string) => {
  const rows = await http.query(ORG, `from(bucket: "${bucket}") |> range(start: -2h, stop: 1h) |> filter(fn: (r) => r._field == "total_bytes") |> group() |> count()`);
  return Number(rows.get('_result')?.[0]?.['_value'] ?? 0);
};

try {
  const version = await fetch(`${URL}/health`).then((r) => r.json() as Promise<{ version?: string }>);
  console.log(`machine: ${machine()}; influxd ${version.version ?? '?'} at ${URL} (same machine)`);

  // ---- ingest
  const rates = { gateway: [] as number[], gzip: [] as number[], plain: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const now = BigInt(Date.now()) * 1_000_000n;
    // Young records (the last 4 minutes): the common path, no late sums.
    const rs = records(INGEST_RECORDS, now - 1_000_000_000n, 4n * MIN, round * 7919);
    const bodies = ndjsonBodies(rs);
    const gw = await gateway(`${run}-gw${round}`);
    const gwMs = await viaGateway(gw, bodies);
    await gw.close();
    await createBucket(`${run}-gz${round}`);
    const gzMs = await direct(`${run}-gz${round}`, rs, {});
    await createBucket(`${run}-pl${round}`);
    const plMs = await direct(`${run}-pl${round}`, rs, { gzipThreshold: Number.MAX_SAFE_INTEGER });
    for (const [b, ms, list] of [[`${run}-gw${round}`, gwMs, rates.gateway], [`${run}-gz${round}`, gzMs, rates.gzip], [`${run}-pl${round}`, plMs, rates.plain]] as const) {
      const stored = await count(b);
      if (stored !== INGEST_RECORDS) throw new Error(`${b}: ${stored} records stored, ${INGEST_RECORDS} written`);
      list.push(INGEST_RECORDS / (ms / 1000));
    }
    console.log(`ingest round ${round + 1}: gateway ${fmt(gwMs)}, WriteApi gzip ${fmt(gzMs)}, WriteApi plain ${fmt(plMs)} for ${INGEST_RECORDS} records`);
  }
  const med = (xs: number[]) => percentile(xs, 50);
  const best = Math.max(med(rates.gzip), med(rates.plain));
  console.log(`ingest, ${INGEST_RECORDS} records x ${ROUNDS} rounds (median rate):`);
  console.log(`  gateway POST /ingest/sessions (NDJSON, ${CLIENTS} in flight, acknowledged): ${med(rates.gateway).toFixed(0)} records/s`);
  console.log(`  official WriteApi, Points, default gzip:                          ${med(rates.gzip).toFixed(0)} records/s`);
  console.log(`  official WriteApi, Points, no gzip:                               ${med(rates.plain).toFixed(0)} records/s`);
  console.log(`  ratio gateway / best direct: ${(med(rates.gateway) / best).toFixed(2)} (target >= 0.8)`);

  // ---- query
  const now = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
  const qBucket = `${run}-q`;
  const gw = await gateway(qBucket, () => now);
  console.log(`loading ${QUERY_RECORDS} records over the last hour...`);
  const loadMs = await load(qBucket, records(QUERY_RECORDS, now - 1_000_000_000n, 58n * MIN, 1));
  console.log(`loaded in ${fmt(loadMs)}`);
  const query = `{ sessionTraffic(range: {last: "1h"}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 10) {
  totalCount total { totalBytes } nodes { group { value } traffic { totalBytes } } meta { query } } }`;
  const viaGraphql = async () => {
    const res = await gql(gw.app, query);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res;
  };
  const first = await viaGraphql();
  const flux: string = first.data!['sessionTraffic'].meta.query;
  const directQuery = async () => {
    const res = await fetch(`${URL}/api/v2/query?org=${encodeURIComponent(ORG)}`, {
      method: 'POST',
      headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/vnd.flux', accept: 'application/csv' },
      body: flux,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`direct query: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text;
  };
  const csv = await directQuery();
  const top = String(first.data!['sessionTraffic'].nodes[0].traffic.totalBytes);
  if (!csv.includes(`,${top},`) && !csv.includes(`,${top}\r`)) throw new Error('the direct answer does not hold the gateway top group');
  console.log(`groups: ${first.data!['sessionTraffic'].totalCount}, top pair ${JSON.stringify(first.data!['sessionTraffic'].nodes[0].group.map((g: { value: string }) => g.value))} ${top} bytes`);
  for (let i = 0; i < 2; i++) {
    await viaGraphql();
    await directQuery();
  }
  const samples = { gateway: [] as number[], direct: [] as number[] };
  for (let i = 0; i < ITERATIONS; i++) {
    samples.gateway.push(await time(viaGraphql));
    samples.direct.push(await time(directQuery));
  }
  const p50 = { gateway: percentile(samples.gateway, 50), direct: percentile(samples.direct, 50) };
  console.log(`top-10 label pairs over ${QUERY_RECORDS} records in the last hour, ${ITERATIONS} interleaved runs each:`);
  console.log(`  gateway (GraphQL over HTTP inject, totals and totalCount included): p50 ${fmt(p50.gateway)}, p90 ${fmt(percentile(samples.gateway, 90))}`);
  console.log(`  the same Flux posted to /api/v2/query:                              p50 ${fmt(p50.direct)}, p90 ${fmt(percentile(samples.direct, 90))}`);
  console.log(`  ratio gateway / direct: ${(p50.gateway / p50.direct).toFixed(2)} (target <= 1.2)`);
  await gw.close();
} finally {
  await cleanup();
}
