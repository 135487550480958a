/**
 * The flow-view queries on a real influxd (issue #13), each through GraphQL
 * against its own Flux posted straight to /api/v2/query: the very statements
 * the store sent (captured as they leave it; two for sessionRecords, the
 * label tag keys and then the page, run one after the other as the store
 * does), same run, interleaved; target: gateway p50 <= 1.2x the direct p50.
 *
 * The data set is bench:influx's query set (QUERY_RECORDS records of
 * SESSIONS sessions over the last 58 minutes), so compareTo 1h compares with
 * an empty hour and compareTo 30m compares two halves that both hold records.
 *
 *   scripts/services/influxdb.sh start && npm run bench:influx:flow
 *   (QUERY_RECORDS=200000 SESSIONS=20000 ITERATIONS=7)
 */
import type { InfluxHttp } from '../../src/stores/influxdb/index.js';
import { gql } from '../../test/support/gateway.js';
import { fmt, machine, percentile, time } from '../support.js';
import { MIN, ORG, SESSIONS, TOKEN, URL, cleanup, gateway, load, records, run } from './support.js';

const QUERY_RECORDS = Number(process.env['QUERY_RECORDS'] ?? 200_000);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 7);

const CASES: Record<string, string> = {
  'traffic 1h': `{ sessionTraffic(range: {last: "1h"}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 10) {
    totalCount total { totalBytes } nodes { group { value } traffic { totalBytes } } } }`,
  'compareTo 1h, CHANGE': `{ sessionTraffic(range: {last: "1h"}, compareTo: "1h", orderBy: {ranking: CHANGE}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 10) {
    totalCount total { totalBytes } previousTotal { totalBytes } nodes { group { value } traffic { totalBytes } previous { totalBytes } } } }`,
  'compareTo 30m, CHANGE': `{ sessionTraffic(range: {last: "30m"}, compareTo: "30m", orderBy: {ranking: CHANGE}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 10) {
    totalCount total { totalBytes } previousTotal { totalBytes } nodes { group { value } traffic { totalBytes } previous { totalBytes } } } }`,
  sessionValues: `{ sessionValues(range: {last: "1h"}, key: {localLabel: "app"}, where: {localLabels: [{name: "namespace", eq: "ns-3"}]}, first: 20) { value total } }`,
  'sessionSeries other': `{ sessionSeries(range: {last: "1h"}, every: "5m", groupBy: [{localLabel: "app"}], limit: 5, other: true) { series { other group { value } points { time value } } } }`,
  sessionLabelNames: `{ sessionLabelNames(range: {last: "1h"}, side: LOCAL) { name records } }`,
  'sessionRecords first 100': `{ sessionRecords(range: {last: "1h"}, first: 100) { nodes { time vn localIp clientPort localLabels { name value } traffic { totalBytes } } pageInfo { endCursor } } }`,
};

try {
  const version = await fetch(`${URL}/health`).then((r) => r.json() as Promise<{ version?: string }>);
  console.log(`machine: ${machine()}; influxd ${version.version ?? '?'} at ${URL} (same machine)`);
  const now = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
  const bucket = `${run}-flow`;
  const gw = await gateway(bucket, () => now);
  console.log(`loading ${QUERY_RECORDS} records of ${SESSIONS} sessions over the last hour...`);
  console.log(`loaded in ${fmt(await load(bucket, records(QUERY_RECORDS, now - 1_000_000_000n, 58n * MIN, 1)))}`);

  // Every Flux statement the store sends, as it sends it.
  const http = (gw.opened.sessions as unknown as { http: InfluxHttp }).http;
  const sent: string[] = [];
  const query = http.query.bind(http);
  http.query = (org, flux) => {
    sent.push(flux);
    return query(org, flux);
  };

  const cases: Record<string, { gateway: () => Promise<unknown>; direct: () => Promise<unknown> }> = {};
  for (const [name, text] of Object.entries(CASES)) {
    const viaGraphql = async () => {
      const res = await gql(gw.app, text);
      if (res.errors) throw new Error(`${name}: ${JSON.stringify(res.errors)}`);
      return res.data!;
    };
    sent.length = 0;
    const answer = JSON.stringify(await viaGraphql());
    const statements = [...sent];
    if (statements.length === 0) throw new Error(`${name}: no Flux sent`);
    const direct = async () => {
      for (const flux of statements) {
        const res = await fetch(`${URL}/api/v2/query?org=${encodeURIComponent(ORG)}`, {
          method: 'POST',
          headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/vnd.flux', accept: 'application/csv' },
          body: flux,
        });
        const csv = await res.text();
        if (!res.ok) throw new Error(`${name} direct: HTTP ${res.status} ${csv.slice(0, 300)}`);
      }
    };
    console.log(`${name}: ${statements.length} statement(s), answer ${answer.length} bytes: ${answer.slice(0, 160)}`);
    cases[name] = { gateway: viaGraphql, direct };
  }
  // Warm-up, then interleaved: each case through the gateway, then its Flux directly.
  for (const c of Object.values(cases)) {
    await c.gateway();
    await c.direct();
  }
  const samples: Record<string, { gateway: number[]; direct: number[] }> = Object.fromEntries(Object.keys(cases).map((k) => [k, { gateway: [], direct: [] }]));
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [name, c] of Object.entries(cases)) {
      samples[name]!.gateway.push(await time(c.gateway));
      samples[name]!.direct.push(await time(c.direct));
    }
    console.error(`round ${i + 1} of ${ITERATIONS} done`);
  }
  console.log(`flow-view queries over ${QUERY_RECORDS} records in the last hour, ${ITERATIONS} interleaved runs each (p50 / p90):`);
  for (const [name, s] of Object.entries(samples)) {
    const g = percentile(s.gateway, 50);
    const d = percentile(s.direct, 50);
    console.log(
      `  ${name.padEnd(26)} gateway ${fmt(g)} / ${fmt(percentile(s.gateway, 90))}   direct ${fmt(d)} / ${fmt(percentile(s.direct, 90))}   ratio ${(g / d).toFixed(2)} (target <= 1.2)`,
    );
  }
  await gw.close();
} finally {
  await cleanup();
}
