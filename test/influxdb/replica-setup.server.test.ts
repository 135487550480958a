import { afterAll, expect, it } from 'vitest';
import { parseDuration, parseTiers, type Retention } from '../../src/model/index.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { describeWithInflux, dropStore, findInflux, openTestStore, runBucket, testHttp } from './server.js';

// Replicas starting at the same moment each set up the same buckets; none
// creates a task any more (the gateway runs the rollup itself), and the tier
// tasks an earlier version left for this raw bucket are deleted, by whichever
// replica comes first, while tasks of other buckets stay.
const server = await findInflux();
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };

describeWithInflux('InfluxDB setup by replicas starting together', server, () => {
  const bucket = runBucket('ops-setup');
  const other = runBucket('ops-other');
  const stores: InfluxSessionStore[] = [];
  const http = testHttp(server);
  let orgID = '';
  const legacyTask = (raw: string, tier: string) => ({
    orgID,
    status: 'active',
    description: `session-analytics-gateway: sums of bucket ${raw} per ${tier} into ${raw}_${tier}`,
    flux: `option task = {name: "sag-rollup ${raw}_${tier}", every: 1h, offset: 45s}\n\nfrom(bucket: "${raw}") |> range(start: -1m) |> count() |> yield()`,
  });
  const tasksNamed = async (name: string) =>
    ((await http.find<{ tasks: { id: string; name: string }[] }>(`/api/v2/tasks?orgID=${orgID}&name=${encodeURIComponent(name)}`))?.tasks ?? []).filter((t) => t.name === name);
  afterAll(async () => {
    for (const s of stores) await dropStore(server, s);
    for (const t of await tasksNamed(`sag-rollup ${other}_5m`)) await http.api('DELETE', `/api/v2/tasks/${t.id}`);
  });

  it('creates no task, deletes the old tier tasks of its raw bucket (two, from racing replicas too), leaves other buckets\' tasks', async () => {
    const orgs = await http.find<{ orgs: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(server.org)}`);
    orgID = orgs!.orgs[0]!.id;
    // What an earlier version left: its tasks for this bucket (one tier twice), and one of another bucket.
    await http.api('POST', '/api/v2/tasks', legacyTask(bucket, '5m'));
    await http.api('POST', '/api/v2/tasks', legacyTask(bucket, '5m'));
    await http.api('POST', '/api/v2/tasks', legacyTask(bucket, '1h'));
    await http.api('POST', '/api/v2/tasks', legacyTask(other, '5m'));
    for (let i = 0; i < 3; i++) stores.push(await openTestStore(server, { bucket, retention, clock: () => BigInt(Date.now()) * 1_000_000n, deferSetup: true }));
    const reports = await Promise.all(stores.map((s) => s.setup()));
    for (const name of stores[0]!.legacyTaskNames()) expect(await tasksNamed(name)).toEqual([]);
    // Every old task was deleted once, by one replica or another (a replica that found it gone says so too).
    expect(new Set(reports.flatMap((r) => r.deleted))).toEqual(new Set([`task sag-rollup ${bucket}_5m`, `task sag-rollup ${bucket}_1h`]));
    expect(await tasksNamed(`sag-rollup ${other}_5m`)).toHaveLength(1);
    // A second setup finds nothing to do.
    expect(await stores[0]!.setup()).toEqual({ created: [], updated: [], deleted: [] });
  });
});
