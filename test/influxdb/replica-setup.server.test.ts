import { afterAll, expect, it } from 'vitest';
import { parseDuration, parseTiers, type Retention } from '../../src/model/index.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, runBucket, testHttp } from './server.js';

// Replicas starting at the same moment each set up the same buckets and tier
// tasks: one task per tier must remain, on the shared influxd.
const server = await findInflux();
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };

describeWithInflux('InfluxDB setup by replicas starting together', server, () => {
  const bucket = runBucket('ops-setup');
  const stores: InfluxSessionStore[] = [];
  afterAll(async () => {
    if (stores[0] !== undefined) await dropStore(server, stores[0]);
    for (const s of stores) await s.close();
  });

  it('leaves one task per tier, whichever replica made it', async () => {
    for (let i = 0; i < 3; i++) stores.push(await openTestStore(server, { bucket, retention, clock: () => BigInt(Date.now()) * 1_000_000n, deferSetup: true }));
    await Promise.all(stores.map((s) => s.setup()));
    const http = testHttp(server);
    const orgs = await http.find<{ orgs: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(server.org)}`);
    for (const task of stores[0]!.tasks()) {
      const found = await http.find<{ tasks: { name: string }[] }>(`/api/v2/tasks?orgID=${orgs!.orgs[0]!.id}&name=${encodeURIComponent(task.name)}`);
      expect(found!.tasks.filter((t) => t.name === task.name)).toHaveLength(1);
    }
  });
});
