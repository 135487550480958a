import { afterAll, beforeAll, expect, it } from 'vitest';
import { TIME_END, encodeRecords } from '../../src/model/index.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { describeEpochBuckets, EPOCH_RETENTION } from '../conformance/epoch-suite.js';
import { sessionRecord } from '../support/records.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, rawRecords, runBucket } from './server.js';

// The rule for times (docs/decisions.md, "Times") against a real influxd:
// records before 1970 bucketed by floor as on the embedded store, and the
// last time the gateway takes kept to the nanosecond. Required in CI
// (test/influxdb/server.ts).
const server = await findInflux();

describeWithInflux('times on influxdb', server, () => {
  describeEpochBuckets('influxdb', async ({ now, retention }) => {
    const store = await openTestStore(server, { bucket: runBucket('epoch'), retention, clock: () => now });
    return { store, cleanup: () => dropStore(server, store) };
  });

  let store: InfluxSessionStore;
  beforeAll(async () => {
    store = await openTestStore(server, { bucket: runBucket('end'), retention: EPOCH_RETENTION, clock: () => BigInt(Date.now()) * 1_000_000n });
  });
  afterAll(async () => {
    if (store !== undefined) await dropStore(server, store);
  });

  it('keeps a record at the last time taken, 2249-12-31T23:59:59.999999999Z, exactly', async () => {
    const record = sessionRecord({ time: TIME_END - 1n, vrouterIp: '192.168.70.2' });
    await store.write(encodeRecords([record]));
    expect(await rawRecords(server, store, '192.168.70.2')).toEqual([record]);
  });
});
