import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { buildTrafficQuery, encodeRecords, formatDateTime, parseDuration, parseTiers, type Retention, type SessionRecord } from '../../src/model/index.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { sessionRecord } from '../support/records.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, runBucket, hourBoundaryAgo, MINUTE_NS, SECOND_NS } from './server.js';

// A gateway with INFLUX_ROLLUP=false (docs/influxdb.md "A replica without
// the rollup") follows the rollup another gateway runs on the same buckets:
// it plans with the statistics of the windows that gateway folded, and it
// never takes a tier window as folded before that gateway's watermark
// passed it, however late its run is. The exact answer across the watermark
// is raw's: the tier for the windows before it, raw after.
const server = await findInflux();

const S = SECOND_NS;
const M = MINUTE_NS;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d', raw) };
const W = 5n * M;

describeWithInflux('InfluxDB replica without the rollup: watermark and statistics', server, () => {
  // Six 5m windows from an hour boundary two hours ago (in the past for InfluxDB too); queries read the first three.
  const base = hourBoundaryAgo(2n);
  let clock = base;
  const bucket = runBucket('replica-rollup');
  const records: SessionRecord[] = [];
  const stores: InfluxSessionStore[] = [];
  let leader: InfluxSessionStore;
  let replica: InfluxSessionStore;
  const open = async (o: { observeRollups?: boolean } = {}) => {
    const s = await openTestStore(server, { bucket, retention, clock: () => clock, ...o });
    stores.push(s);
    return s;
  };
  /** Sessions and total bytes per app over [base, base + 3W), as `store` answers it. */
  const byApp = async (store: InfluxSessionStore) => {
    const q = buildTrafficQuery(
      { range: { from: formatDateTime(base), to: formatDateTime(base + 3n * W) }, groupBy: [{ localLabel: 'app' }] },
      { now: clock, retention, limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 100 }, folding: store.folding },
    );
    const page = await store.traffic(q);
    return { tier: page.meta.tier, by: Object.fromEntries(page.groups.map((g) => [g.values[0], [g.traffic.sessions, g.traffic.totalBytes]])) };
  };
  const expected = (from: bigint, to: bigint) => {
    const out: Record<string, [bigint, bigint]> = {};
    for (const r of records.filter((x) => x.time >= from && x.time < to)) {
      const app = r.localLabels['app']!;
      const [n, b] = out[app] ?? [0n, 0n];
      out[app] = [n + 1n, b + r.totalBytes];
    }
    return out;
  };

  beforeAll(async () => {
    leader = await open();
    replica = await open();
    for (let i = 0; i < 1200; i++) {
      records.push(
        sessionRecord({
          time: base + (BigInt(i) * 6n * W) / 1200n,
          vrouterIp: `192.168.81.${i % 7}`,
          clientPort: 40000 + i,
          localLabels: { app: `app-${i % 5}` },
          remoteLabels: { app: `db-${i % 3}` },
          totalBytes: BigInt(100 + i),
        }),
      );
    }
    // Each batch written just after its records: none is late.
    for (let i = 0; i < records.length; i += 100) {
      const batch = records.slice(i, i + 100);
      clock = batch.at(-1)!.time + S;
      await leader.write(encodeRecords(batch));
    }
  }, 60_000);
  afterAll(async () => {
    for (const s of stores.splice(0)) await s.close();
    if (leader !== undefined) await dropStore(server, leader);
  });

  it('reads no watermark and no statistics before a rollup ran, then those of the window the other gateway folded', async () => {
    clock = base + 10n * M;
    expect(await replica.observeWatermarks()).toEqual([null]);
    expect(replica.sourceStats()).toBeNull();
    // The leader's run scheduled at base + 10m folds the first window only.
    clock = base + 10n * M + leader.rollupSchedules()[0]!.offsetNs;
    expect((await leader.runScheduled(base + 10n * M))[0]!.at(-1)).toBe(base);
    expect(await replica.observeWatermarks()).toEqual([base + W]);
    const stats = replica.sourceStats();
    expect(stats).not.toBeNull();
    expect(stats).toEqual(leader.sourceStats());
    // Every record of the first window, in its tier's `sessions`.
    expect(stats!.rawPerSecond).toBeCloseTo(records.filter((r) => r.time < base + W).length / 300, 6);
  });

  it('with the run of the later windows late, the tier serves only up to the watermark and raw the rest: exact on leader and replica', async () => {
    // Half an hour on, the schedule alone would take the first six windows as folded.
    clock = base + 40n * M;
    const tier = retention.tiers[0]!;
    const want = expected(base, base + 3n * W);
    expect(Object.keys(want)).toHaveLength(5);
    for (const store of [leader, replica]) {
      expect(store.folding.kind === 'time' && store.folding.foldedBefore(tier, clock)).toBe(base + W);
      const got = await byApp(store);
      expect(got.tier).toBe('raw+5m');
      expect(got.by).toEqual(want);
    }
    // A store that knows no watermark credits by the schedule, and misses the records of the windows not written yet.
    const blind = await open();
    expect(blind.folding.kind === 'time' && blind.folding.foldedBefore(tier, clock)).toBe(base + 30n * M);
    const got = await byApp(blind);
    expect(got.tier).toBe('5m');
    expect(got.by).toEqual(expected(base, base + W));
  });

  it('once the leader catches up, the replica reads the new watermark and the tier serves every whole window', async () => {
    clock = base + 40n * M;
    await leader.runScheduled(base + 30n * M);
    expect(await replica.observeWatermarks()).toEqual([base + 25n * M]);
    const got = await byApp(replica);
    expect(got.tier).toBe('5m');
    expect(got.by).toEqual(expected(base, base + 3n * W));
    // The statistics are those of the last folded window now, on both.
    expect(replica.sourceStats()).toEqual(leader.sourceStats());
    expect(replica.sourceStats()!.rawPerSecond).toBeCloseTo(records.filter((r) => r.time >= base + 20n * M && r.time < base + 25n * M).length / 300, 6);
  });

  it('with observeRollups, a store reads the watermark and statistics on its own timer, at once on opening', async () => {
    clock = base + 40n * M;
    const follower = await open({ observeRollups: true });
    await vi.waitFor(() => expect(follower.folding.kind === 'time' && follower.folding.foldedBefore(retention.tiers[0]!, clock)).toBe(base + 25n * M), {
      timeout: 20_000,
      interval: 100,
    });
    expect(follower.sourceStats()).toEqual(leader.sourceStats());
    expect((await byApp(follower)).by).toEqual(expected(base, base + 3n * W));
  });
});
