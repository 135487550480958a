import { describeFlowConformance } from '../conformance/flow-suite.js';
import { describeSessionConformance } from '../conformance/session-suite.js';
import { describeTenancyConformance } from '../conformance/tenancy-suite.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, runBucket } from './server.js';

// The session conformance suite against a real influxd, with the same
// assertions as the embedded store. Records older than INFLUX_LATE_AFTER
// (5m) reach the tiers through the write path; the rest through the tier
// rollup, run once after the writes instead of waiting for the tasks.
// Required in CI (test/influxdb/server.ts).
const server = await findInflux();

describeWithInflux('session conformance: influxdb', server, () => {
  describeSessionConformance('influxdb', async ({ now, retention }) => {
    const store = await openTestStore(server, { bucket: runBucket('conf'), retention, clock: () => now });
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
