import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { gql } from '../support/gateway.js';
import { describeWithInflux, dropStore, findInflux, runBucket } from './server.js';

// SESSION_STORE=influxdb end to end: the gateway configured from the
// environment serves the session mutation, the ingest listener and both
// session queries from the shared influxd.
const server = await findInflux();

describeWithInflux('gateway with SESSION_STORE=influxdb', server, () => {
  let gw: Gateway;
  let dir: string;
  const t0 = BigInt(Date.now()) * 1_000_000n - 120_000_000_000n;
  const at = (s: number) => new Date(Number((t0 + BigInt(s) * 1_000_000_000n) / 1_000_000n)).toISOString();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sag-influx-gw-'));
    gw = await createGateway(
      parseConfig({
        SESSION_STORE: 'influxdb',
        INFLUX_URL: server.url,
        INFLUX_TOKEN: server.token,
        INFLUX_ORG: server.org,
        INFLUX_BUCKET: runBucket('gw'),
        DUCKDB_PATH: ':memory:',
        DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'),
      }),
      { runJobs: false, logLevel: 'silent' },
    );
  });

  afterAll(async () => {
    if (gw !== undefined) {
      await dropStore(server, gw.opened.sessions as InfluxSessionStore);
      await gw.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores what ingestSessions and POST /ingest/sessions accept, and serves sessionTraffic and sessionSeries from it', async () => {
    const rec = (i: number, app: string) => ({
      time: at(i),
      vn: 'default-domain:k8s-shop:pod-network',
      remoteVn: 'default-domain:k8s-billing:pod-network',
      vrouterIp: '192.168.0.11',
      localIp: '10.244.1.5',
      clientPort: 40000 + i,
      remoteIp: '10.244.7.9',
      serverPort: 443,
      protocol: 6,
      localLabels: [{ name: 'app', value: app }],
      remoteLabels: [{ name: 'app', value: 'ledger' }],
      forwardSampledBytes: 100,
      forwardSampledPkts: 1,
      reverseSampledBytes: 200,
      reverseSampledPkts: 2,
    });
    const ingest = await gql(
      gw.app,
      `mutation($records: [SessionRecordInput!]!) { ingestSessions(records: $records) { accepted rejected } }`,
      { records: [rec(1, 'web'), rec(2, 'web'), rec(3, 'api'), { ...rec(4, 'api'), clientPort: 70000 }] },
    );
    expect(ingest.data?.['ingestSessions']).toEqual({ accepted: 3, rejected: 1 });
    const http = await gw.app.inject({
      method: 'POST',
      url: '/ingest/sessions',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({
        time: at(5),
        vn: 'default-domain:k8s-shop:pod-network',
        remote_vn: 'default-domain:k8s-billing:pod-network',
        vrouter_ip: '192.168.0.12',
        local_ip: '10.244.1.6',
        client_port: 40005,
        remote_ip: '10.244.7.9',
        server_port: 443,
        protocol: 6,
        labels: { local: { app: 'web' }, remote: { app: 'ledger' } },
        forward_sampled_bytes: 1000,
        forward_sampled_pkts: 1,
        reverse_sampled_bytes: 2000,
        reverse_sampled_pkts: 2,
      })}\n`,
    });
    expect(http.statusCode).toBe(200);

    const traffic = await gql(
      gw.app,
      `{ sessionTraffic(range: {last: "10m"}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 1) {
          totalCount total { totalBytes sessions } nodes { group { key value } traffic { totalBytes sessions } }
          pageInfo { hasNextPage endCursor } meta { backend tier query } } }`,
    );
    expect(traffic.errors).toBeUndefined();
    const t = traffic.data!['sessionTraffic'];
    expect(t.totalCount).toBe(2);
    expect(t.total).toEqual({ totalBytes: 3900, sessions: 4 });
    expect(t.nodes).toEqual([
      { group: [{ key: 'label.local.app', value: 'web' }, { key: 'label.remote.app', value: 'ledger' }], traffic: { totalBytes: 3600, sessions: 3 } },
    ]);
    expect(t.pageInfo.hasNextPage).toBe(true);
    expect(t.meta.backend).toBe('influxdb');
    expect(t.meta.tier).toBe('raw');
    expect(t.meta.query).toContain('|> yield(name: "page")');

    const next = await gql(
      gw.app,
      `query($after: String) { sessionTraffic(range: {last: "10m"}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 1, after: $after) {
          nodes { group { value } traffic { totalBytes } } pageInfo { hasNextPage } } }`,
      { after: t.pageInfo.endCursor },
    );
    expect(next.data!['sessionTraffic']).toEqual({ nodes: [{ group: [{ value: 'api' }, { value: 'ledger' }], traffic: { totalBytes: 300 } }], pageInfo: { hasNextPage: false } });

    const series = await gql(gw.app, `{ sessionSeries(range: {last: "10m"}, every: "1m", metric: SESSIONS) { series { group { key } points { time value } } meta { tier } } }`);
    expect(series.errors).toBeUndefined();
    const points = series.data!['sessionSeries'].series[0].points as { time: string; value: number }[];
    expect(points.reduce((a, p) => a + p.value, 0)).toBe(4);
    for (const p of points) expect(Date.parse(p.time) % 60_000).toBe(0);
  });

  it('answers BAD_USER_INPUT for a range no tier can serve, naming the column', async () => {
    const res = await gql(gw.app, `{ sessionTraffic(range: {last: "3d"}, groupBy: [{dimension: CLIENT_PORT}]) { totalCount } }`);
    expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain('client_port');
  });

  it('reports the InfluxDB store ready', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).stores.sessions).toEqual({ backend: 'influxdb', ok: true });
  });
});
