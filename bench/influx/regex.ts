/**
 * What making a tag regex exact costs on InfluxDB (docs/benchmarks.md
 * "Regexes over stored tags"; src/stores/influxdb/stored-regex.ts): the
 * bench:influx data set (SESSIONS series, RECORDS records over 58 minutes,
 * no tiers) with one session in ESCAPED_EVERY given a local app label that
 * InfluxDB cannot store as itself (a line feed in it, a trailing backslash,
 * the empty value; ESCAPED_EVERY=0: none). Then, ITERATIONS times after a warm-up, interleaved:
 * the statement that lists those stored values alone, the top-10 label pairs
 * with a local-app regex as the store answers it (that statement, then the
 * query), and the same query without the statement (the Flux of before,
 * whose answer is wrong on those values). The store's answer is checked
 * against the records, evaluated with RE2 on the values.
 *
 *   scripts/services/influxdb.sh start && npm run bench:influx:regex
 *   (RECORDS=1000000 SESSIONS=20000 ESCAPED_EVERY=100 ITERATIONS=7 BENCH_PREFIX=sagb)
 */
import { RE2JS } from 're2js';
import { buildTrafficQuery, encodeRecords, type TrafficArgs } from '../../src/model/index.js';
import { compileTraffic } from '../../src/stores/influxdb/compile.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { escapedValuesScript } from '../../src/stores/influxdb/stored-regex.js';
import { fmt, machine, percentile, time } from '../support.js';
import { MIN, ORG, SESSIONS, cleanup, gateway, http, records, run } from './support.js';

const RECORDS = Number(process.env['RECORDS'] ?? 1_000_000);
const ESCAPED_EVERY = Number(process.env['ESCAPED_EVERY'] ?? 100);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 7);
const PATTERN = '^app-1|\\n|^$';
const ESCAPED = ['app-1\nx', 'app-2\\', ''];

console.log(`machine: ${machine()}`);
try {
  const now = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
  const bucket = `${run}-regex`;
  const gw = await gateway(bucket, () => now, { TIERS: 'none', INFLUX_ROLLUP: 'false' });
  const store = gw.opened.sessions as InfluxSessionStore;
  await store.setup();
  const rs = records(RECORDS, now - 1_000_000_000n, 58n * MIN, 1).map((r, i) => {
    const k = i % SESSIONS;
    return ESCAPED_EVERY > 0 && k % ESCAPED_EVERY === 0 ? { ...r, localLabels: { ...r.localLabels, app: ESCAPED[(k / ESCAPED_EVERY) % ESCAPED.length]! } } : r;
  });
  // Through the store's own write path: only its tag code can write those values (bench/influx/support.ts load cannot).
  const loadMs = await time(async () => {
    for (let i = 0; i < rs.length; i += 5000) await store.write(encodeRecords(rs.slice(i, i + 5000)));
  });
  const escaped = ESCAPED_EVERY > 0 ? `one in ${ESCAPED_EVERY} with an escaped app` : 'no escaped app';
  console.log(`${RECORDS} records of ${SESSIONS} series (${escaped}) loaded in ${fmt(loadMs)}`);

  const args: TrafficArgs = { range: { last: '1h' }, where: { localLabels: [{ name: 'app', regex: PATTERN }] }, groupBy: [{ localLabel: 'app' }, { remoteLabel: 'app' }], first: 10 };
  const q = buildTrafficQuery(args, { now, limits: gw.services.limits, folding: store.folding, retention: gw.services.retention }, ['TOTAL_BYTES']);
  // The query touches no client_port, so its Flux is the same in either layout (docs/influxdb.md).
  const before = compileTraffic(q, store.layout);
  const statement = escapedValuesScript([store.layout.rawBucket], ['label.local.app'], q.source.span.from, q.source.span.to);

  // The answer, from the records: sessions matching the regex on their values.
  const re = RE2JS.compile(PATTERN);
  const inRange = rs.filter((r) => r.time >= q.source.span.from && r.time < q.source.span.to && re.matcher(r.localLabels['app']!).find());
  const answer = await store.traffic(q);
  const want = inRange.reduce((t, r) => t + r.totalBytes, 0n);
  if (answer.total.totalBytes !== want) throw new Error(`the store answered ${answer.total.totalBytes} bytes, the records hold ${want}`);
  if (!answer.meta.query.startsWith(statement)) throw new Error('the store did not run the statement of stored-regex.ts first');

  const runs: [string, () => Promise<unknown>][] = [
    ['the statement alone', () => http.query(ORG, statement)],
    ['the query as the store answers it', () => store.traffic(q)],
    ['the query without the statement', () => http.query(ORG, before)],
  ];
  const samples = runs.map(() => [] as number[]);
  for (let i = 0; i < ITERATIONS + 1; i++) {
    for (const [k, [, fn]] of runs.entries()) {
      const ms = await time(fn);
      if (i > 0) samples[k]!.push(ms);
    }
  }
  const p50 = samples.map((s) => percentile(s, 50));
  console.log(`top-10 label pairs over the last hour where local app =~ /${PATTERN}/: ${inRange.length} records match`);
  for (const [k, [name]] of runs.entries()) console.log(`  ${name.padEnd(36)} p50 ${fmt(p50[k]!)}`);
  console.log(`  exact / before: ${(p50[1]! / p50[2]!).toFixed(2)}x`);
} finally {
  await cleanup();
}
