/**
 * Tiers on InfluxDB (issue 17): the top-10 label pairs over the last hour
 * of the bench:influx data set, planned (a tier's whole windows, raw at the
 * edges and past what the tasks completed) against raw-only, same store,
 * same run, answers checked equal; per TIERS configuration: today's
 * defaults and the proposed 1m flow tier. The tiers are filled by the
 * gateway's rollup over the hour (`InfluxSessionStore.rollup`, timed: the
 * code the scheduled runs use). OLD_FLUX=1 also times the Flux of the
 * tier tasks of earlier versions for the first tier over the same hour
 * (into a bucket of its own; it gives up at the 300 s query timeout).
 *
 *   scripts/services/influxdb.sh start && npm run bench:influx:tiers
 *   (QUERY_RECORDS=1000000 SESSIONS=20000 ITERATIONS=7 CONFIGS=today,proposed OLD_FLUX=0 BENCH_PREFIX=sagb)
 */
import { buildTrafficQuery, parseTiers, type BuildContext, type TrafficArgs } from '../../src/model/index.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { fmt, machine, percentile, time } from '../support.js';
import { fluxColumnList, fluxDuration, fluxString, fluxTime } from '../../src/stores/influxdb/flux.js';
import { MIN, ORG, cleanup, createBucket, gateway, http, load, records, run } from './support.js';

const QUERY_RECORDS = Number(process.env['QUERY_RECORDS'] ?? 1_000_000);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 7);
const FLOW_DROP = 'client_port+local_ip+remote_ip+vrouter_ip+vmi';
const CONFIGS: [string, string][] = (
  [
    ['today', '5m:7d,1h:90d'],
    ['proposed', `1m:2d:${FLOW_DROP},5m:7d,1h:90d`],
  ] as [string, string][]
).filter(([name]) => (process.env['CONFIGS'] ?? 'today,proposed').split(',').includes(name));
const OLD_FLUX = process.env['OLD_FLUX'] === '1';
const args: TrafficArgs = { range: { last: '1h' }, groupBy: [{ localLabel: 'app' }, { remoteLabel: 'app' }], first: 10 };

