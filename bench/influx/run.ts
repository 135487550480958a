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
import { InfluxDB, type WriteOptions } from '@influxdata/influxdb-client';
import type { Gateway } from '../../src/gateway.js';
import type { SessionRecord } from '../../src/model/index.js';
import { gql } from '../../test/support/gateway.js';
import { fmt, machine, percentile, time } from '../support.js';
import { MIN, ORG, PER_BODY, TOKEN, URL, cleanup, createBucket, gateway, http, load, point, records, run } from './support.js';

const INGEST_RECORDS = Number(process.env['INGEST_RECORDS'] ?? 200_000);
const QUERY_RECORDS = Number(process.env['QUERY_RECORDS'] ?? 1_000_000);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 15);
const CLIENTS = Number(process.env['CLIENTS'] ?? 4);

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
