import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { collect, listen, sleep, wsClient } from '../live/support.js';
import { describeWithInflux, dropStore, findInflux, runBucket } from './server.js';
import { freePort } from '../support/free-port.js';

// sessionTail reads the store, so it sees what every replica stored: two
// gateway processes on one influxd, records ingested through one (a child
// process running src/main.ts) and tailed through the other, with a
// backfill from `since` and the live part after it, each record once.
const server = await findInflux();

const TAIL = `subscription($since: DateTime, $where: SessionFilter) { sessionTail(since: $since, where: $where) { time serverPort vn } }`;


describeWithInflux('sessionTail across two gateways on one InfluxDB', server, () => {
  const bucket = runBucket('fix-live-tail');
  let dir: string;
  let tailer: Gateway;
  let url: string;
  let ingester: ChildProcess;
  let ingestUrl: string;
  let ingesterLog = '';
  const env = {
    SESSION_STORE: 'influxdb',
    INFLUX_URL: server.url,
    INFLUX_TOKEN: server.token,
    INFLUX_ORG: server.org,
    INFLUX_BUCKET: bucket,
    TIERS: '',
    DUCKDB_PATH: ':memory:',
    LIVE_TAIL_LATENESS: '1500ms',
    LIVE_TAIL_INTERVAL: '200ms',
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sag-live-influx-'));
    tailer = await createGateway(parseConfig({ ...env, DEAD_LETTER_PATH: join(dir, 'tailer-dl.ndjson') }), { runJobs: false, logLevel: 'silent' });
    url = await listen(tailer);
    const port = await freePort();
    ingestUrl = `http://127.0.0.1:${port}`;
    ingester = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', DEAD_LETTER_PATH: join(dir, 'ingester-dl.ndjson') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ingester.stdout!.on('data', (d) => (ingesterLog += String(d)));
    ingester.stderr!.on('data', (d) => (ingesterLog += String(d)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${ingestUrl}/health`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || ingester.exitCode !== null) throw new Error(`the ingesting gateway did not start: ${ingesterLog.slice(-2000)}`);
      await sleep(200);
    }
  }, 90_000);

  afterAll(async () => {
    ingester?.kill('SIGTERM');
    if (tailer !== undefined) {
      await dropStore(server, tailer.services.sessions as InfluxSessionStore).catch(() => undefined);
      await tailer.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Records stamped now (distinct nanoseconds), serial numbers in server_port, every other one on another vn. */
  const records = (from: number, n: number, ageMs = 0) => {
    const base = BigInt(Date.now() - ageMs) * 1_000_000n;
    return Array.from({ length: n }, (_, i) => ({
      time: String(base + BigInt(i)),
      vn: (from + i) % 2 === 0 ? 'default-domain:k8s-shop:web' : 'default-domain:k8s-shop:cron',
      remote_vn: 'default-domain:k8s-billing:db',
      vrouter_ip: '192.168.0.11',
      local_ip: '10.244.1.5',
      client_port: 40000,
      remote_ip: '10.244.7.9',
      server_port: from + i,
      protocol: 6,
      session_type: 'client',
      forward_sampled_bytes: 1,
      forward_sampled_pkts: 1,
      reverse_sampled_bytes: 1,
      reverse_sampled_pkts: 1,
    }));
  };
  const ingest = async (body: unknown[]) => {
    const res = await fetch(`${ingestUrl}/ingest/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await res.json()) as { accepted: number };
    expect(answer.accepted, JSON.stringify(answer)).toBe(body.length);
  };

  it('backfills what the other gateway stored since `since`, then goes live: every matching record once, in time order', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    // Stored before the subscription: 30 s and 10 s old, and one older than since.
    await ingest(records(1, 20, 30_000));
    await ingest(records(21, 20, 10_000));
    await ingest(records(9000, 2, 120_000));
    const client = wsClient(url);
    const tail = collect(client, TAIL, { since, where: { vn: { eq: 'default-domain:k8s-shop:web' } } });
    // Then live, while the tail runs: a batch every 150 ms for 3 s.
    let next = 41;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      await ingest(records(next, 10));
      next += 10;
      await sleep(150);
    }
    const expected = Array.from({ length: next - 1 }, (_, i) => i + 1).filter((p) => p % 2 === 0);
    await tail.waitFor(expected.length, 15_000);
    await sleep(2000);
    const got = tail.results.map((r) => (r.data as { sessionTail: { serverPort: number } }).sessionTail.serverPort);
    expect(got).toEqual(expected);
    const times = tail.results.map((r) => (r.data as { sessionTail: { time: string } }).sessionTail.time);
    expect([...times].sort()).toEqual(times);
    await client.dispose();
  }, 60_000);
});
