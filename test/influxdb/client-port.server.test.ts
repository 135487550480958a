import { afterAll, expect, it } from 'vitest';
import {
  buildFilter,
  buildRecordsQuery,
  buildTrafficQuery,
  encodeRecords,
  parseDuration,
  parseTiers,
  type BuildContext,
  type Retention,
  type SessionFilterInput,
  type SessionRecord,
} from '../../src/model/index.js';
import type { InfluxSessionStore, StoreLog } from '../../src/stores/influxdb/index.js';
import { describeWithInflux, dropStore, findInflux, openTagLayoutStore, openTestStore, runBucket, testHttp } from './server.js';

// client_port as an integer field (docs/influxdb.md "client_port: tag or
// field") on a real influxd: where the store puts it in a new bucket and in
// one an earlier gateway wrote, the collision check without it, and tails
// and records that filter on it, in both layouts.
const server = await findInflux();

const MIN = 60_000_000_000n;
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

function capturingLog(): StoreLog & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, error() {}, warn: (_o: object, msg: string) => void warnings.push(msg) };
}

async function keys(bucket: string, kind: 'tagKeys' | 'fieldKeys'): Promise<string[]> {
  const rows = await testHttp(server).query(server.org, `import "influxdata/influxdb/schema"\nschema.${kind}(bucket: "${bucket}", start: -2d)`);
  return [...rows.values()].flat().map((r) => r['_value'] ?? '');
}

describeWithInflux('client_port as a field or a tag', server, () => {
  const stores: InfluxSessionStore[] = [];
  afterAll(async () => {
    for (const s of stores) await dropStore(server, s);
  });
  const clock = () => BigInt(Date.now()) * 1_000_000n;
  const ctx = (): BuildContext => ({ now: clock(), retention, limits: { maxPageSize: 1000, maxGroups: 1000, maxSeriesPoints: 10_000 } });

  /** The same checks in either layout: two sessions of one endpoint pair at one nanosecond, read by every path. */
  async function holdsBothSessions(store: InfluxSessionStore, vrouterIp: string): Promise<void> {
    const t = clock() - MIN;
    const a = record({ time: t, vrouterIp, clientPort: 40001 });
    const b = record({ time: t, vrouterIp, clientPort: 40002, totalBytes: 70n });
    const c = record({ time: t, vrouterIp, clientPort: 40003, remoteIp: '10.244.7.10', totalBytes: 100n });
    await store.write(encodeRecords([a, b, c]));
    const where: SessionFilterInput = { vrouterIp: { eq: vrouterIp } };
    const byPort = await store.traffic(buildTrafficQuery({ range: { last: '10m' }, where, groupBy: [{ dimension: 'CLIENT_PORT' }] }, ctx()));
    expect(byPort.groups.map((g) => [g.values[0], g.traffic.totalBytes])).toEqual([['40003', 100n], ['40002', 70n], ['40001', 30n]]);
    const one = await store.traffic(buildTrafficQuery({ range: { last: '10m' }, where: { ...where, clientPort: { eq: 40002 } } }, ctx()));
    expect(one.total.totalBytes).toBe(70n);
    const range = await store.traffic(buildTrafficQuery({ range: { last: '10m' }, where: { ...where, clientPort: { gte: 40002, lte: 40003 } } }, ctx()));
    expect(range.total.sessions).toBe(2n);
    const none = await store.traffic(buildTrafficQuery({ range: { last: '10m' }, where: { ...where, clientPort: { notIn: [40001, 40002, 40003] } } }, ctx()));
    expect(none.total.sessions).toBe(0n);
    const page = await store.records(buildRecordsQuery({ range: { last: '10m' }, where: { ...where, clientPort: { in: [40001, 40002] } }, first: 10 }, ctx()));
    expect(page.records.map((r) => [r.clientPort, r.totalBytes]).sort()).toEqual([[40001, 30n], [40002, 70n]]);
    const tail = await store.tail({ filter: buildFilter({ ...where, clientPort: { ne: 40001 } }), from: null, until: clock(), since: t - MIN, limit: 10 });
    expect(tail.records.map((r) => r.clientPort).sort()).toEqual([40002, 40003]);
    expect(tail.records.find((r) => r.clientPort === 40002)).toMatchObject({ ...b, time: expect.any(BigInt) as unknown as bigint });
  }

  it('a new bucket holds client_port as an integer field: one series per endpoint pair, two sessions of one at one nanosecond kept apart', async () => {
    const log = capturingLog();
    const store = await openTestStore(server, { bucket: runBucket('cport-field'), retention, clock, log });
    stores.push(store);
    expect(await store.clientPortForm()).toBe('field');
    await holdsBothSessions(store, '192.168.20.1');
    expect(await keys(store.layout.rawBucket, 'tagKeys')).not.toContain('client_port');
    expect(await keys(store.layout.rawBucket, 'fieldKeys')).toContain('client_port');
    // The two sessions of one endpoint pair are one series: the later one moved 1 ns.
    const page = await store.records(buildRecordsQuery({ range: { last: '10m' }, where: { vrouterIp: { eq: '192.168.20.1' }, remoteIp: { eq: '10.244.7.9' } }, first: 10 }, ctx()));
    const times = page.records.map((r) => r.time).sort();
    expect(times[1]! - times[0]!).toBe(1n);
    expect(log.warnings).toEqual([]);
  });

  it('the risk it leaves: such a pair in two writes is one point, the later write overwrites', async () => {
    const store = await openTestStore(server, { bucket: runBucket('cport-cross'), retention, clock });
    stores.push(store);
    const t = clock() - MIN;
    await store.write(encodeRecords([record({ time: t, vrouterIp: '192.168.20.3', clientPort: 1 })]));
    await store.write(encodeRecords([record({ time: t, vrouterIp: '192.168.20.3', clientPort: 2 })]));
    const page = await store.traffic(buildTrafficQuery({ range: { last: '10m' }, where: { vrouterIp: { eq: '192.168.20.3' } }, groupBy: [{ dimension: 'CLIENT_PORT' }] }, ctx()));
    expect(page.groups.map((g) => g.values)).toEqual([['2']]);
  });

  it('a bucket an earlier gateway wrote keeps client_port a tag, with a warning naming INFLUX_BUCKET', async () => {
    const log = capturingLog();
    const store = await openTagLayoutStore(server, { bucket: runBucket('cport-tag'), retention, clock, log, now: clock() });
    stores.push(store);
    expect(await store.clientPortForm()).toBe('tag');
    expect(log.warnings.join('\n')).toMatch(/client_port as a tag[\s\S]*INFLUX_BUCKET/);
    await holdsBothSessions(store, '192.168.20.2');
    expect(await keys(store.layout.rawBucket, 'fieldKeys')).not.toContain('client_port');
    // Each session its own series: no time moved.
    const page = await store.records(buildRecordsQuery({ range: { last: '10m' }, where: { vrouterIp: { eq: '192.168.20.2' } }, first: 10 }, ctx()));
    expect(new Set(page.records.map((r) => r.time)).size).toBe(1);
  });

  it('a tier that keeps client_port keeps the tag layout, logged', async () => {
    const log = capturingLog();
    const keeping = { raw, tiers: parseTiers('5m:7d:', raw) };
    const store = await openTestStore(server, { bucket: runBucket('cport-tierkeeps'), retention: keeping, clock, log });
    stores.push(store);
    expect(await store.clientPortForm()).toBe('tag');
    expect(log.warnings.join('\n')).toMatch(/a tier keeps client_port/);
  });
});
