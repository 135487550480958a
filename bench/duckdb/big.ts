/**
 * 100 M records on the embedded store (issue 17, item 5): 24 h of a
 * mid-sized cluster at 1 200 records a second (big-dataset.ts: generated
 * once, rolled up by the gateway's own rollup job, cached), and on a copy
 * of it:
 *
 * - the top-10 label pairs over the last 24 h and the last 1 h, and a
 *   series of 24 h in 5m buckets (top 10 label pairs), each as the gateway
 *   plans it (the rollup's row counts), via GraphQL and as store calls,
 *   against the raw-only SQL of the same query on the same store (answers
 *   checked equal before timing), and the 24 h one also with the 1h tier
 *   alone (the plan before nested plans);
 * - ingest into the store while the table holds them, against the same
 *   batches into an empty store, in the same run;
 * - a rollup an hour later: what folding the new records, compacting and
 *   expiring an hour of raw records costs;
 * - RSS, file sizes, tier rows.
 *
 *   flock /tmp/sag-bench.lock npm run bench:duckdb:big      (ITERATIONS=5; RECORDS, SESSIONS, RATE: big-dataset.ts)
 *   nice -n 10 npx tsx bench/duckdb/big-dataset.ts           (only generate and roll up the cached data set)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import {
  buildSeriesQuery,
  buildTrafficQuery,
  encodeRecords,
  formatDateTime,
  type BuildContext,
  type RecordBatch,
  type SeriesArgs,
  type SessionRecord,
  type TrafficArgs,
} from '../../src/model/index.js';
import type { Gateway } from '../../src/gateway.js';
import { gql } from '../../test/support/gateway.js';
import { fmt, machine, percentile, time } from '../support.js';
import { HOUR, bigDataset, openGateway, workingCopy } from './big-dataset.js';

const TIERS = process.env['TIERS'] ?? '5m:7d,1h:90d';
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 5);
const PAIR = [{ localLabel: 'app' }, { remoteLabel: 'app' }];
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

console.log(`machine: ${machine()}`);
const { path, meta } = await bigDataset(TIERS);
console.log(
  `data set: ${meta.records} records, ${meta.sessions} flows, generated in ${fmt(meta.loadMs)} (${gib(meta.fileBytes)}); ` +
    `rollup of the day by the gateway's job ${fmt(meta.rollupMs)} (${JSON.stringify(meta.rolledUp)}), file ${gib(meta.rolledBytes)}`,
);
const INGEST_BATCHES = 40;
const ingestRate = async (target: Gateway, batches: RecordBatch[]) => {
  const ms = await time(async () => {
    for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map((b) => target.services.sessions.write(b)));
  });
  return (batches.length * 5000) / (ms / 1000);
};
const emptyDir = mkdtempSync(join(tmpdir(), 'sag-big-empty-'));
const empty = await openGateway(join(emptyDir, 'empty.duckdb'), TIERS, () => BigInt(meta.now));
const emptyRate = await ingestRate(empty, ingestBatches(BigInt(meta.now), INGEST_BATCHES, 5000));
await empty.close();
rmSync(emptyDir, { recursive: true, force: true });
const copy = workingCopy(path);
let now = BigInt(meta.now);
const gw = await openGateway(copy, TIERS, () => now);
const db = gw.embedded!;
try {
  // A rollup with nothing new: what it costs, and the row counts the planner reads.
  const idleMs = await time(() => db.rollup());
  const stats = gw.services.sessions.sourceStats?.() ?? null;
  console.log(`rollup with nothing to fold: ${fmt(idleMs)}; stats ${JSON.stringify(stats)}`);
  for (const t of ['sessions', 'sessions_5m', 'sessions_1h']) {
    const r = await db.query({ text: `SELECT count(*) AS n FROM ${t}`, params: [] });
    console.log(`  ${t}: ${Number(r[0]!['n'])} rows`);
  }
  const retention = gw.services.retention;
  const limits = gw.services.limits;
  const ctx = (tiers = retention.tiers): BuildContext => ({ now, retention: { raw: retention.raw, tiers }, limits, stats });
  const rawCtx = ctx([]);
  const oneHour = retention.tiers.filter((t) => t.name === '1h');

  const trafficCase = async (label: string, args: TrafficArgs, extra: [string, BuildContext][]) => {
    const graphql = `{ sessionTraffic(range: {last: "${args.range.last}"}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 10) {
      totalCount total { totalBytes } nodes { group { value } traffic { totalBytes } } meta { tier } } }`;
    const viaGraphql = async () => {
      const res = await gql(gw.app, graphql);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return res.data!.sessionTraffic as { total: { totalBytes: unknown }; nodes: { traffic: { totalBytes: unknown } }[]; meta: { tier: string } };
    };
    const call = (c: BuildContext) => () => gw.services.sessions.traffic(buildTrafficQuery(args, c, ['TOTAL_BYTES']));
    const plans: [string, () => Promise<unknown>, BuildContext][] = [
      ['planned', call(ctx()), ctx()],
      ['raw-only', call(rawCtx), rawCtx],
      ...extra.map(([n, c]): [string, () => Promise<unknown>, BuildContext] => [n, call(c), c]),
    ];
    const answers = await Promise.all(plans.map(async ([, , c]) => gw.services.sessions.traffic(buildTrafficQuery(args, c, ['TOTAL_BYTES']))));
    const key = (a: (typeof answers)[number]) => JSON.stringify([String(a.total.totalBytes), a.totalCount, a.groups.map((g) => [...g.values, String(g.traffic.totalBytes)])]);
    for (let i = 1; i < answers.length; i++) if (key(answers[i]!) !== key(answers[0]!)) throw new Error(`${label}: ${plans[i]![0]} differs from planned`);
    const g = await viaGraphql();
    if (String(g.total.totalBytes) !== String(answers[0]!.total.totalBytes)) throw new Error(`${label}: GraphQL differs`);
    const samples = new Map<string, number[]>([['graphql', []], ...plans.map(([n]): [string, number[]] => [n, []])]);
    await viaGraphql();
    for (const [, f] of plans) await f();
    for (let i = 0; i < ITERATIONS; i++) {
      samples.get('graphql')!.push(await time(viaGraphql));
      for (const [n, f] of plans) samples.get(n)!.push(await time(f));
    }
    const p50 = (n: string) => percentile(samples.get(n)!, 50);
    console.log(`${label}: answers equal (${answers[0]!.totalCount} groups)`);
    console.log(`  via GraphQL (${g.meta.tier}): p50 ${fmt(p50('graphql'))}`);
    plans.forEach(([n], i) => console.log(`  ${n} (${answers[i]!.meta.tier}): p50 ${fmt(p50(n))}, p90 ${fmt(percentile(samples.get(n)!, 90))}`));
    console.log(`  raw-only / planned: ${(p50('raw-only') / p50('planned')).toFixed(1)}x`);
    const q = buildTrafficQuery(args, ctx(), ['TOTAL_BYTES']);
    console.log(`  plan: ${q.source.pieces.map((p) => `${p.kind === 'raw' ? 'raw' : `${p.kind}:${p.tier.name}`} ${(p.span.to - p.span.from) / 1_000_000_000n}s`).join(', ')}`);
  };

  // The plan before nested plans: the 1h tier's whole windows, raw for the rest, whatever the estimate says.
  const forced: BuildContext = { ...ctx(oneHour), stats: { rawPerSecond: 1, tierRowsPerWindow: { '1h': 0 } } };
  // The nested plan whatever the estimate says (tiers free, raw dear): 1h inside, 5m at the edges, raw for the rest.
  const nested: BuildContext = { ...ctx(), stats: { rawPerSecond: 1e6, tierRowsPerWindow: { '5m': 1, '1h': 0 } } };
  await trafficCase('top-10 label pairs, last 24h', { range: { last: '24h' }, groupBy: PAIR, first: 10 }, [
    ['1h tier and raw', forced],
    ['nested, forced', nested],
  ]);

  // What a tier row costs against a raw row: 23 whole hours from the 1h tier alone and from raw alone, per row read.
  const hourEnd = now - (now % HOUR);
  const whole = { from: formatDateTime(hourEnd - 23n * HOUR), to: formatDateTime(hourEnd) };
  const perRow = async (c: BuildContext, table: string, column: string) => {
    const q = buildTrafficQuery({ range: whole, groupBy: PAIR, first: 10 }, c, ['TOTAL_BYTES']);
    const rows = await db.query({ text: `SELECT count(*) AS n FROM ${table} WHERE ${column} >= ${hourEnd - 23n * HOUR} AND ${column} < ${hourEnd}`, params: [] });
    await gw.services.sessions.traffic(q);
    const ms: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) ms.push(await time(() => gw.services.sessions.traffic(q)));
    return { ms: percentile(ms, 50), rows: Number(rows[0]!['n']), tier: (await gw.services.sessions.traffic(q)).meta.tier };
  };
  const t1h = await perRow(forced, 'sessions_1h', 'window_start');
  const traw = await perRow(rawCtx, 'sessions', 'time_ns');
  console.log(
    `23 whole hours: ${t1h.tier} ${fmt(t1h.ms)} over ${t1h.rows} rows, ${traw.tier} ${fmt(traw.ms)} over ${traw.rows} rows: ` +
      `a tier row costs ${((t1h.ms / t1h.rows) / (traw.ms / traw.rows)).toFixed(1)} raw rows`,
  );
  await trafficCase('top-10 label pairs, last 1h', { range: { last: '1h' }, groupBy: PAIR, first: 10 }, []);

  // A series of 24 h in 5m buckets, the top 10 label pairs.
  const seriesArgs: SeriesArgs = { range: { last: '24h' }, every: '5m', groupBy: PAIR, limit: 10 };
  const series = (c: BuildContext) => () => gw.services.sessions.series(buildSeriesQuery(seriesArgs, c));
  const fiveMinutes: BuildContext = { ...ctx(retention.tiers.filter((t) => t.name === '5m')), stats: { rawPerSecond: 1, tierRowsPerWindow: { '5m': 0 } } };
  const [sp, sr, sf] = [await series(ctx())(), await series(rawCtx)(), await series(fiveMinutes)()];
  const skey = (s: typeof sp) => JSON.stringify(s.series.map((x) => [x.values, x.points.map((p) => [String(p.time), String(p.value)])]));
  if (skey(sp) !== skey(sr) || skey(sf) !== skey(sr)) throw new Error('series: planned, 5m forced and raw-only differ');
  const ss = { planned: [] as number[], raw: [] as number[], forced: [] as number[] };
  const SERIES_ITERATIONS = Math.min(ITERATIONS, 3);
  for (let i = 0; i < SERIES_ITERATIONS; i++) {
    ss.planned.push(await time(series(ctx())));
    ss.raw.push(await time(series(rawCtx)));
    ss.forced.push(await time(series(fiveMinutes)));
  }
  console.log(`series of 24h in 5m buckets, top 10 label pairs (${sp.series.length} series, ${sp.series.reduce((n, x) => n + x.points.length, 0)} points): answers equal`);
  console.log(`  planned (${sp.meta.tier}): p50 ${fmt(percentile(ss.planned, 50))}; raw-only: p50 ${fmt(percentile(ss.raw, 50))}; ${(percentile(ss.raw, 50) / percentile(ss.planned, 50)).toFixed(1)}x; 5m tier forced (${sf.meta.tier}): p50 ${fmt(percentile(ss.forced, 50))}`);
  console.log(`RSS after the queries: ${mb(process.memoryUsage().rss)} (peak ${mb(resourceUsage().maxRSS * 1024)})`);

  // Ingest while the table holds the day, against the same batches into an empty store (measured before this one opened).
  const bigRate = await ingestRate(gw, ingestBatches(now, INGEST_BATCHES, 5000));
  console.log(`ingest, ${INGEST_BATCHES} batches of 5000, 4 at a time: ${bigRate.toFixed(0)} records/s with the day in the table; ${emptyRate.toFixed(0)} into an empty store (${(bigRate / emptyRate).toFixed(2)}x)`);

  // An hour later: the rollup folds the new records, compacts the windows that closed, and expires an hour of raw.
  now += HOUR;
  let result: Awaited<ReturnType<typeof db.rollup>> | undefined;
  const laterMs = await time(async () => {
    result = await db.rollup();
  });
  console.log(`rollup an hour later: ${fmt(laterMs)}; folded ${JSON.stringify(result!.rolledUp)}, raw rows expired ${result!.deletedRaw}`);
  console.log(`RSS at the end: ${mb(process.memoryUsage().rss)} (peak ${mb(resourceUsage().maxRSS * 1024)}); working file ${gib(statSync(copy).size)}`);
} finally {
  await gw.close();
  rmSync(copy, { force: true });
  rmSync(`${copy}.wal`, { force: true });
}

/** `count` batches of `size` records in the last minute before `now`, over the data set's flows. */
function ingestBatches(now: bigint, count: number, size: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let b = 0; b < count; b++) {
    const records: SessionRecord[] = [];
    for (let i = 0; i < size; i++) {
      const k = (b * size + i) * 7919;
      const c = k % 3000;
      const s = (k * 31) % 3000;
      records.push({
        time: now - 60_000_000_000n + BigInt(b * size + i) * 1000n,
        vn: `default-domain:k8s-ns-${c % 200 % 25}:pod-network`,
        vmi: `vmi-${c}`,
        remoteVn: `default-domain:k8s-ns-${s % 200 % 25}:pod-network`,
        vrouterIp: `192.168.0.${1 + (c % 100)}`,
        localIp: `10.244.${Math.floor(c / 250)}.${c % 250}`,
        clientPort: 32768 + (k % 28232),
        remoteIp: `10.244.${Math.floor(s / 250)}.${s % 250}`,
        serverPort: [80, 443, 8080, 5432, 6379, 9092, 3306, 53][s % 200 % 8]!,
        protocol: 6,
        sessionType: k % 2 === 0 ? 'client' : 'server',
        localLabels: { app: `app-${c % 200}`, namespace: `ns-${c % 200 % 25}` },
        remoteLabels: { app: `app-${s % 200}`, namespace: `ns-${s % 200 % 25}` },
        forwardSampledBytes: 1000n,
        forwardSampledPkts: 2n,
        reverseSampledBytes: 3000n,
        reverseSampledPkts: 4n,
        totalBytes: 4000n,
      });
    }
    out.push(encodeRecords(records));
  }
  return out;
}
