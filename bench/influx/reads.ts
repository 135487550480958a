/**
 * What one read costs on InfluxDB (docs/benchmarks.md "What a plan reads
 * on InfluxDB"; the planner's SERIES_READ_POINTS, session-store.ts): the
 * bench:influx data set (SESSIONS series, RECORDS records over 58 minutes)
 * in a bucket of its own, then the pushed-down grouped sum of the top-10
 * label-pair query (`filter |> group(columns: [the two app labels, _field])
 * |> sum()`, one field) over ranges of different lengths and over subsets
 * of the series, each ITERATIONS times after a warm-up, interleaved. A
 * least-squares fit of time = a + series x s + points x p over the rows
 * gives the cost of a series and of a point; their ratio is what a series
 * costs in points. Each row's group count is checked against the records.
 *
 *   scripts/services/influxdb.sh start && npm run bench:influx:reads
 *   (RECORDS=1000000 SESSIONS=20000 ITERATIONS=5 BENCH_PREFIX=sagb)
 */
import { fmt, machine, percentile, time } from '../support.js';
import { MIN, ORG, SESSIONS, cleanup, gateway, http, load, records, run } from './support.js';
import { fluxString, fluxTime } from '../../src/stores/influxdb/flux.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';

const RECORDS = Number(process.env['RECORDS'] ?? 1_000_000);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 5);

console.log(`machine: ${machine()}`);
try {
  const now = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
  const bucket = `${run}-reads`;
  const gw = await gateway(bucket, () => now, { TIERS: 'none', INFLUX_ROLLUP: 'false' });
  await (gw.opened.sessions as InfluxSessionStore).setup();
  const rs = records(RECORDS, now - 1_000_000_000n, 58n * MIN, 1);
  console.log(`${RECORDS} records of ${SESSIONS} series loaded in ${fmt(await load(bucket, rs))}`);

  type Row = { name: string; minutes: number; app: string | null; series: number; points: number; groups: number };
  const rows: Row[] = [];
  const add = (name: string, minutes: number, app: string | null) => {
    const from = now - BigInt(minutes) * MIN;
    const inside = rs.filter((r) => r.time >= from && r.time < now && (app === null || r.localLabels['app'] === app));
    const all = app === null ? rs : rs.filter((r) => r.localLabels['app'] === app);
    const key = (r: (typeof rs)[number]) => `${r.vn} ${r.vmi} ${r.remoteVn} ${r.vrouterIp} ${r.localIp} ${r.remoteIp} ${r.serverPort} ${JSON.stringify(r.localLabels)} ${JSON.stringify(r.remoteLabels)}`;
    // The series the predicate selects: every one of the shard, whatever the range (the index does not know times).
    rows.push({
      name,
      minutes,
      app,
      series: new Set(all.map(key)).size,
      points: inside.length,
      groups: new Set(inside.map((r) => `${r.localLabels['app']} ${r.remoteLabels['app']}`)).size,
    });
  };
  for (const m of [60, 30, 10, 5, 1]) add(`all series, last ${m}m`, m, null);
  add('one local app, last 60m', 60, 'app-1');
  add('one local app, last 1m', 1, 'app-1');

  const flux = (r: Row) => `from(bucket: ${fluxString(bucket)})
  |> range(start: ${fluxTime(now - BigInt(r.minutes) * MIN)}, stop: ${fluxTime(now)})
  |> filter(fn: (r) => r._measurement == "session" and r._field == "total_bytes"${r.app === null ? '' : ` and r["label.local.app"] == ${fluxString(r.app)}`})
  |> group(columns: ["label.local.app", "label.remote.app", "_field"])
  |> sum()
  |> group()
  |> count()`;
  const samples = rows.map(() => [] as number[]);
  for (let i = 0; i < ITERATIONS + 1; i++) {
    for (const [k, r] of rows.entries()) {
      let groups = -1;
      const ms = await time(async () => {
        const answer = await http.query(ORG, flux(r));
        groups = Number([...answer.values()].flat()[0]?.['_value'] ?? 0);
      });
      if (groups !== r.groups) throw new Error(`${r.name}: ${groups} groups, the records have ${r.groups}`);
      if (i > 0) samples[k]!.push(ms);
    }
  }
  const p50 = samples.map((s) => percentile(s, 50));
  for (const [k, r] of rows.entries()) console.log(`  ${r.name.padEnd(26)} series ${String(r.series).padStart(6)}  points ${String(r.points).padStart(8)}  p50 ${fmt(p50[k]!)}`);

  // Least squares for time = a + s x series + p x points (normal equations, 3 x 3).
  const X = rows.map((r) => [1, r.series, r.points]);
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => X.reduce((t, x) => t + x[i]! * x[j]!, 0)));
  const b = [0, 1, 2].map((i) => X.reduce((t, x, k) => t + x[i]! * p50[k]!, 0));
  const [a, s, p] = solve3(A, b);
  console.log(`fit: ${fmt(a)} a read + ${(s * 1000).toFixed(2)} µs a series + ${(p * 1000).toFixed(3)} µs a point: a series costs ${(s / p).toFixed(1)} points`);
} finally {
  await cleanup();
}
process.exit(0);

function solve3(A: number[][], b: number[]): [number, number, number] {
  const m = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < 3; c++) {
    const pivot = m.slice(c).reduce((best, row, i) => (Math.abs(row[c]!) > Math.abs(m[best]![c]!) ? c + i : best), c);
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < 4; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return [m[0]![3]! / m[0]![0]!, m[1]![3]! / m[1]![1]!, m[2]![3]! / m[2]![2]!];
}
