import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { describeWithInflux, dropStore, findInflux, runBucket } from './server.js';

// INGEST_MAX_LABEL_NAMES on InfluxDB (issue 15, item 2): label names are tag
// keys, so the bound keeps a sender of made-up names from adding series keys;
// a gateway started on a bucket learns the names it holds.
const server = await findInflux();

describeWithInflux('the label-name bound on InfluxDB (server)', server, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sag-influx-labels-'));
  const bucket = runBucket('labels');
  const open: Gateway[] = [];
  const gateway = async (bound: string): Promise<Gateway> => {
    const gw = await createGateway(
      parseConfig({
        SESSION_STORE: 'influxdb',
        INFLUX_URL: server.url,
        INFLUX_TOKEN: server.token,
        INFLUX_ORG: server.org,
        INFLUX_BUCKET: bucket,
        DUCKDB_PATH: ':memory:',
        DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'),
        INGEST_MAX_LABELS: '1',
        INGEST_MAX_LABEL_NAMES: bound,
      }),
      { runJobs: false, logLevel: 'silent' },
    );
    open.push(gw);
    return gw;
  };
  const t0 = BigInt(Date.now()) * 1_000_000n - 60_000_000_000n;
  const line = (i: number, name: string) =>
    JSON.stringify({
      time: String(t0 + BigInt(i)),
      vn: 'default-domain:k8s-a:a-net',
      remote_vn: 'default-domain:k8s-b:b-net',
      vrouter_ip: '192.168.0.1',
      local_ip: '10.0.0.1',
      client_port: 40000 + i,
      remote_ip: '10.0.0.2',
      server_port: 80,
      protocol: 6,
      labels: { local: { [name]: 'v' } },
      forward_sampled_bytes: 1,
      forward_sampled_pkts: 1,
      reverse_sampled_bytes: 1,
      reverse_sampled_pkts: 1,
    });
  const post = (gw: Gateway, lines: string[]) =>
    gw.app.inject({ method: 'POST', url: '/ingest/sessions', headers: { 'content-type': 'application/x-ndjson' }, payload: `${lines.join('\n')}\n` });

  afterAll(async () => {
    await dropStore(server, open[0]!.opened.sessions as InfluxSessionStore);
    for (const gw of open) await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a new name past the bound, and a gateway started later counts the tag keys the bucket holds', async () => {
    const first = await gateway('2');
    const res = await post(first, [line(1, 'app'), line(2, 'tier'), line(3, 'random-1')]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 2, rejected: 1, errors: [{ index: 2, message: expect.stringMatching(/^labels\.local\.random-1: a new label name/) }] });

    const second = await gateway('2');
    const again = await post(second, [line(4, 'tier'), line(5, 'random-2')]);
    expect(again.json()).toMatchObject({ accepted: 1, rejected: 1, errors: [{ index: 1, message: expect.stringMatching(/keeps 2 local label names/) }] });
    expect(await second.services.sessions.storedLabelNames()).toEqual({ local: ['app', 'tier'], remote: [] });
  });
});
