/**
 * Default TIERS for flow views (issue 17, item 2): today's defaults against
 * the proposed ones with a 1m flow tier that drops IPs, the client port,
 * the vRouter and the VMI, on the bench:duckdb data set (the last hour).
 * Per configuration: the rollup run over the hour, the rows per hour of
 * each tier, and the top-10 label pairs over the last hour through GraphQL
 * (the source plan: a tier's whole windows, raw at the edges and past the
 * watermark) against the raw-only plan of the same query on the same store,
 * checked equal before they are timed.
 *
 *   npm run bench:duckdb:tiers        (RECORDS=3000000 ITERATIONS=9 by default; SESSIONS=20000 as bench:influx)
 */
import { buildTrafficQuery, parseDuration, parseTiers, type TrafficArgs } from '../../src/model/index.js';
import { gql } from '../../test/support/gateway.js';
import { fmt, machine, percentile, time } from '../support.js';
import { HOUR, loadDataset } from './dataset.js';

const RECORDS = Number(process.env['RECORDS'] ?? 3_000_000);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 9);
/** Distinct sessions (tag sets), each reported again and again as in bench:influx; default: every record its own. */
const SESSIONS = process.env['SESSIONS'] === undefined ? undefined : Number(process.env['SESSIONS']);
const FLOW_DROP = 'client_port+local_ip+remote_ip+vrouter_ip+vmi';
const CONFIGS: [string, string][] = [
  ['today', '5m:7d,1h:90d'],
  ['proposed', `1m:2d:${FLOW_DROP},5m:7d,1h:90d`],
];
const query = `{ sessionTraffic(range: {last: "1h"}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 10) {
  totalCount total { totalBytes } nodes { group { value } traffic { totalBytes } } meta { tier } } }`;
const args: TrafficArgs = { range: { last: '1h' }, groupBy: [{ localLabel: 'app' }, { remoteLabel: 'app' }], first: 10 };

console.log(`machine: ${machine()}`);
for (const [label, tiers] of CONFIGS) {
  const data = await loadDataset(RECORDS, HOUR, { TIERS: tiers }, SESSIONS);
  const { gw, db, now } = data;
  const rollupMs = await time(() => db.rollup());
  const raw = parseDuration('24h', 'raw');
  const counts: string[] = [];
  for (const t of parseTiers(tiers, raw)) {
    const rows = await db.query({ text: `SELECT count(*) AS n FROM sessions_${t.name} WHERE window_start >= ${now - HOUR}`, params: [] });
    counts.push(`${t.name} ${Number(rows[0]!['n'])}`);
  }
  const viaGraphql = async () => {
    const res = await gql(gw.app, query);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.sessionTraffic;
  };
  // The same query as store calls: planned as the gateway plans it (the rollup's row counts), and raw-only.
  const stats = gw.services.sessions.sourceStats?.() ?? null;
  const planned = () =>
    gw.services.sessions.traffic(buildTrafficQuery(args, { now, retention: gw.services.retention, limits: gw.services.limits, stats }, ['TOTAL_BYTES']));
  const rawOnly = () =>
    gw.services.sessions.traffic(
      buildTrafficQuery(args, { now, retention: { raw, tiers: [] }, limits: gw.services.limits }, ['TOTAL_BYTES']),
    );
  // Each tier alone, whatever the estimate: what its plan really costs.
  const forced = parseTiers(tiers, raw).map((t) => ({
    name: t.name,
    call: () =>
      gw.services.sessions.traffic(
        buildTrafficQuery(args, { now, retention: { raw, tiers: [t] }, limits: gw.services.limits, stats: { rawPerSecond: 1, tierRowsPerWindow: { [t.name]: 0 } } }, ['TOTAL_BYTES']),
      ),
  }));
  const g = await viaGraphql();
  const r = await rawOnly();
  const same =
    String(g.total.totalBytes) === String(r.total.totalBytes) &&
    JSON.stringify(g.nodes.map((n: { traffic: { totalBytes: number } }) => String(n.traffic.totalBytes))) ===
      JSON.stringify(r.groups.map((x) => String(x.traffic.totalBytes)));
  if (!same) throw new Error(`${label}: the planned and the raw-only answers differ`);
  const samples = { graphql: [] as number[], planned: [] as number[], raw: [] as number[] };
  for (let i = 0; i < 2; i++) {
    await viaGraphql();
    await planned();
    await rawOnly();
  }
  for (let i = 0; i < ITERATIONS; i++) {
    samples.graphql.push(await time(viaGraphql));
    samples.planned.push(await time(planned));
    samples.raw.push(await time(rawOnly));
  }
  const p = { graphql: percentile(samples.graphql, 50), planned: percentile(samples.planned, 50), raw: percentile(samples.raw, 50) };
  console.log(`${label} TIERS=${tiers}`);
  console.log(`  rollup of ${RECORDS} records (one hour): ${fmt(rollupMs)}; rows in the last hour: ${counts.join(', ')}`);
  console.log(`  stats from the rollup: ${JSON.stringify(stats)}`);
  for (const f of forced) {
    const a = await f.call();
    if (String(a.total.totalBytes) !== String(r.total.totalBytes)) throw new Error(`${f.name} forced differs`);
    const ms: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) ms.push(await time(f.call));
    console.log(`  ${f.name} tier forced (${a.meta.tier}): p50 ${fmt(percentile(ms, 50))}`);
  }
  console.log(`  top-10 label pairs, last 1h, via GraphQL (${g.meta.tier}): p50 ${fmt(p.graphql)}`);
  console.log(`  store calls: planned p50 ${fmt(p.planned)}, p90 ${fmt(percentile(samples.planned, 90))}; raw-only p50 ${fmt(p.raw)}; ratio raw / planned ${(p.raw / p.planned).toFixed(2)}x; answers equal`);
  await data.close();
}
