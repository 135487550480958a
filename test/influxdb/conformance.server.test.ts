import { describeFlowConformance } from '../conformance/flow-suite.js';
import { describeSessionConformance } from '../conformance/session-suite.js';
import { describeTenancyConformance } from '../conformance/tenancy-suite.js';
import { describeTierConformance } from '../conformance/tier-suite.js';
import { expect } from 'vitest';
import { describeWithInflux, dropStore, findInflux, openTagLayoutStore, openTestStore, runBucket } from './server.js';

// The session conformance suite against a real influxd, with the same
// assertions as the embedded store. Records older than INFLUX_LATE_AFTER
// (5m) reach the tiers through the write path; the rest through the tier
// rollup, run once after the writes instead of waiting for the tasks.
// Required in CI (test/influxdb/server.ts).
const server = await findInflux();

describeWithInflux('session conformance: influxdb', server, () => {
  describeSessionConformance('influxdb', async ({ now, retention }) => {
    const store = await openTestStore(server, { bucket: runBucket('conf'), retention, clock: () => now });
    expect(await store.clientPortForm()).toBe('field');
    return {
      store,
      afterWrite: () => store.rollup(now - 5n * 60_000_000_000n, now),
      cleanup: () => dropStore(server, store),
    };
  });
});

describeWithInflux('flow conformance: influxdb', server, () => {
  describeFlowConformance('influxdb', async ({ now, retention }) => {
    const store = await openTestStore(server, { bucket: runBucket('flow'), retention, clock: () => now });
    return {
      store,
      afterWrite: () => store.rollup(now - 5n * 60_000_000_000n, now),
      cleanup: () => dropStore(server, store),
    };
  });
});

describeWithInflux('tenancy conformance: influxdb', server, () => {
  describeTenancyConformance('influxdb', async ({ now, retention }) => {
    const store = await openTestStore(server, { bucket: runBucket('tenancy'), retention, clock: () => now });
    return {
      store,
      afterWrite: () => store.rollup(now - 5n * 60_000_000_000n, now),
      cleanup: () => dropStore(server, store),
    };
  });
});

// Tiers and raw summed into one answer (issue 17): the records written after
// the first rollup reach the tiers only by the write path (those older than
// INFLUX_LATE_AFTER) until the second rollup; the younger ones are read from
// raw, past what the tasks are taken to have folded in.
describeWithInflux('tier conformance: influxdb', server, () => {
  describeTierConformance('influxdb', async ({ now, retention }) => {
    const store = await openTestStore(server, { bucket: runBucket('tier'), retention, clock: () => now });
    return {
      store,
      afterWrite: () => store.rollup(now - 5n * 60_000_000_000n, now),
      cleanup: () => dropStore(server, store),
    };
  });
});

// A raw bucket an earlier gateway wrote, client_port a tag: the store keeps
// that layout for it (docs/influxdb.md "client_port: tag or field"), and the
// session and flow suites, client_port cases included, hold there too.
describeWithInflux('session conformance: influxdb, client_port as a tag', server, () => {
  describeSessionConformance('influxdb (client_port tag layout)', async ({ now, retention }) => {
    const store = await openTagLayoutStore(server, { bucket: runBucket('tagconf'), retention, clock: () => now, now });
    expect(await store.clientPortForm()).toBe('tag');
    return {
      store,
      afterWrite: () => store.rollup(now - 5n * 60_000_000_000n, now),
      cleanup: () => dropStore(server, store),
    };
  });
});

describeWithInflux('flow conformance: influxdb, client_port as a tag', server, () => {
  describeFlowConformance('influxdb (client_port tag layout)', async ({ now, retention }) => {
    const store = await openTagLayoutStore(server, { bucket: runBucket('tagflow'), retention, clock: () => now, now });
    expect(await store.clientPortForm()).toBe('tag');
    return {
      store,
      afterWrite: () => store.rollup(now - 5n * 60_000_000_000n, now),
      cleanup: () => dropStore(server, store),
    };
  });
});
