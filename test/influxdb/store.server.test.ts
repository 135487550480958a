import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  GatewayError,
  buildTrafficQuery,
  parseDuration,
  parseTiers,
  type BuildContext,
  type Retention,
  type SessionRecord,
  type TrafficArgs,
  encodeRecords,
} from '../../src/model/index.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, rawRecords, runBucket, testHttp } from './server.js';

// The InfluxDB store against a real influxd, beyond the conformance cases:
// acknowledged writes, collisions, setup, the tier tasks and late records.
const server = await findInflux();

const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };

function record(over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    time: 0n,
    vn: 'default-domain:k8s-shop:pod-network',
    vmi: null,
    remoteVn: 'default-domain:k8s-billing:pod-network',
    vrouterIp: '192.168.0.11',
    localIp: '10.244.1.5',
    clientPort: 51234,
    remoteIp: '10.244.7.9',
    serverPort: 8443,
    protocol: 6,
    sessionType: 'client',
    localLabels: { app: 'web' },
    remoteLabels: { app: 'db' },
    forwardSampledBytes: 10n,
    forwardSampledPkts: 1n,
    reverseSampledBytes: 20n,
    reverseSampledPkts: 2n,
    totalBytes: 30n,
    ...over,
  };
}

describeWithInflux('InfluxDB session store', server, () => {
  // Real time: the tasks and InfluxDB's retention checks run on it.
  const now = BigInt(Date.now()) * 1_000_000n;
  let ctx: BuildContext = { now, retention, limits: { maxPageSize: 1000, maxGroups: 1000, maxSeriesPoints: 10_000 } };
  let store: InfluxSessionStore;

  beforeAll(async () => {
    store = await openTestStore(server, { bucket: runBucket('store'), retention, clock: () => BigInt(Date.now()) * 1_000_000n });
    ctx = { ...ctx, folding: store.folding };
  });
  afterAll(async () => {
    if (store !== undefined) await dropStore(server, store);
  });

  const traffic = (args: TrafficArgs) => store.traffic(buildTrafficQuery(args, { ...ctx, now: BigInt(Date.now()) * 1_000_000n }));

  /** Sums of `sessions` in a tier bucket over the last `hours`, read directly. */
  async function tierSessions(bucket: string, hours: number, where = 'true'): Promise<bigint> {
    const rows = await testHttp(server).query(
      server.org,
      `from(bucket: "${bucket}") |> range(start: -${hours}h, stop: 1h) |> filter(fn: (r) => r._field == "sessions" and ${where}) |> group() |> sum()`,
    );
    return BigInt(rows.get('_result')?.[0]?.['_value'] ?? '0');
  }

  it('creates the buckets with their retention and no task, and a second setup changes nothing', async () => {
    const http = testHttp(server);
    for (const [name, seconds] of [
      [store.layout.rawBucket, 86_400],
      [store.layout.tiers[0]!.bucket, 7 * 86_400],
      [store.layout.tiers[1]!.bucket, 90 * 86_400],
    ] as const) {
      const found = await http.find<{ buckets: { retentionRules: { everySeconds: number }[] }[] }>(`/api/v2/buckets?name=${name}&org=${server.org}`);
      expect(found?.buckets[0]?.retentionRules[0]?.everySeconds).toBe(seconds);
    }
    for (const name of store.legacyTaskNames()) {
      const found = await http.find<{ tasks: { name: string }[] }>(`/api/v2/tasks?name=${encodeURIComponent(name)}&org=${server.org}`);
      expect(found?.tasks.filter((t) => t.name === name) ?? []).toEqual([]);
    }
    expect(store.legacyTaskNames()).toEqual([`sag-rollup ${store.layout.rawBucket}_5m`, `sag-rollup ${store.layout.rawBucket}_1h`]);
    const again = await openTestStore(server, { bucket: store.layout.rawBucket, retention, clock: () => now, deferSetup: true });
    expect(await again.setup()).toEqual({ created: [], updated: [], deleted: [] });
    // A changed configuration is applied in place: a longer raw retention, one tier fewer.
    const longer = { raw: parseDuration('48h', 'raw'), tiers: retention.tiers.slice(0, 1) };
    const changed = await openTestStore(server, { bucket: store.layout.rawBucket, retention: longer, clock: () => now, deferSetup: true });
    expect(await changed.setup()).toEqual({ created: [], updated: [`bucket ${store.layout.rawBucket} (retention 48h)`], deleted: [] });
    expect(await store.setup()).toEqual({ created: [], updated: [`bucket ${store.layout.rawBucket} (retention 24h)`], deleted: [] });
  });

  it('answers a write only once InfluxDB has it: a query right after sees every record', async () => {
    const t = BigInt(Date.now()) * 1_000_000n - MIN;
    const records = Array.from({ length: 2000 }, (_, i) => record({ time: t - BigInt(i), vrouterIp: '192.168.9.1', clientPort: i % 60000 }));
    await store.write(encodeRecords(records));
    const page = await traffic({ range: { last: '10m' }, where: { vrouterIp: { eq: '192.168.9.1' } } });
    expect(page.total.sessions).toBe(2000n);
    expect(page.total.totalBytes).toBe(60_000n);
  });

  it('keeps two identical records of one write apart (1 ns), and a write sent twice counts once', async () => {
    const r = record({ time: BigInt(Date.now()) * 1_000_000n - MIN, vrouterIp: '192.168.9.2' });
    await store.write(encodeRecords([r, r]));
    await store.write(encodeRecords([r, r]));
    const page = await traffic({ range: { last: '10m' }, where: { vrouterIp: { eq: '192.168.9.2' } } });
    expect(page.total.sessions).toBe(2n);
  });

  it.each(HOSTILE_STRINGS.map((s) => [s]))('stores the hostile value %j in every string column and label, as written, and finds it by eq, prefix and regex', async (s) => {
    const ip = `192.168.10.${HOSTILE_STRINGS.indexOf(s)}`;
    const written = record({
      time: BigInt(Date.now()) * 1_000_000n - MIN,
      vn: s,
      vmi: `${s}:vmi`,
      remoteVn: `remote ${s}`,
      vrouterIp: ip,
      localLabels: { app: s, tier: `${s}${s}` },
      remoteLabels: { app: `\\${s}` },
    });
    await store.write(encodeRecords([written]));
    expect(await rawRecords(server, store, ip)).toEqual([written]);
    const page = await traffic({
      range: { last: '10m' },
      // Prefixes that end inside the value and at its end (some end with a backslash).
      where: { vn: { eq: s, prefix: s.slice(0, 3) }, localLabels: [{ name: 'app', in: [s] }, { name: 'tier', prefix: s }], vrouterIp: { eq: ip } },
      groupBy: [{ dimension: 'VN' }, { localLabel: 'app' }],
    });
    expect(page.groups.map((g) => g.values)).toEqual([[s, s]]);
  });

  it('reads a regex filter as RE2 does: \\x2e is a dot, \\x{...} a character, a final \\\\ a backslash', async () => {
    const t = BigInt(Date.now()) * 1_000_000n - MIN;
    const ip = '192.168.9.5';
    const vns = ['a.b', 'axb', 'x🚀', 'c:\\d', 'c:\\'];
    await store.write(encodeRecords(vns.map((vn, i) => record({ time: t - BigInt(i), vn, vrouterIp: ip, clientPort: i }))));
    const matching = async (regex: string) => {
      const page = await traffic({ range: { last: '10m' }, where: { vn: { regex }, vrouterIp: { eq: ip } }, groupBy: [{ dimension: 'VN' }] });
      return page.groups.map((g) => g.values[0]).sort();
    };
    expect(await matching('^a\\x2eb$')).toEqual(['a.b']);
    expect(await matching('\\x{1F680}')).toEqual(['x🚀']);
    expect(await matching('^c:\\\\')).toEqual(['c:\\', 'c:\\d']);
    expect(await matching('[\\x2e\\x{1F680}]')).toEqual(['a.b', 'x🚀']);
  });

  it('keeps an empty label value apart from a missing label', async () => {
    const t = BigInt(Date.now()) * 1_000_000n - MIN;
    await store.write(encodeRecords([
      record({ time: t, vrouterIp: '192.168.9.3', localLabels: { app: '' } }),
      record({ time: t, vrouterIp: '192.168.9.3', localLabels: {} }),
    ]));
    const page = await traffic({ range: { last: '10m' }, where: { vrouterIp: { eq: '192.168.9.3' } }, groupBy: [{ localLabel: 'app' }] });
    expect(page.groups.map((g) => [g.values[0], g.traffic.sessions])).toEqual([
      ['', 1n],
      [null, 1n],
    ]);
  });

  it('shows in meta.query the exact Flux it ran: posting it again gives the same rows', async () => {
    const page = await traffic({ range: { last: '10m' }, groupBy: [{ dimension: 'VROUTER_IP' }] });
    const rows = await testHttp(server).query(server.org, page.meta.query);
    expect(rows.get('page')?.map((r) => r['_gk'])).toEqual(page.groups.map((g) => g.values[0]));
    expect(page.meta.backend).toBe('influxdb');
  });

  it('answers INTERNAL for Flux InfluxDB refuses', async () => {
    const e = await testHttp(server).query(server.org, 'from(bucket: ').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).code).toBe('INTERNAL');
  });

  it('rolls recent records up through the scheduled runs, subtracts late ones there, and folds late ones in through the write path', async () => {
    const http = testHttp(server);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const hourTier = store.layout.tiers[1]!;
    // Two records in the current hour window: one young (for the rollup), one late (> 5m old) unless
    // the hour just began, in which case both are young and the late one goes an hour back.
    const windowStart = nowNs - (nowNs % HOUR);
    const young = record({ time: nowNs - MIN, vrouterIp: '192.168.9.4' });
    const lateTime = nowNs - 20n * MIN >= windowStart ? nowNs - 20n * MIN : windowStart - 20n * MIN;
    const late = record({ time: lateTime, vrouterIp: '192.168.9.4' });
    await store.write(encodeRecords([young, late]));
    const where = 'r.vrouter_ip == "192.168.9.4"';
    // The late record is in the tier already (partial sums from the write path), the young one not yet.
    expect(await tierSessions(hourTier.bucket, 3, where)).toBe(1n);
    const rawLate = await http.query(
      server.org,
      `from(bucket: "${store.layout.rawBucket}") |> range(start: -2h) |> filter(fn: (r) => r.vrouter_ip == "192.168.9.4" and (r._field == "total_bytes" or r._field == "late_total_bytes")) |> group(columns: ["_field"]) |> count()`,
    );
    expect(rawLate.get('_result')?.map((r) => [r['_field'], r['_value']]).sort()).toEqual([['late_total_bytes', '1'], ['total_bytes', '2']]);
    // The hour tier's run that completes this window is scheduled at the first hour boundary at least
    // INFLUX_LATE_AFTER past its end: it sums the young record, and subtracts the late one.
    const s = windowStart + 2n * HOUR;
    const done = await store.runScheduled(s, 1);
    expect(done[1]).toContain(windowStart);
    expect(done[1]!.at(-1)).toBe(windowStart);
    expect(await tierSessions(hourTier.bucket, 3, where)).toBe(2n);
    // The same run again: the watermark says the windows are done.
    expect(await store.runScheduled(s, 1)).toEqual([[], []]);
    // Recomputing is idempotent: the same windows again, the same sums.
    await store.rollup(windowStart, windowStart + HOUR);
    expect(await tierSessions(hourTier.bucket, 3, where)).toBe(2n);
    // A record late for a window already rolled up is folded in by the write path.
    await store.write(encodeRecords([record({ time: lateTime + 1n, vrouterIp: '192.168.9.4', clientPort: 7 })]));
    expect(await tierSessions(hourTier.bucket, 3, where)).toBe(3n);
    await store.rollup(windowStart, windowStart + HOUR);
    expect(await tierSessions(hourTier.bucket, 3, where)).toBe(3n);
    // The 5m tier gets the same from its own windows.
    await store.rollup(lateTime - 5n * MIN, nowNs + 5n * MIN);
    expect(await tierSessions(store.layout.tiers[0]!.bucket, 3, where)).toBe(3n);
  });
});
