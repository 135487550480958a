import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeRecords, parseDateTime, parseDuration, parseTiers, type Retention, type SessionRecord } from '../../src/model/index.js';
import { SERIES_READ_POINTS, type InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { escapeTagValue, recordSeries } from '../../src/stores/influxdb/line-protocol.js';
import { fluxString, fluxTime } from '../../src/stores/influxdb/flux.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import { sessionRecord } from '../support/records.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, runBucket, testHttp, hourBoundaryAgo, MINUTE_NS, SECOND_NS } from './server.js';

// The gateway's rollup (docs/influxdb.md "Tiers: the gateway's rollup") on a
// real influxd: many series with label tags that differ from record to
// record (names present on some series only, hostile values, records without
// a vmi), some of them late; each tier window must hold, per tag set, exactly
// the sums and count of the raw records of that window. And a gateway that
// opens after an outage catches up from the watermark on its own timer.
const server = await findInflux();

const S = SECOND_NS;
const M = MINUTE_NS;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const W = 5n * M;

describeWithInflux('InfluxDB tier rollup: exact per window and tag set', server, () => {
  // Three 5m windows, ending 40 minutes before the wall clock.
  const base = hourBoundaryAgo(2n);
  let clock = base + 15n * W; // an hour and a quarter after the first window
  let store: InfluxSessionStore;
  const records: SessionRecord[] = [];
  const late: SessionRecord[] = [];
  const values = HOSTILE_STRINGS.filter((v) => v.length > 0 && v.length < 200);

  beforeAll(async () => {
    store = await openTestStore(server, { bucket: runBucket('rollup'), retention, clock: () => clock });
    for (let i = 0; i < 3000; i++) {
      const localLabels: Record<string, string> = { app: `app-${i % 37}` };
      if (i % 3 === 0) localLabels['version'] = `v${i % 5}`;
      if (i % 7 === 0) localLabels['team'] = values[i % values.length]!;
      const remoteLabels: Record<string, string> = i % 4 === 0 ? {} : { app: `db-${i % 11}` };
      records.push(
        sessionRecord({
          time: base + (BigInt(i) * 3n * W) / 3000n + BigInt(i % 7),
          vrouterIp: `192.168.80.${i % 9}`,
          localIp: `10.1.${i % 13}.${i % 17}`,
          clientPort: 30000 + (i % 4000),
          serverPort: [80, 443][i % 2]!,
          vmi: i % 5 === 0 ? null : `vmi-${i % 23}`,
          localLabels,
          remoteLabels,
          forwardSampledBytes: BigInt(i),
          forwardSampledPkts: BigInt(i % 10),
          reverseSampledBytes: BigInt(2 * i),
          reverseSampledPkts: BigInt(i % 3),
          totalBytes: BigInt(3 * i),
        }),
      );
    }
    // Most arrive in time (clock just past their time), every tenth late.
    for (let i = 0; i < records.length; i += 500) {
      const batch = records.slice(i, i + 500);
      clock = batch.at(-1)!.time + S;
      const inTime = batch.filter((_, k) => (i + k) % 10 !== 0);
      await store.write(encodeRecords(inTime));
    }
    clock = base + 15n * W;
    late.push(...records.filter((_, i) => i % 10 === 0));
    for (let i = 0; i < late.length; i += 500) await store.write(encodeRecords(late.slice(i, i + 500)));
  }, 120_000);
  afterAll(async () => {
    if (store !== undefined) await dropStore(server, store);
  });

  /** Per window start and tier series: the sums of every raw record (late or not), what the tier must hold. */
  function expected(w: bigint, drop: readonly string[]): Map<string, bigint[]> {
    const out = new Map<string, bigint[]>();
    for (const r of records) {
      const key = `${r.time - (r.time % w)} ${recordSeries(r, new Set(drop))}`;
      const sums = out.get(key) ?? [0n, 0n, 0n, 0n, 0n, 0n];
      [r.forwardSampledBytes, r.forwardSampledPkts, r.reverseSampledBytes, r.reverseSampledPkts, r.totalBytes, 1n].forEach((v, i) => (sums[i]! += v));
      out.set(key, sums);
    }
    return out;
  }

  /** The same, read from a tier bucket: every point of a window summed per series (rollup points and the write path's late ones). */
  async function stored(bucket: string, w: bigint): Promise<Map<string, bigint[]>> {
    const rows =
      (
        await testHttp(server).query(
          server.org,
          `from(bucket: ${fluxString(bucket)})
  |> range(start: ${fluxTime(base - 60n * M)}, stop: ${fluxTime(base + 4n * 60n * M)})
  |> filter(fn: (r) => r._measurement == "session")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()`,
        )
      ).get('_result') ?? [];
    const fields = ['forward_sampled_bytes', 'forward_sampled_pkts', 'reverse_sampled_bytes', 'reverse_sampled_pkts', 'total_bytes', 'sessions'];
    const skip = new Set(['result', 'table', '_start', '_stop', '_time', '_measurement', ...fields]);
    const out = new Map<string, bigint[]>();
    for (const row of rows) {
      const t = parseDateTime(row['_time']!, '_time');
      const tags = Object.keys(row)
        .filter((k) => !skip.has(k) && row[k] !== '')
        .sort();
      const key = `${t - (t % w)} session${tags.map((k) => `,${k}=${escapeTagValue(row[k]!)}`).join('')}`;
      const sums = out.get(key) ?? [0n, 0n, 0n, 0n, 0n, 0n];
      fields.forEach((f, i) => (sums[i]! += BigInt(row[f] || '0')));
      out.set(key, sums);
    }
    return out;
  }

  it('a gateway opening after an outage catches up from the watermark on its own timer, then stops at close', async () => {
    // A run at base + 10m completed the first window only (the watermark says so) ...
    clock = base + 10n * M + 45n * S;
    expect((await store.runScheduled(base + 10n * M, 0))[0]!.at(-1)).toBe(base);
    // ... and a fresh store with the timers on, opening an hour later, computes the windows after it.
    const later = await openTestStore(server, { bucket: store.layout.rawBucket, retention, clock: () => base + 75n * M, runRollups: true });
    await later.rollupsIdle(); // the catch-up run that opening started
    await later.close();
    const wm = await testHttp(server).query(
      server.org,
      `from(bucket: ${fluxString(store.layout.tiers[0]!.bucket)}) |> range(start: ${fluxTime(base - 60n * M)}, stop: 2262-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "sag_rollup") |> group() |> max()`,
    );
    // The last run due at base + 75m is the one scheduled at base + 70m: windows ending by base + 65m.
    expect(wm.get('_result')?.[0]?.['_value']).toBe(String(base + 65n * M));
    // Before it, the last two windows held only the late records' points; now every record.
    const want = expected(W, store.layout.tiers[0]!.spec.drop);
    const got = await stored(store.layout.tiers[0]!.bucket, W);
    expect(Object.fromEntries(new Map([...got].filter(([, v]) => v.some((x) => x !== 0n))))).toEqual(Object.fromEntries(want));
  }, 120_000);

  it('every window of both tiers holds, per tag set, the sums and count of its raw records', async () => {
    await store.rollup(base, base + 3n * W);
    for (const tier of store.layout.tiers) {
      const want = expected(tier.spec.window.ns, tier.spec.drop);
      const got = await stored(tier.bucket, tier.spec.window.ns);
      // Zero points (tag sets whose records were all late) aside, the same keys and sums.
      const nonZero = new Map([...got].filter(([, v]) => v.some((x) => x !== 0n)));
      expect(nonZero.size).toBe(want.size);
      expect(Object.fromEntries(nonZero)).toEqual(Object.fromEntries(want));
    }
    // Many series: the test means something.
    expect(expected(W, []).size).toBeGreaterThan(2500);
  }, 120_000);

  it('after a rollup, the planner statistics are those of the last whole window: points, records, raw series (SERIES_READ_POINTS each)', async () => {
    await store.rollup(base, base + 3n * W);
    const stats = store.sourceStats();
    expect(stats).not.toBeNull();
    const last = base + 2n * W;
    const inLast = records.filter((r) => r.time >= last && r.time < last + W);
    // Every record of the window, late ones included, in its tier's `sessions`.
    expect(stats!.rawPerSecond).toBeCloseTo(inLast.length / 300, 6);
    const noPort = new Set(['client_port']);
    const tierSeries = new Set(inLast.map((r) => recordSeries(r, new Set(store.layout.tiers[0]!.spec.drop)))).size;
    // A tier point per series, and one more per late record's write.
    const lateInLast = inLast.filter((r) => late.includes(r)).length;
    expect(stats!.tierRowsPerWindow['5m']).toBeGreaterThanOrEqual(tierSeries);
    expect(stats!.tierRowsPerWindow['5m']).toBeLessThanOrEqual(tierSeries + lateInLast);
    expect(stats!.readCost!.tiers['5m']).toBe(stats!.tierRowsPerWindow['5m']! * SERIES_READ_POINTS);
    // The index counts the series of the window's shard: at least the window's, at most every record's.
    const rawSeries = stats!.readCost!.raw / SERIES_READ_POINTS;
    expect(rawSeries).toBeGreaterThanOrEqual(new Set(inLast.map((r) => recordSeries(r, noPort))).size);
    expect(rawSeries).toBeLessThanOrEqual(new Set(records.map((r) => recordSeries(r, noPort))).size);
    // The hour tier has no whole window in [base, base + 15m): raw's cost, so it is not chosen on a guess.
    expect(stats!.readCost!.tiers['1h']).toBe(stats!.readCost!.raw);
  }, 120_000);
});
