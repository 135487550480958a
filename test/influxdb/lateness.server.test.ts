import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTrafficQuery, encodeRecords, formatDateTime, parseDuration, parseTiers, type BuildContext, type Retention } from '../../src/model/index.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { sessionRecord } from '../support/records.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, runBucket } from './server.js';

// Where InfluxDB cannot be exact (docs/influxdb.md "Where a tier answer is
// not exact"): a record the tier task counted, sent again after
// INFLUX_LATE_AFTER, is counted again by the write path's late points, so a
// tier-served answer counts it twice while raw holds it once. Sent again
// within INFLUX_LATE_AFTER it is counted once. The bound is the lateness
// window: tested here on a store clock moved by hand, the gateway's scheduled
// rollup run (what its timer calls at s + offset) run by hand for a chosen s.
const server = await findInflux();

const S = 1_000_000_000n;
const M = 60n * S;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d', raw) };

describeWithInflux('InfluxDB tiers: the lateness bound', server, () => {
  // 2m into a 5m window, 40 minutes ago: every time here is in the past for InfluxDB too.
  const t0 = (BigInt(Date.now()) * 1_000_000n) / (5n * M) * (5n * M) - 40n * M + 2n * M;
  let clock = t0;
  let store: InfluxSessionStore;
  const ctx = (): BuildContext => ({
    now: clock,
    retention,
    limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 100 },
    folding: store.folding,
  });
  // Both records in the window W = [t0 - 2m, t0 + 3m), a minute old at t0: not late.
  const once = sessionRecord({ time: t0 - M, vrouterIp: '192.168.77.1', localLabels: { app: 'once' }, totalBytes: 30n });
  const twice = sessionRecord({ time: t0 - M + 1n, vrouterIp: '192.168.77.2', localLabels: { app: 'twice' }, totalBytes: 50n });
  // The run that completes W is scheduled at s = its end + INFLUX_LATE_AFTER, and starts at s + offset.
  const end = t0 + 3n * M;
  const s = end + 5n * M;
  // The last nanosecond of W: written just before s it is not late (raw only, for the run to count);
  // written at s it is late (the write path puts it in the tier, the run subtracts it).
  const edge = sessionRecord({ time: end - 1n, vrouterIp: '192.168.77.3', localLabels: { app: 'edge' }, totalBytes: 70n });
  const justLate = sessionRecord({ time: end - 1n, vrouterIp: '192.168.77.4', localLabels: { app: 'justLate' }, totalBytes: 90n });
  const sessions = async (groupBy: { localLabel?: string; dimension?: 'CLIENT_PORT' }[]) => {
    const q = buildTrafficQuery({ range: { from: formatDateTime(t0 - 10n * M), to: formatDateTime(t0 + 10n * M) }, groupBy: [{ localLabel: 'app' }, ...groupBy] }, ctx());
    const page = await store.traffic(q);
    return { tier: page.meta.tier, by: Object.fromEntries(page.groups.map((g) => [g.values[0], g.traffic.sessions])) };
  };

  beforeAll(async () => {
    store = await openTestStore(server, { bucket: runBucket('late'), retention, clock: () => clock, lateAfter: '5m' });
    await store.write(encodeRecords([once, twice]));
  }, 60_000);
  afterAll(async () => {
    if (store !== undefined) await dropStore(server, store);
  });

  it('a record sent again within INFLUX_LATE_AFTER is counted once, and the run at s counts W exactly', async () => {
    clock = t0 + 3n * M; // four minutes old: not late
    await store.write(encodeRecords([once]));
    clock = s - 1n;
    await store.write(encodeRecords([edge]));
    clock = s;
    await store.write(encodeRecords([justLate]));
    const offset = store.rollupSchedules()[0]!.offsetNs;
    clock = s + offset; // when the timer runs it
    const done = await store.runScheduled(s);
    expect(done[0]!.at(-1)).toBe(t0 - 2n * M);
    // The folding takes W as complete once the run had another offset to finish, not before.
    const tier = retention.tiers[0]!;
    expect(store.folding.kind === 'time' && store.folding.foldedBefore(tier, s + 2n * offset - 1n)).toBe(end - 5n * M);
    expect(store.folding.kind === 'time' && store.folding.foldedBefore(tier, s + 2n * offset)).toBe(end);
    clock = t0 + 30n * M; // the window is long folded: the tier serves it
    const got = await sessions([]);
    expect(got.tier).toMatch(/5m/);
    expect(got.by).toEqual({ once: 1n, twice: 1n, edge: 1n, justLate: 1n });
  });

  it('a record sent again after INFLUX_LATE_AFTER is counted twice from the tier, once from raw', async () => {
    clock = t0 + 30n * M; // 31 minutes old: late, so the write path adds it to the tier again
    await store.write(encodeRecords([twice]));
    const fromTier = await sessions([]);
    expect(fromTier.tier).toMatch(/5m/);
    expect(fromTier.by).toEqual({ once: 1n, twice: 2n, edge: 1n, justLate: 1n });
    // Grouped on a column no tier keeps, raw alone answers: the record is there once.
    const fromRaw = await sessions([{ dimension: 'CLIENT_PORT' }]);
    expect(fromRaw.tier).toBe('raw');
    expect(fromRaw.by).toEqual({ once: 1n, twice: 1n, edge: 1n, justLate: 1n });
  });
});