console.log(`machine: ${machine()}`);
try {
  for (const [label, tiers] of CONFIGS) {
    const now = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
    const bucket = `${run}-${label}`;
    const gw = await gateway(bucket, () => now, { TIERS: tiers });
    const store = gw.opened.sessions as InfluxSessionStore;
    await store.setup();
    const loadMs = await load(bucket, records(QUERY_RECORDS, now - 1_000_000_000n, 58n * MIN, 1));
    // Each tier on its own; "tiers filled" is their sum.
    const perTier: string[] = [];
    let rollupMs = 0;
    for (const [i, t] of store.layout.tiers.entries()) {
      const w = t.spec.window.ns;
      const windows = Number((now - (now - 65n * MIN) / w * w + w - 1n) / w);
      const ms = await time(() => store.rollup(now - 65n * MIN, now, i));
      rollupMs += ms;
      perTier.push(`${t.spec.name} ${fmt(ms)} (${windows} windows, ${fmt(ms / windows)} each)`);
    }
    console.log(`${label}: rollup per tier: ${perTier.join('; ')}`);
    if (OLD_FLUX) {
      const tier = store.layout.tiers[0]!;
      const into = `${bucket}-oldflux`;
      await createBucket(into);
      const started = Date.now();
      const outcome = await http.query(ORG, legacyRollupScript(bucket, into, tier.spec.window.ns, tier.spec.drop, now - 65n * MIN, now)).then(
        () => 'finished',
        (e: unknown) => `gave up (${String((e as Error).message).slice(0, 80)})`,
      );
      console.log(`${label}: the old task Flux for ${tier.spec.name} over the hour: ${outcome} after ${fmt(Date.now() - started)}`);
    }
    const counts: string[] = [];
    for (const t of store.layout.tiers) {
      const rows = await http.query(ORG, `from(bucket: "${t.bucket}") |> range(start: -2h, stop: 1h) |> filter(fn: (r) => r._field == "sessions") |> group() |> count()`);
      counts.push(`${t.spec.name} ${[...rows.values()].flat()[0]?.['_value'] ?? 0}`);
    }
    const base = { now, limits: gw.services.limits, folding: store.folding };
    const retention = gw.services.retention;
    const plans: [string, BuildContext][] = [
      // What the gateway plans with: the statistics the rollup observed (session-store.ts sourceStats) ...
      ['planned', { ...base, retention, stats: store.sourceStats() }],
      // ... and what it planned before it had them (the planner's defaults).
      ['no stats', { ...base, retention }],
      ['raw-only', { ...base, retention: { raw: retention.raw, tiers: [] } }],
      ...parseTiers(tiers, retention.raw).map((t): [string, BuildContext] => [`${t.name} forced`, { ...base, retention: { raw: retention.raw, tiers: [t] } }]),
    ];
    const call = (ctx: BuildContext) => store.traffic(buildTrafficQuery(args, ctx, ['TOTAL_BYTES']));
    const answers = await Promise.all(plans.map(async ([, ctx]) => call(ctx)));
    const key = (a: (typeof answers)[number]) => JSON.stringify([String(a.total.totalBytes), ...a.groups.map((g) => [g.values, String(g.traffic.totalBytes)])]);
    for (const [i, a] of answers.entries()) if (key(a) !== key(answers[2]!)) throw new Error(`${label}: ${plans[i]![0]} differs from raw-only`);
    const samples = plans.map(() => [] as number[]);
    for (let i = 0; i < ITERATIONS + 1; i++) {
      for (const [k, [, ctx]] of plans.entries()) {
        const ms = await time(() => call(ctx));
        if (i > 0) samples[k]!.push(ms);
      }
    }
    const rawP50 = percentile(samples[2]!, 50);
    console.log(`${label}: planner statistics ${JSON.stringify(store.sourceStats())}`);
    console.log(`${label} TIERS=${tiers}: ${QUERY_RECORDS} records loaded in ${fmt(loadMs)}; tiers filled (gateway rollup, 65 min) in ${fmt(rollupMs)}; tier points: ${counts.join(', ')}`);
    for (const [k, [name]] of plans.entries()) {
      const p50 = percentile(samples[k]!, 50);
      console.log(`  ${name.padEnd(12)} ${answers[k]!.meta.tier.padEnd(8)} p50 ${fmt(p50)}  raw-only / this ${(rawP50 / p50).toFixed(2)}x`);
    }
    console.log('  answers equal');
  }
} finally {
  await cleanup();
}
process.exit(0);

/** The Flux the tier tasks of earlier versions ran over a range (for the comparison only; its `to()` writes into `into`). */
function legacyRollupScript(rawBucket: string, into: string, w: bigint, drop: readonly string[], from: bigint, to: bigint): string {
  const start = from - (from % w);
  const stop = to % w === 0n ? to : to - (to % w) + w;
  const every = fluxDuration(w);
  const except = fluxColumnList(['_time', '_value', '_start', '_stop', ...drop]);
  const counters = ['forward_sampled_bytes', 'forward_sampled_pkts', 'reverse_sampled_bytes', 'reverse_sampled_pkts', 'total_bytes'];
  const oneOf = (fields: readonly string[]) => `(${fields.map((f) => `r._field == ${fluxString(f)}`).join(' or ')})`;
  const read = (fields: readonly string[], fn: string) => `from(bucket: ${fluxString(rawBucket)})
  |> range(start: ${fluxTime(start)}, stop: ${fluxTime(stop)})
  |> filter(fn: (r) => r._measurement == "session" and ${oneOf(fields)})
  |> group(columns: ${except}, mode: "except")
  |> aggregateWindow(every: ${every}, fn: ${fn}, createEmpty: false, timeSrc: "_start")`;
  return `import "strings"

sums = ${read(counters, 'sum')}
lateSums = ${read(counters.map((c) => `late_${c}`), 'sum')}
  |> map(fn: (r) => ({r with _field: strings.trimPrefix(v: r._field, prefix: "late_"), _value: -r._value}))
counts = ${read(['total_bytes'], 'count')}
  |> map(fn: (r) => ({r with _field: "sessions"}))
lateCounts = ${read(['late_total_bytes'], 'count')}
  |> map(fn: (r) => ({r with _field: "sessions", _value: -r._value}))
union(tables: [sums, lateSums, counts, lateCounts])
  |> group(columns: ${except}, mode: "except")
  |> aggregateWindow(every: ${every}, fn: sum, createEmpty: false, timeSrc: "_start")
  |> to(bucket: ${fluxString(into)})
`;
}
