/**
 * What the InfluxDB benchmarks share: the server (from the environment or
 * the env file scripts/services/influxdb.sh writes), the records of the
 * data set, loading them as line protocol, and gateways on fresh buckets
 * whose tasks are stopped at the end (buckets are left: docs/influxdb.md).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { SessionRecord } from '../../src/model/index.js';
import { InfluxHttp, type InfluxSessionStore } from '../../src/stores/influxdb/index.js';
import { time } from '../support.js';

/** Distinct sessions (tag sets): each is reported again and again, as agents do every export interval. */
export const SESSIONS = Number(process.env['SESSIONS'] ?? 20_000);
export const PER_BODY = 5000;
export const MIN = 60_000_000_000n;

const fileEnv = (() => {
  const state = process.env['SAG_STATE'] ?? join(homedir(), '.cache', 'session-analytics-gateway', 'run');
  try {
    return Object.fromEntries(
      readFileSync(join(state, 'influxdb.env'), 'utf8')
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  } catch {
    return {} as Record<string, string>;
  }
})();
export const URL = process.env['INFLUX_URL'] || fileEnv['INFLUX_URL'] || 'http://127.0.0.1:8086';
export const TOKEN = process.env['INFLUX_TOKEN'] || fileEnv['INFLUX_TOKEN'] || '';
export const ORG = process.env['INFLUX_ORG'] || fileEnv['INFLUX_ORG'] || 'sag';
export const run = `${process.env['BENCH_PREFIX'] || 'sagb'}-${Date.now().toString(36)}`;
export const http = new InfluxHttp({ url: URL, token: TOKEN, requestTimeoutMs: 60_000, queryTimeoutMs: 300_000 });
const dir = mkdtempSync(join(tmpdir(), 'sag-influx-bench-'));
const gateways: Gateway[] = [];

export function records(n: number, now: bigint, spanNs: bigint, seed: number): SessionRecord[] {
  const out: SessionRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = (i + seed) % SESSIONS;
    const h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    out[i] = {
      time: now - spanNs + (spanNs * BigInt(i)) / BigInt(n) + BigInt(seed % 1000) + BigInt(i % 1000),
      vn: `default-domain:k8s-ns${k % 20}:pod-network`,
      vmi: `default-domain:k8s-ns${k % 20}:vmi-${k % 500}`,
      remoteVn: `default-domain:k8s-ns${(k * 7) % 20}:pod-network`,
      vrouterIp: `192.168.0.${k % 50}`,
      localIp: `10.244.${k % 200}.${k % 250}`,
      clientPort: 30000 + (k % 2000),
      remoteIp: `10.245.${(k * 13) % 200}.${k % 251}`,
      serverPort: [80, 443, 8443, 5432, 6379][k % 5]!,
      protocol: 6,
      sessionType: 'client',
      localLabels: { app: `app-${h % 60}`, namespace: `ns-${k % 12}` },
      remoteLabels: { app: `app-${(h >>> 8) % 60}`, namespace: `ns-${(k * 5) % 12}` },
      forwardSampledBytes: BigInt(i % 100_000),
      forwardSampledPkts: BigInt(i % 1000),
      reverseSampledBytes: BigInt((i * 3) % 100_000),
      reverseSampledPkts: BigInt(i % 997),
      totalBytes: BigInt((i % 100_000) + ((i * 3) % 100_000)),
    };
  }
  return out;
}

/** A record as the gateway writes it into a new bucket: client_port an integer field (docs/influxdb.md "client_port: tag or field"). */
export function point(r: SessionRecord): Point {
  const p = new Point('session')
    .tag('vn', r.vn)
    .tag('vmi', r.vmi!)
    .tag('remote_vn', r.remoteVn)
    .tag('vrouter_ip', r.vrouterIp)
    .tag('local_ip', r.localIp)
    .tag('remote_ip', r.remoteIp)
    .tag('server_port', String(r.serverPort))
    .tag('protocol', String(r.protocol))
    .tag('session_type', r.sessionType);
  for (const [k, v] of Object.entries(r.localLabels)) p.tag(`label.local.${k}`, v);
  for (const [k, v] of Object.entries(r.remoteLabels)) p.tag(`label.remote.${k}`, v);
  return p
    .intField('client_port', r.clientPort)
    .intField('forward_sampled_bytes', r.forwardSampledBytes)
    .intField('forward_sampled_pkts', r.forwardSampledPkts)
    .intField('reverse_sampled_bytes', r.reverseSampledBytes)
    .intField('reverse_sampled_pkts', r.reverseSampledPkts)
    .intField('total_bytes', r.totalBytes)
    .timestamp(String(r.time));
}

export async function orgID(): Promise<string> {
  const orgs = await http.find<{ orgs: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(ORG)}`);
  return orgs!.orgs[0]!.id;
}

export async function createBucket(name: string): Promise<void> {
  await http.api('POST', '/api/v2/buckets', { orgID: await orgID(), name, retentionRules: [{ type: 'expire', everySeconds: 86_400 }] });
}

export async function gateway(bucket: string, clock?: () => bigint, env: Record<string, string> = {}): Promise<Gateway> {
  const gw = await createGateway(
    parseConfig({
      SESSION_STORE: 'influxdb',
      INFLUX_URL: URL,
      INFLUX_TOKEN: TOKEN,
      INFLUX_ORG: ORG,
      INFLUX_BUCKET: bucket,
      DUCKDB_PATH: ':memory:',
      DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'),
      QUERY_TIMEOUT: '300s',
      ...env,
    }),
    { runJobs: false, logLevel: 'error', ...(clock === undefined ? {} : { clock }) },
  );
  gateways.push(gw);
  return gw;
}

/** Stops a gateway's store (its rollup timers) and deletes any tier task an earlier version left for its buckets. */
export async function tasksOf(gw: Gateway): Promise<void> {
  const store = gw.opened.sessions as InfluxSessionStore;
  await store.close();
  const id = await orgID();
  for (const name of store.legacyTaskNames()) {
    const found = await http.find<{ tasks: { id: string; name: string }[] }>(`/api/v2/tasks?orgID=${id}&name=${encodeURIComponent(name)}`);
    for (const x of found?.tasks ?? []) if (x.name === name) await http.api('DELETE', `/api/v2/tasks/${x.id}`);
  }
}

/** Loads records as line protocol, two requests of 5 000 lines at a time (all at once overwhelms a small influxd). */
export async function load(bucket: string, rs: readonly SessionRecord[]): Promise<number> {
  const writer = new InfluxDB({ url: URL, token: TOKEN }).getWriteApi(ORG, bucket, 'ns');
  const lines = rs.map((r) => point(r).toLineProtocol(writer)!);
  let next = 0;
  return time(() =>
    Promise.all(
      [0, 1].map(async () => {
        while (next < lines.length) {
          const chunk = lines.slice(next, (next += PER_BODY));
          await http.write(ORG, bucket, chunk.join('\n'), 60_000);
        }
      }),
    ),
  );
}

/**
 * Stops the gateways' tasks and leaves the buckets: deleting a bucket that
 * a query or task still reads crashes influxd 2.9.1 (docs/influxdb.md, "A
 * crash of influxd"). The benchmark's server is a fresh one each start.
 */
export async function cleanup(): Promise<void> {
  for (const gw of gateways) await tasksOf(gw).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
